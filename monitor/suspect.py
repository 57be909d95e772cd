"""Pages that must not become versions: a 200 "页面不存在" page in the site's own chrome, and a fetched
page whose title, 文号 and most articles vanished at once (a half-loaded page, a template swap) — such
a version is held and stored only when the next run shows it again. Pure functions."""

from __future__ import annotations

import re
from typing import Any

from monitor.extract import ExtractError, element_text, parse_html
from monitor.lifecycle import Lifecycle
from monitor.normalise import Document

# What Chinese government CMSs print on their 200 "not found" pages.
_NOT_FOUND = re.compile(
    r"(?:页面|网页|文章|信息|内容|稿件|文件)(?:已被?|可能已被?)?(?:不存在|删除|撤(?:销|下|回)|下线|找不到|未找到)"
    r"|(?:找不到|无法找到|未找到)(?:您)?(?:要|所)?(?:访问|请求|查看)?的?(?:页面|网页|文章|信息|内容)"
    r"|404\s*(?:Not Found|错误|页面)|Page Not Found|\bnot found\b",
    re.I,
)
# What a CMS prints in a page whose content is not there (maintenance, an unfilled template).
_EMPTY = re.compile(
    r"暂无(?:内容|数据|信息|记录|相关信息)|(?:内容|栏目|页面)(?:正在)?(?:更新|建设|维护)中|没有找到相关(?:内容|信息)"
)
_ARTICLE = re.compile(r"第[一二三四五六七八九十百零〇两\d]+条")
NOT_FOUND_MAX_TEXT = 1500  # characters of page text; a policy quoting the phrase is longer


def not_found_page(visible_text: str) -> str | None:
    """The reason a 200 page is really a "page not found" answer, or None."""
    text = " ".join(visible_text.split())
    if len(text) > NOT_FOUND_MAX_TEXT:
        return None
    m = _NOT_FOUND.search(text)
    if m and not _ARTICLE.search(text):
        return f"200 page says the page does not exist ({m.group()})"
    return None


def empty_template(visible_text: str) -> str | None:
    """The reason a 200 page is an empty template ("暂无内容"), or None."""
    text = " ".join(visible_text.split())
    if len(text) > NOT_FOUND_MAX_TEXT:
        return None
    m = _EMPTY.search(text)
    if m and not _ARTICLE.search(text):
        return f"empty template ({m.group()})"
    return None


def suspect_change(old_doc: Document, old_lc: Lifecycle, new_doc: Document, new_lc: Lifecycle) -> str | None:
    """Why a new version looks like a broken page rather than an edit — title gone or replaced, 文号
    gone, and most articles gone, all at once — or None."""
    if not old_doc.clauses:
        return None
    title_gone = bool(old_doc.title) and old_doc.title != new_doc.title
    number_gone = bool(old_lc.doc_number) and not new_lc.doc_number
    kept = {c.text for c in new_doc.clauses}
    lost = sum(1 for c in old_doc.clauses if c.text not in kept)
    if title_gone and number_gone and lost * 2 > len(old_doc.clauses):
        return (
            f"title, 文号 and {lost} of {len(old_doc.clauses)} articles vanished at once: "
            "held until the next run shows the same page"
        )
    return None


def page_text(html: str, root: Any = None) -> str:
    """The visible text of a page's body ("" when it cannot be parsed); `root`: its tree, if parsed."""
    try:
        body = parse_html(html, root).find("body")
    except ExtractError:
        return ""
    return element_text(body) if body is not None else ""
