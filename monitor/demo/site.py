"""The bundled offline demo: the seed policies published as district government sites on loopback,
in two revisions (seeds/demo/catalog.yaml says what revision 2 changes)."""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

import yaml
from jinja2 import Environment, FileSystemLoader, select_autoescape

from monitor.demo.loopback import LoopbackServer, QuietHandler
from seeds import SEEDS_DIR

DEMO_DIR = SEEDS_DIR / "demo"
_ENV = Environment(loader=FileSystemLoader(DEMO_DIR / "templates"), autoescape=select_autoescape(default=True))
# Where the aggregator flattened a paragraph break into a space before a clause number.
_PARAGRAPH_BREAK = re.compile(
    r"\s+(?=第[一二三四五六七八九十百]+[条章]|[一二三四五六七八九十]+、|[(（][一二三四五六七八九十]+[)）]|\d{1,2}\.)"
)


@dataclass(frozen=True, slots=True)
class Page:
    status: int
    body: bytes
    content_type: str


@dataclass(frozen=True, slots=True)
class DemoPolicy:
    pid: int
    site: str
    title: str
    address: str
    body: str
    doc_number: str
    issuer: str
    written: str
    published: str

    @property
    def path(self) -> str:
        if self.site == "aggregator":
            return f"/aggregator/zcfg/{100000 + self.pid}.html"
        d = date.fromisoformat(self.published)
        return f"/{self.site}/{d:%Y%m}/t{d:%Y%m%d}_{self.pid}.html"


@cache
def catalog() -> dict[str, Any]:
    return yaml.safe_load((DEMO_DIR / "catalog.yaml").read_text(encoding="utf-8"))


@cache
def seed_policies() -> dict[int, dict[str, Any]]:
    path = SEEDS_DIR / "corpus" / "seed-policies.jsonl"
    rows = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return {row["id"]: row for row in rows}


def _policies(revision: int) -> list[DemoPolicy]:
    cat, seeds = catalog(), seed_policies()
    rev2 = cat["revision2"]
    out: list[DemoPolicy] = []
    for pid, meta in cat["policies"].items():
        seed = seeds[pid]
        body = seed["body"]
        if revision >= 2:
            if pid == rev2["removed"]:
                continue
            for change in (rev2["amount_change"], rev2["expiry_change"]):
                if change["policy"] == pid:
                    assert change["old"] in body, f"planted change not found in policy {pid}"
                    body = body.replace(change["old"], change["new"])
        out.append(
            DemoPolicy(
                pid,
                meta["site"],
                seed["title"],
                seed["address"],
                body,
                meta.get("doc_number", ""),
                meta.get("issuer", ""),
                str(meta.get("written", "")),
                str(meta["published"]),
            )
        )
    if revision >= 2:
        new = rev2["new_policy"]
        base = seeds[new["based_on"]]
        tail = new["replace_tail"]
        body = base["body"].replace(base["title"], new["title"], 1).replace(tail["old"], tail["new"])
        if new.get("replace_body"):
            body = body.replace(new["replace_body"]["old"], new["replace_body"]["new"])
        out.append(
            DemoPolicy(
                new["id"],
                new["site"],
                new["title"],
                base["address"],
                body,
                new["doc_number"],
                new["issuer"],
                str(new["written"]),
                str(new["published"]),
            )
        )
    return out


def _paragraphs(body: str, title: str) -> list[str]:
    parts = [p.strip() for p in _PARAGRAPH_BREAK.split(body) if p.strip()]
    if parts and parts[0].replace(" ", "").startswith(title.replace(" ", "")):
        parts[0] = parts[0].replace(" ", "")[len(title.replace(" ", "")) :].strip() or parts[0]
    return parts


def _volatile(revision: int, key: str) -> int:
    """View counters and tokens differ on every revision: chrome that must never alert."""
    return int(hashlib.sha256(f"{revision}:{key}".encode()).hexdigest()[:6], 16) % 90000 + 1000


class DemoSite:
    def __init__(self) -> None:
        self.revision = 1
        self._pages: dict[int, dict[str, Page]] = {}

    def pages(self, revision: int | None = None) -> dict[str, Page]:
        revision = self.revision if revision is None else revision
        if revision not in self._pages:
            self._pages[revision] = self._build(revision)
        return self._pages[revision]

    def _build(self, revision: int) -> dict[str, Page]:
        cat = catalog()
        sites = {s["name"]: s for s in cat["sites"]}
        chrome_only = cat["revision2"]["chrome_only"]
        pages: dict[str, Page] = {"/robots.txt": Page(200, b"User-agent: *\nAllow: /\n", "text/plain")}
        policies = _policies(revision)
        for i, (name, site) in enumerate(sites.items()):
            charset = site.get("encoding", "utf-8")
            site_code = f"11011{i:01d}0001"
            rows = sorted((p for p in policies if p.site == name), key=lambda p: (p.published, p.pid), reverse=True)
            for p in rows:
                paragraphs = _paragraphs(p.body, p.title)
                if revision >= 2 and p.pid == chrome_only:
                    # Re-typeset: doubled spaces, NBSP and full-width spaces, nothing else.
                    paragraphs = [q.replace(" ", "\u00a0 ").replace("。", "。\u3000") for q in paragraphs]
                html = _ENV.get_template("detail.html").render(
                    site=site,
                    style=site["style"],
                    charset=charset,
                    site_code=site_code,
                    pid=p.pid,
                    title=p.title,
                    address=p.address,
                    body=p.body,
                    paragraphs=paragraphs,
                    doc_number=p.doc_number,
                    issuer=p.issuer,
                    written=p.written,
                    published=p.published,
                    views=_volatile(revision, f"views{p.pid}"),
                    token=hashlib.md5(f"{revision}{p.pid}".encode()).hexdigest(),
                    generated=f"2026-11-{20 + revision:02d} 0{revision}:1{p.pid % 10}:00",
                )
                pages[p.path] = Page(200, html.encode(charset), f"text/html; charset={charset.upper()}")
            size = site["page_size"]
            chunks = [rows[k : k + size] for k in range(0, len(rows), size)] or [[]]
            for current, chunk in enumerate(chunks):
                list_rows = [
                    {
                        "href": "." + p.path[len(name) + 1 :] if name != "aggregator" else p.path,
                        "title": p.title,
                        "published": p.published,
                    }
                    for p in chunk
                ]
                html = _ENV.get_template("list.html").render(
                    site=site,
                    charset=charset,
                    rows=list_rows,
                    pages=len(chunks),
                    current=current,
                    site_code=site_code,
                    views=_volatile(revision, f"list{name}{current}"),
                )
                path = f"/{name}/index.html" if current == 0 else f"/{name}/index_{current}.html"
                pages[path] = Page(200, html.encode(charset), f"text/html; charset={charset.upper()}")
        return pages

    def sources(self, base_url: str) -> list[dict[str, Any]]:
        """The demo's sources file: district sites with an allow rule, the aggregator with nothing
        but a name and a start URL (generic extraction)."""
        out: list[dict[str, Any]] = []
        for site in catalog()["sites"]:
            entry: dict[str, Any] = {
                "name": f"demo-{site['name']}",
                "region": site["region"],
                "start_urls": [f"{base_url}/{site['name']}/index.html"],
                "allow_private": True,  # the demo serves its sites on loopback
            }
            if site["name"] != "aggregator":
                entry["allow"] = [rf"/{site['name']}/\d{{6}}/t\d{{8}}_\d+\.html$"]
                entry["download_delay"] = 0
            out.append(entry)
        return out

    def sources_yaml(self, base_url: str) -> str:
        return yaml.safe_dump({"sources": self.sources(base_url)}, allow_unicode=True, sort_keys=False)

    def expected_titles(self) -> dict[str, str]:
        seeds, rev2 = seed_policies(), catalog()["revision2"]
        return {
            "text_changed": seeds[rev2["amount_change"]["policy"]]["title"],
            "expiry_changed": seeds[rev2["expiry_change"]["policy"]]["title"],
            "removed": seeds[rev2["removed"]]["title"],
            "repealed": seeds[rev2["new_policy"]["based_on"]]["title"],
            "new_policy": rev2["new_policy"]["title"],
            "chrome_only": seeds[rev2["chrome_only"]]["title"],
        }


class DemoServer(LoopbackServer):
    """Serves a DemoSite on 127.0.0.1 (a free port); `site.revision` switches what it serves."""

    def __init__(self, site: DemoSite | None = None, port: int = 0, delay: float = 0.0) -> None:
        self.site = site or DemoSite()
        self.delay = delay  # seconds per response: tests use it to catch a run mid-crawl
        demo = self.site
        server_self = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                if server_self.delay:
                    time.sleep(server_self.delay)
                path = self.path.split("?", 1)[0]
                if path.endswith("/"):
                    path += "index.html"
                page = demo.pages().get(path)
                if page is None:
                    page = Page(
                        404, "<html><body><h1>404 页面不存在</h1></body></html>".encode(), "text/html; charset=utf-8"
                    )
                self.send_response(page.status)
                self.send_header("Content-Type", page.content_type)
                self.send_header("Content-Length", str(len(page.body)))
                self.end_headers()
                self.wfile.write(page.body)

        super().__init__(Handler, port)
