"""Link and pagination discovery on list pages (lxml only, no JavaScript is run).

Which links are policy pages is the source's decision: with `allow` (or `selectors.list_links`) any
link that passes allow/deny is a candidate; the URL-shape heuristic (`DETAIL_URL`) applies only when
neither is given. Other pages of the same list are pagination (crawler/pagination.py), never details.
Also handled: lists written with `document.write('<a href=…>')` and tiny JavaScript/meta redirect shells.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html

from crawler.pagination import NEXT_TEXT, PageLink, same_list, script_pages
from monitor.config import SourceConfig
from monitor.contracts import ListedLink
from monitor.extract import ATTACHMENT_EXT, element_text

_DATE = re.compile(r"(\d{4})[-./年](\d{1,2})[-./月](\d{1,2})")
_DOC_WRITE_HREF = re.compile(r"document\.write(?:ln)?\s*\(.*?href\s*=\s*\\?['\"]([^'\"\\]+)\\?['\"](.*?)\)\s*;?", re.S)
_REDIRECT = re.compile(
    r"location\.(?:replace|assign)\s*\(\s*['\"]([^'\"]+)['\"]|location(?:\.href)?\s*=\s*['\"]([^'\"]+)['\"]"
)
# The heuristic (no allow, no selector): what a detail page of a gov site looks like — TRS t-date
# pages, numeric ids, hashed names, 大汉 /art/ pages, content_N, ?id=N detail scripts.
DETAIL_URL = re.compile(
    r"/t\d{8}_\d+|/\d{6}/[^/]+\.s?html?$|/[0-9a-f]{32}\.html$|/art/\d{4}/|/content_\d+|/\d{5,}\.s?html?$"
    r"|[?&](?:id|docid|articleid|contentid|infoid|newsid)=\w+",
    re.I,
)
_LIST_URL = re.compile(r"/index(?:_\d+)?\.s?html?$|/$")
_PAGE_NUMBER_FILE = re.compile(r"/\d{1,3}\.s?html?$")

# Why a link on a list page is not taken as a policy page (`policywatch sources check` shows them).
DENIED, NOT_ALLOWED, HEURISTIC, OFF_SITE = "deny", "not allowed", "heuristic", "off-site"


@dataclass(frozen=True, slots=True)
class LinkRules:
    """The source's rules for detail links."""

    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    selector: str | None = None  # CSS selector of the list rows' <a> elements

    @classmethod
    def of(cls, source: SourceConfig) -> LinkRules:
        return cls(source.allow, source.deny, source.selectors.list_links)

    def verdict(self, url: str, list_url: str) -> str:
        """ "" when `url` is a candidate policy page, else why not."""
        if any(re.search(p, url) for p in self.deny):
            return DENIED
        if self.allow:
            return "" if any(re.search(p, url) for p in self.allow) else NOT_ALLOWED
        if self.selector:
            return ""
        if _site(url) != _site(list_url):
            return OFF_SITE
        parts = urlsplit(url)
        shape = parts.path + (f"?{parts.query}" if parts.query else "")
        return "" if DETAIL_URL.search(shape) and not _LIST_URL.search(parts.path) else HEURISTIC


def _site(url: str) -> str:
    """The site a host belongs to: bjhd.gov.cn for www.bjhd.gov.cn and zyk.bjhd.gov.cn."""
    host = urlsplit(url).hostname or ""
    if re.fullmatch(r"[\d.]+|\[.*\]", host):
        return host
    labels = host.split(".")
    keep = 3 if len(labels) >= 3 and labels[-2] in ("gov", "com", "org", "edu", "net") else 2
    return ".".join(labels[-keep:])


@dataclass(slots=True)
class Listing:
    links: list[ListedLink] = field(default_factory=list)
    next_pages: list[str] = field(default_factory=list)
    redirect: str = ""
    page_how: dict[str, str] = field(default_factory=dict)  # further list page → how it was found
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (url, why it is not a policy page)


@lru_cache(maxsize=1 << 14)  # a list's pager names the same pages on every page of it
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


def _redirect(root: lxml.html.HtmlElement, html: str, base: str) -> str:
    """Where a tiny JavaScript/meta-refresh shell sends the browser, or ""."""
    body_text = element_text(root.find("body")) if root.find("body") is not None else ""
    redirect = _REDIRECT.search(html) or None
    refresh = root.xpath("//meta[translate(@http-equiv,'REFRESH','refresh')='refresh']/@content")
    if len(body_text) >= 200 or not (redirect or refresh):
        return ""
    target = (
        (redirect.group(1) or redirect.group(2)) if redirect else refresh[0].split("url=", 1)[-1].split("URL=", 1)[-1]
    )
    return _canonical(urljoin(base, target.strip("'\" ")))


def _anchors(root: lxml.html.HtmlElement, selector: str | None) -> Iterator[tuple[str, str, str]]:
    """(href, title, list date) of the list's links, document.write ones included."""
    for a in root.cssselect(selector) if selector else root.iter("a"):
        href = a.get("href")
        if href and not href.startswith(("javascript:", "mailto:", "#")):
            yield href, (a.get("title") or element_text(a)).strip(), _row_date(a)
    for script in root.iter("script"):
        for href, rest in _DOC_WRITE_HREF.findall(script.text or ""):
            yield href, re.sub(r"<[^>]*>?|['\"+);\\]", "", rest.split(">", 1)[-1]).strip(), ""


def _absolute(base: str, href: str) -> str:
    href = href.strip()
    if href.startswith("//") and "." not in href[2:].split("/", 1)[0]:
        href = "/" + href.lstrip("/")  # 朝阳's "//affair/file/…" is a path, not a host
    return _canonical(urljoin(base, href))


def _pages(root: lxml.html.HtmlElement, html: str, base: str, url: str) -> list[PageLink]:
    """Further pages of this list: script pagers, links to the same list's pages, 下一页/尾页."""
    pages = script_pages(html, base)
    for a in root.iter("a"):
        href, text = a.get("href"), (element_text(a) or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            continue
        target = _absolute(base, href)
        if NEXT_TEXT.match(text):
            pages.append(PageLink(target, "下一页/尾页"))
        elif same_list(target, url) or (text.isdigit() and _PAGE_NUMBER_FILE.search(target) and same_dir(target, url)):
            pages.append(PageLink(target, "页码链接"))
    return pages


def same_dir(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return pa.netloc == pb.netloc and pa.path.rpartition("/")[0] == pb.path.rpartition("/")[0]


def discover(html: str, url: str, *, rules: LinkRules) -> Listing:
    listing = Listing()
    if not html.strip():
        return listing
    root = lxml.html.document_fromstring(html)
    base = (root.xpath("//base/@href") or [url])[0]
    listing.redirect = _redirect(root, html, base)
    if listing.redirect:
        return listing
    here = _canonical(url)
    for page in _pages(root, html, base, url):
        if page.url != here and page.url.startswith(("http://", "https://")):
            listing.page_how.setdefault(_canonical(page.url), page.how)
    listing.next_pages = list(listing.page_how)  # in page order: a max_list_pages cap keeps the first
    seen = {here, *listing.page_how}
    for href, title, date in _anchors(root, rules.selector):
        target = _absolute(base, href)
        if not target.startswith(("http://", "https://")) or target in seen or ATTACHMENT_EXT.search(target):
            continue
        seen.add(target)
        why = rules.verdict(target, url)
        if why:
            listing.dropped.append((target, why))
        else:
            listing.links.append(ListedLink(target, title, date))
    return listing
