"""Pagination as government CMSs write it, read without running JavaScript.

* TRS `createPageHTML(5, 0, "index", "html")` — or with variables (`var countPage = 5;
  createPageHTML(countPage, currentPage, "index", "html")`), or the newer
  `createPageHTML('page_div', 5, 1, 'index', 'html', 68)`;
* beijing.gov.cn `Pager({size:5, current:0, prefix:'index', suffix:'html'})`, literals or variables;
* links to other pages of the same list: `index_N.html` / `index_N.shtml`, `column-index-N.shtml`,
  `/N.html`, `?page=N` / `pageNo` / `pageNum` / …;
* 下一页 / 尾页 links.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl, urljoin, urlsplit

PAGE_PARAMS = frozenset(
    {"page", "pageno", "pagenum", "pageindex", "pagenumber", "curpage", "currentpage", "pn", "p", "pageid", "start"}
)
NEXT_TEXT = re.compile(r"^\s*(下一页|下页|后一页|>|»|>>|尾页|末页|最后一页)\s*$")
_CALL = re.compile(r"createPageHTML\s*\(([^()]*)\)")
_PAGER = re.compile(r"\bPager\s*\(\s*\{([^}]*)\}")
_PAGER_FIELD = re.compile(r"(\w+)\s*:\s*([^,}]+)")
_VAR = re.compile(r"\b([A-Za-z_$][\w$]*)\s*=\s*['\"]?(\d+)['\"]?(?![\w.])")
_PAGE_FILE = re.compile(r"(?P<stem>.*?)(?:[-_]?(?P<n>\d{1,4}))?\.(?:s?html?|jsp|aspx?|php)", re.I)


@dataclass(frozen=True, slots=True)
class PageLink:
    url: str
    how: str  # createPageHTML, Pager, 下一页, 页码链接


def _variables(html: str) -> dict[str, int]:
    return {name: int(value) for name, value in _VAR.findall(html)}


def _arg(raw: str, variables: dict[str, int]) -> int | str | None:
    """A call argument: a number (literal or a variable set in the page), a string literal, or None."""
    raw = raw.strip()
    if re.fullmatch(r"['\"]?\d+['\"]?", raw):
        return int(raw.strip("'\""))
    if re.fullmatch(r"'[^']*'|\"[^\"]*\"", raw):
        return raw[1:-1]
    return variables.get(raw)


def _series(base: str, count: int, prefix: str, suffix: str, how: str) -> list[PageLink]:
    """TRS numbering: page 0 is prefix.suffix, then prefix_1.suffix … prefix_{count-1}.suffix."""
    return list(_numbered(urljoin(base, "."), min(count, 10_000), prefix, suffix, how))


@lru_cache(maxsize=256)
def _numbered(directory: str, count: int, prefix: str, suffix: str, how: str) -> tuple[PageLink, ...]:
    # Every page of a list carries the same pager: built once per list, not once per page (a library
    # of 600 list pages would otherwise build 360,000 links, quadratic in its size).
    return tuple(PageLink(urljoin(directory, f"{prefix}_{i}.{suffix}"), how) for i in range(1, count))


def script_pages(html: str, base: str) -> list[PageLink]:
    """The list pages a createPageHTML(…) or Pager({…}) call in the page would link to."""
    variables = _variables(html)
    pages: list[PageLink] = []
    for call in _CALL.finditer(html):
        args = [_arg(a, variables) for a in call.group(1).split(",")]
        count = next((a for a in args if not isinstance(a, str)), None)  # the first number is the page count
        texts = [a for a in args if isinstance(a, str)]
        if not isinstance(count, int) or not texts:
            continue  # the function's own definition, or a count computed at run time
        prefix, suffix = (texts[-2], texts[-1]) if len(texts) >= 2 else (texts[-1], "html")
        pages += _series(base, count, prefix, suffix, "createPageHTML")
    for call in _PAGER.finditer(html):
        fields = {k: _arg(v, variables) for k, v in _PAGER_FIELD.findall(call.group(1))}
        size = fields.get("size")
        if isinstance(size, int):
            prefix, suffix = str(fields.get("prefix") or "index"), str(fields.get("suffix") or "html")
            pages += _series(base, size, prefix, suffix, "Pager")
    return pages


def _file_page(filename: str) -> tuple[str, str] | None:
    """(the list's name, its page number) of a list file: index_3.html → (index, 3), index.html →
    (index, ""), column-index-2.shtml → (column-index, 2), 2.html → ("", 2); None when the file is
    no page of a numbered list."""
    if not filename:
        return "index", ""  # a directory URL is its index page
    m = _PAGE_FILE.fullmatch(filename)
    if m is None or (not m.group("stem") and (m.group("n") is None or len(m.group("n")) > 3)):
        return None
    return m.group("stem"), m.group("n") or ""


def same_list(url: str, list_url: str) -> bool:
    """True when `url` is another page of the list at `list_url` (same column, another page)."""
    a, b = urlsplit(url), urlsplit(list_url)
    if a.netloc != b.netloc or url == list_url:
        return False
    qa = sorted((k, v) for k, v in parse_qsl(a.query) if k.lower() not in PAGE_PARAMS)
    qb = sorted((k, v) for k, v in parse_qsl(b.query) if k.lower() not in PAGE_PARAMS)
    if qa != qb:
        return False
    if a.path == b.path:
        return True  # only the page parameter differs
    dir_a, _, file_a = a.path.rpartition("/")
    dir_b, _, file_b = b.path.rpartition("/")
    if dir_a != dir_b:
        return False
    page_a, page_b = _file_page(file_a), _file_page(file_b)
    if page_a is None or page_b is None or page_a[0] != page_b[0]:
        return False
    return bool(page_a[1] or page_b[1])  # "zcwj/" and "zcwj/index.html" are one page, not two
