"""Each library line is logged once, at the level kefu asks for: jieba's own stderr handler is removed,
faiss's CPU-build probing stays below WARNING."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from app.runtime.logs import configure_logging


@pytest.fixture
def kefu_logging() -> Iterator[None]:
    root = logging.getLogger()
    level = root.level
    yield
    for h in list(root.handlers):
        if getattr(h, "_kefu", False):
            root.removeHandler(h)
    root.setLevel(level)


@pytest.mark.usefixtures("kefu_logging")
def test_jieba_lines_come_out_once_and_only_from_warning(capsys: pytest.CaptureFixture[str]) -> None:
    import jieba

    configure_logging("INFO", json_lines=True)
    assert jieba.log_console not in jieba.default_logger.handlers
    jieba_log = logging.getLogger("jieba")
    jieba_log.debug("Building prefix dict from the default dictionary ...")
    jieba_log.info("Prefix dict has been built successfully.")
    jieba_log.warning("a jieba warning")
    err = capsys.readouterr().err.splitlines()
    assert [line for line in err if "jieba" in line or "Prefix" in line] == [
        line for line in err if '"msg": "a jieba warning"' in line
    ]
    assert len(err) == 1


@pytest.mark.usefixtures("kefu_logging")
def test_faiss_cpu_probe_is_not_logged(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", json_lines=False)
    logging.getLogger("faiss.loader").info("Could not load library with AVX2 support due to: ...")
    assert "AVX2" not in capsys.readouterr().err
