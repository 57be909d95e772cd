import re

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.diff import diff_documents
from monitor.normalise import normalise
from tests.seeds import seed, seed_doc


def test_identical_documents_have_an_empty_diff() -> None:
    doc = seed_doc(8)
    assert diff_documents(doc, doc).is_empty


def test_amount_change_is_a_named_fact() -> None:
    row = seed(8)
    new = seed_doc(8, row["body"].replace("给予最高1500万元", "给予最高2000万元"))
    diff = diff_documents(seed_doc(8), new)
    assert [c.change for c in diff.clauses] == ["modified"]
    assert diff.clauses[0].new_label == "第五条"
    facts = [(f.kind, f.where, f.old, f.new) for f in diff.facts]
    assert ("amount_changed", "二、 第五条", "最高1500万元", "最高2000万元") in facts
    assert any(s.op == "delete" for s in diff.clauses[0].segments)


def test_inserted_article_is_one_addition_not_a_rewrite_of_the_rest() -> None:
    row = seed(1)
    body = row["body"]
    # Insert a new 第四条 and renumber every later article, as a real revision would.
    numbers = ["四", "五", "六", "七", "八", "九", "十", "十一", "十二", "十三", "十四", "十五"]
    renumbered = body
    for old, new in reversed(list(zip(numbers, [*numbers[1:], "十六"], strict=False))):
        renumbered = renumbered.replace(f"第{old}条", f"第{new}条")
    renumbered = renumbered.replace(
        "第五条 支持工业互联网平台建设", "第四条 支持新型工业网络建设。 第五条 支持工业互联网平台建设"
    )
    diff = diff_documents(seed_doc(1), seed_doc(1, renumbered))
    changes = [(c.change, c.new_label) for c in diff.clauses]
    assert changes == [("added", "第四条")]


def test_percentage_edit_is_detected() -> None:
    row = seed(18)
    diff = diff_documents(seed_doc(18), seed_doc(18, row["body"].replace("50%", "30%", 1)))
    assert any(f.kind == "ratio_changed" and f.old.endswith("50%") and f.new.endswith("30%") for f in diff.facts)


def test_removed_article() -> None:
    row = seed(8)
    body = re.sub(r"第十条 .*?资金支持。 ", "", row["body"])
    diff = diff_documents(seed_doc(8), seed_doc(8, body))
    assert [(c.change, c.old_label) for c in diff.clauses] == [("removed", "第十条")]


def test_title_and_meta_changes_are_facts() -> None:
    a = normalise("旧标题", ["第一条 内容。"], {"发文机关": "甲局"})
    b = normalise("新标题", ["第一条 内容。"], {"发文机关": "乙局"})
    kinds = {f.kind for f in diff_documents(a, b).facts}
    assert {"title_changed", "issuer_changed"} <= kinds


articles = st.lists(
    st.text(alphabet="支持企业发展资金奖励补贴万元最高给予按照比例申报条件", min_size=4, max_size=30),
    min_size=3,
    max_size=12,
    unique=True,
)


@settings(max_examples=60, deadline=None)
@given(articles)
def test_diff_with_itself_is_empty(bodies: list[str]) -> None:
    doc = normalise("t", [f"第{i + 1}条 {b}。" for i, b in enumerate(bodies)])
    assert diff_documents(doc, doc).is_empty


@settings(max_examples=80, deadline=None)
@given(articles, st.data())
def test_every_article_edit_is_reflected(bodies: list[str], data: st.DataObject) -> None:
    old = [f"第{i + 1}条 {b}。" for i, b in enumerate(bodies)]
    edited_idx = data.draw(st.sets(st.integers(0, len(old) - 1), min_size=1, max_size=len(old)))
    new = list(old)
    for i in edited_idx:
        new[i] = f"第{i + 1}条 {bodies[i]}另行规定第{i}款。"
    diff = diff_documents(normalise("t", old), normalise("t", new))
    touched = {c.new_label or c.old_label for c in diff.clauses}
    assert {f"第{i + 1}条" for i in edited_idx} <= touched
    # Every edited clause's new text appears in the diff.
    shown = "".join(c.new_text for c in diff.clauses)
    for i in edited_idx:
        assert f"另行规定第{i}款" in shown
