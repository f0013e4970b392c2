"""The LLMClient contract for what runs without a model: the test fake, the composer (the default) and the
extractive backend."""

from __future__ import annotations

from pathlib import Path

import pytest

from llm_backend.config import LLMConfig
from llm_backend.factory import build_llm_client
from llm_backend.protocols import LLMClient
from llm_backend.testing import ScriptedLLM
from tests.contract.test_llm_client_contract import LLMClientContract


class TestScriptedLLM(LLMClientContract):
    @pytest.fixture
    def client(self) -> LLMClient:
        return ScriptedLLM()


class TestModelFreeClient(LLMClientContract):
    """The two backends without a generative model: ``extractive`` and ``composer``."""

    @pytest.fixture(params=["extractive", "composer"])
    async def client(self, request: pytest.FixtureRequest, tmp_path: Path) -> LLMClient:
        client = build_llm_client(LLMConfig(backend=request.param), tmp_path)
        await client.warm_up()
        return client

    @pytest.mark.skip(reason="no generative model: structured calls are refused by design (unit-tested)")
    async def test_structured_returns_an_object_valid_for_the_schema(self, client: LLMClient) -> None:
        raise AssertionError
