"""Security headers on every response; a strict Content-Security-Policy on every HTML page.

- HTML (the agent console, the admin console, the demo page): ``CSP`` allows scripts, styles, images,
  fonts and requests from this origin only (inline ``<style>`` is allowed: the widget styles its Shadow
  DOM with it; inline scripts are not), no plugins, no ``<base>`` rewrites, no framing by another site.
  ``/docs`` (``ENVIRONMENT=local`` only) is no exception: its Swagger UI is served by this app.
- Everything: ``nosniff``, no referrer, no framing, a same-origin opener, no camera / microphone /
  geolocation; API answers are ``no-store`` (they carry conversations). Requests that arrived over HTTPS
  (directly or as the trusted TLS proxy says: ``X-Forwarded-Proto``) also get ``Strict-Transport-Security``
  (the proxy sets it too; this is the second line).
- Not set: ``Cross-Origin-Resource-Policy``, because banks' own sites load ``widget.js`` cross-origin.
"""

from __future__ import annotations

from starlette.types import Message, Receive, Scope, Send

from app.edge.asgi import HttpMiddleware

PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"

_ALWAYS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
]


class SecurityHeadersMiddleware(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                for name, value in _ALWAYS:
                    if name not in present:
                        headers.append((name, value))
                ctype = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                if ctype.startswith(b"text/html") and b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", PAGE_CSP.encode()))
                if path.startswith("/api/") and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                if https:
                    headers.append((b"strict-transport-security", HSTS.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
