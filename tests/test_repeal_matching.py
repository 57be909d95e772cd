"""Repeal references and mirrors are matched through indexed title keys: storing a page reads only the
policies and references that could match it, however many are stored (real libraries are full of
references to documents never crawled)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import event, select

from monitor.config import Settings, SourceConfig
from monitor.contracts import PageItem
from monitor.demo.site import seed_policies
from monitor.ingest import Ingestor
from monitor.ingest.reading import read_page
from monitor.lifecycle import RepealTarget
from monitor.store.db import Database
from monitor.store.models import Policy, RepealLink, Run, Source
from monitor.titlekey import length_bounds, title_keys, title_similarity

BASE = "http://127.0.0.1:9/lib"
SOURCE = SourceConfig(name="library", start_urls=(f"{BASE}/index.html",), allow_private=True, region="北京市")
TODAY = date(2026, 11, 28)
NEW_TITLE = "北京市海淀区关于支持人工智能算力基础设施建设的若干措施"
NEW_NUMBER = "海政发〔2026〕9号"
SETTINGS_FREE = Settings()  # no subscribers


def library(db: Database, policies: int, pending: int) -> None:
    """A stored library: many policies whose titles share the new page's region prefix, and many
    unresolved repeal references to documents never crawled."""
    # Titles as one district's library writes them: the same place, 关于 and document type on every title.
    topics = [row["title"][:8] for row in seed_policies().values()]
    now = datetime.now(UTC)
    with db.session() as s:
        source = Source(name=SOURCE.name, region=SOURCE.region, baselined_at=now)
        s.add(source)
        s.flush()
        rows = [
            Policy(
                source_id=source.id,
                url=f"{BASE}/old/{i}.html",
                title=f"北京市海淀区关于{topics[i % len(topics)]}第{i}批项目的若干措施",
                doc_number=f"海政发〔{2000 + i % 25}〕{i}号",
                first_seen=now,
                last_seen=now,
            )
            for i in range(policies)
        ]
        s.add_all(rows)
        s.flush()
        s.add_all(
            RepealLink(
                repealing_policy_id=rows[i].id,
                target_title=f"北京市海淀区关于{topics[i % len(topics)]}第{i}批资金管理的实施细则",
                target_doc_number=f"海政办发〔1999〕{i}号",
                kind="repeal",
                sentence="…同时废止",
            )
            for i in range(pending)
        )
        # The two references that do name the page stored below: by title, and by 文号.
        s.add(RepealLink(repealing_policy_id=rows[0].id, target_title=NEW_TITLE, kind="repeal", sentence="…同时废止"))
        s.add(
            RepealLink(
                repealing_policy_id=rows[1].id,
                target_title="关于人工智能算力的措施",
                target_doc_number=NEW_NUMBER,
                kind="repeal",
                sentence="…同时废止",
            )
        )


def page(new_address: bool = False) -> PageItem:
    html = f"""<html><head><meta name="ArticleTitle" content="{NEW_TITLE}"></head><body>
    <table><tr><td>发文字号:</td><td>{NEW_NUMBER}</td></tr></table>
    <h1>{NEW_TITLE}</h1><div class="TRS_Editor">
    <p>第一条 为支持人工智能算力基础设施建设,制定本措施。</p>
    <p>第二条 对新建智算中心给予最高1000万元资金支持。</p>
    <p>第三条 本措施自2026年12月1日起施行。</p>
    <p>北京市海淀区人民政府</p><p>2026年11月20日</p></div></body></html>"""
    return PageItem(
        SOURCE.name,
        f"{BASE}/new.html",
        200,
        datetime.now(UTC),
        body=html.encode(),
        text=html,
        encoding="utf-8",
        content_type="text/html; charset=utf-8",
        new_address=new_address,
    )


@contextmanager
def _loaded_rows() -> Iterator[list[object]]:
    """Every ORM row materialised while the block runs."""
    loaded: list[object] = []

    def on_load(target: object, _context: object) -> None:
        loaded.append(target)

    for model in (Policy, RepealLink):
        event.listen(model, "load", on_load)
    try:
        yield loaded
    finally:
        for model in (Policy, RepealLink):
            event.remove(model, "load", on_load)


def new_page_ingestor(db: Database) -> Ingestor:
    """An ingestor for one run of the library source (the benchmark stores its page the same way)."""
    with db.session() as s:
        run = Run(started_at=datetime.now(UTC), stats={})
        s.add(run)
        s.flush()
        run_id = run.id
    return Ingestor(db, run_id=run_id, source=SOURCE, settings=SETTINGS_FREE, today=TODAY)


# new_address: the crawl did not know the page, so its identity lookup reads the references too.
@pytest.mark.parametrize("new_address", [False, True])
def test_storing_a_page_reads_only_matching_candidates(db: Database, new_address: bool) -> None:
    library(db, policies=5000, pending=500)
    ingestor = new_page_ingestor(db)
    with _loaded_rows() as loaded:
        assert ingestor.ingest_page(page(new_address)) in {"new", "changed"}
    # Before indexed keys every unresolved reference was compared with every stored policy:
    # 5,000 × 500 rows. Now only the rows that could match are read.
    assert len(loaded) < 40, f"{len(loaded)} rows read to store one page"
    with db.session() as s:
        new = s.scalar(select(Policy).where(Policy.url == f"{BASE}/new.html"))
        assert new is not None and new.doc_number == NEW_NUMBER
        linked = s.scalars(select(RepealLink).where(RepealLink.target_policy_id == new.id)).all()
        assert sorted(link.matched_by for link in linked) == ["doc_number", "title"]
        unresolved = s.scalars(select(RepealLink).where(RepealLink.target_policy_id.is_(None))).all()
        assert len(unresolved) == 500


def test_title_keys_block_near_duplicates() -> None:
    ref = title_keys("《北京市海淀区促进科技创新发展的若干措施》")
    page = title_keys("北京市海淀区促进科技创新发展若干措施")
    assert (ref.head, ref.tail) == (page.head, page.tail)
    assert title_similarity(ref.key, page.key) >= 0.92
    assert title_similarity(ref.key, title_keys("北京市海淀区促进外贸高质量发展的若干措施").key) == 0


@settings(max_examples=400, deadline=None)
@given(
    st.text(alphabet="北京市海淀区促进科技创新发展的若干措施办法第批一二三年", min_size=4, max_size=40),
    st.integers(0, 40),
    st.integers(0, 6),
    st.text(alphabet="北京市促进第批一二三(年)2025", max_size=6),
)
def test_the_length_filter_never_drops_a_title_that_matches(key: str, at: int, cut: int, insert: str) -> None:
    """Candidates are filtered by length in SQL (titlekey.length_bounds): a title that reaches the
    threshold must always be within the bounds, or a repeal would go unlinked."""
    other = key[:at] + insert + key[at + cut :]
    low, high = length_bounds(key)
    if title_similarity(key, other):
        assert low <= len(other) <= high, (key, other)


# Other documents sharing both ends of the new page's title key, of lengths that could match it, that
# do not name it.
OTHER_DOCUMENTS = [
    "北京市海淀区关于支持人工造林绿化和水利设施建设的通知",
    "北京市海淀区关于支持人工湖泊周边道路设施建设的意见",
    "北京市海淀区关于支持人工影响天气作业设施建设的通知",
    "北京市海淀区关于支持人工增雨防雹作业站点设施建设的通知",
]


@pytest.mark.parametrize("new_address", [False, True])
def test_references_named_by_many_policies_do_not_hide_the_one_after_them(db: Database, new_address: bool) -> None:
    """Unresolved references are read one distinct document at a time (a loose index scan): several
    documents sharing the ends of the page's title key, each named by many policies and ordered
    before the reference that names the page, are stepped over, not read row by row — and that
    reference is still found."""
    new = title_keys(NEW_TITLE)
    shortest, _ = length_bounds(new.key)
    for title in OTHER_DOCUMENTS:  # the premise: each could match by length and comes first in the index
        other = title_keys(title)
        assert (other.head, other.tail) == (new.head, new.tail) and shortest <= len(other.key) <= len(new.key), title
        assert (len(other.key), other.key) < (len(new.key), new.key) and not title_similarity(other.key, new.key)
    library(db, policies=400, pending=0)
    with db.session() as s:
        namers = s.scalars(select(Policy.id).order_by(Policy.id)).all()
        resolved_to = namers[-1]
        for n, namer in enumerate(namers[2:]):  # rows 0 and 1 name the page (library())
            title = OTHER_DOCUMENTS[n % len(OTHER_DOCUMENTS)]
            done = n % 5 == 0  # some of them resolved already: out of the lookup's index
            s.add(
                RepealLink(
                    repealing_policy_id=namer,
                    target_title=title,
                    target_policy_id=resolved_to if done else None,
                    kind="repeal",
                    sentence="…同时废止",
                )
            )
    assert new_page_ingestor(db).ingest_page(page(new_address)) == "new"
    with db.session() as s:
        stored = s.scalar(select(Policy).where(Policy.url == f"{BASE}/new.html"))
        assert stored is not None
        linked = s.scalars(select(RepealLink).where(RepealLink.target_policy_id == stored.id)).all()
        assert sorted(link.matched_by for link in linked) == ["doc_number", "title"]
        waiting = s.scalars(select(RepealLink.target_title).where(RepealLink.target_policy_id.is_(None))).all()
        assert len(waiting) == 398 - 80 and set(waiting) == set(OTHER_DOCUMENTS)


@pytest.mark.parametrize("new_address", [False, True])
def test_a_new_addresss_references_are_read_with_its_identity_in_one_statement(db: Database, new_address: bool) -> None:
    """A page the crawl did not know (PageItem.new_address) is looked up by identity and by the
    references that could name it in one statement: on PostgreSQL one round trip fewer a new page.
    A known page's lookup reads no references, and its new version reads them on its own."""
    library(db, policies=50, pending=20)
    ingestor = new_page_ingestor(db)
    sent: list[str] = []
    event.listen(db.engine, "before_cursor_execute", lambda *args: sent.append(args[2]))
    assert ingestor.ingest_page(page(new_address)) == "new"
    reading = [sql for sql in sent if "pending_head" in sql]
    assert len(reading) == 1  # the references are read once either way
    assert ("'twin'" in reading[0]) is new_address  # with the identity lookup, or on their own
    with db.session() as s:
        linked = s.scalars(select(RepealLink).join(Policy, RepealLink.target_policy_id == Policy.id)).all()
        assert sorted(link.matched_by for link in linked) == ["doc_number", "title"]


def test_a_new_policy_naming_one_document_twice_gets_one_link(db: Database) -> None:
    """A new policy's links are written without looking up links it cannot have yet; a document its
    text both repeals and revises is still one link (the table keeps one per title and 文号)."""
    library(db, policies=3, pending=0)
    ingestor = new_page_ingestor(db)
    reading = read_page(page(new_address=True), SOURCE, {})
    assert reading.parsed is not None
    old = RepealTarget("北京市海淀区关于算力的旧办法", "海政发〔2020〕1号", "…同时废止", "repeal")
    lifecycle = replace(reading.parsed.lifecycle, repeals=(old, replace(old, kind="revision")))
    parsed = replace(reading.parsed, lifecycle=lifecycle)
    assert ingestor.ingest_page(page(new_address=True), replace(reading, parsed=parsed)) == "new"
    with db.session() as s:
        new = s.scalar(select(Policy).where(Policy.url == f"{BASE}/new.html"))
        assert new is not None
        links = s.scalars(select(RepealLink).where(RepealLink.repealing_policy_id == new.id)).all()
        assert [(link.target_title, link.kind) for link in links] == [("北京市海淀区关于算力的旧办法", "repeal")]
