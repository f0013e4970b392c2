"""A static help centre on loopback: the demo bank's (``data/demo_helpcentre``, ``kefu demo-site``), and the
tests' and the benchmark's sites.

A small ``http.server`` that serves a folder the way a real site's web server would for a sync: an
``ETag`` (content hash) and ``Last-Modified`` on every file, ``304 Not Modified`` to ``If-None-Match`` /
``If-Modified-Since``; ``{{BASE}}`` in ``.xml`` files (the sitemap) becomes the address it is served at.
``gone`` paths answer 410, ``redirects`` answer 301 to their target; ``hits`` counts the requests per
path and ``full_bodies`` the 200 answers, so a test can see what a sync asked for.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

DEFAULT_SITE = Path("data/demo_helpcentre")
TYPES = {".html": "text/html; charset=utf-8", ".xml": "application/xml", ".txt": "text/plain; charset=utf-8",
         ".css": "text/css", ".pdf": "application/pdf"}  # fmt: skip


class HelpCentre:
    def __init__(self, root: Path, *, port: int = 0) -> None:
        self.root = root.resolve()
        self.gone: set[str] = set()
        self.redirects: dict[str, str] = {}
        self.hits: Counter[str] = Counter()
        self.full_bodies: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> HelpCentre:
        self._thread = threading.Thread(target=self._server.serve_forever, name="help-centre", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> HelpCentre:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset_counts(self) -> None:
        with self._lock:
            self.hits.clear()
            self.full_bodies.clear()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "kefu-demo-site"

            def log_message(self, format: str, *args: object) -> None:  # quiet
                return

            def do_GET(self) -> None:
                path = unquote(urlsplit(self.path).path)
                with site._lock:
                    site.hits[path] += 1
                if path in site.gone:
                    return self._send(410, b"gone", "text/plain")
                if path in site.redirects:
                    self.send_response(301)
                    self.send_header("Location", site.redirects[path])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
                rel = path.lstrip("/")
                if rel == "" or rel.endswith("/"):
                    rel += "index.html"
                file = (site.root / rel).resolve()
                if not file.is_relative_to(site.root) or not file.is_file():
                    return self._send(404, b"not found", "text/plain")
                body = file.read_bytes()
                if file.suffix == ".xml":
                    body = body.replace(b"{{BASE}}", site.base_url.encode())
                etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
                mtime = file.stat().st_mtime
                if self._not_modified(etag, mtime):
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return None
                with site._lock:
                    site.full_bodies[path] += 1
                return self._send(200, body, TYPES.get(file.suffix, "application/octet-stream"), etag, mtime)

            def _not_modified(self, etag: str, mtime: float) -> bool:
                inm = self.headers.get("If-None-Match")
                if inm is not None:
                    return etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*"
                ims = self.headers.get("If-Modified-Since")
                if ims:
                    try:
                        return int(mtime) <= parsedate_to_datetime(ims).timestamp()
                    except (TypeError, ValueError):
                        return False
                return False

            def _send(self, status: int, body: bytes, ctype: str, etag: str = "", mtime: float = 0.0) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                if etag:
                    self.send_header("ETag", etag)
                    self.send_header("Last-Modified", formatdate(mtime, usegmt=True))
                self.end_headers()
                self.wfile.write(body)

        return Handler


def serve_forever(root: Path, *, port: int) -> None:
    """``kefu demo-site``: serve ``root`` on 127.0.0.1:``port`` until interrupted."""
    if not root.is_dir():
        raise SystemExit(f"{root} is not a folder")
    site = HelpCentre(root, port=port)
    print(f"serving {root} at {site.base_url}/ (sitemap: {site.base_url}/sitemap.xml); Ctrl-C stops")
    try:
        site._server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        site._server.server_close()
