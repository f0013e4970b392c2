"""What a website source may fetch: http(s) only, its own hosts, no private or loopback address unless
allowed, redirects re-checked at every hop, bodies capped. Address checks are tables; the fetcher runs
against a real loopback server and, for DNS answers a test cannot get from a real resolver (a public
name, an internal one), against httpx's mock transport with ``resolve`` replaced."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import httpx
import pytest

from app.connectors import safety
from app.connectors.demo_site import HelpCentre
from app.connectors.safety import FetchRefused, SafeFetcher, WebPolicy

ip = ipaddress.ip_address


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("ftp://help.bank.example/x", "bad_url"),
        ("file:///etc/passwd", "bad_url"),
        ("javascript:alert(1)", "bad_url"),
        ("/relative/path", "bad_url"),
        ("https://user:pw@help.bank.example/", "bad_url"),
        ("http://", "bad_url"),
        ("https://evil.example/", "host_not_allowed"),
        ("https://help.bank.example.evil.example/", "host_not_allowed"),
    ],
)
def test_urls_refused(url: str, code: str) -> None:
    with pytest.raises(FetchRefused) as err:
        safety.check_url(url, WebPolicy(frozenset({"help.bank.example"})))
    assert err.value.code == code


def test_urls_normalised() -> None:
    policy = WebPolicy(frozenset({"help.bank.example"}))
    assert safety.check_url("HTTPS://Help.Bank.Example#top", policy) == "https://help.bank.example/"
    assert (
        safety.check_url("https://help.bank.example:443/a?b=1#c", policy) == "https://help.bank.example/a?b=1"
    )
    assert safety.check_url("http://help.bank.example:8080/a", policy) == "http://help.bank.example:8080/a"


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),  # the cloud metadata address
        ("fe80::1", "link-local"),
        ("fc00::1", "private"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("100.64.0.1", "not globally routable"),  # carrier-grade NAT
        ("93.184.216.34", None),
        ("2606:4700::1111", None),
    ],
)
def test_address_table(address: str, why: str | None) -> None:
    assert safety.address_refused(ip(address)) == why


def test_private_addresses_need_the_operators_permission() -> None:
    with pytest.raises(FetchRefused) as err:
        safety.check_addresses("intranet", [ip("93.184.216.34"), ip("10.0.0.8")], allow_private=False)
    assert err.value.code == "private_address"
    assert safety.check_addresses("intranet", [ip("10.0.0.8")], allow_private=True) == [ip("10.0.0.8")]
    for never in ("224.0.0.1", "0.0.0.0"):
        with pytest.raises(FetchRefused):
            safety.check_addresses("x", [ip(never)], allow_private=True)


def _fetcher(
    policy: WebPolicy, transport: httpx.AsyncBaseTransport | None = None, max_bytes: int = 10_000
) -> SafeFetcher:
    return SafeFetcher(
        policy, user_agent="t", timeout_s=5, max_redirects=3, max_bytes=max_bytes, transport=transport
    )


@pytest.fixture
def site(tmp_path: Path):
    (tmp_path / "a.html").write_text("<html><body><p>hello</p></body></html>")
    (tmp_path / "big.html").write_text("<p>" + "x" * 20_000 + "</p>")
    with HelpCentre(tmp_path) as s:
        yield s


async def test_loopback_refused_unless_allowed(site: HelpCentre) -> None:
    async with _fetcher(WebPolicy(frozenset({"127.0.0.1"}))) as f:
        with pytest.raises(FetchRefused) as err:
            await f.get(site.base_url + "/a.html")
        assert err.value.code == "private_address"
    assert site.hits["/a.html"] == 0  # refused before any request
    async with _fetcher(WebPolicy(frozenset({"127.0.0.1"}), allow_private=True)) as f:
        got = await f.get(site.base_url + "/a.html")
    assert (got.status, got.body) == (200, b"<html><body><p>hello</p></body></html>")
    assert got.etag
    assert got.last_modified


async def test_conditional_request_and_size_cap(site: HelpCentre) -> None:
    async with _fetcher(WebPolicy(frozenset({"127.0.0.1"}), allow_private=True)) as f:
        first = await f.get(site.base_url + "/a.html")
        again = await f.get(site.base_url + "/a.html", etag=first.etag)
        assert again.not_modified
        assert again.body == b""
        with pytest.raises(FetchRefused) as err:
            await f.get(site.base_url + "/big.html")
        assert err.value.code == "file_too_large"


async def test_redirects_are_rechecked_against_the_host_list(site: HelpCentre) -> None:
    site.redirects["/old"] = "http://localhost:1/elsewhere"  # another host name: not on the list
    site.redirects["/moved"] = "/a.html"
    site.redirects["/loop"] = "/loop"
    async with _fetcher(WebPolicy(frozenset({"127.0.0.1"}), allow_private=True)) as f:
        with pytest.raises(FetchRefused) as err:
            await f.get(site.base_url + "/old")
        assert err.value.code == "host_not_allowed"
        got = await f.get(site.base_url + "/moved")
        assert got.url == site.base_url + "/a.html"
        assert got.redirects == (site.base_url + "/moved",)
        with pytest.raises(FetchRefused) as err:
            await f.get(site.base_url + "/loop")
        assert err.value.code == "too_many_redirects"


async def test_redirect_to_an_internal_address_is_refused_before_it_is_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A public page that redirects to a name resolving to an internal address: the second hop is
    refused before any request; the first went to the address that was checked (pinned)."""
    answers = {"help.bank.example": [ip("93.184.216.34")], "files.bank.example": [ip("10.0.0.5")]}
    monkeypatch.setattr(safety, "resolve", lambda host, port: answers[host])
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(302, headers={"Location": "https://files.bank.example/secret"})

    policy = WebPolicy(frozenset({"help.bank.example", "files.bank.example"}))
    async with _fetcher(policy, httpx.MockTransport(handler)) as f:
        with pytest.raises(FetchRefused) as err:
            await f.get("https://help.bank.example/start")
    assert err.value.code == "private_address"
    assert len(seen) == 1
    assert seen[0].url.host == "93.184.216.34"  # pinned to the checked address
    assert seen[0].headers["host"] == "help.bank.example"
    assert seen[0].extensions["sni_hostname"] == "help.bank.example"


async def test_redirect_to_another_scheme_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safety, "resolve", lambda host, port: [ip("93.184.216.34")])
    transport = httpx.MockTransport(lambda r: httpx.Response(301, headers={"Location": "file:///etc/passwd"}))
    async with _fetcher(WebPolicy(frozenset({"help.bank.example"})), transport) as f:
        with pytest.raises(FetchRefused) as err:
            await f.get("https://help.bank.example/")
    assert err.value.code == "bad_url"
