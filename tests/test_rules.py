"""The event rules (monitor.rules) and their wording (monitor.wording), without a crawl or a database."""

from __future__ import annotations

from datetime import date

import pytest

from monitor import rules
from monitor.diff import diff_documents
from monitor.lifecycle import DateRule, Lifecycle
from monitor.normalise import normalise
from monitor.vocab import EVENT_LABELS, POLICY_EVENTS, EventType, Importance, Status, importance
from monitor.wording import summarise

OLD = normalise("补贴办法", ["第一条 给予最高900万元资金支持。", "第二条 本办法有效期至2026年12月31日。"])
AMOUNT = normalise("补贴办法", ["第一条 给予最高1000万元资金支持。", "第二条 本办法有效期至2026年12月31日。"])
EXTENDED = normalise("补贴办法", ["第一条 给予最高900万元资金支持。", "第二条 本办法有效期至2028年12月31日。"])
LC_2026 = Lifecycle(expires=DateRule(date(2026, 12, 31), "有效期至2026年12月31日"))
LC_2028 = Lifecycle(expires=DateRule(date(2028, 12, 31), "有效期至2028年12月31日"))


def test_an_amount_change_is_one_important_text_change() -> None:
    [spec] = rules.version_events(7, 1, 2, diff_documents(OLD, AMOUNT), LC_2026, LC_2026)
    assert (spec.type, spec.key) == (EventType.TEXT_CHANGED, "text_changed:7")
    assert (spec.details["from_version"], spec.details["to_version"]) == (1, 2)
    kinds = [f["kind"] for f in spec.details["facts"]]
    assert kinds == ["amount_changed"] and importance(spec.type, kinds) is Importance.HIGH
    assert summarise(spec.type, spec.details, "补贴办法") == "第一条: 最高900万元 → 最高1000万元"


def test_an_expiry_moved_in_its_own_sentence_is_one_expiry_event_not_two() -> None:
    [spec] = rules.version_events(8, 1, 2, diff_documents(OLD, EXTENDED), LC_2026, LC_2028)
    assert spec.type is EventType.EXPIRY_CHANGED and spec.key == "expiry_changed:8"
    assert (spec.details["old_date"], spec.details["new_date"]) == ("2026-12-31", "2028-12-31")
    assert summarise(spec.type, spec.details, "") == "有效期 2026-12-31 → 2028-12-31"


def test_an_expiry_moved_together_with_other_edits_is_both_events() -> None:
    both = normalise("补贴办法", ["第一条 给予最高1000万元资金支持。", "第二条 本办法有效期至2028年12月31日。"])
    specs = rules.version_events(9, 1, 2, diff_documents(OLD, both), LC_2026, LC_2028)
    assert [s.type for s in specs] == [EventType.EXPIRY_CHANGED, EventType.TEXT_CHANGED]


def test_wording_only_change_is_a_medium_text_change() -> None:
    reworded = normalise("补贴办法", ["第一条 给予最高900万元的资金支持。", "第二条 本办法有效期至2026年12月31日。"])
    [spec] = rules.version_events(3, 1, 2, diff_documents(OLD, reworded), LC_2026, LC_2026)
    kinds = [f["kind"] for f in spec.details["facts"]]
    assert kinds == ["wording_changed"] and importance(spec.type, kinds) is Importance.MEDIUM


def test_new_policy_carries_its_lifecycle_and_its_title_in_words() -> None:
    spec = rules.new_policy(5, LC_2028)
    assert spec.key == "new_policy:5" and spec.details["lifecycle"]["expires"]["date"] == "2028-12-31"
    assert summarise(spec.type, spec.details, "补贴办法") == "新发布:补贴办法"


@pytest.mark.parametrize(("kind", "verb"), [("repeal", "废止"), ("revision", "修订")])
def test_a_repeal_names_its_repealer_once_per_pair(kind: str, verb: str) -> None:
    by = rules.Repealer(2, "新办法", "京政发〔2025〕1号", "http://x/2")
    spec = rules.repealed(1, by, kind, "《旧办法》同时废止。", "doc_number", 0.99999)
    assert spec.key == "repealed:1:2" and spec.details["match_score"] == 1.0
    assert summarise(spec.type, spec.details, "旧办法") == f"被《新办法》{verb}"
    assert importance(spec.type) is Importance.HIGH


def test_removals_and_restorations_are_counted_occurrences() -> None:
    first, second = rules.removed(4, 1, 404, "HTTP 404", 2, 3), rules.removed(4, 2, 404, "HTTP 404", 2, 3)
    assert first.key != second.key and first.details["last_version"] == 3
    assert summarise(first.type, first.details, "") == "页面已撤下(连续2次:HTTP 404,且不在列表页中)"
    assert rules.restored(4, 1, 3).key == "restored:4:1"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (Status.NOT_YET_EFFECTIVE, Status.IN_FORCE, EventType.TAKING_EFFECT),
        (Status.IN_FORCE, Status.EXPIRING_SOON, EventType.EXPIRING_SOON),
        (Status.EXPIRING_SOON, Status.EXPIRED, EventType.EXPIRED),
        (Status.EXPIRING_SOON, Status.IN_FORCE, None),  # extended: that was an expiry_changed
        (Status.IN_FORCE, Status.IN_FORCE, None),
        (Status.IN_FORCE, Status.REPEALED, None),  # the repeal has its own event
    ],
)
def test_time_transitions(old: Status, new: Status, expected: EventType | None) -> None:
    lc = Lifecycle(effective=DateRule(date(2025, 1, 1), "自2025年1月1日起施行"), expires=LC_2026.expires)
    spec = rules.time_transition(6, old.value, new, "据正文", lc)
    assert (spec.type if spec else None) == expected
    if spec is not None:
        boundary = "2025-01-01" if expected is EventType.TAKING_EFFECT else "2026-12-31"
        assert spec.key == f"{expected}:6:{boundary}" and spec.details["date"] == boundary
        assert boundary in summarise(spec.type, spec.details, "")


def test_source_events_are_one_per_failing_spell() -> None:
    failing = rules.source_failing(3, 10, ["列表页未发现任何政策链接"], 0, 40)
    recovered = rules.source_recovered(3, 10, "2026-11-01T00:00:00+00:00", "列表页未发现任何政策链接", 38)
    assert (failing.key, recovered.key) == ("source_failing:3:10", "source_recovered:3:10")
    assert summarise(failing.type, failing.details, "haidian") == "信息源 haidian 异常:列表页未发现任何政策链接"
    assert "38" in summarise(recovered.type, recovered.details, "haidian")


def test_the_vocabulary_labels_every_event_type() -> None:
    assert set(EVENT_LABELS) == set(EventType)
    assert EventType.FACTS_CORRECTED not in POLICY_EVENTS and EventType.SOURCE_FAILING not in POLICY_EVENTS
