"""Delivers pending outbox rows through apprise, records success/failure, retries with backoff.

Guarantee: at-least-once with a de-duplication key. A row is claimed (pending → sending) by a
compare-and-set update before it is sent, so two runs never send the same row; a run killed between
sending and recording leaves the row in `sending`, and it is sent again after the claim expires,
carrying the same `pw-<event>-<alert>` key so a receiver can drop the copy.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import apprise
from sqlalchemy import or_, select, update

from monitor.config import ConfigError, Settings, Subscriber, expand_env
from monitor.store.db import Database
from monitor.store.models import Alert
from notifier.render import render_alert
from notifier.secrets import mask_url, scrub

log = logging.getLogger("policywatch.notify")

CLAIM_LEASE = timedelta(minutes=10)
BACKOFF_BASE = timedelta(minutes=5)


@dataclass(slots=True)
class DeliveryStats:
    sent: int = 0
    failed: int = 0  # attempts that failed this time (will be retried)
    gave_up: int = 0


def _aware(dt: datetime | None) -> datetime | None:
    # SQLite returns naive datetimes even for timezone=True columns; they were stored as UTC.
    return dt.replace(tzinfo=UTC) if dt is not None and dt.tzinfo is None else dt


def send_to(subscriber: Subscriber, alert: Alert, base_url: str) -> tuple[bool, str]:
    """Send one alert to every URL of the subscriber. Returns (all delivered, masked error)."""
    errors: list[str] = []
    try:
        urls = [expand_env(u) for u in subscriber.urls]
    except ConfigError as exc:
        return False, str(exc)
    for url in urls:
        scheme = url.split("://", 1)[0].lower()
        message = render_alert(alert, scheme, base_url)
        notifier = apprise.Apprise()
        if not notifier.add(url):
            errors.append(f"{mask_url(url)}: not a valid apprise URL")
            continue
        with apprise.LogCapture(level=logging.WARNING) as captured:
            ok = notifier.notify(
                title=message.title,
                body=message.body,
                body_format=apprise.NotifyFormat.MARKDOWN if message.markdown else apprise.NotifyFormat.TEXT,
            )
        if not ok:
            detail = " ".join(captured.getvalue().split())[-500:] or "delivery failed"
            errors.append(f"{mask_url(url)}: {scrub(detail, urls)}")
    return not errors, "; ".join(errors)


def deliver_pending(db: Database, settings: Settings, now: datetime | None = None) -> DeliveryStats:
    now = now or datetime.now(UTC)
    stats = DeliveryStats()
    subscribers = {s.name: s for s in settings.subscribers}
    with db.session() as session:
        candidates = list(
            session.scalars(
                select(Alert.id)
                .where(
                    or_(
                        (Alert.status == "pending") & (or_(Alert.next_try_at.is_(None), Alert.next_try_at <= now)),
                        (Alert.status == "sending") & (Alert.claimed_at < now - CLAIM_LEASE),
                    )
                )
                .order_by(Alert.id)
            )
        )
    for alert_id in candidates:
        with db.session() as session:
            claimed = session.execute(
                update(Alert)
                .where(
                    Alert.id == alert_id,
                    or_(
                        Alert.status == "pending", (Alert.status == "sending") & (Alert.claimed_at < now - CLAIM_LEASE)
                    ),
                )
                .values(status="sending", claimed_at=now)
            ).rowcount
        if not claimed:
            continue  # another run took it
        with db.session() as session:
            alert = session.get(Alert, alert_id)
            assert alert is not None
            subscriber = subscribers.get(alert.subscriber)
            if subscriber is None:
                ok, error = False, f"subscriber '{alert.subscriber}' is no longer configured"
            else:
                ok, error = send_to(subscriber, alert, settings.report_base_url)
            alert.tries += 1
            if ok:
                alert.status, alert.sent_at, alert.last_error = "sent", datetime.now(UTC), ""
                stats.sent += 1
                continue
            alert.last_error = error
            stats.failed += 1
            if alert.tries >= settings.alert_max_tries:
                alert.status = "failed"
                stats.gave_up += 1
                log.error(
                    "alert %s to %s failed for good after %d tries: %s", alert.id, alert.subscriber, alert.tries, error
                )
            else:
                alert.status = "pending"
                alert.next_try_at = now + BACKOFF_BASE * (2 ** (alert.tries - 1))
                log.warning(
                    "alert %s to %s failed (try %d), will retry: %s", alert.id, alert.subscriber, alert.tries, error
                )
    return stats
