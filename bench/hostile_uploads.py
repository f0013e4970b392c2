"""Customer reply times while the review's three hostile files are ingested, against idle, in one run
(issue 12, finding 2; docs/BENCHMARKS.md, "Security").

The app is served by real uvicorn in a child process (``tests.e2e.server.E2EServer``: the embedded
default - SQLite, in-process jobs and stores - with the real e5 embedder, Presidio and the extractive
answer backend, seeded with the demo FAQ), from the code under ``--root`` (this checkout, or another one
for a before/after comparison). This process is the client: customers' messages one after another
(a new conversation every 8 turns, under the per-conversation rate limit), first idle, then while an
admin's upload of the three files is parsed and indexed, until the job ends (or ``--max-during-s``).
Reported: reply p50/p95/max idle and during, their ratio, the job's per-file outcome and time, and the
server's resident memory (VmRSS of its process; the parser children are not counted - they are not the
server).

Run: ``.venv/bin/python -m bench.hostile_uploads [--root DIR] [--idle N] [--max-during-s S] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from app.demo import ADMIN_EMAIL
from tests.reliability.hostile_files import declared_sheet_xlsx, exploding_pdf, spanning_cell_docx

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = [
    "How do I report a lost card?",
    "如何申请信用卡分期？",
    "What are the branch opening hours?",
    "转账多久到账？",
]
_SERVE = """
import json, sys, time
from tests.e2e.server import E2EServer
s = E2EServer().start()
print(json.dumps({"base_url": s.base_url, "admin_password": s.seed.admin_password,
                  "widget_key": s.seed.widget_key, "origin": s.seed.origins[0]}), flush=True)
while True:
    time.sleep(3600)
"""


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


class Customer:
    def __init__(self, http: httpx.Client, widget_key: str, origin: str) -> None:
        self.http, self.key, self.origin = http, widget_key, origin
        self.turns = 0
        self.headers: dict[str, str] = {}
        self.cid = ""

    def ask(self) -> float:
        if self.turns % 8 == 0:
            r = self.http.post(
                "/api/v1/chat/conversations", json={"widget_key": self.key}, headers={"Origin": self.origin}
            )
            r.raise_for_status()
            body = r.json()
            self.cid, self.headers = (
                body["id"],
                {"X-Conversation-Token": body["token"], "Origin": self.origin},
            )
        text = QUESTIONS[self.turns % len(QUESTIONS)]
        self.turns += 1
        started = time.perf_counter()
        r = self.http.post(f"/api/v1/chat/conversations/{self.cid}/messages", json={"text": text},
                           headers=self.headers)  # fmt: skip
        elapsed = time.perf_counter() - started
        r.raise_for_status()
        return elapsed


def run(root: Path, idle: int, max_during_s: float) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="kefu-hostile-"))
    log = (work / "server.log").open("wb")
    env = {**os.environ, "PYTHONPATH": str(root), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    server = subprocess.Popen([sys.executable, "-c", _SERVE], cwd=root, env=env, stdout=subprocess.PIPE,
                              stderr=log, start_new_session=True)  # fmt: skip
    try:
        assert server.stdout is not None
        ready = json.loads(server.stdout.readline() or "{}")
        if not ready:
            raise RuntimeError(f"the server did not start; see {work / 'server.log'}")
        with httpx.Client(base_url=ready["base_url"], timeout=600) as http:
            r = http.post(
                "/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": ready["admin_password"]}
            )
            r.raise_for_status()
            admin = {"Authorization": "Bearer " + r.json()["token"]}
            customer = Customer(http, ready["widget_key"], ready["origin"])
            for _ in range(4):  # warm
                customer.ask()
            rss_idle = _rss_mb(server.pid)
            idle_s = [customer.ask() for _ in range(idle)]
            files = [("faq.xlsx", declared_sheet_xlsx()), ("fees.docx", spanning_cell_docx()),
                     ("notice.pdf", exploding_pdf())]  # fmt: skip
            started = time.monotonic()
            r = http.post("/api/v1/admin/kb/uploads", headers=admin,
                          files=[("files", (n, d, "application/octet-stream")) for n, d in files])  # fmt: skip
            r.raise_for_status()
            job_id = r.json()["job_id"]
            during_s: list[float] = []
            rss_peak = rss_idle
            job: dict[str, Any] = {}
            while True:
                during_s.append(customer.ask())
                rss_peak = max(rss_peak, _rss_mb(server.pid))
                job = http.get(f"/api/v1/admin/kb/jobs/{job_id}", headers=admin).json()
                if job["status"] in ("succeeded", "failed") and len(during_s) >= 10:
                    break
                if time.monotonic() - started > max_during_s:
                    break
            job_s = time.monotonic() - started
        return {
            "root": str(root),
            "idle": {"n": len(idle_s), "p50": _pct(idle_s, 0.5), "p95": _pct(idle_s, 0.95), "max": max(idle_s)},
            "during": {"n": len(during_s), "p50": _pct(during_s, 0.5), "p95": _pct(during_s, 0.95),
                       "max": max(during_s)},  # fmt: skip
            "p95_ratio": _pct(during_s, 0.95) / _pct(idle_s, 0.95),
            "job": {"status": job.get("status"), "seconds": round(job_s, 1),
                    "files": {d["source"]: d.get("error_code") or d["status"] for d in job.get("documents", [])}},
            "server_rss_mb": {"idle": round(rss_idle), "peak_during": round(rss_peak),
                              "after": round(_rss_mb(server.pid))},  # fmt: skip
        }  # fmt: skip
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def markdown(result: dict[str, Any]) -> str:
    i, d = result["idle"], result["during"]
    rows = [
        "| phase | replies | p50 | p95 | max |",
        "|---|---|---|---|---|",
        f"| idle | {i['n']} | {i['p50']:.3f} s | {i['p95']:.3f} s | {i['max']:.3f} s |",
        f"| while the 3 files are ingested | {d['n']} | {d['p50']:.3f} s | {d['p95']:.3f} s | {d['max']:.3f} s |",
    ]
    rss = result["server_rss_mb"]
    return "\n".join(rows) + (
        f"\n\np95 ratio {result['p95_ratio']:.2f}; job {result['job']['status']} in {result['job']['seconds']} s "
        f"({result['job']['files']}); server RSS {rss['idle']} MB idle, {rss['peak_during']} MB peak during, "
        f"{rss['after']} MB after"
    )


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--root", type=Path, default=ROOT)
    p.add_argument("--idle", type=int, default=40)
    p.add_argument("--max-during-s", type=float, default=300.0)
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    result = run(a.root.resolve(), a.idle, a.max_during_s)
    print(json.dumps(result, indent=2) if a.json else markdown(result))


if __name__ == "__main__":
    main()
