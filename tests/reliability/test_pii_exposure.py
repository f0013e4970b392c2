"""Issue 12, finding 3: personal data in clear, and the opposite fault.

- "my account number is 6217000010012345678" was stored verbatim: the cue "account number" (14 characters)
  could never fit the account recognizer's 12-character window. Every cue of every recognizer now fits its
  window (checked at construction, and below over the whole catalogue and the shipped registry), and the
  formats customers type - the review's list plus account numbers after each usual cue - are a table
  through the real masker.
- Agent KB search sent the query in the URL (``GET ?q=``) and uvicorn's access log kept it: the search is
  a POST with a JSON body, no GET route takes free text, and the access log drops query strings.
- The ingestion scan masked a product heading ("# Harbor Smart Saver account" -> "<PERSON> account"): names
  and places in the bank's own documents are left alone, while a customer's identifiers pasted into a
  document are still masked.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.dependencies.utils import get_flat_params
from fastapi.params import Query
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import select

from app.container import Container
from app.db.models import Chunk
from app.kb import ingest as kb_ingest
from app.main import create_app
from app.runtime.logs import configure_logging
from privacy.config import PrivacyConfig
from privacy.errors import RecognizerConfigError
from privacy.masker import PresidioMasker
from privacy.recognizers import CATALOGUE, DeclarativeRecognizer
from privacy.recognizers.base import MIN_CUE_GAP
from privacy.registry import build_recognizers, load_registry_spec
from privacy.types import VaultState
from retrieval.text import KeywordAnalyzer
from tests.unit.app.helpers import Tenant, login, use_real_index

API = "/api/v1"

# --- every cue fits its window ---------------------------------------------------------------------------


def _declarative_instances() -> Iterator[DeclarativeRecognizer]:
    """Every kefu recognizer class in both languages with its own cues, then the shipped registry's
    instances (with the YAML's overrides)."""
    for cls in CATALOGUE.values():
        if issubclass(cls, DeclarativeRecognizer) and not cls.NEEDS:
            for lang in ("zh", "en"):
                yield cls(language=lang)
    spec = load_registry_spec()
    for r in build_recognizers(spec, ["zh", "en"], resources_={"word_tags": {}}):
        if isinstance(r, DeclarativeRecognizer):
            yield r


def test_every_cue_of_every_recognizer_is_found_at_the_edge_of_its_window() -> None:
    """A cue standing ``MIN_CUE_GAP`` characters before the value (``account number is 62...``) is seen;
    the account cue of the review never was."""
    checked = 0
    for r in _declarative_instances():
        for cues, sign in ((r._cues, 1), (r._negative, -1)):
            for cue in cues:
                text = f"{cue}{' ' * MIN_CUE_GAP}00000000"
                start = len(cue) + MIN_CUE_GAP
                assert r._nearest_cue(text, start, len(text)) == sign, (type(r).__name__, cue)
                checked += 1
    assert checked > 100


def test_a_cue_that_cannot_fit_its_window_is_refused_at_construction() -> None:
    account = CATALOGUE["account_number"]
    with pytest.raises(RecognizerConfigError, match="do not fit CONTEXT_WINDOW"):
        account(language="en", context=["number of the account held with us"])  # type: ignore[call-arg]


# --- the formats customers type, through the real masker --------------------------------------------------

# (message, [(type, value)]): exactly the spans the real masker must mask. The review's formats (phones
# local and international, with spaces and dashes; ID cards with X; passports; cards of 16 and 19 digits,
# spaced; e-mails; names and addresses in both languages; IBAN; business licence) and account numbers
# after every usual cue, in both languages.
FORMATS: list[tuple[str, list[tuple[str, str]]]] = [
    ("我的手机号是13812345678，请回电", [("PHONE_NUMBER", "13812345678")]),
    ("电话 138 1234 5678 随时打", [("PHONE_NUMBER", "138 1234 5678")]),
    ("联系我 +86 138-1234-5678", [("PHONE_NUMBER", "+86 138-1234-5678")]),
    ("座机010-62345678找我", [("PHONE_NUMBER", "010-62345678")]),
    ("Call me at +1 415-555-0100 after six", [("PHONE_NUMBER", "+1 415-555-0100")]),
    ("Reach me on +44 20 7946 0958", [("PHONE_NUMBER", "+44 20 7946 0958")]),
    ("身份证号11010519491231002X", [("CN_ID_CARD", "11010519491231002X")]),
    ("证件号 110101 19900307 4514", [("CN_ID_CARD", "110101 19900307 4514")]),
    ("护照号E12345678过期了", [("CN_PASSPORT", "E12345678")]),
    ("My passport number is E12345678", [("CN_PASSPORT", "E12345678")]),
    ("Passport No. E12345678, expiring soon", [("CN_PASSPORT", "E12345678")]),
    ("我的卡 6228 4800 1234 5671 怎么激活", [("CREDIT_CARD", "6228 4800 1234 5671")]),
    ("卡号6222021234567890128被冻结了", [("CREDIT_CARD", "6222021234567890128")]),
    ("card 4111 1111 1111 1111 was declined", [("CREDIT_CARD", "4111 1111 1111 1111")]),
    ("邮箱zhang.wei@example.com", [("EMAIL_ADDRESS", "zhang.wei@example.com")]),
    ("email me at john.smith@mail.example.org", [("EMAIL_ADDRESS", "john.smith@mail.example.org")]),
    ("My name is John Smith", [("PERSON", "John Smith")]),
    ("我叫张伟，想开户", [("PERSON", "张伟")]),
    ("我住在北京市朝阳区建国路88号", [("LOCATION", "北京市朝阳区建国路88号")]),
    ("I live at 24 Clarke Avenue", [("LOCATION", "24 Clarke Avenue")]),
    ("IBAN GB82 WEST 1234 5698 7654 32", [("IBAN_CODE", "GB82 WEST 1234 5698 7654 32")]),
    ("统一社会信用代码91350100M000100Y43", [("CN_USCC", "91350100M000100Y43")]),
    # account numbers: the review's, then each cue
    ("my account number is 6217000010012345678", [("ACCOUNT_NUMBER", "6217000010012345678")]),
    ("Account No.: 6217000010012345678", [("ACCOUNT_NUMBER", "6217000010012345678")]),
    ("account #6217000010012345678", [("ACCOUNT_NUMBER", "6217000010012345678")]),
    ("acct 6217000010012345678", [("ACCOUNT_NUMBER", "6217000010012345678")]),
    ("Acct no. 1234 5678 9012", [("ACCOUNT_NUMBER", "1234 5678 9012")]),
    ("a/c 123456789012", [("ACCOUNT_NUMBER", "123456789012")]),
    ("my account number is 1234567890 please check", [("ACCOUNT_NUMBER", "1234567890")]),
    ("我的账号是6217000010012345678", [("ACCOUNT_NUMBER", "6217000010012345678")]),
    ("账户：6217000010012345678", [("ACCOUNT_NUMBER", "6217000010012345678")]),
    ("卡号6217000010012345678转不了账", [("ACCOUNT_NUMBER", "6217000010012345678")]),
    # ... and what stays: no cue, an order number, an amount
    ("转账6217000010012345678元失败", []),
    ("order number 6217000010012345678", []),
    ("my account balance is 12345678", []),
]


@pytest.fixture(scope="module")
def masker(tmp_path_factory: pytest.TempPathFactory) -> PresidioMasker:
    m = PresidioMasker(PrivacyConfig(), tmp_path_factory.mktemp("privacy"))
    m.warm_up()
    return m


@pytest.mark.models
@pytest.mark.parametrize(("text", "expected"), FORMATS, ids=[t for t, _ in FORMATS])
def test_customer_formats_are_masked_by_the_real_masker(
    masker: PresidioMasker, text: str, expected: list[tuple[str, str]]
) -> None:
    result = masker.mask(text, VaultState())
    assert [(f.entity_type, text[f.start : f.end]) for f in result.findings] == expected
    for _, value in expected:
        assert value not in result.text


# --- no customer text in a URL, none in the access log ----------------------------------------------------

# Query parameters of GET routes: ids, paging, filters, switches - never free text.
ALLOWED_GET_QUERY = {
    "action", "action_prefix", "actor_id", "before_id", "end", "lang", "limit", "since", "start", "status",
    "target_id", "target_type", "top", "tz", "until", "view", "window_minutes",
    # staff sign-in through the tenant's IdP: the organisation's slug, a page from a fixed list, and the
    # OAuth 2.0 redirect's own parameters (RFC 6749 4.1.2: the IdP puts state, code and error in the query)
    "org", "next", "state", "code", "error",
}  # fmt: skip


def test_no_get_route_takes_free_text_in_its_query(container: Container) -> None:
    app = create_app(container.settings, container)
    offenders, seen = [], set()
    for ctx in iter_route_contexts(app.routes):
        route = ctx.original_route
        if isinstance(route, APIRoute) and "GET" in (ctx.methods or ()):
            for field in get_flat_params(route.dependant):
                if isinstance(field.field_info, Query):
                    seen.add(field.alias)
                    if field.alias not in ALLOWED_GET_QUERY:
                        offenders.append(f"GET {ctx.path}?{field.alias}")
    assert offenders == []
    assert {"limit", "lang", "tz"} <= seen  # the table was read


async def test_agent_kb_search_is_a_post_with_a_body(
    client: httpx.AsyncClient, container: Container, tenant: Tenant
) -> None:
    agent = await login(client, tenant.agent_email)
    r = await client.post(f"{API}/agent/kb/search", json={"query": "card 6222021234567890128"}, headers=agent)
    assert r.status_code == 200, r.text
    assert r.json()["query"] == "card 6222021234567890128"
    assert (await client.get(f"{API}/agent/kb/search", params={"q": "x"}, headers=agent)).status_code == 405


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@contextlib.contextmanager
def _served(app: Any) -> Iterator[str]:
    """The app under real uvicorn (its own access logger) on a free loopback port, in a thread."""
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(1200):  # up to 60 s: a loaded 2-vCPU machine can take far longer than usual
            if server.started:
                break
            threading.Event().wait(0.05)
        assert server.started, "uvicorn did not start within 60 s"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


async def test_the_access_log_carries_paths_without_query_strings(container: Container) -> None:
    configure_logging("INFO", json_lines=True)
    lines = _Lines()
    access = logging.getLogger("uvicorn.access")
    # uvicorn.Config(log_level=...) sets this logger's level for the whole process, and uvicorn writes no
    # access line at all above INFO: an in-process server of an earlier test (log_level="warning") would
    # leave this one silent. A served kefu process starts at the default level.
    level, access.level = access.level, logging.INFO
    access.addHandler(lines)
    try:
        with _served(create_app(container.settings, container)) as base:
            async with httpx.AsyncClient(base_url=base) as http:
                await http.get("/healthz", params={"q": "6222021234567890128 13812345678 Zhang Wei"})
                await http.get("/api/v1/agent/kb/search?q=6222021234567890128")
            await asyncio.sleep(0.2)
    finally:
        access.removeHandler(lines)
        access.setLevel(level)
    assert any("/healthz" in line for line in lines.lines), lines.lines
    assert any("/api/v1/agent/kb/search" in line for line in lines.lines), lines.lines
    joined = "\n".join(lines.lines)
    for secret in ("6222021234567890128", "13812345678", "Zhang", "?"):
        assert secret not in joined


# --- the bank's names stay, a customer's data pasted into a document does not ----------------------------

PRODUCT_GUIDE = """# Harbor Smart Saver account

## What it is

The Harbor Smart Saver account pays 1.5% a year. Open it at the Airport Sub-branch or the Head Office
Branch, 1 Harbor Avenue, Binhai District, Haigang City, or in the Harbor Bank app.

## Example complaint we received

Customer Zhang Wei, phone 13812345678, ID 11010519491231002X, card 6222021234567890128,
e-mail zhang.wei@example.com, account number 6217000010012345678, wrote to us about the fee.
"""


@pytest.mark.models
async def test_ingestion_keeps_the_banks_names_and_masks_a_customers_data(
    container: Container, tenant: Tenant, masker: PresidioMasker, keyword_analyzer: KeywordAnalyzer
) -> None:
    """The review's heading, uploaded as Markdown under the default ``mask`` policy, with the real
    masker: the stored heading path and text keep the product, branch and place names; the customer's
    phone, ID, card, e-mail and account number pasted into the same document are masked."""
    container.masker = masker
    kb = use_real_index(container, keyword_analyzer)
    files = [kb_ingest.IngestFile("smart_saver.md", PRODUCT_GUIDE.encode())]
    job_id, _ = await kb_ingest.store_files(kb, tenant_id=tenant.id, files=files, pii_policy="mask")
    result = await kb_ingest.run_ingestion_job(kb, tenant_id=tenant.id, job_id=job_id)
    assert result["indexed"] == 1, result
    async with kb.sessions() as s:
        rows = (await s.execute(select(Chunk).where(Chunk.tenant_id == tenant.id))).scalars().all()
    stored = "\n".join(f"{c.title}\n{c.text}\n{c.embed_text}\n{c.meta}" for c in rows)
    for name in ("Harbor Smart Saver account", "Airport Sub-branch", "Binhai District", "Haigang City"):
        assert name in stored
    assert "<PERSON>" not in stored
    assert "<LOCATION>" not in stored
    for value in (
        "13812345678", "11010519491231002X", "6222021234567890128", "zhang.wei@example.com",
        "6217000010012345678",
    ):  # fmt: skip
        assert value not in stored
    for marker in ("<PHONE_NUMBER>", "<CN_ID_CARD>", "<CREDIT_CARD>", "<EMAIL_ADDRESS>", "<ACCOUNT_NUMBER>"):
        assert marker in stored
