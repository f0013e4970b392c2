"""What a website source may fetch, checked before every request and again at every redirect.

- only ``http`` and ``https`` URLs, without credentials in them;
- only the source's explicit host list (its start URL's and sitemap's hosts unless it names others);
- every address the host resolves to must be public: private, loopback, link-local, multicast, reserved
  and unspecified addresses are refused unless the operator allowed them for that source
  (``allow_private``: a help centre on the bank's intranet, the tests and the demo on loopback); the
  request then goes to the address that was checked (no second DNS answer in between: a name cannot be
  re-pointed at an internal address after the check);
- redirects are followed by hand, each target checked like the first URL, at most ``max_redirects``;
- a body is read up to ``max_bytes`` (the upload limit) and dropped past it.

Refusals raise ``FetchRefused(code, detail)`` with a stable code: ``bad_url``, ``host_not_allowed``,
``private_address``, ``dns_failed``, ``too_many_redirects``, ``file_too_large``, ``fetch_failed``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

REDIRECTS = (301, 302, 303, 307, 308)
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class FetchRefused(Exception):
    """A URL or response the source may not use; ``code`` is stable, ``detail`` says why."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class WebPolicy:
    hosts: frozenset[str]  # lower-case host names (no port); a URL's host must be one of them
    allow_private: bool = False


def normalise_url(url: str) -> str:
    """Lower-case scheme and host, no fragment, ``/`` for an empty path. Raises ``FetchRefused(bad_url)``
    for what is not an absolute http(s) URL with a host, or carries a user name or password."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise FetchRefused("bad_url", f"not a URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchRefused(
            "bad_url", f"only http and https URLs are fetched, not {scheme or 'a relative URL'!r}"
        )
    if not parts.hostname:
        raise FetchRefused("bad_url", "the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise FetchRefused("bad_url", "URLs with a user name or password are refused")
    host = parts.hostname.lower()
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != {"http": 80, "https": 443}[scheme]:
        netloc += f":{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def check_url(url: str, policy: WebPolicy) -> str:
    """The normalised URL when its scheme and host are allowed; else ``FetchRefused``."""
    norm = normalise_url(url)
    host = host_of(norm)
    if host not in policy.hosts:
        allowed = ", ".join(sorted(policy.hosts)) or "none"
        raise FetchRefused("host_not_allowed", f"{host} is not one of this source's hosts ({allowed})")
    return norm


def address_refused(ip: IPAddress) -> str | None:
    """Why this address may not be fetched without ``allow_private`` (None: it is public)."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for name in ("unspecified", "multicast", "loopback", "link_local", "private", "reserved"):
        if getattr(ip, f"is_{name}"):
            return name.replace("_", "-")
    if not ip.is_global:
        return "not globally routable"
    return None


def check_addresses(host: str, addresses: Iterable[IPAddress], *, allow_private: bool) -> list[IPAddress]:
    """``addresses`` when every one may be fetched (all of them: a name with one private address among
    public ones is refused too). Multicast and unspecified addresses are never fetched."""
    out = list(addresses)
    if not out:
        raise FetchRefused("dns_failed", f"{host} has no address")
    for ip in out:
        why = address_refused(ip)
        if why is None:
            continue
        if allow_private and why not in ("multicast", "unspecified"):
            continue
        raise FetchRefused(
            "private_address",
            f"{host} resolves to {ip} ({why}); allow private addresses for this source to fetch it",
        )
    return out


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (an IP literal is itself). Blocking: call it in a thread."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchRefused("dns_failed", f"{host} does not resolve: {exc}") from None
    seen: dict[str, IPAddress] = {}
    for *_, sockaddr in infos:
        addr = str(sockaddr[0]).split("%", 1)[0]
        seen.setdefault(addr, ipaddress.ip_address(addr))
    return list(seen.values())


@dataclass(frozen=True, slots=True)
class Fetched:
    url: str  # the final URL, after redirects
    status: int  # 200, 304 (not modified), 404 ...
    content_type: str = ""
    etag: str = ""
    last_modified: str = ""
    body: bytes = b""
    redirects: tuple[str, ...] = field(default_factory=tuple)

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class SafeFetcher:
    """GET requests under a ``WebPolicy`` (see the module docstring). One ``httpx.AsyncClient`` for its
    lifetime (``async with``); ``transport`` is for tests."""

    def __init__(
        self,
        policy: WebPolicy,
        *,
        user_agent: str,
        timeout_s: float,
        max_redirects: int,
        max_bytes: int,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.policy = policy
        self._ua = user_agent
        self._timeout = timeout_s
        self._max_redirects = max_redirects
        self._max_bytes = max_bytes
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_s), follow_redirects=False, trust_env=False, transport=transport
        )
        self.requests = 0

    async def __aenter__(self) -> SafeFetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._client.aclose()

    async def get(self, url: str, *, etag: str = "", last_modified: str = "", accept: str = "") -> Fetched:
        """The response to a GET of ``url`` (conditional when ``etag`` / ``last_modified`` are given),
        redirects followed after checking each target. 3xx other than a redirect and every 4xx/5xx come
        back as they are (the caller decides: 404 and 410 mean the page is gone)."""
        current = check_url(url, self.policy)
        hops: list[str] = []
        while True:
            response = await self._request(current, etag=etag, last_modified=last_modified, accept=accept)
            status, headers, body = response
            if status not in REDIRECTS:
                return Fetched(
                    url=current,
                    status=status,
                    content_type=headers.get("content-type", ""),
                    etag=headers.get("etag", ""),
                    last_modified=headers.get("last-modified", ""),
                    body=body,
                    redirects=tuple(hops),
                )
            location = headers.get("location", "")
            if not location:
                raise FetchRefused("fetch_failed", f"{current} answered {status} without a Location")
            if len(hops) >= self._max_redirects:
                raise FetchRefused(
                    "too_many_redirects", f"more than {self._max_redirects} redirects from {url}"
                )
            hops.append(current)
            current = check_url(urljoin(current, location), self.policy)
            etag = last_modified = ""  # validators belong to the first URL

    async def _request(
        self, url: str, *, etag: str, last_modified: str, accept: str
    ) -> tuple[int, httpx.Headers, bytes]:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = await asyncio.to_thread(resolve, host, port)
        ip = check_addresses(host, addresses, allow_private=self.policy.allow_private)[0]
        pinned_host = f"[{ip}]" if ip.version == 6 else str(ip)
        pinned = urlunsplit((parts.scheme, f"{pinned_host}:{port}", parts.path or "/", parts.query, ""))
        headers = {"User-Agent": self._ua, "Host": parts.netloc, "Accept-Encoding": "gzip, deflate"}
        if accept:
            headers["Accept"] = accept
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        request = self._client.build_request(
            "GET",
            pinned,
            headers=headers,
            extensions={"sni_hostname": host} if parts.scheme == "https" else {},
        )
        self.requests += 1
        try:
            response = await self._client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise FetchRefused("fetch_failed", f"{url}: {type(exc).__name__}: {exc}"[:300]) from None
        try:
            length = response.headers.get("content-length", "")
            if length.isdigit() and int(length) > self._max_bytes:
                raise FetchRefused("file_too_large", f"{length} bytes; the limit is {self._max_bytes}")
            body = bytearray()
            if response.status_code in REDIRECTS or response.status_code == 304:
                return response.status_code, response.headers, b""
            async for chunk in response.aiter_bytes():
                body.extend(chunk)
                if len(body) > self._max_bytes:
                    raise FetchRefused(
                        "file_too_large", f"over {self._max_bytes} bytes; the limit is {self._max_bytes}"
                    )
            return response.status_code, response.headers, bytes(body)
        except httpx.HTTPError as exc:
            raise FetchRefused("fetch_failed", f"{url}: {type(exc).__name__}: {exc}"[:300]) from None
        finally:
            await response.aclose()
