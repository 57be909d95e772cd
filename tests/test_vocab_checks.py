"""The database refuses words outside the vocabulary (monitor.vocab): a typo in a status or an event
type is an error where it is written, not a row no query ever finds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from monitor.store.db import Database
from monitor.store.models import Alert, Event, Policy, Run, Source
from monitor.vocab import AlertStatus, EventType, RunStatus, Status

NOW = datetime(2026, 11, 28, tzinfo=UTC)


def _policy(db: Database) -> int:
    with db.session() as s:
        policy = Policy(source=Source(name="qu"), url="http://x/1", first_seen=NOW, last_seen=NOW)
        s.add(policy)
        s.flush()
        return policy.id


@pytest.mark.parametrize(
    ("make", "bad"),
    [
        (lambda pid: Run(started_at=NOW, status="done", stats={}), "done"),
        (
            lambda pid: Event(
                policy_id=pid, type="text_change", detected_at=NOW, summary="", details={}, dedupe_key="k"
            ),
            "text_change",
        ),
    ],
)
def test_unknown_words_are_refused(db: Database, make: Callable[[int], object], bad: str) -> None:
    pid = _policy(db)
    with pytest.raises(IntegrityError, match="known"), db.session() as s:
        s.add(make(pid))
        s.flush()


def test_every_word_of_the_vocabulary_is_accepted(db: Database) -> None:
    pid = _policy(db)
    with db.session() as s:
        policy = s.get_one(Policy, pid)
        for status in Status:
            policy.status = status.value
            s.flush()
        for status in RunStatus:
            s.add(Run(started_at=NOW, status=status.value, stats={}))
        for i, type_ in enumerate(EventType):
            s.add(Event(policy_id=pid, type=type_.value, detected_at=NOW, summary="", details={}, dedupe_key=f"k{i}"))
        s.flush()
        event = s.scalars(select(Event)).first()
        assert event is not None
        for i, alert_status in enumerate(AlertStatus):
            s.add(Alert(event_id=event.id, subscriber=f"s{i}", status=alert_status.value))
        s.flush()
    with db.session() as s:
        assert s.get_one(Policy, pid).status == list(Status)[-1].value


def test_a_policy_status_outside_the_vocabulary_is_refused(db: Database) -> None:
    pid = _policy(db)
    with pytest.raises(IntegrityError, match="known"), db.session() as s:
        s.get_one(Policy, pid).status = "有效"
        s.flush()
