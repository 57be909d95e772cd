"""A sample alert (not stored) for `policywatch subscribers test`."""

from __future__ import annotations

from datetime import UTC, datetime

from monitor.store.models import Alert, Event, Policy, Source

SAMPLE_FACT = "第三条: 最高900万元 → 最高1000万元"


def sample_alert(subscriber: str) -> Alert:
    source = Source(name="sample", region="北京市海淀区")
    policy = Policy(
        id=0,
        source=source,
        url="https://example.gov.cn/zcwj/202601/t20260101_1.html",
        title="(测试消息)海淀区支持某产业发展的若干措施",
        doc_number="海某发〔2026〕1号",
    )
    event = Event(
        id=0,
        policy=policy,
        type="text_changed",
        detected_at=datetime.now(UTC),
        summary=SAMPLE_FACT,
        details={
            "facts": [{"kind": "amount_changed", "summary": SAMPLE_FACT}],
            "clauses": [
                {
                    "article": "第三条",
                    "change": "modified",
                    "segments": [
                        ["equal", "给予最高"],
                        ["delete", "900"],
                        ["insert", "1000"],
                        ["equal", "万元资金支持。"],
                    ],
                }
            ],
        },
        dedupe_key="sample",
    )
    return Alert(id=0, event_id=0, event=event, subscriber=subscriber)
