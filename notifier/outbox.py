"""Delivers pending outbox rows through apprise, records success/failure, retries with backoff.

Guarantee: at-least-once with a de-duplication key, per channel. A row is claimed (pending →
sending) by a compare-and-set update before anything is sent, so two runs never send the same row.
Each channel that accepted the message is recorded on the row, so a retry after a partial failure
goes only to the channels that failed. A process killed between a channel accepting a message and
the row being updated leaves the row in `sending`; after the claim lease it is sent again, carrying
the same `pw-…` key (an email header, a JSON field) so the receiver can drop the copy.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import apprise
from sqlalchemy import ColumnElement, CursorResult, and_, or_, select, update

from monitor.config import ConfigError, Settings, Subscriber, expand_env
from monitor.events import QUIET_EVENTS
from monitor.killpoint import kill_point
from monitor.secrets import mask_url, register, scrub, secrets_in
from monitor.store.db import Database
from monitor.store.models import Alert, Event
from notifier.channels import channel_for, robot_url
from notifier.compose import compose
from notifier.render import alert_key

log = logging.getLogger("policywatch.notify")

CLAIM_LEASE = timedelta(minutes=10)
BACKOFF_BASE = timedelta(minutes=5)
_FORMATS = {
    "html": apprise.NotifyFormat.HTML,
    "markdown": apprise.NotifyFormat.MARKDOWN,
    "text": apprise.NotifyFormat.TEXT,
}


@dataclass(slots=True)
class DeliveryStats:
    sent: int = 0
    failed: int = 0  # alerts whose attempt failed this time (retried later unless given up)
    gave_up: int = 0


def channel_id(url: str) -> str:
    """A fingerprint of one configured channel that is safe to store (no secret in it)."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]


# A read timeout means the request went out and no answer came back: the receiver may have the
# message. A connect timeout or a refused connection means it does not.
_NO_ANSWER = re.compile(r"Read timed out|ReadTimeout|timed out(?!.*connect timeout)", re.I)
UNKNOWN = "delivery unknown"
_LOG_PREFIX = re.compile(r"^.*? - (?:WARNING|ERROR) - ")


def send_message(url: str, alerts: Sequence[Alert], base_url: str, all_urls: Sequence[str], timeout: float = 30) -> str:
    """Send one rendered message to one apprise URL; returns "" or the masked error. An error that
    contains UNKNOWN means the receiver did not answer in time and may have the message."""
    register(s for u in all_urls for s in secrets_in(u))  # whatever logs them from here on is masked
    url = robot_url(url)
    channel = channel_for(url)
    message = channel.render(compose([a.event for a in alerts], base_url), alert_key(alerts))
    plugin = apprise.Apprise.instantiate(url)
    if plugin is None:
        return f"{mask_url(url)}: not a valid apprise URL"
    channel.prepare(plugin, message)
    if "rto=" not in url:  # apprise waits 4 s for an answer: slow robots got every alert twice
        plugin.socket_read_timeout = timeout
    notifier = apprise.Apprise()
    notifier.add(plugin)
    with apprise.LogCapture(level=logging.DEBUG) as captured:
        ok = notifier.notify(title=message.title, body=message.body, body_format=_FORMATS[message.format])
    if ok:
        return ""
    lines = captured.getvalue().splitlines()
    if any(_NO_ANSWER.search(line) for line in lines):
        return f"{mask_url(url)}: no answer within {timeout:g} s — {UNKNOWN}, re-sent later with the same key"
    # apprise's capture lines are "2026-01-02 03:04:05,678 - WARNING - what": keep what, so the same
    # refusal reads the same on every alert (and `status` can count them).
    detail = " ".join(_LOG_PREFIX.sub("", line) for line in lines if "WARNING" in line or "ERROR" in line)
    return f"{mask_url(url)}: {scrub(' '.join(detail.split())[-400:] or 'delivery failed', list(all_urls))}"


def _claimable(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(Alert.status == "pending", or_(Alert.next_try_at.is_(None), Alert.next_try_at <= now)),
        and_(Alert.status == "sending", Alert.claimed_at < now - CLAIM_LEASE),
    )


def _claim(db: Database, ids: Sequence[int], now: datetime) -> list[int]:
    claimed = []
    for alert_id in ids:
        with db.session() as session:
            claim = update(Alert).where(Alert.id == alert_id, _claimable(now)).values(status="sending", claimed_at=now)
            rows = cast(CursorResult[Any], session.execute(claim)).rowcount
        if rows:
            claimed.append(alert_id)
    return claimed


def _deliver(
    subscriber: Subscriber | None,
    alerts: list[Alert],
    settings: Settings,
    now: datetime,
    stats: DeliveryStats,
) -> None:
    errors: list[str] = []
    if subscriber is None:
        errors.append(f"subscriber '{alerts[0].subscriber}' is no longer configured")
        urls: list[str] = []
    else:
        try:
            urls = [expand_env(u) for u in subscriber.urls]
        except ConfigError as exc:
            urls, errors = [], [str(exc)]
    done = set(alerts[0].channels_done or [])
    for url in urls:
        if channel_id(url) in done:
            continue
        error = send_message(url, alerts, settings.report_base_url, urls, settings.alert_timeout)
        if error:
            errors.append(error)
        else:
            done.add(channel_id(url))
            kill_point("delivery-accepted")  # test seam, inert unless $POLICYWATCH_KILL_AT names it
    digest = alert_key(alerts) if len(alerts) > 1 else ""
    for alert in alerts:
        alert.tries += 1
        alert.channels_done = sorted(done)
        alert.digest_key = digest
        if not errors:
            alert.status, alert.sent_at, alert.last_error = "sent", datetime.now(UTC), ""
            stats.sent += 1
            continue
        alert.last_error = "; ".join(errors)
        stats.failed += 1
        if alert.tries >= settings.alert_max_tries:
            # Never answered, maybe received: "unconfirmed", not a failure the reader never got.
            alert.status = "unconfirmed" if all(UNKNOWN in e for e in errors) else "failed"
            stats.gave_up += 1
            log.error(
                "alert %s to %s failed for good after %d tries: %s",
                alert.id,
                alert.subscriber,
                alert.tries,
                alert.last_error,
            )
        else:
            alert.status = "pending"
            alert.next_try_at = now + BACKOFF_BASE * (2 ** (alert.tries - 1))
            log.warning(
                "alert %s to %s failed (try %d), will retry: %s",
                alert.id,
                alert.subscriber,
                alert.tries,
                alert.last_error,
            )


def deliver_pending(db: Database, settings: Settings, now: datetime | None = None) -> DeliveryStats:
    """Send what is due. Digest subscribers get one message with all their due alerts."""
    now = now or datetime.now(UTC)
    stats = DeliveryStats()
    subscribers = {s.name: s for s in settings.subscribers}
    with db.session() as session:
        due = session.execute(
            select(Alert.id, Alert.subscriber)
            .join(Event, Event.id == Alert.event_id)
            .where(_claimable(now), Event.type.not_in(QUIET_EVENTS))
            .order_by(Alert.id)
        ).all()
    by_subscriber: dict[str, list[int]] = defaultdict(list)
    for alert_id, name in due:
        by_subscriber[name].append(alert_id)
    for name, ids in by_subscriber.items():
        subscriber = subscribers.get(name)
        digest = subscriber is not None and subscriber.mode == "digest"
        batches = [ids] if digest else [[i] for i in ids]
        for batch in batches:
            claimed = _claim(db, batch, now)
            if not claimed:
                continue  # another run took them
            with db.session() as session:
                alerts = list(session.scalars(select(Alert).where(Alert.id.in_(claimed)).order_by(Alert.id)))
                _deliver(subscriber, alerts, settings, now, stats)
    return stats
