"""The settings file (policywatch.toml) as pydantic models: one per [section], the subscribers, and
the flat `Settings` the rest of the code reads."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from monitor.config.types import ChannelUrls, FilterWords, Flag, Name, PageUrl, Positive, Text
from monitor.vocab import POLICY_EVENTS, SOURCE_EVENTS, SUBSCRIBABLE_EVENTS, DeliveryMode, Importance

# Plain strings (the file's and the database's words), read from the one vocabulary (monitor/vocab.py).
EVENT_TYPES = tuple(str(t) for t in POLICY_EVENTS)  # a subscriber's default: every policy event sent
# A source's own health, for operators: opt-in (`events = ["source_failing", "source_recovered"]`),
# never part of a subscriber's default event list.
SOURCE_EVENT_TYPES = tuple(str(t) for t in SOURCE_EVENTS)
ALL_EVENT_TYPES = tuple(str(t) for t in SUBSCRIBABLE_EVENTS)
IMPORTANCE = tuple(str(i) for i in Importance)  # low → high
DELIVERY_MODES = tuple(str(m) for m in DeliveryMode)
DEFAULT_USER_AGENT = "policywatch/0.1 (+https://github.com/policywatch/policywatch)"


def _events_or_all(value: Any) -> Any:
    """No events given (or an empty list) means every policy event, as before."""
    if value is None or value == [] or value == ():
        return EVENT_TYPES
    return (value,) if isinstance(value, str) else value


def _known_events(events: tuple[str, ...]) -> tuple[str, ...]:
    bad = sorted(set(events) - set(ALL_EVENT_TYPES))
    if bad:
        raise ValueError(f"unknown event type(s) {', '.join(bad)}; known: {', '.join(ALL_EVENT_TYPES)}")
    return events


EventTypes = Annotated[tuple[Text, ...], BeforeValidator(_events_or_all), AfterValidator(_known_events)]


class Subscriber(BaseModel):
    """Who gets which alerts, through which channels. `Subscriber("ops", ("json://…",), …)`: the
    name and the URLs may be given by position."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name
    urls: ChannelUrls  # apprise URLs, may hold ${ENV} references (expanded at send time)
    events: EventTypes = EVENT_TYPES
    regions: FilterWords = ()
    sources: FilterWords = ()
    keywords: FilterWords = ()
    min_importance: Importance = Importance.LOW
    mode: DeliveryMode = DeliveryMode.IMMEDIATE  # immediate: one message per event; digest: one per run
    paused: Flag = False  # kept in the file, sent nothing until resumed (the web app's subscribers page)

    def __init__(self, *args: Any, **data: Any) -> None:
        data.update(zip(("name", "urls"), args, strict=False))
        super().__init__(**data)


class Settings(BaseModel):
    """What the code reads; `SettingsFile.settings()` builds it from the file's sections."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    database_url: str | None = None
    report_dir: str = "report"
    report_base_url: str = ""  # where the report is published; alerts link to it
    user_agent: str = DEFAULT_USER_AGENT
    expiring_soon_days: Positive = 30
    alert_max_tries: Positive = 5
    alert_timeout: Positive = 30  # seconds a receiver may take to answer before the outcome is "unknown"
    subscribers: tuple[Subscriber, ...] = ()
    web_admin_token: str = ""  # [web] admin_token: changes in the web app need it (may be ${VAR})
    web_session_secret: str = ""  # [web] session_secret: signs the web app's session cookies
    web_users: tuple[tuple[str, str], ...] = ()  # [[web.users]]: (name, password_hash)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseSection(_Section):
    url: Name | None = None


class ReportSection(_Section):
    dir: Name = "report"
    base_url: PageUrl = ""


class CrawlSection(_Section):
    user_agent: Name = DEFAULT_USER_AGENT


class AlertsSection(_Section):
    expiring_soon_days: Positive = 30
    max_tries: Positive = 5
    timeout: Positive = 30


class WebUser(_Section):
    """An operator who may change things in the web app: `[[web.users]] name = "…"`,
    `password_hash = "pbkdf2_sha256$…"` (from `python -m monitor.web.auth`; never the password itself)."""

    name: Name
    password_hash: Annotated[str, Field(strict=True, pattern=r"^pbkdf2_sha256\$\d+\$[^$]+\$[^$]+$")]


class WebSection(_Section):
    admin_token: str = ""
    session_secret: str = ""
    users: tuple[WebUser, ...] = ()


class SettingsFile(_Section):
    """policywatch.toml as written: unknown sections and options are mistakes, not ignored."""

    database: DatabaseSection = Field(default_factory=DatabaseSection)
    report: ReportSection = Field(default_factory=ReportSection)
    crawl: CrawlSection = Field(default_factory=CrawlSection)
    alerts: AlertsSection = Field(default_factory=AlertsSection)
    web: WebSection = Field(default_factory=WebSection)
    subscribers: tuple[Subscriber, ...] = ()

    def settings(self) -> Settings:
        return Settings(
            database_url=self.database.url,
            report_dir=self.report.dir,
            report_base_url=self.report.base_url,
            user_agent=self.crawl.user_agent,
            expiring_soon_days=self.alerts.expiring_soon_days,
            alert_max_tries=self.alerts.max_tries,
            alert_timeout=self.alerts.timeout,
            subscribers=self.subscribers,
            web_admin_token=self.web.admin_token,
            web_session_secret=self.web.session_secret,
            web_users=tuple((u.name, u.password_hash) for u in self.web.users),
        )
