"""Government-page extraction: HTML → PageExtract (title, meta tags, 政务公开 info block, body blocks,
attachments). Pure functions over parsed HTML; text is always read after parsing, never by regex
on raw markup, because real bodies split words and clauses across <span>s."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

# Meta tags mandated on Chinese government sites (政府网站发展指引), matched case-insensitively.
GOV_META = (
    "ArticleTitle",
    "PubDate",
    "ContentSource",
    "ColumnName",
    "Keywords",
    "Description",
    "SiteName",
    "SiteDomain",
    "SiteIDCode",
    "ColumnType",
    "Author",
    "Url",
)
_META_CANON = {name.lower(): name for name in GOV_META}

# Info-block labels and their spellings across sites → one canonical field name.
INFO_LABELS = {
    "索引号": "索引号",
    "发文机关": "发文机关",
    "发文机构": "发文机关",
    "发布机构": "发文机关",
    "发文单位": "发文机关",
    "联合发文单位": "联合发文单位",
    "发文字号": "发文字号",
    "文号": "发文字号",
    "成文日期": "成文日期",
    "印发日期": "成文日期",
    "发布日期": "发布日期",
    "公开日期": "发布日期",
    "实施日期": "实施日期",
    "施行日期": "实施日期",
    "生效日期": "实施日期",
    "废止日期": "废止日期",
    "失效日期": "废止日期",
    "主题分类": "主题分类",
    "有效性": "有效性",
    "时效性": "有效性",
    "文件来源": "文件来源",
}
_LABEL_RE = re.compile(
    r"^[\s\[【]*(" + "|".join(sorted(map(re.escape, INFO_LABELS), key=len, reverse=True)) + r")[\s\]】]*[:：]?\s*"
)
_EMPTY_VALUE = {"", "----", "---", "--", "-", "无", "/"}

# Body containers in the priority order that works across gov.cn, beijing.gov.cn and district sites.
BODY_XPATHS = (
    "//*[@id='UCAP-CONTENT']",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' pages_content ')]",
    "//div[contains(concat(' ', normalize-space(@class), ' '), ' TRS_UEDITOR ')]",
    "//div[contains(concat(' ', normalize-space(@class), ' '), ' TRS_Editor ')]",
    "//*[@id='mainText']",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' trs_editor_view ')]",
    "//*[@id='zoom']",
    "//*[@id='fontzoom']",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' article-content ')]",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' policy-content ')]",
    "//article",
)
_BLOCK_TAGS = frozenset(
    [
        "p",
        "div",
        "li",
        "ul",
        "ol",
        "table",
        "tr",
        "td",
        "th",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "section",
        "article",
        "header",
        "footer",
        "dl",
        "dt",
        "dd",
        "blockquote",
        "pre",
        "center",
        "form",
    ]
)
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "iframe", "object", "select", "button"})
# Chrome lines inside a body container: print/close widgets, counters, site footers.
CHROME_LINE = re.compile(
    r"^(?:【?(?:打印本页|打印|关闭窗口|关闭|收藏|分享到?|字号|大|中|小|返回顶部)】?[\s|｜]*)+$"
    r"|浏览次数|阅读次数|访问量|点击数|页面生成时间|网站标识码|京ICP备|京公网安备|版权所有"
)
ATTACHMENT_EXT = re.compile(r"\.(pdf|docx?|wps|xlsx?|ofd|zip|rar|et)(?:$|[?#])", re.I)


@dataclass(frozen=True, slots=True)
class Attachment:
    url: str
    name: str


@dataclass(frozen=True, slots=True)
class PageExtract:
    title: str
    meta: Mapping[str, str]  # gov meta tags
    info: Mapping[str, str]  # info-block fields under canonical labels
    blocks: tuple[str, ...]  # body text blocks in reading order
    attachments: tuple[Attachment, ...] = ()
    body_found_by: str = ""  # which container (or "fallback") gave the body
    fields: Mapping[str, str] = field(default_factory=dict)  # meta + info, for lifecycle

    @property
    def body_text(self) -> str:
        return "\n".join(self.blocks)


class ExtractError(ValueError):
    """The page is not a policy page we can read (empty, truncated to nothing, not HTML)."""


def parse_html(html: str, root: lxml.html.HtmlElement | None = None) -> lxml.html.HtmlElement:
    """The page's tree; `root` when the caller parsed it already (the spider parses each page once)."""
    if root is not None:
        return root
    if not html or not html.strip():
        raise ExtractError("empty page")
    try:
        root = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError) as exc:
        raise ExtractError(f"unparseable HTML: {exc}") from exc
    return root


def read_meta(root: lxml.html.HtmlElement) -> dict[str, str]:
    out: dict[str, str] = {}
    for el in root.iter("meta"):
        name = (el.get("name") or "").strip().lower()
        canon = _META_CANON.get(name)
        # Mandated tags (exact case) win over lower-case SEO tags of the same name.
        if canon and (canon not in out or el.get("name") == canon):
            out[canon] = (el.get("content") or "").strip()
    return out


def text_blocks(el: etree._Element) -> list[str]:
    parts: list[str] = []
    _collect(el, parts)
    lines = (" ".join(line.split()) for line in "".join(parts).split("\n"))
    return [line for line in lines if line]


def _collect(el: etree._Element, out: list[str]) -> None:
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag and tag.lower() not in _SKIP_TAGS:
        tag = tag.lower()
        block = tag in _BLOCK_TAGS
        if block or tag == "br":
            out.append("\n")
        if el.text:
            out.append(el.text)
        for child in el:
            _collect(child, out)
        if block:
            out.append("\n")
    if el.tail:
        out.append(el.tail)


def element_text(el: etree._Element) -> str:
    return " ".join(" ".join(text_blocks(el)).split())


def read_info(root: lxml.html.HtmlElement, skip: etree._Element | None = None) -> dict[str, str]:
    """The 政务公开 info block in any of its layouts: table rows (label cell, value cell), beijing.gov.cn
    `li` with `[发文字号]<span>…</span>`, dt/dd pairs, or label/value spans in divs."""
    info: dict[str, str] = {}
    inside_skip = set(skip.iter()) if skip is not None else set()
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag in _SKIP_TAGS or el in inside_skip:
            continue
        own = (el.text or "").strip()
        match = _LABEL_RE.match(re.sub(r"\s+", "", own)) if own else None
        if not match or len(own) > 60:
            continue
        label = INFO_LABELS[match.group(1)]
        if label in info:
            continue
        full = re.sub(r"[\u3000\xa0]", " ", element_text(el))
        value = _label_prefix(match.group(1)).sub("", full, count=1).strip()
        if not value:
            sibling = el.getnext()
            value = element_text(sibling) if sibling is not None else (el.tail or "").strip()
        value = value.strip()
        if len(value) <= 120:
            info[label] = "" if value in _EMPTY_VALUE else value
    return {k: v for k, v in info.items() if v}


def _label_prefix(label: str) -> re.Pattern[str]:
    """The label as printed, with any spacing inside it ("成 文 日 期："), plus brackets and colon."""
    return re.compile(r"^[\s\[【]*" + r"\s*".join(map(re.escape, label)) + r"[\s\]】]*[:：]?\s*")


def find_body(root: lxml.html.HtmlElement, selector: str | None = None) -> tuple[etree._Element | None, str]:
    if selector:
        found = root.cssselect(selector)
        return (found[0], selector) if found else (None, "")
    for xpath in BODY_XPATHS:
        found = root.xpath(xpath)
        if found:
            # Nested TRS containers: the outermost match holds the whole body.
            return found[0], xpath
    return None, ""


def _fallback_blocks(html: str) -> list[str]:
    import trafilatura

    text = trafilatura.extract(html, include_comments=False, include_tables=True, favor_recall=True) or ""
    return [line.strip() for line in text.split("\n") if line.strip()]


def read_attachments(container: etree._Element | None, base_url: str) -> tuple[Attachment, ...]:
    if container is None:
        return ()
    seen: dict[str, Attachment] = {}
    for a in container.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "#", "mailto:")):
            continue
        if a.get("appendix") == "true" or ATTACHMENT_EXT.search(href):
            url = urljoin(base_url, href)
            seen.setdefault(url, Attachment(url, element_text(a) or a.get("title") or url.rsplit("/", 1)[-1]))
    return tuple(seen.values())


# Every link read_attachments takes shows one of these in the raw HTML (an extension's dot may be
# written as an entity or percent-escaped): a page without any is not parsed for links at all.
_MAY_LINK_FILES = re.compile(r"appendix|(?:\.|%2e|&#0*46;|&#x0*2e;)(?:pdf|docx?|wps|xlsx?|ofd|zip|rar|et)\b", re.I)


def attachment_links(html: str, url: str) -> list[tuple[str, str]]:
    """(url, name) of the attachments linked from a page's body, for the spider to fetch."""
    if not _MAY_LINK_FILES.search(html):
        return []
    root = parse_html(html)
    container, _ = find_body(root)
    found = read_attachments(container if container is not None else root, url)
    # Only http(s) files are fetched (`JavaScript:…//x.pdf`, `ftp://…` are not attachments one can download).
    return [(a.url, a.name) for a in found if urlsplit(a.url).scheme.lower() in ("http", "https")]


def _title(root: lxml.html.HtmlElement, meta: Mapping[str, str], selector: str | None) -> str:
    if selector:
        found = root.cssselect(selector)
        if found:
            return element_text(found[0])
    if meta.get("ArticleTitle"):
        return meta["ArticleTitle"]
    for xpath in (
        "//h1",
        "//*[contains(@class,'article-title')]",
        "//div[contains(concat(' ', normalize-space(@class), ' '), ' header ')]/p",  # beijing.gov.cn
        "//title",
    ):
        found = root.xpath(xpath)
        if found and element_text(found[0]):
            # <title> often carries the site name after a separator.
            return re.split(r"\s*[_|｜]\s*|\s+-\s+", element_text(found[0]))[0]
    return ""


def extract_page(
    html: str,
    url: str,
    *,
    title_selector: str | None = None,
    body_selector: str | None = None,
    root: lxml.html.HtmlElement | None = None,
) -> PageExtract:
    root = parse_html(html, root)
    meta = read_meta(root)
    container, found_by = find_body(root, body_selector)
    if container is not None:
        blocks = [b for b in text_blocks(container) if not CHROME_LINE.search(b) or len(b) > 40]
    else:
        blocks, found_by = _fallback_blocks(html), "fallback"
        blocks = [b for b in blocks if not CHROME_LINE.search(b) or len(b) > 40]
    info = read_info(root, skip=container)
    title = _title(root, meta, title_selector)
    # The body often repeats the title as its first block; it is not a clause.
    if blocks and title and blocks[0].replace(" ", "") == title.replace(" ", ""):
        blocks = blocks[1:]
    fields = {**{k: v for k, v in meta.items() if v}, **info}
    return PageExtract(
        title=title,
        meta=meta,
        info=info,
        blocks=tuple(blocks),
        attachments=read_attachments(container, url),
        body_found_by=found_by,
        fields=fields,
    )


# --- pages that are not content -----------------------------------------------------------------

CHALLENGE_MARKERS = re.compile(
    r"_bot_sbu|_ws_sbu|安全验证|滑动验证|人机验证|访问验证|请开启JavaScript|请启用JavaScript|enable JavaScript"
    r"|访问被拦截|访问受限|您的访问请求|Web应用防火墙|WAF|创宇盾|安全狗|云防御|Access Denied|请登录后|用户登录",
    re.I,
)


def detect_block_page(
    html: str, status: int, root: lxml.html.HtmlElement | None = None, visible: str | None = None
) -> str | None:
    """Why this response is an anti-bot challenge, WAF block, login wall or empty shell — or None.
    `root` and `visible` (the text of its body): the page's tree and text, when the caller has them."""
    if status in (403, 412, 429, 503):
        return f"HTTP {status} (anti-bot or throttling)"
    try:
        root = parse_html(html, root)
    except ExtractError as exc:
        return str(exc)
    if visible is None:
        body = root.find("body")
        visible = element_text(body) if body is not None else ""
    # Lengths first: the markers' search (~0.1 ms) and the scripts are read only for a short page.
    if len(visible) < 1500 and CHALLENGE_MARKERS.search(visible[:2000]):
        return "challenge/WAF/login page"
    if len(visible) >= 30:
        return None
    scripts = "".join(s.text or "" for s in root.iter("script"))
    if CHALLENGE_MARKERS.search(scripts + html[:4000]) or "document.cookie" in scripts:
        return "JavaScript challenge shell"
    return "empty template (no text)"
