"""One real masker per test session (spaCy + jieba load once, ~10 s); tests using it are ``models``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from privacy.config import PrivacyConfig
from privacy.masker import PresidioMasker


@pytest.fixture(scope="session")
def privacy_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("privacy-data")


@pytest.fixture(scope="session")
def masker(privacy_data_dir: Path) -> Iterator[PresidioMasker]:
    m = PresidioMasker(PrivacyConfig(allow_list=["95588", "400-820-8888"]), privacy_data_dir)
    m.warm_up()
    return m
