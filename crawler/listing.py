"""Link and pagination discovery on list pages (lxml only, no JavaScript is run).

Handles plain list rows, 下一页/尾页 links, TRS `createPageHTML(count, current, "index", "html")`,
beijing.gov.cn `Pager({size:N, current:0, prefix:'index', suffix:'html'})`, lists written with
`document.write('<a href=…>')`, and tiny JavaScript/meta redirect shells.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html

from crawler.items import ListedLink
from monitor.extract import ATTACHMENT_EXT, element_text

_DATE = re.compile(r"(\d{4})[-./年](\d{1,2})[-./月](\d{1,2})")
_NEXT_TEXT = re.compile(r"^\s*(下一页|下页|后一页|>|»|尾页|末页)\s*$")
_CREATE_PAGE = re.compile(
    r"createPageHTML\s*\(\s*['\"]?(\d+)['\"]?\s*,\s*['\"]?(\d+)['\"]?\s*,\s*['\"]([^'\"]+)['\"]\s*,\s*['\"]([^'\"]+)['\"]"
)
_PAGER = re.compile(r"Pager\s*\(\s*\{([^}]*)\}")
_PAGER_FIELD = re.compile(r"(\w+)\s*:\s*['\"]?([\w.]+)['\"]?")
_DOC_WRITE_HREF = re.compile(r"document\.write(?:ln)?\s*\(.*?href\s*=\s*\\?['\"]([^'\"\\]+)\\?['\"](.*?)\)\s*;?", re.S)
_REDIRECT = re.compile(
    r"location\.(?:replace|assign)\s*\(\s*['\"]([^'\"]+)['\"]|location(?:\.href)?\s*=\s*['\"]([^'\"]+)['\"]"
)
# What a detail page of a gov site looks like: TRS t-date pages, numeric ids, hashed names.
DETAIL_URL = re.compile(
    r"/t\d{8}_\d+|/\d{6}/[^/]+\.s?html?$|/[0-9a-f]{32}\.html$|/art/\d{4}/|/content_\d+|/\d{5,}\.s?html?$"
)
_LIST_URL = re.compile(r"/index(?:_\d+)?\.s?html?$|/$")


@dataclass(slots=True)
class Listing:
    links: list[ListedLink] = field(default_factory=list)
    next_pages: list[str] = field(default_factory=list)
    redirect: str = ""


def _canonical(url: str) -> str:
    url = urldefrag(url)[0]
    parts = urlsplit(url)
    path = re.sub(r"/{2,}", "/", parts.path)  # 朝阳 writes //affair/file/…
    return parts._replace(path=path).geturl()


def _row_date(a: lxml.html.HtmlElement) -> str:
    row = a.getparent()
    for _ in range(2):
        if row is None:
            break
        m = _DATE.search(element_text(row))
        if m:
            return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
        row = row.getparent()
    return ""


def _page_urls(html: str, base: str) -> list[str]:
    urls: list[str] = []
    m = _CREATE_PAGE.search(html)
    if m:
        count, _current, prefix, suffix = int(m.group(1)), int(m.group(2)), m.group(3), m.group(4)
        urls += [urljoin(base, f"{prefix}_{i}.{suffix}") for i in range(1, count)]
    m = _PAGER.search(html)
    if m:
        fields = dict(_PAGER_FIELD.findall(m.group(1)))
        size = int(fields.get("size", "1") or 1)
        prefix, suffix = fields.get("prefix", "index"), fields.get("suffix", "html")
        urls += [urljoin(base, f"{prefix}_{i}.{suffix}") for i in range(1, size)]
    return urls


def discover(html: str, url: str, *, allows, link_selector: str | None = None) -> Listing:  # type: ignore[no-untyped-def]
    """`allows(url) -> bool` is the source's allow/deny filter for detail pages."""
    listing = Listing()
    if not html.strip():
        return listing
    root = lxml.html.document_fromstring(html)
    base = (root.xpath("//base/@href") or [url])[0]
    body_text = element_text(root.find("body")) if root.find("body") is not None else ""
    redirect = _REDIRECT.search(html) or None
    refresh = root.xpath("//meta[translate(@http-equiv,'REFRESH','refresh')='refresh']/@content")
    if len(body_text) < 200 and (redirect or refresh):
        target = (
            (redirect.group(1) or redirect.group(2))
            if redirect
            else refresh[0].split("url=", 1)[-1].split("URL=", 1)[-1]
        )
        listing.redirect = _canonical(urljoin(base, target.strip("'\" ")))
        return listing

    seen: set[str] = set()

    def add(href: str, title: str, date: str) -> None:
        href = href.strip()
        if href.startswith("//") and "." not in href[2:].split("/", 1)[0]:
            href = "/" + href.lstrip("/")  # 朝阳's "//affair/file/…" is a path, not a host
        target = _canonical(urljoin(base, href))
        if not target.startswith(("http://", "https://")) or target in seen or target == _canonical(url):
            return
        if ATTACHMENT_EXT.search(target) or not allows(target):
            return
        if link_selector is None and (not DETAIL_URL.search(urlsplit(target).path) or _LIST_URL.search(target)):
            return
        seen.add(target)
        listing.links.append(ListedLink(target, title, date))

    anchors = root.cssselect(link_selector) if link_selector else root.iter("a")
    for a in anchors:
        href = a.get("href")
        if href and not href.startswith(("javascript:", "mailto:", "#")):
            add(href, (a.get("title") or element_text(a)).strip(), _row_date(a))
    for script in root.iter("script"):
        for href, rest in _DOC_WRITE_HREF.findall(script.text or ""):
            title = re.sub(r"<[^>]*>?|['\"+);\\]", "", rest.split(">", 1)[-1]).strip()
            add(href, title, "")

    pages = {_canonical(u) for u in _page_urls(html, base)}
    for a in root.iter("a"):
        if a.get("href") and _NEXT_TEXT.match(element_text(a) or ""):
            pages.add(_canonical(urljoin(base, a.get("href"))))
    pages.discard(_canonical(url))
    listing.next_pages = sorted(pages)
    return listing
