"""XSS: every field a face shows (customer messages, answers, passages, titles, agent names, document names,
audit data ...) arrives from the API as plain text and must reach the page as text, never as markup.

Static checks over every script and template the app serves (enumerated from ``app/web``, so a new file is
checked too): no HTML sinks (``innerHTML``, ``outerHTML``, ``insertAdjacentHTML``, ``document.write``,
``eval``, string timers, ``createContextualFragment``, ``srcdoc``); link and resource addresses only from
fixed strings (a ``javascript:`` URL in data cannot become a link); the DOM helpers set text with
``textContent`` and refuse ``innerHTML``; templates autoescape and hold no inline scripts or handlers (the
CSP forbids them too). The rendered pages are checked in a real browser by ``tests/e2e``; the API side:
a hostile message is stored and returned byte for byte, as JSON text.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.unit.app.helpers import Tenant, login, send_message, start_conversation

WEB = Path(__file__).resolve().parents[2] / "app" / "web"
SCRIPTS = sorted(WEB.rglob("*.js"))
TEMPLATES = sorted(WEB.rglob("*.html"))

SINKS = {
    "innerHTML/outerHTML assignment": re.compile(r"\.(?:inner|outer)HTML\s*\+?=(?!=)"),
    "insertAdjacentHTML": re.compile(r"\binsertAdjacentHTML\s*\("),
    "document.write": re.compile(r"\bdocument\.write(?:ln)?\s*\("),
    "eval": re.compile(r"(?<![\w.])eval\s*\("),
    "new Function": re.compile(r"\bnew\s+Function\s*\("),
    "string timer": re.compile(r"\bset(?:Timeout|Interval)\s*\(\s*[\"'`]"),
    "createContextualFragment": re.compile(r"\bcreateContextualFragment\s*\("),
    "srcdoc": re.compile(r"\bsrcdoc\b"),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
    "DOMParser": re.compile(r"\bDOMParser\b"),
}
# href / src / formaction set from anything but a fixed string ("#...", "/...") or the widget's own origin
ADDRESS = re.compile(
    r"""(?:\b(?:href|src|formaction)\s*:\s*|setAttribute\(\s*["'](?:href|src|formaction)["']\s*,\s*)(\S+)"""
)
# A fixed path, the page's base, the widget's one checked converter of a web page's address (below), or a
# blob: address the page made itself from data it holds (a download: the admin's data-subject export).
SAFE_ADDRESS = re.compile(r"""^(?:["'`][#/]|BASE\b|webPage\(|URL\.createObjectURL\()""")


def code_of(path: Path) -> str:
    """The script without comments (strings kept: a sink named inside a string is still flagged)."""
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"/\*[\s\S]*?\*/", "", text)
    return re.sub(r"(?m)(^|[^:\"'\\])//.*$", r"\1", text)


def test_every_face_is_covered() -> None:
    areas = {p.relative_to(WEB).parts[0] for p in SCRIPTS}
    assert {"widget", "console", "static"} <= areas
    assert len(SCRIPTS) >= 5


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.relative_to(WEB).as_posix())
def test_scripts_have_no_html_sinks(script: Path) -> None:
    code = code_of(script)
    found = [
        f"{name} at line {code[: m.start()].count(chr(10)) + 1}"
        for name, pattern in SINKS.items()
        for m in pattern.finditer(code)
        if not _is_refusal(code, m)
    ]
    assert not found, found


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.relative_to(WEB).as_posix())
def test_addresses_come_from_fixed_strings(script: Path) -> None:
    code = code_of(script)
    bad = [m.group(0)[:80] for m in ADDRESS.finditer(code) if not SAFE_ADDRESS.match(m.group(1))]
    assert not bad, bad


def test_a_link_from_data_is_an_http_address_only() -> None:
    """The widget links a synced page's citation to its URL: only through ``webPage``, which parses the
    address and keeps http(s) alone (a ``javascript:`` source never becomes an href)."""
    widget = code_of(WEB / "widget" / "widget.js")
    helper = widget[widget.index("function webPage(") :]
    helper = helper[: helper.index("\n  }\n") + 4]
    assert "new URL(" in helper
    assert 'if (u.protocol === "http:" || u.protocol === "https:") return u.toString();' in helper


def _is_refusal(code: str, m: re.Match[str]) -> bool:
    line = code[code.rfind("\n", 0, m.start()) + 1 : code.find("\n", m.end())]
    return "throw new Error" in line and "not allowed" in line


def test_the_dom_helpers_set_text_as_text() -> None:
    kit = code_of(WEB / "static" / "kit.js")
    assert 'if (key === "text") el.textContent = String(value);' in kit
    assert 'key === "innerHTML"' in kit  # refused with an error
    widget = code_of(WEB / "widget" / "widget.js")
    assert 'if (k === "text") node.textContent = String(v);' in widget
    assert "createTextNode" in widget


def test_sink_patterns_catch_what_they_should() -> None:
    samples = {
        "innerHTML/outerHTML assignment": "bubble.innerHTML = msg.text;",
        "insertAdjacentHTML": "list.insertAdjacentHTML('beforeend', row)",
        "document.write": "document.write(x)",
        "eval": "eval(data)",
        "string timer": "setTimeout('go()', 5)",
        "javascript: URL": 'a.href = "javascript:alert(1)"',
    }
    for name, sample in samples.items():
        assert SINKS[name].search(sample), name
    assert not SINKS["innerHTML/outerHTML assignment"].search('if (node.innerHTML === "") x()')
    assert ADDRESS.search('h("a", { href: passage.source })')
    assert not SAFE_ADDRESS.match("passage.source")
    assert SAFE_ADDRESS.match('"#/versions"')


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.relative_to(WEB).as_posix())
def test_templates_escape_and_carry_no_inline_script(template: Path) -> None:
    text = template.read_text(encoding="utf-8")
    assert "|safe" not in text.replace(" ", "")
    assert "autoescape false" not in text
    assert "Markup(" not in text
    for tag in re.findall(r"<script\b[^>]*>", text, re.IGNORECASE):
        assert "src=" in tag, tag  # external scripts only (CSP: script-src 'self')
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", text, re.IGNORECASE), "inline event handler"


def test_page_templates_autoescape() -> None:
    from app.web.pages import environment

    env = environment()
    rendered = env.from_string("{{ x }}").render(x="<img src=x onerror=alert(1)>")
    assert rendered == "&lt;img src=x onerror=alert(1)&gt;"
    assert env.get_template("demo.html").environment.autoescape


HOSTILE = '<img src=x onerror=alert(1)><script>alert("x")</script>" onmouseover="alert(2)'


async def test_hostile_text_is_returned_as_text_by_the_api(client: httpx.AsyncClient, tenant: Tenant) -> None:
    """The API neither renders nor half-escapes: the faces get the exact text, as JSON, and put it into the
    page as text (above). The customer and the agent see the same characters the customer typed."""
    cid, headers = await start_conversation(client, tenant)
    r = await send_message(client, cid, headers, HOSTILE)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert r.headers["x-content-type-options"] == "nosniff"
    mine = (await client.get(f"/api/v1/chat/conversations/{cid}/messages", headers=headers)).json()
    assert mine["messages"][0]["text"] == HOSTILE
    agent = await login(client, tenant.agent_email)
    theirs = (await client.get(f"/api/v1/agent/conversations/{cid}", headers=agent)).json()
    assert theirs["messages"][0]["text"] == HOSTILE
