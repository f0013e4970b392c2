"""The ``kefu`` entry point runs offline by default: no model hub, no public-suffix download."""

from __future__ import annotations

import os
import subprocess
import sys

from app.settings import OFFLINE_ENV


def _run(env: dict[str, str]) -> str:
    code = (
        "import os\n"
        "import app.cli as cli\n"
        "from app.settings import OFFLINE_ENV\n"
        "cli.build_cli = lambda: (lambda: print(repr({k: os.environ.get(k) for k in OFFLINE_ENV})))\n"
        "cli.main()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_main_sets_the_offline_defaults() -> None:
    env = {k: v for k, v in os.environ.items() if k not in OFFLINE_ENV}
    assert _run(env) == repr(OFFLINE_ENV)


def test_an_operators_setting_wins() -> None:
    env = {**os.environ, "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": "/srv/psl.dat", "HF_HUB_OFFLINE": "0"}
    seen = _run(env)
    assert "'/srv/psl.dat'" in seen
    assert "'HF_HUB_OFFLINE': '0'" in seen
