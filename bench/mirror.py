"""A static mirror of a government policy library built from the seed corpus, for the crawl benchmark.

N detail pages in the TRS layout (meta tags, 政务公开 info table, TRS_UEDITOR body), each a seed
policy with its own title, 文号 and amounts, and with the seed's repeal sentences kept (references to
documents never crawled, as real libraries are full of). List pages of 50 links with TRS
createPageHTML pagination. Files are written to a folder and served by nginx or a Python server."""

from __future__ import annotations

import html
import re
from pathlib import Path

from monitor.demo.site import seed_policies

PER_LIST = 50
_AMOUNT = re.compile(r"最高(\d+)万元")
_CLAUSE = re.compile(r"\s+(?=第[一二三四五六七八九十百]+条|[一二三四五六七八九十]+、)")


def detail_path(i: int) -> str:
    return f"/lib/2025{1 + i % 12:02d}/t2025{1 + i % 12:02d}{1 + i % 28:02d}_{i}.html"


def doc_number(i: int) -> str:
    """Unique per page, with a serial of at most four digits as real ones have (a year per 9,000 pages)."""
    return f"京某政发〔{2025 - i // 9000}〕{1 + i % 9000}号"


def _detail(i: int, bump: int) -> str:
    seeds = list(seed_policies().values())
    seed = seeds[i % len(seeds)]
    title = f"{seed['title']}(第{i}批)"
    # Every page states its own amounts; `bump` raises them (a real change in one article).
    body = _AMOUNT.sub(lambda m: f"最高{int(m.group(1)) + i % 97 + bump}万元", seed["body"])
    paragraphs = "".join(f'<p style="text-indent:2em">{html.escape(p)}</p>\n' for p in _CLAUSE.split(body) if p)
    month, day = 1 + i % 12, 1 + i % 28
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<meta name="ArticleTitle" content="{html.escape(title)}"><meta name="PubDate" content="2025-{month:02d}-{day:02d} 09:30">
<meta name="ContentSource" content="北京市某区人民政府"><title>{html.escape(title)}_北京市某区人民政府</title></head>
<body><div class="nav"><a href="/">首页</a> <a href="/lib/index.html">政策文件</a></div>
<table class="xxgk-table"><tr><td>发文机关：</td><td>北京市某区人民政府</td><td>成文日期：</td><td>2025-{month:02d}-{day:02d}</td></tr>
<tr><td>发文字号：</td><td>{doc_number(i)}</td><td>发布日期：</td><td>2025-{month:02d}-{day:02d}</td></tr></table>
<h1>{html.escape(title)}</h1><div class="view TRS_UEDITOR trs_paper_default trs_web">
{paragraphs}</div><div class="footer">主办：北京市某区人民政府 网站标识码1101100001</div></body></html>"""


def _list(page: int, pages: int, rows: list[int]) -> str:
    items = "".join(
        f'<li><a href=".{detail_path(i)[4:]}" target="_blank">第{i}号政策</a><span>2025-{1 + i % 12:02d}-{1 + i % 28:02d}</span></li>'
        for i in rows
    )
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>政策文件</title></head><body>
<ul class="list">{items}</ul><script>createPageHTML({pages}, {page}, "index", "html");</script></body></html>"""


def build(root: Path, pages: int) -> None:
    (root / "lib").mkdir(parents=True, exist_ok=True)
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    for i in range(pages):
        write_detail(root, i)
    lists = (pages + PER_LIST - 1) // PER_LIST
    for n in range(lists):
        name = "index.html" if n == 0 else f"index_{n}.html"
        rows = list(range(n * PER_LIST, min(pages, (n + 1) * PER_LIST)))
        (root / "lib" / name).write_text(_list(n, lists, rows), encoding="utf-8")


def write_detail(root: Path, i: int, bump: int = 0) -> None:
    path = root / detail_path(i).lstrip("/")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_detail(i, bump), encoding="utf-8")
