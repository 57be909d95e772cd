"""文号: 京政办发〔2023〕12号 and 令-style numbers (国令第707号, 中华人民共和国国务院令第588号,
北京市人民政府令第312号) — read from the 发文字号 field or from the head of the text."""

from __future__ import annotations

import re

from monitor.cndate import DATE_ANY_RE
from monitor.normalise import fold

_CN = "〇○零一二两三四五六七八九十百"
DOC_NUMBER_RE = re.compile(
    r"([\u4e00-\u9fff]{1,12}?)\s*[〔\[(（［【﹝]\s*((?:19|20)\d{2})\s*[〕\])）］】﹞]\s*第?\s*(\d{1,4})\s*号"
)
ORDER_NUMBER_RE = re.compile(rf"([\u4e00-\u9fff]{{1,24}}?令)\s*第\s*(\d{{1,4}}|[{_CN}]{{1,6}})\s*号")
_LABELLED = re.compile(r"(?:发文字号|文号)\s*[:：]\s*(\S{4,40}?号)")
# Where a title ends and the 文号 begins in a text without line breaks ("…的通知渝府发〔2014〕53号").
_TITLE_END = re.compile(r".*(?:的函|通知|意见|决定|办法|规定|批复|公告|通告|方案|细则|规则|条例|报告|的|》|\s)")
_HEAD_CHARS = 800


def _clean_prefix(prefix: str) -> str:
    m = _TITLE_END.match(prefix)
    return (prefix[m.end() :] if m else prefix).removeprefix("原")


def normalise_doc_number(text: str) -> str:
    """京技管发[2025] 4号 → 京技管发〔2025〕4号; 国务院令 第 707 号 → 国务院令第707号; "" when none."""
    text = fold(text).replace(" ", "")
    m = DOC_NUMBER_RE.search(text)
    if m:
        return f"{_clean_prefix(m.group(1))}〔{m.group(2)}〕{m.group(3)}号"
    m = ORDER_NUMBER_RE.search(text)
    return f"{_clean_prefix(m.group(1))}第{m.group(2)}号" if m else ""


def own_doc_number(title: str, text: str) -> str:
    """The document's own 文号 from its text: `发文字号:` anywhere, else the first number in the head
    (a line under the title, or in parentheses after it) that is not a cited document's (after 《…》)."""
    m = _LABELLED.search(text)
    if m and normalise_doc_number(m.group(1)):
        return normalise_doc_number(m.group(1))
    head = DATE_ANY_RE.sub(" ", fold(title + "\n" + text[:_HEAD_CHARS]))
    found = [*DOC_NUMBER_RE.finditer(head), *ORDER_NUMBER_RE.finditer(head)]
    for m in sorted(found, key=lambda x: x.end()):
        before = head[: m.start(1) + len(m.group(1)) - len(_clean_prefix(m.group(1)))].rstrip(" (（")
        if before.endswith(("》", "〉", "根据", "依据", "按照")) or "《" in m.group(1):
            continue
        return normalise_doc_number(head[m.start() : m.end()].replace("\n", ""))
    return ""


def split_title(line: str, longest: int = 80) -> str:
    """The title at the start of a line that may run on into the 文号 and the body."""
    if len(line) <= longest:
        return line
    for regex in (DOC_NUMBER_RE, ORDER_NUMBER_RE):
        m = regex.search(line[: longest + 30])
        if m:
            return line[: m.start(1) + len(m.group(1)) - len(_clean_prefix(m.group(1)))].strip()
    m = _TITLE_END.match(line[:longest])
    return line[: m.end()].strip() if m else line[:longest]
