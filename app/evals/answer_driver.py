"""Driving the answer evaluation through the served HTTP API, as the widget does.

Each case is a fresh conversation (``POST /api/v1/chat/conversations`` with the tenant's public widget
key and the case's language), then its customer turns one after the other on the SSE route
(``.../messages/stream``: time to the first non-blank ``token`` event, and to ``final``) or the JSON route
(``.../messages``: both times are the whole reply's). No ``Origin`` header is sent unless given: a
request without one is a server's, which the widget key allows. Cases run one at a time, so the times are
one customer's, without queueing behind the evaluation's own other cases.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from app.evals.answer_cases import Case

API = "/api/v1/chat/conversations"
Route = Literal["stream", "json"]


@dataclass(slots=True)
class TurnResult:
    text: str = ""
    status: int = 0  # HTTP status; 0 when no response came (connection refused, timeout)
    decision: str = ""
    reason: str | None = None
    model: str | None = None
    error_code: str | None = None
    final: bool = False  # the whole reply arrived (the SSE ``final`` event, or a 200 JSON body)
    stream_error: bool = False  # an SSE ``error`` event after the stream began
    first_text_ms: float | None = None
    final_ms: float | None = None
    detail: str = ""


@dataclass(slots=True)
class CaseRun:
    case: Case
    turns: list[TurnResult] = field(default_factory=list)

    @property
    def last(self) -> TurnResult:
        return self.turns[-1] if self.turns else TurnResult(detail="no turn ran")


RATE_LIMITED = 429


def _error_of(body: bytes) -> tuple[str | None, str]:
    try:
        data = json.loads(body)
    except ValueError:
        return None, body[:200].decode("utf-8", "replace")
    if isinstance(data, dict):
        code = data.get("error_code")
        return (str(code) if code else None), str(data.get("detail", ""))[:200]
    return None, str(data)[:200]


def _apply_final(result: TurnResult, data: dict[str, Any]) -> None:
    result.text = str(data.get("text", ""))
    result.decision = str(data.get("decision", ""))
    reason = data.get("reason")
    result.reason = None if reason is None else str(reason)
    model = data.get("model")
    result.model = None if model is None else str(model)
    result.final = True


async def _stream_turn(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], text: str, timeout_s: float
) -> TurnResult:
    result = TurnResult()
    t0 = time.perf_counter()
    async with client.stream("POST", url, json={"text": text}, headers=headers, timeout=timeout_s) as r:
        result.status = r.status_code
        if r.status_code != 200:
            result.error_code, result.detail = _error_of(await r.aread())
            result.final_ms = (time.perf_counter() - t0) * 1000
            return result
        event, data_lines = "", []
        async for line in r.aiter_lines():
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data_lines.append(line[5:].strip())
            elif not line.strip() and event:
                payload = json.loads("\n".join(data_lines)) if data_lines else {}
                now = (time.perf_counter() - t0) * 1000
                if event == "token" and result.first_text_ms is None and str(payload.get("text", "")).strip():
                    result.first_text_ms = now
                elif event == "final":
                    _apply_final(result, payload)
                    result.final_ms = now
                elif event == "error":
                    result.stream_error = True
                    result.error_code = str(payload.get("error_code") or "") or None
                    result.detail = str(payload.get("detail", ""))[:200]
                event, data_lines = "", []
    if result.first_text_ms is None and result.final_ms is not None:
        result.first_text_ms = result.final_ms  # the reply came whole: its first text is the whole of it
    return result


async def _json_turn(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], text: str, timeout_s: float
) -> TurnResult:
    result = TurnResult()
    t0 = time.perf_counter()
    r = await client.post(url, json={"text": text}, headers=headers, timeout=timeout_s)
    result.status = r.status_code
    result.final_ms = result.first_text_ms = (time.perf_counter() - t0) * 1000
    if r.status_code == 200:
        _apply_final(result, r.json())
    else:
        result.error_code, result.detail = _error_of(r.content)
    return result


async def run_case(
    client: httpx.AsyncClient,
    case: Case,
    *,
    widget_key: str,
    route: Route = "stream",
    timeout_s: float = 180.0,
    origin: str | None = None,
) -> CaseRun:
    """One fresh conversation with the case's turns; a failed start or turn ends the case there."""
    run = CaseRun(case)
    base = {"Origin": origin} if origin else {}
    try:
        r = await client.post(API, json={"widget_key": widget_key, "lang": case.lang}, headers=base)
    except httpx.HTTPError as exc:
        run.turns.append(TurnResult(detail=f"start: {type(exc).__name__}: {exc}"))
        return run
    if r.status_code != 201:
        code, detail = _error_of(r.content)
        run.turns.append(TurnResult(status=r.status_code, error_code=code, detail=f"start: {detail}"))
        return run
    conv = r.json()
    headers = {**base, "X-Conversation-Token": conv["token"]}
    suffix = "/messages/stream" if route == "stream" else "/messages"
    url = f"{API}/{conv['id']}{suffix}"
    turn = _stream_turn if route == "stream" else _json_turn
    for text in case.turns:
        try:
            result = await turn(client, url, headers, text, timeout_s)
        except (httpx.HTTPError, ValueError) as exc:
            result = TurnResult(detail=f"{type(exc).__name__}: {exc}")
        run.turns.append(result)
        if result.status != 200 or not result.final:
            break
    return run


async def run_cases(
    client: httpx.AsyncClient,
    cases: Sequence[Case],
    *,
    widget_key: str,
    route: Route = "stream",
    timeout_s: float = 180.0,
    origin: str | None = None,
    progress: Callable[[int, int, CaseRun], None] | None = None,
    backoff_s: float = 5.0,
    max_waits: int = 24,
) -> list[CaseRun]:
    """The cases one at a time, in order. A case the server's rate limit refused (429 at its start or at a
    turn: one client address asking as fast as it can is what the per-IP limit is for) is run again, as a
    fresh conversation, after ``backoff_s``, at most ``max_waits`` times; then its 429 is its result."""
    runs: list[CaseRun] = []
    for i, case in enumerate(cases, start=1):
        for waited in range(max_waits + 1):
            run = await run_case(
                client, case, widget_key=widget_key, route=route, timeout_s=timeout_s, origin=origin
            )
            if waited == max_waits or not any(t.status == RATE_LIMITED for t in run.turns):
                break
            await asyncio.sleep(backoff_s)
        runs.append(run)
        if progress is not None:
            progress(i, len(cases), run)
    return runs
