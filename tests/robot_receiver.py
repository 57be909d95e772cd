"""A chat-robot-shaped receiver for the fault suite: answers each POST as told (ok, HTTP 500, HTTP 200
with a WeCom/DingTalk/Feishu error code in the body, slowly, or not at all) and counts what arrived,
by the `pw-…` de-duplication key each message carries."""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from typing import Any

from monitor.demo.loopback import LoopbackServer, QuietHandler
from tests.fault_server import LEDGER

KEY = re.compile(r"pw-(?:digest-)?\d+-\d+(?:-\d+)?")
# HTTP 200 answers that mean "refused", in each platform's own words.
ERROR_BODIES = {
    "wecom": {"errcode": 45009, "errmsg": "api freq out of limit"},
    "dingtalk": {"errcode": 310000, "errmsg": "sign not match"},
    "feishu": {"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"},
    "feishu-9499": {"code": 9499, "msg": "Bad Request", "data": {}},
    "feishu-status": {"StatusCode": 19001, "StatusMessage": "param invalid: incoming webhook access token invalid"},
}
OK_BODY = {"errcode": 0, "errmsg": "ok", "code": 0, "msg": "success", "StatusCode": 0}


class RobotReceiver(LoopbackServer):
    """`script` is consumed one entry per request: "ok", "500", "wecom"/"dingtalk"/"feishu"/"feishu-9499"/"feishu-status" (200 with
    that platform's error code), ("slow", seconds) (then ok). Empty script: "ok"."""

    def __init__(self, script: list[Any] | None = None) -> None:
        self.script: list[Any] = list(script or [])
        self.bodies: list[str] = []  # every request that reached us, accepted or not
        self.accepted: list[str] = []  # requests answered with success
        self.paths: list[str] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8", "replace")
                with receiver._lock:
                    step = receiver.script.pop(0) if receiver.script else "ok"
                    LEDGER["delivery faults injected"] += step != "ok"
                    receiver.bodies.append(raw)
                    receiver.paths.append(self.path)
                slow = step[1] if isinstance(step, tuple) and step[0] == "slow" else 0
                status, answer = (
                    (500, {"error": "internal"}) if step == "500" else (200, ERROR_BODIES.get(step, OK_BODY))
                )
                if status == 200 and answer is OK_BODY:
                    with receiver._lock:
                        receiver.accepted.append(raw)  # taken in at once, answered after `slow` seconds
                time.sleep(slow)
                try:
                    data = json.dumps(answer).encode()
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        super().__init__(Handler, 0)

    @property
    def url(self) -> str:
        return self.base_url

    def keys(self) -> Counter[str]:
        """How many accepted messages carried each de-duplication key (the whole text where a channel
        has no room for one, as WeCom markdown)."""
        return Counter(next(iter(set(KEY.findall(body))), body) for body in self.accepted)

    def distinct(self) -> int:
        """What a receiver that drops copies by key shows its readers."""
        return len(self.keys())
