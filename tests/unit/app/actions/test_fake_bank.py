"""The demo bank keeps its word on idempotency (the same key executes once, even twice at once) and on
its credentials: exercised on the served process."""

from __future__ import annotations

import threading

import httpx

from tests.unit.app.actions.conftest import BankProcess


def test_same_key_same_answer_executed_once_even_at_once(bank: BankProcess) -> None:
    url = "/customers/c-1001/cards/8888/freeze"
    out: list[httpx.Response] = []

    def post() -> None:
        out.append(bank.http.post(url, headers={"Idempotency-Key": "k-1"}))

    threads = [threading.Thread(target=post) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {r.status_code for r in out} == {200}
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in out) == 3
    assert bank.log()["executions"] == {"k-1": 1}
    reused = bank.http.post("/customers/c-1001/cards/4321/freeze", headers={"Idempotency-Key": "k-1"})
    assert reused.status_code == 422  # a key is for one request only
    assert bank.http.post(url).status_code == 400  # a write without a key is refused


def test_credentials_and_unknown_things(bank: BankProcess) -> None:
    assert httpx.get(bank.url + "/customers/c-1001/cards").status_code == 401
    assert bank.http.get("/customers/c-9999/cards").status_code == 404
    assert bank.http.get("/customers/c-1001/transfers/TR20261206003").json()["transfer"]["note"] == (
        "wrong payee name"
    )
    limit = bank.http.post(
        "/customers/c-1001/cards/8888/contactless-limit",
        json={"amount": 2500},
        headers={"Idempotency-Key": "k"},
    )
    assert limit.status_code == 422
