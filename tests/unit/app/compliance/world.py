"""A seeded world for the compliance tests, on either stack (SQLite + in-process, PostgreSQL + Redis).

Customers talk to the widget through the real API: each conversation carries a value of every PII type
the masker knows (``pii_types()``: the types of every recognizer in ``privacy.recognizers`` plus the NER
types), a tag of its own in plain text (what its masked transcript holds), a question the answer cache
keeps, feedback, and sometimes a hand-off. ``TableMasker`` masks exactly those values with their types,
so the vault holds every type. ``scan_*`` read back everything the deployment stores.
"""

from __future__ import annotations

import random
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

import app.db.models  # noqa: F401
from app.container import Container
from app.db import crud_compliance
from app.db.base import Base
from privacy.recognizers import CATALOGUE
from privacy.testing import RegexMasker
from privacy.types import Finding
from tests.unit.app.helpers import Tenant, start_conversation

NER_TYPES = ("PERSON", "LOCATION")  # the spaCy / jieba name and place recognizers


def pii_types() -> set[str]:
    """Every entity type the real masker can produce."""
    found = {getattr(cls, "ENTITY", "") or "PHONE_NUMBER" for cls in CATALOGUE.values()}
    return found | set(NER_TYPES)


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def values_for(rng: random.Random) -> dict[str, str]:
    """One value of each type, unique enough that no two customers share one."""
    letters = "".join(rng.choice("abcdefghjkmnpqrstuvwxyz") for _ in range(6))
    values = {
        "PHONE_NUMBER": "139" + _digits(rng, 8),
        "EMAIL_ADDRESS": f"{letters}.{_digits(rng, 3)}@mail-{letters}.example",
        "IP_ADDRESS": f"203.0.{rng.randint(1, 254)}.{rng.randint(1, 254)}",
        "CREDIT_CARD": "6225" + _digits(rng, 12),
        "IBAN_CODE": "GB" + _digits(rng, 2) + "WEST" + _digits(rng, 14),
        "ACCOUNT_NUMBER": "ACC" + _digits(rng, 14),
        "CN_ID_CARD": "110105" + _digits(rng, 11) + "X",
        "CN_USCC": "9135" + _digits(rng, 10) + "M0" + _digits(rng, 2),
        "CN_PASSPORT": "E" + _digits(rng, 8),
        "PERSON": "Zhao " + letters.title(),
        "LOCATION": f"{rng.randint(10, 999)} {letters.title()} Road",
    }
    missing = pii_types() - set(values)
    assert not missing, f"the masker knows types this world has no value for: {missing}"
    return values


class TableMasker(RegexMasker):
    """Finds exactly the given values, with their types (the contract's masking and restoring)."""

    def __init__(self) -> None:
        super().__init__()
        self.table: dict[str, str] = {}

    def analyze(self, text: str, lang: str | None = None) -> list[Finding]:
        found: list[Finding] = []
        for value, etype in self.table.items():
            start = text.find(value)
            while start >= 0:
                end = start + len(value)
                if not any(f.start < end and start < f.end for f in found):
                    found.append(Finding(etype, start, end, 1.0))
                start = text.find(value, end)
        return sorted(found, key=lambda f: f.start)


@dataclass
class Customer:
    customer_id: str | None
    values: dict[str, str]
    tags: list[str] = field(default_factory=list)
    conversations: list[str] = field(default_factory=list)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def secrets(self) -> list[str]:
        """Strings that must be gone once this customer is erased."""
        out = [*self.values.values(), *self.tags, *self.conversations]
        return [*out, self.customer_id] if self.customer_id else out


async def seed_world(
    client: httpx.AsyncClient, container: Container, tenant: Tenant, *, seed: int, customers: int = 3
) -> list[Customer]:
    """``customers`` identified customers (1-2 conversations each) and one anonymous conversation."""
    rng = random.Random(seed)
    masker = TableMasker()
    container.masker = masker
    people = [
        Customer(customer_id=f"cust-{seed}-{i}-{_digits(rng, 4)}", values=values_for(rng))
        for i in range(customers)
    ]
    people.append(Customer(customer_id=None, values=values_for(rng)))
    for person in people:
        for etype, value in person.values.items():
            masker.table[value] = etype
    for n, person in enumerate(people):
        for k in range(1 if person.customer_id is None else rng.randint(1, 2)):
            await _conversation(client, container, tenant, person, rng, first=n == 0 and k == 0)
    return people


async def _conversation(
    client: httpx.AsyncClient,
    container: Container,
    tenant: Tenant,
    person: Customer,
    rng: random.Random,
    *,
    first: bool,
) -> None:
    cid, headers = await start_conversation(client, tenant)
    person.conversations.append(cid)
    person.headers[cid] = headers
    if person.customer_id is not None:
        async with container.sessions() as s:
            await crud_compliance.set_customer_id(
                s, tenant_id=tenant.id, conversation_id=cid, customer_id=person.customer_id
            )
            await s.commit()
    tag = "case" + "".join(rng.choice(string.ascii_lowercase) for _ in range(10))
    person.tags.append(tag)
    v = person.values
    texts = [
        f"My name is {v['PERSON']} ({tag}), I live at {v['LOCATION']}, phone {v['PHONE_NUMBER']}, "
        f"e-mail {v['EMAIL_ADDRESS']}.",
        f"Card {v['CREDIT_CARD']}, account {v['ACCOUNT_NUMBER']}, IBAN {v['IBAN_CODE']}, ID {v['CN_ID_CARD']}, "
        f"passport {v['CN_PASSPORT']}, company {v['CN_USCC']}, from {v['IP_ADDRESS']}: I lost my card",
    ]
    # the first conversation asks the cache's question (first), so the cached answer is this customer's
    rng.shuffle(texts)
    if first:
        texts.insert(0, "What are your branch opening hours?")
    bot_message = None
    for text in texts:
        r = await client.post(
            f"/api/v1/chat/conversations/{cid}/messages", json={"text": text}, headers=headers
        )
        assert r.status_code == 200, r.text
        bot_message = r.json().get("message_id") or bot_message
    if bot_message:
        r = await client.post(
            f"/api/v1/chat/conversations/{cid}/feedback",
            json={"message_id": bot_message, "thumbs": rng.choice(["up", "down"])},
            headers=headers,
        )
        assert r.status_code == 201, r.text
    if rng.random() < 0.6:
        r = await client.post(f"/api/v1/chat/conversations/{cid}/handoff", headers=headers)
        assert r.status_code == 201, r.text


async def scan_sql(container: Container) -> dict[str, str]:
    """Every row of every table, as text per table."""
    out: dict[str, str] = {}
    async with container.sessions() as s:
        for table in Base.metadata.sorted_tables:
            rows = (await s.execute(select(table))).all()
            out[table.name] = "\n".join(repr(tuple(r)) for r in rows)
    return out


def scan_files(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (the data folder: database files, indexes, caches, uploads)."""
    return {str(p): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def hits(haystacks: Mapping[str, Any], needles: list[str]) -> list[tuple[str, str]]:
    """(where, what) for each needle found in each haystack (str or bytes)."""
    found = []
    for where, hay in haystacks.items():
        for needle in needles:
            probe: Any = needle.encode() if isinstance(hay, bytes) else needle
            if probe in hay:
                found.append((where, needle))
    return found
