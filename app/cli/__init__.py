"""The ``kefu`` console script.

Commands live in ``app/cli/cmd_*.py`` modules; each defines ``register(cli: Clis) -> None`` and adds its
commands to the root app or to the ``eval`` / ``bench`` groups. Modules are discovered, so adding a command
never means editing this file. Heavy imports happen inside the command functions, not at import time.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from dataclasses import dataclass

import typer


@dataclass(frozen=True)
class Clis:
    root: typer.Typer
    eval: typer.Typer
    bench: typer.Typer


def build_cli() -> typer.Typer:
    root = typer.Typer(help="kefu (客服): enterprise RAG customer-service platform.", no_args_is_help=True)
    eval_app = typer.Typer(help="Quality evaluations on real data.", no_args_is_help=True)
    bench_app = typer.Typer(help="Speed benchmarks.", no_args_is_help=True)
    root.add_typer(eval_app, name="eval")
    root.add_typer(bench_app, name="bench")
    clis = Clis(root=root, eval=eval_app, bench=bench_app)
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("cmd_"):
            importlib.import_module(f"{__name__}.{info.name}").register(clis)
    return root


# No model hub and no public-suffix download: models come from installed packages (bank networks have no
# egress), and tldextract (under Presidio's URL and e-mail recognizers) uses its bundled suffix list
# instead of trying GitHub at the first e-mail address it sees. An operator's explicit setting wins.
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": "",
}


def main() -> None:
    for name, value in OFFLINE_ENV.items():
        os.environ.setdefault(name, value)
    build_cli()()
