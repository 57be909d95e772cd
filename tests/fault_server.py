"""A fault-injecting loopback web for the fault suite (tests only).

`FaultSite` serves a small government-style site (a list page and policy pages in one site chrome)
and, per URL and per run, misbehaves the way real sites do: a delay past the timeout, a connection
reset mid-body, a Content-Length larger than the body, a body cut without Content-Length, 5xx/429
with Retry-After, 404/410, moves (301/302), redirect loops, 200 anti-bot/JS-challenge and WAF pages,
412, empty templates (暂无内容), a 200 "页面不存在" page in the site's own chrome, GBK/UTF-8
mislabels, a 50 MB body, a PDF where HTML was expected, a list page with no links. Set
`site.faults[path] = Fault(...)` before a run and `site.faults.clear()` for a normal one."""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from monitor.demo.loopback import LoopbackServer, QuietHandler

# What the fault suite did, for its closing table (tests/conftest.py prints it after `pytest -m faults`).
LEDGER: Counter[str] = Counter()


def chrome(title: str, body: str, charset: str = "utf-8") -> str:
    """A page in the site's own chrome (navigation, footer, counters)."""
    return (
        f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">'
        f'<meta name="ArticleTitle" content="{title}"><title>{title}</title></head><body>'
        '<div class="nav"><a href="/">首页</a> <a href="/zcwj/">政策文件</a></div>'
        f'<div class="main">{body}</div><div class="footer">主办：某区人民政府 浏览次数：12</div></body></html>'
    )


def policy_page(n: int, amount: int = 500, expiry: str = "有效期至2028年12月31日") -> str:
    info = (
        f"<table><tr><td>发文字号：</td><td>某政发〔2025〕{n}号</td><td>发文机关：</td><td>某区人民政府</td></tr>"
        "<tr><td>发布日期：</td><td>2025-01-02</td></tr></table>"
    )
    articles = "".join(f"<p>第{cn}条 支持第{n}类企业发展事项{cn},按规定给予资金支持。</p>" for cn in "一二三四")
    body = (
        f'{info}<div class="TRS_Editor"><p>第一条 为支持企业发展,制定本措施。</p>{articles}'
        f"<p>第五条 对符合条件的企业给予最高{amount}万元奖励。</p>"
        f"<p>第六条 本措施自2025年1月2日起施行,{expiry}。</p></div>"
    )
    return chrome(f"某区关于支持第{n}类企业发展的若干措施", body)


def list_page(paths: list[str]) -> str:
    items = "".join(f'<li><a href="{p}">某区关于支持企业发展的若干措施</a><span>2025-01-02</span></li>' for p in paths)
    return chrome("政策文件", f'<ul class="list">{items}</ul>')


ANTI_BOT = "<html><head><script>var _0x3f=['cookie'];document.cookie='acw_sc__v2=1';location.reload();</script></head><body></body></html>"
WAF = chrome("访问被拦截", "<p>您的访问请求可能对网站造成安全威胁,已被安全防护系统拦截。事件ID:1234</p>")
EMPTY_TEMPLATE = chrome("政策文件", "<p>暂无内容</p>")
NOT_FOUND = chrome("某区人民政府", "<p>抱歉,您访问的页面不存在!</p><p>请检查您输入的网址是否正确,或返回首页。</p>")


@dataclass
class Page:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Fault:
    """What one URL does instead of answering normally. `times` limits it to the first N requests."""

    kind: str  # status | delay | reset | short | truncate | redirect | body | big
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    delay: float = 0.0
    location: str = ""
    size: int = 0
    times: int | None = None


class FaultSite(LoopbackServer):
    def __init__(self) -> None:
        self.pages: dict[str, Page] = {"/robots.txt": Page(b"User-agent: *\nAllow: /\n", "text/plain")}
        self.faults: dict[str, Fault] = {}
        self.requests: list[tuple[str, float]] = []
        self._lock = threading.Lock()
        site = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                with site._lock:
                    site.requests.append((self.path, time.monotonic()))
                    fault = site.faults.get(self.path)
                    if fault is not None and fault.times is not None:
                        fault.times -= 1
                        if fault.times < 0:
                            fault = None
                    LEDGER["web faults injected"] += fault is not None
                    LEDGER["crawl runs"] += self.path.endswith("/robots.txt")  # each crawl asks once
                page = site.pages.get(self.path) or Page(NOT_FOUND.encode(), status=404)
                try:
                    if fault is None:
                        self._send(page.status, page.content_type, page.body, page.headers)
                    else:
                        self._fault(fault, page)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _send(
                self, status: int, ctype: str, body: bytes, headers: dict[str, str], length: int | None = -1
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                if length is not None:
                    self.send_header("Content-Length", str(len(body) if length < 0 else length))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

            def _fault(self, fault: Fault, page: Page) -> None:
                if fault.kind == "delay":
                    time.sleep(fault.delay)
                    self._send(page.status, page.content_type, page.body, page.headers)
                elif fault.kind == "status":
                    self._send(fault.status, fault.content_type, fault.body or b"error", fault.headers)
                elif fault.kind == "body":
                    self._send(fault.status, fault.content_type, fault.body, fault.headers)
                elif fault.kind == "redirect":
                    self._send(fault.status, "text/html", b"", {"Location": fault.location})
                elif fault.kind == "short":  # Content-Length promises more than is sent
                    self._send(200, page.content_type, page.body[: len(page.body) // 2], {}, length=len(page.body))
                elif fault.kind == "truncate":  # no Content-Length: the close looks like the end
                    self._send(200, page.content_type, page.body[: len(page.body) // 2], {}, length=None)
                elif fault.kind == "reset":
                    self._send(200, page.content_type, page.body[: len(page.body) // 2], {}, length=len(page.body))
                    self.wfile.flush()
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.connection.close()
                elif fault.kind == "big":
                    self.send_response(200)
                    self.send_header("Content-Type", page.content_type)
                    self.send_header("Content-Length", str(fault.size))
                    self.end_headers()
                    chunk = b"<p>" + "很长的页面。".encode() * 1000 + b"</p>"
                    sent = 0
                    while sent < fault.size:
                        piece = chunk[: fault.size - sent]
                        self.wfile.write(piece)
                        sent += len(piece)
                else:
                    raise ValueError(fault.kind)

        super().__init__(Handler, 0)

    @property
    def base(self) -> str:
        return self.base_url

    def publish(
        self, path: str, html: str, content_type: str = "text/html; charset=utf-8", encoding: str = "utf-8"
    ) -> None:
        self.pages[path] = Page(html.encode(encoding), content_type)

    def hits(self, path: str) -> int:
        return sum(1 for p, _ in self.requests if p == path)
