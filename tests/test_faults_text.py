"""Faults in page text that must never read as a change (issue #18 item 6)."""

from __future__ import annotations

import pytest

from monitor.diff import diff_documents
from monitor.normalise import normalise, split_blocks

pytestmark = pytest.mark.faults

BODY = "第一条 申报企业应当符合本措施{sep}第二条规定的条件。 第二条 本措施自印发之日起施行。"


@pytest.mark.parametrize("sep", ["\u00a0", " ", "\u3000", "\u00a0\u00a0"])
def test_a_space_before_an_in_text_cross_reference_does_not_split_the_clause(sep: str) -> None:
    before = normalise("某措施", [BODY.format(sep="")])
    after = normalise("某措施", [BODY.format(sep=sep)])
    assert [c.label for c in after.clauses] == ["第一条", "第二条"]
    assert after.content_hash == before.content_hash
    assert not diff_documents(before, after).clauses


def test_flattened_pages_still_split_at_their_articles() -> None:
    pieces = split_blocks(
        ["一、总则 第一条 为落实要求,制定本措施。 第二条 依照第三条、第四条执行。 二、附则 第三条支持"]
    )
    assert pieces == [
        "一、总则",
        "第一条为落实要求,制定本措施。",
        "第二条依照第三条、第四条执行。",
        "二、附则",
        "第三条支持",
    ]
