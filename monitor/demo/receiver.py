"""A small local webhook receiver: what the demo delivers its alerts to, and a real peer for tests.

Every POST is appended as one JSON line to a file (and kept in memory); it can be told to answer
500 for the first N requests to exercise retries."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from monitor.demo.loopback import LoopbackServer, QuietHandler


class WebhookReceiver(LoopbackServer):
    def __init__(self, log_file: Path | None = None, fail_first: int = 0, port: int = 0) -> None:
        self.log_file = log_file
        self.fail_first = fail_first
        self.received: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                with receiver._lock:
                    if receiver.fail_first > 0:
                        receiver.fail_first -= 1
                        self.send_response(500)
                        self.end_headers()
                        return
                    try:
                        body: Any = json.loads(raw.decode("utf-8"))
                    except ValueError:
                        body = raw.decode("utf-8", "replace")
                    record = {
                        "path": self.path,
                        "content_type": self.headers.get("Content-Type", ""),
                        "headers": {k: v for k, v in self.headers.items() if k.lower().startswith("x-")},
                        "body": body,
                    }
                    receiver.received.append(record)
                    if receiver.log_file is not None:
                        with receiver.log_file.open("a", encoding="utf-8") as fh:
                            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"errcode":0,"errmsg":"ok"}')

        super().__init__(Handler, port)

    @property
    def url(self) -> str:
        return self.base_url
