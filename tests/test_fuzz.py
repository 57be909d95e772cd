"""Fuzzing the reading path (#17 part 4) with hypothesis: random and mutated HTML and text go into
extraction, the normaliser and its article splitter, the lifecycle reader and the diff. Properties:
no exception but the documented ones (ExtractError for a page that cannot be read); `fold` and
`normalise` are idempotent; `diff(x, x)` is empty; `diff(a, b)` agrees with b — its segments rebuild
both texts, every clause it names as new or modified is in b, every value a fact reports as new is
in b's text. Fast: moderate example counts, no deadline (the machine is shared)."""

from __future__ import annotations

import os
import re
from datetime import date

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from monitor.diff import diff_documents
from monitor.extract import ExtractError, attachment_links, detect_block_page, extract_page
from monitor.lifecycle import extract
from monitor.normalise import Document, build_clauses, fold, normalise
from monitor.policystatus import StatusFacts, compute_status
from monitor.status import next_status_change
from tests.fault_server import policy_page

pytestmark = pytest.mark.faults

# FUZZ_EXAMPLES=2000 for a long hunt; the suite's default keeps the whole file to seconds.
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "60")), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

# Words and marks a policy is made of, so random text reaches the interesting branches.
_PIECES = [
    "第一条",
    "第十二条",
    "第二章",
    "第三节",
    "一、",
    "(二)",
    "（三）",
    "1.",
    "(4)",
    "附件1",
    "附件：",
    "支持",
    "企业",
    "给予",
    "最高",
    "不超过",
    "500万元",
    "2000万元",
    "30%",
    "五成",
    "申报条件",
    "适用于",
    "自2025年1月1日起施行",
    "自印发之日起30日后施行",
    "有效期至2028年12月31日",
    "有效期三年",
    "施行五年",
    "《关于支持企业发展的若干措施》(京政发〔2024〕1号)同时废止",
    "某政发〔2025〕7号",
    "京发[2019]3号",
    "2025年1月2日",
    "2025-01-02",
    "二〇二五年一月二日",
    "试行",
    "暂行",
    "。",
    "；",
    "，",
    "、",
    "：",
    "\n",
    " ",
    "\u3000",
    "\xa0",
    "\t",
    "ＡＢＣ１２３",
    "&nbsp;",
    "&#12345;",
    "<",
    ">",
    "&",
    "\ufeff",
    "\u200b",
]
texts = st.one_of(
    st.lists(st.sampled_from(_PIECES), max_size=40).map("".join),
    st.text(max_size=200),
    st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=8)), max_size=30).map("".join),
)
_TAGS = ["p", "div", "span", "td", "h1", "li", "font", "b", "table", "tr", "script", "style", "a", "br"]


@st.composite
def html_pages(draw: st.DrawFn) -> str:
    """Pages built from a small grammar of what government pages contain, including broken markup."""
    parts: list[str] = []
    for _ in range(draw(st.integers(0, 12))):
        tag = draw(st.sampled_from(_TAGS))
        attrs = draw(
            st.sampled_from(
                [
                    "",
                    ' class="TRS_Editor"',
                    ' id="zoom"',
                    ' class="article-title"',
                    ' href="./a.pdf"',
                    ' href="javascript:x"',
                ]
            )
        )
        closed = draw(st.booleans())
        parts.append(f"<{tag}{attrs}>{draw(texts)}" + (f"</{tag}>" if closed else ""))
    head = draw(
        st.sampled_from(
            [
                "",
                f'<meta name="ArticleTitle" content="{draw(texts)}">',
                f'<meta name="PubDate" content="{draw(texts)}"><title>{draw(texts)}</title>',
                '<meta charset="gbk">',
            ]
        )
    )
    return (
        draw(st.sampled_from(["", "<!DOCTYPE html>", "<?xml version='1.0'?>"]))
        + f"<html><head>{head}</head><body>{''.join(parts)}</body></html>"
    )


REAL = policy_page(3)


@st.composite
def mutated_pages(draw: st.DrawFn) -> str:
    """A real policy page cut, spliced and sprinkled with noise."""
    page = REAL
    for _ in range(draw(st.integers(1, 6))):
        i = draw(st.integers(0, len(page)))
        j = draw(st.integers(i, min(len(page), i + 200)))
        page = draw(
            st.sampled_from(
                [
                    page[:i] + page[j:],  # a cut
                    page[:i] + draw(texts) + page[i:],  # noise
                    page[:i] + page[i:j] * 2 + page[j:],  # a repeat
                    page[:i],  # truncated
                ]
            )
        )
    return page


pages = st.one_of(html_pages(), mutated_pages(), st.text(max_size=300))


@FUZZ
@given(pages)
def test_extraction_reads_any_page_or_says_why_not(html: str) -> None:
    try:
        page = extract_page(html, "http://www.example.gov.cn/zcwj/t1.html")
    except ExtractError as exc:
        assert str(exc)
        return
    assert isinstance(page.title, str) and all(isinstance(b, str) for b in page.blocks)
    assert all(url.startswith(("http://", "https://")) for url, _ in attachment_links(html, "http://x.gov.cn/a/"))
    reason = detect_block_page(html, 200)
    assert reason is None or isinstance(reason, str)
    doc = normalise(page.title, page.blocks, page.fields)
    lc = extract(doc.title, doc.body_text, page.fields)
    # The reader passes a document's text as folded already (monitor.derive): the same lifecycle.
    assert extract(doc.title, doc.body_text, page.fields, folded=True) == lc
    compute_status(lc, StatusFacts(), date(2025, 6, 1))


def _again(doc: Document) -> Document:
    """The normalised document fed back through the normaliser."""
    return normalise(doc.title, [c.text for c in doc.clauses], doc.meta)


@FUZZ
@given(
    texts,
    st.lists(texts, max_size=8),
    st.dictionaries(st.sampled_from(["发文字号", "发文机关", "成文日期", "PubDate"]), texts),
)
# Found by this fuzzer: "： 第一条…" split once its space was folded away, so normalising twice differed.
@example("", ["： 第一条第一条"], {})
def test_normalise_is_idempotent_and_the_splitter_keeps_every_word(
    title: str, blocks: list[str], meta: dict[str, str]
) -> None:
    assert fold(fold(title)) == fold(title)
    doc = normalise(title, blocks, meta)
    again = _again(doc)
    assert (again.text, again.content_hash) == (doc.text, doc.content_hash)
    assert fold(doc.body_text) == doc.body_text  # what lifecycle.extract(…, folded=True) relies on
    assert [(c.label, c.kind, c.path) for c in again.clauses] == [(c.label, c.kind, c.path) for c in doc.clauses]
    for clause in build_clauses(blocks):
        assert clause.text and clause.text.startswith(clause.label)
    squeeze = re.compile(r"\s+")
    assert squeeze.sub("", "".join(c.text for c in doc.clauses)) == squeeze.sub("", "".join(fold(b) for b in blocks))


@FUZZ
@given(
    texts,
    texts,
    st.dictionaries(st.sampled_from(["发文字号", "成文日期", "发布日期", "实施日期", "废止日期", "有效性"]), texts),
)
# Found by this fuzzer: date arithmetic past the calendar crashed the reader (ValueError/OverflowError).
@example("t", "本办法自2025年1月1日起施行,有效期9999年。", {})
@example("t", "本办法自印发之日起99999999日后施行。", {"成文日期": "2025-01-02"})
@example("t", "本办法自2025年1月31日起施行,有效期1个月。", {"实施日期": "9999-12-31"})
@example("t", "本办法自0001年1月1日起施行,有效期至0001年1月5日。", {})
def test_the_lifecycle_reader_reads_any_text(title: str, body: str, meta: dict[str, str]) -> None:
    lc = extract(title, body, meta, published=date(2025, 1, 2))
    next_status_change(lc, date(2025, 6, 1), 30)
    for day in (lc.written, lc.published, lc.effective.date, lc.expires.date):
        assert day is None or isinstance(day, date)
    status = compute_status(lc, StatusFacts(), date(2025, 6, 1))
    assert status.status is not None
    assert lc.to_json()["title"] == lc.title


def _rebuilt(segments: tuple, keep: str) -> str:  # type: ignore[type-arg]
    return re.sub(r"\s+", "", "".join(s.text for s in segments if s.op in ("equal", keep)))


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


clause_lists = st.lists(texts, max_size=8)


@st.composite
def document_pairs(draw: st.DrawFn) -> tuple[Document, Document]:
    """A document and an edit of it: clauses changed, dropped, inserted, moved; title/meta changed."""
    old = draw(clause_lists)
    new = list(old)
    for _ in range(draw(st.integers(0, 4))):
        action = draw(st.sampled_from(["edit", "drop", "insert", "move"]))
        if action == "insert" or not new:
            new.insert(draw(st.integers(0, len(new))), draw(texts))
        elif action == "edit":
            i = draw(st.integers(0, len(new) - 1))
            j = draw(st.integers(0, len(new[i])))
            new[i] = new[i][:j] + draw(texts) + new[i][j:]
        elif action == "drop":
            new.pop(draw(st.integers(0, len(new) - 1)))
        else:
            new.append(new.pop(draw(st.integers(0, len(new) - 1))))
    title = draw(texts)
    meta = {"发文字号": draw(texts)}
    new_title = draw(st.sampled_from([title, draw(texts)]))
    return normalise(title, old, meta), normalise(
        new_title, new, draw(st.sampled_from([meta, {"发文字号": draw(texts)}]))
    )


@FUZZ
@given(document_pairs())
def test_diff_of_a_document_with_itself_is_empty_and_a_diff_agrees_with_both_sides(
    pair: tuple[Document, Document],
) -> None:
    a, b = pair
    assert diff_documents(a, a).is_empty and not diff_documents(a, a).facts
    result = diff_documents(a, b)
    if a.text == b.text:
        assert result.is_empty
    if result.is_empty:  # renumbering alone is not a change of the policy (diff aligns article bodies)
        assert [c.body for c in a.clauses] == [c.body for c in b.clauses] and (a.title, a.meta) == (b.title, b.meta)
    new_texts = {c.text for c in b.clauses}
    old_texts = {c.text for c in a.clauses}
    for c in result.clauses:
        if c.change in ("added", "modified", "moved"):
            assert c.new_text in new_texts, c
        if c.change in ("removed", "modified", "moved"):
            assert c.old_text in old_texts, c
        if c.change == "modified":  # the marked edit rebuilds both versions of the article
            assert _rebuilt(c.segments, "insert") == _squeezed(c.new_text), c
            assert _rebuilt(c.segments, "delete") == _squeezed(c.old_text), c
    b_text = _squeezed(b.text)
    for fact in result.facts:
        if fact.kind in ("amount_changed", "ratio_changed", "date_changed") and fact.new != "(无)":
            for value in fact.new.split("、"):
                assert _squeezed(value) in b_text, fact
        if fact.kind == "title_changed":
            assert fact.new == (b.title or "(无)")
        if fact.kind == "clause_added":
            assert _squeezed(fact.new) in b_text, fact
