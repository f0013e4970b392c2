"""The ``kefu`` console script.

Commands live in ``app/cli/cmd_*.py`` modules, and the ``eval`` / ``bench`` commands in
``app/evals/cli/cmd_*.py``; each defines ``register(cli: Clis) -> None`` and adds its commands to the root
app or to the ``eval`` / ``bench`` groups. Modules are discovered, so adding a command never means editing
this file. Heavy imports happen inside the command functions, not at import time. This is the one place
production code reaches ``app.evals`` (by name, when the CLI is built; tests/unit/test_layering.py).
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass

import typer

# The evaluation and benchmark commands (``kefu eval ...``, ``kefu bench ...``).
EVAL_COMMANDS = "app.evals.cli"


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
    for package in (__name__, EVAL_COMMANDS):
        path = importlib.import_module(package).__path__
        for info in sorted(pkgutil.iter_modules(path), key=lambda m: m.name):
            if info.name.startswith("cmd_"):
                importlib.import_module(f"{package}.{info.name}").register(clis)
    return root


def main() -> None:
    from app.settings import apply_offline_defaults

    apply_offline_defaults()
    build_cli()()
