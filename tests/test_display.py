"""Folded text shown as a Chinese source writes it (monitor.display)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import escape

from monitor.display import as_written
from monitor.normalise import fold


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        ("对符合条件的企业，给予最高1000万元（含）资金支持；", "对符合条件的企业，给予最高1000万元（含）资金支持；"),
        ("第五条（三）项：申报主体", "第五条（三）项：申报主体"),
        ("按1,000万元的20%给予补贴", "按1,000万元的20%给予补贴"),
        ("网络支持Wi-Fi (5G)", "网络支持Wi-Fi (5G)"),
        ("《北京市促进条例》（2025年修订）", "《北京市促进条例》（2025年修订）"),
        ("是否符合？请咨询！", "是否符合？请咨询！"),
    ],
)
def test_folded_text_is_shown_with_its_full_width_punctuation(source: str, shown: str) -> None:
    assert as_written(fold(source)) == shown


@given(st.text(alphabet=st.sampled_from("补贴万元企业,;:!?()（）1234 abc"), max_size=40))
def test_showing_never_changes_anything_but_punctuation_width(text: str) -> None:
    assert fold(as_written(text)) == fold(text)


@given(st.lists(st.text(alphabet=st.sampled_from("补贴万元企业,;:!?()（）1a "), max_size=12), max_size=6))
def test_a_documents_lines_are_shown_each_as_on_its_own(lines: list[str]) -> None:
    """The policy page shows its clauses in one pass (clause_paragraphs): a mark at a line's end or
    start, a parenthesis left open at the end of a line, are shown as on the line alone."""
    from monitor.web.render import clause_paragraphs

    shown = clause_paragraphs([["", "", "", line] for line in lines])
    assert shown == "".join(f'<p class="clause">{escape(as_written(line))}</p>' for line in lines)


def test_the_policy_page_and_its_diff_show_full_width_punctuation(tmp_path: Path) -> None:
    """A stored (folded) text with ASCII punctuation between Chinese characters is shown full-width on
    the web app's policy page, in its current text and in its diff. (Titles are shown as stored: they
    are what searches, alerts and feeds match and quote.)"""
    from datetime import UTC, datetime

    from fastapi.testclient import TestClient

    from monitor.addresses import policy_key
    from monitor.config import Settings
    from monitor.normalise import document_to_json, normalise
    from monitor.store.db import Database
    from monitor.store.models import Policy, Source, Version
    from monitor.web.app import create_app

    now = datetime(2026, 11, 28, tzinfo=UTC)
    db = Database(f"sqlite:///{tmp_path / 'pw.db'}")
    db.upgrade()
    old = normalise("关于支持企业发展的若干措施(试行)", ["第一条 对符合条件的企业，给予最高900万元资金支持；"])
    new = normalise("关于支持企业发展的若干措施(试行)", ["第一条 对符合条件的企业，给予最高1000万元资金支持；"])
    with db.session() as s:
        policy = Policy(source=Source(name="qu"), url="http://x/1", first_seen=now, last_seen=now, title=new.title)
        s.add(policy)
        s.flush()
        for seq, doc in ((1, old), (2, new)):
            s.add(
                Version(
                    policy=policy,
                    seq=seq,
                    fetched_at=now,
                    content_hash=doc.content_hash,
                    title=doc.title,
                    text=doc.text,
                    document=document_to_json(doc),
                    lifecycle={},
                    fields={},
                    raw_html_z=b"",
                    http_status=200,
                )
            )
    assert "，" not in new.text and "," in new.text  # stored folded
    client = TestClient(create_app(db, Settings()))
    page = client.get(f"/policies/{policy_key('qu', 'http://x/1')}").text
    assert "对符合条件的企业，给予最高" in page and "资金支持；" in page
    assert "企业,给予" not in page
    db.dispose()
