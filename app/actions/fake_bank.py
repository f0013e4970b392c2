"""The demo core bank and its SMS gateway: a small FastAPI app (``kefu fake-bank``; tests run it as a real
server on loopback). Not production code: it stands in for the bank's API so the demo, the tests and
``kefu eval actions`` can run the whole path of an action.

Customer ``c-1001``: credit card ending 8888 (platinum, active, contactless limit 1000), debit card ending
4321 (standard, active); transfers ``TR20261201001`` (completed), ``TR20261205002`` (pending),
``TR20261206003`` (returned: wrong payee name).

Every call needs ``Authorization: Bearer <secret>``. A write needs an ``Idempotency-Key``: the same key
gives the same response and executes once, also when two requests with it arrive at once. ``/_control``
(same secret) switches failures on (``{"mode": "500"|"timeout"|"none", "count": n}``), counts executions,
and resets the state. ``POST /sms/send`` is the SMS gateway; ``GET /sms/outbox`` shows what it sent
(the demo page and the tests read the codes there).
"""

from __future__ import annotations

import asyncio
import copy
import hmac
import html
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import FastAPI, Header, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse

# Module level: the routes' annotations are strings (``from __future__ import annotations``), resolved here.
Auth = Annotated[str | None, Header()]
Key = Annotated[str | None, Header(alias="Idempotency-Key")]

DEMO_CUSTOMER = "c-1001"
DEMO_PHONE = "+86 138 0000 1001"


def _demo_customers() -> dict[str, dict[str, Any]]:
    return {
        DEMO_CUSTOMER: {
            "phone": DEMO_PHONE,
            "cards": [
                {
                    "last4": "8888",
                    "kind": "credit",
                    "tier": "platinum",
                    "status": "active",
                    "contactless_limit": 1000,
                },
                {
                    "last4": "4321",
                    "kind": "debit",
                    "tier": "standard",
                    "status": "active",
                    "contactless_limit": 500,
                },
            ],  # fmt: skip
            "transfers": {
                "TR20261201001": {
                    "status": "completed",
                    "amount": 2000,
                    "currency": "CNY",
                    "note": "arrived on 2026-12-01",
                },
                "TR20261205002": {
                    "status": "pending",
                    "amount": 850,
                    "currency": "CNY",
                    "note": "arrives next working day",
                },
                "TR20261206003": {
                    "status": "returned",
                    "amount": 1200,
                    "currency": "CNY",
                    "note": "wrong payee name",
                },
            },  # fmt: skip
        }
    }


@dataclass
class BankState:
    customers: dict[str, dict[str, Any]] = field(default_factory=_demo_customers)
    # idempotency key -> (what was asked, the response given)
    done: dict[str, tuple[str, int, dict[str, Any]]] = field(default_factory=dict)
    executions: dict[str, int] = field(default_factory=dict)
    locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    fail_mode: str = "none"
    fail_count: int = 0
    timeout_s: float = 5.0
    sms: list[dict[str, str]] = field(default_factory=list)
    calls: int = 0
    reads: list[str] = field(default_factory=list)  # "cards c-1001", "transfer c-1001 TR..."


def create_fake_bank(secret: str, *, timeout_s: float = 5.0) -> FastAPI:
    app = FastAPI(title="kefu demo bank", docs_url=None, redoc_url=None, openapi_url=None)
    state = BankState(timeout_s=timeout_s)
    app.state.bank = state

    def auth(authorization: str | None) -> None:
        given = (authorization or "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), secret.encode()):
            raise HTTPException(401, "bad credentials")

    async def maybe_fail() -> None:
        state.calls += 1
        if state.fail_mode == "none" or state.fail_count == 0:
            return
        state.fail_count -= 1
        if state.fail_mode == "timeout":
            await asyncio.sleep(state.timeout_s)
        raise HTTPException(500, "core banking unavailable")

    def customer(cid: str) -> dict[str, Any]:
        if cid not in state.customers:
            raise HTTPException(404, "no such customer")
        return state.customers[cid]

    def card(cid: str, last4: str) -> dict[str, Any]:
        for c in customer(cid)["cards"]:
            if c["last4"] == last4:
                return c  # type: ignore[no-any-return]
        raise HTTPException(404, "no such card")

    async def once(key: str | None, what: str, run: Any) -> JSONResponse:
        """Run ``run`` once per idempotency key; a repeat (or a concurrent twin) gets the first answer."""
        if not key:
            return JSONResponse({"error": "idempotency_key_required"}, status_code=400)
        lock = state.locks.setdefault(key, asyncio.Lock())
        async with lock:
            if key in state.done:
                asked, status, body = state.done[key]
                if asked != what:
                    return JSONResponse({"error": "idempotency_key_reused"}, status_code=422)
                return JSONResponse(body, status_code=status, headers={"Idempotent-Replayed": "true"})
            await maybe_fail()
            try:
                status, body = 200, run()
            except HTTPException as exc:
                status, body = exc.status_code, {"error": exc.detail}
            state.done[key] = (what, status, body)
            state.executions[key] = state.executions.get(key, 0) + 1
            return JSONResponse(body, status_code=status)

    @app.get("/customers/{cid}/cards")
    async def cards(cid: str, authorization: Auth = None) -> dict[str, Any]:
        auth(authorization)
        state.reads.append(f"cards {cid}")
        await maybe_fail()
        return {"cards": copy.deepcopy(customer(cid)["cards"])}

    def set_status(cid: str, last4: str, status: str) -> dict[str, Any]:
        c = card(cid, last4)
        if c["status"] == "lost":
            raise HTTPException(409, "card reported lost")
        c["status"] = status
        return {"card": dict(c)}

    @app.post("/customers/{cid}/cards/{last4}/freeze")
    async def freeze(cid: str, last4: str, authorization: Auth = None, key: Key = None) -> JSONResponse:
        auth(authorization)
        return await once(key, f"freeze {cid} {last4}", lambda: set_status(cid, last4, "frozen"))

    @app.post("/customers/{cid}/cards/{last4}/unfreeze")
    async def unfreeze(cid: str, last4: str, authorization: Auth = None, key: Key = None) -> JSONResponse:
        auth(authorization)
        return await once(key, f"unfreeze {cid} {last4}", lambda: set_status(cid, last4, "active"))

    @app.post("/customers/{cid}/cards/{last4}/report-lost")
    async def report_lost(cid: str, last4: str, authorization: Auth = None, key: Key = None) -> JSONResponse:
        auth(authorization)

        def run() -> dict[str, Any]:
            c = card(cid, last4)
            c["status"] = "lost"
            return {"card": dict(c), "replacement": "a new card is posted within 5 working days"}

        return await once(key, f"lost {cid} {last4}", run)

    @app.post("/customers/{cid}/cards/{last4}/contactless-limit")
    async def contactless(
        cid: str, last4: str, request: Request, authorization: Auth = None, key: Key = None
    ) -> JSONResponse:
        auth(authorization)
        body = await request.json()
        amount = body.get("amount") if isinstance(body, dict) else None
        if not isinstance(amount, int) or not 0 <= amount <= 2000:
            return JSONResponse({"error": "amount must be an integer 0-2000"}, status_code=422)

        def run() -> dict[str, Any]:
            c = card(cid, last4)
            c["contactless_limit"] = amount
            return {"card": dict(c)}

        return await once(key, f"limit {cid} {last4} {amount}", run)

    @app.get("/customers/{cid}/transfers/{reference}")
    async def transfer(cid: str, reference: str, authorization: Auth = None) -> dict[str, Any]:
        auth(authorization)
        state.reads.append(f"transfer {cid} {reference}")
        await maybe_fail()
        t = customer(cid)["transfers"].get(reference.upper())
        if t is None:
            raise HTTPException(404, "no such transfer")
        return {"transfer": {"reference": reference.upper(), **t}}

    @app.post("/sms/send")
    async def sms_send(request: Request, authorization: Auth = None) -> dict[str, Any]:
        auth(authorization)
        body = await request.json()
        cid, text = str(body.get("customer_id", "")), str(body.get("text", ""))
        phone = customer(cid)["phone"]
        state.sms.append({"customer_id": cid, "phone": phone, "text": text})
        return {"sent": True}

    @app.get("/sms/outbox")
    async def sms_outbox(customer_id: str = "", authorization: Auth = None) -> dict[str, Any]:
        auth(authorization)
        return {"messages": [m for m in state.sms if not customer_id or m["customer_id"] == customer_id]}

    @app.get("/sms", response_class=HTMLResponse)
    async def sms_page() -> str:
        """The demo page: the last codes sent (the demo bank's customers are not real people)."""
        rows = "".join(
            f"<li>{html.escape(m['customer_id'])}: {html.escape(m['text'])}</li>"
            for m in reversed(state.sms[-20:])
        )
        return f"<!doctype html><title>demo SMS</title><h1>Demo SMS gateway</h1><ul>{rows}</ul>"

    @app.post("/_control/fail")
    async def control_fail(request: Request, authorization: Auth = None) -> dict[str, Any]:
        auth(authorization)
        body = await request.json()
        state.fail_mode = str(body.get("mode", "none"))
        state.fail_count = int(body.get("count", 1_000_000))
        return {"mode": state.fail_mode, "count": state.fail_count}

    @app.get("/_control/executions")
    async def control_executions(authorization: Auth = None) -> dict[str, Any]:
        auth(authorization)
        writes = [{"key": k, "what": state.done[k][0], "status": state.done[k][1], "n": n}
                  for k, n in state.executions.items()]  # fmt: skip
        return {"executions": dict(state.executions), "writes": writes, "reads": list(state.reads),
                "calls": state.calls}  # fmt: skip

    @app.post("/_control/reset")
    async def control_reset(authorization: Auth = None) -> dict[str, Any]:
        auth(authorization)
        fresh = BankState(timeout_s=state.timeout_s)
        names = (
            "customers",
            "done",
            "executions",
            "locks",
            "fail_mode",
            "fail_count",
            "sms",
            "calls",
            "reads",
        )
        for name in names:
            setattr(state, name, getattr(fresh, name))
        return {"reset": True}

    return app
