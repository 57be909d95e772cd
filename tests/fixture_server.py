"""A loopback HTTP server for fixture sites: fixed pages with their own status, headers and bytes,
ETag/If-None-Match handling (304), and a request log."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from monitor.demo.loopback import LoopbackServer, QuietHandler


@dataclass
class Fixture:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    etag: bool = False  # answer If-None-Match with 304
    always_304: bool = False  # a broken server: 304 to every conditional request, changed or not


class FixtureServer(LoopbackServer):
    def __init__(self, pages: dict[str, Fixture] | None = None) -> None:
        self.pages: dict[str, Fixture] = dict(pages or {})
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.request_times: list[tuple[str, float]] = []
        self.slow_requests = 0  # the next N requests are answered after `slow_seconds`
        self.slow_seconds = 0.0
        fixture_server = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                fixture_server.requests.append((self.path, dict(self.headers.items())))
                fixture_server.request_times.append((self.path, time.monotonic()))
                if fixture_server.slow_requests > 0:
                    fixture_server.slow_requests -= 1
                    time.sleep(fixture_server.slow_seconds)
                page = fixture_server.pages.get(self.path)
                if page is None:
                    page = Fixture(b"<html><body>404</body></html>", status=404)
                tag = '"' + hashlib.sha1(page.body).hexdigest()[:16] + '"'
                conditional = self.headers.get("If-None-Match") or self.headers.get("If-Modified-Since")
                if (page.etag and self.headers.get("If-None-Match") == tag) or (page.always_304 and conditional):
                    self.send_response(304)
                    self.send_header("ETag", tag)
                    self.end_headers()
                    return
                self.send_response(page.status)
                self.send_header("Content-Type", page.content_type)
                self.send_header("Content-Length", str(len(page.body)))
                if page.etag:
                    self.send_header("ETag", tag)
                for key, value in page.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(page.body)

        super().__init__(Handler, 0)

    @property
    def base(self) -> str:
        return self.base_url

    def fetched(self, path: str) -> int:
        return sum(1 for p, _ in self.requests if p == path)
