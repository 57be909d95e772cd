"""One realistic event of every type (the shapes ingest and the lifecycle record), not stored:
the inputs of the golden-file tests of the alert messages."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from monitor.store.models import Alert, Event, Policy, Source

BASE = "https://policy.example.gov.cn"
REPORT = "https://report.example.com/pw"


def policy(n: int, title: str, doc_number: str, region: str = "北京市东城区", issuer: str = "") -> Policy:
    source = Source(name=f"site-{n}", region=region)
    return Policy(
        id=n,
        source=source,
        url=f"{BASE}/zcwj/202504/t20250401_{n}.html",
        title=title,
        doc_number=doc_number,
        issuer=issuer or f"{region}经济和信息化局",
    )


AMOUNT_CLAUSE = {
    "change": "modified",
    "article": "二、 第五条",
    "segments": [
        ["equal", "第五条完善数字经济产业链。鼓励企业填补区域数字经济细分产业空白,给予最高"],
        ["delete", "1500"],
        ["insert", "2000"],
        ["equal", "万元资金支持。"],
    ],
}
AMOUNT_FACT = {
    "kind": "amount_changed",
    "where": "二、 第五条",
    "old": "最高1500万元",
    "new": "最高2000万元",
    "summary": "二、 第五条: 最高1500万元 → 最高2000万元",
}
EXPIRY_CLAUSE = {
    "change": "modified",
    "article": "三、",
    "segments": [
        ["equal", "本措施自公布之日起施行,有效期至"],
        ["delete", "2027"],
        ["insert", "2028"],
        ["equal", "年12月31日。"],
    ],
}

DIGITAL = ("北京市东城区推动数字经济产业高质量发展的若干措施", "东经信发〔2025〕5号")


def _details() -> dict[str, tuple[tuple[str, str, str], str, dict[str, Any]]]:
    """type → ((title, 文号, region), summary, details)."""
    haidian = "北京市海淀区"
    return {
        "text_changed": (
            (*DIGITAL, "北京市东城区"),
            AMOUNT_FACT["summary"],
            {"from_version": 1, "to_version": 2, "clauses": [AMOUNT_CLAUSE], "meta": [], "facts": [AMOUNT_FACT]},
        ),
        "new_policy": (
            ("海淀区促进外贸高质量发展的若干措施(2026年修订)", "海商发〔2026〕5号", haidian),
            "新发布:海淀区促进外贸高质量发展的若干措施(2026年修订)",
            {
                "lifecycle": {
                    "published": "2026-11-20",
                    "effective": {"date": "2026-11-20", "rule": "自发布之日起施行"},
                    "expires": {"date": "2029-12-31", "rule": "有效期至2029年12月31日"},
                    "repeals": [
                        {
                            "title": "海淀区促进外贸高质量发展的若干措施",
                            "doc_number": "海商发〔2025〕3号",
                            "kind": "repeal",
                        }
                    ],
                }
            },
        ),
        "repealed": (
            ("海淀区促进外贸高质量发展的若干措施", "海商发〔2025〕3号", haidian),
            "被《海淀区促进外贸高质量发展的若干措施(2026年修订)》废止",
            {
                "repealed_by": {
                    "policy_id": 21,
                    "title": "海淀区促进外贸高质量发展的若干措施(2026年修订)",
                    "doc_number": "海商发〔2026〕5号",
                    "url": f"{BASE}/haidian/202611/t20261120_101.html",
                },
                "kind": "repeal",
                "sentence": "《海淀区促进外贸高质量发展的若干措施》(海商发〔2025〕3号)同时废止。",
            },
        ),
        "expiry_changed": (
            ("北京经济技术开发区关于推动量子科技和产业发展的若干措施", "京技管发〔2025〕9号", "北京经济技术开发区"),
            "有效期 2027-12-31 → 2028-12-31",
            {
                "old_date": "2027-12-31",
                "new_date": "2028-12-31",
                "old_rule": "有效期至2027年12月31日",
                "new_rule": "有效期至2028年12月31日",
                "diff": {"clauses": [EXPIRY_CLAUSE], "meta": [], "facts": []},
            },
        ),
        "removed": (
            ("北京市东城区推动文化产业高质量发展的若干措施", "东宣发〔2025〕3号", "北京市东城区"),
            "页面已撤下(HTTP 404,且不在列表页中)",
            {"http_status": 404, "last_version": 1, "note": "撤下不等于废止;最后一次内容已保留"},
        ),
        "restored": (
            ("北京市东城区推动文化产业高质量发展的若干措施", "东宣发〔2025〕3号", "北京市东城区"),
            "页面已恢复(曾被判定撤下,历史版本保留)",
            {"last_version": 1, "note": "页面重新可以访问,此前的版本历史完整保留"},
        ),
        "taking_effect": (
            ("石景山区支持数字经济发展的若干措施", "石发改发〔2025〕12号", "北京市石景山区"),
            "自2025-05-18起施行",
            {
                "date": "2025-05-18",
                "from_status": "尚未施行",
                "to_status": "现行有效",
                "evidence": "自印发之日起30日后施行",
            },
        ),
        "expiring_soon": (
            ("通州区促进文旅消费的若干措施", "通文旅发〔2024〕2号", "北京市通州区"),
            "将于2026-12-31到期(有效期至2026年12月31日)",
            {
                "date": "2026-12-31",
                "from_status": "现行有效",
                "to_status": "即将失效",
                "evidence": "有效期至2026年12月31日",
            },
        ),
        "expired": (
            ("大兴区支持生物医药产业发展的若干措施", "京兴政发〔2023〕4号", "北京市大兴区"),
            "已于2026-06-30到期失效",
            {
                "date": "2026-06-30",
                "from_status": "即将失效",
                "to_status": "已失效",
                "evidence": "有效期至2026年6月30日",
            },
        ),
    }


IMPORTANCE = {
    "repealed": "high",
    "expired": "high",
    "expiry_changed": "high",
    "text_changed": "high",
    "source_failing": "high",
}


SOURCE_EVENTS = {
    "source_failing": (
        "信息源 haidian-zcwj 异常:列表页发现0个政策链接(此前通常有25个)",
        {"reasons": ["列表页发现0个政策链接(此前通常有25个)"], "links": 0, "good_links": 25},
    ),
    "source_recovered": (
        "信息源 haidian-zcwj 已恢复(列表页发现24个政策链接)",
        {"failing_since": "2026-11-26T18:10:00+00:00", "previous_reason": "列表页发现0个政策链接", "links": 24},
    ),
}


def sample_event(type_: str, n: int = 1) -> Event:
    if type_ in SOURCE_EVENTS:
        summary, details = SOURCE_EVENTS[type_]
        event = make_event(None, type_, summary, details, n)
        event.source = Source(name="haidian-zcwj", region="北京市海淀区")
        return event
    (title, number, region), summary, details = _details()[type_]
    return make_event(policy(n, title, number, region), type_, summary, details, n)


def make_event(p: Policy | None, type_: str, summary: str, details: dict[str, Any], n: int) -> Event:
    details = {**details, "importance": IMPORTANCE.get(type_, "medium" if type_ != "taking_effect" else "low")}
    return Event(
        id=n,
        policy=p,
        type=type_,
        detected_at=datetime(2026, 11, 28, 2, 10, tzinfo=UTC),
        summary=summary,
        details=details,
        dedupe_key=f"{type_}:{n}",
    )


def alert_for(event: Event, alert_id: int, subscriber: str = "golden") -> Alert:
    return Alert(id=alert_id, event_id=event.id, event=event, subscriber=subscriber)


EVENT_TYPES = (*_details(), *SOURCE_EVENTS)
