"""The schema. Every change here needs an Alembic revision in monitor/store/migrations/versions."""

from __future__ import annotations

import json
from datetime import date, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates

from monitor.store.packing import (
    TEXT_REF,
    PackedText,
    pack,
    pack_body,
    pack_document,
    unpack,
    unpack_body,
    unpack_document,
)
from monitor.titlekey import title_keys
from monitor.vocab import AlertStatus, EventType, RunStatus, Status


class CompressedJSON(TypeDecorator[Any]):
    """JSON stored compressed (UTF-8 inside, monitor.store.packing): a page's document JSON is mostly Chinese text,
    which compresses 3–4×. Transparent to the ORM; not queryable in SQL (nothing queries it)."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> bytes | None:
        if value is None:
            return None
        return pack(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return None if value is None else json.loads(unpack(value))


def one_of(table: str, column: str, words: type[StrEnum]) -> CheckConstraint:
    """The column holds one of the vocabulary's words (monitor.vocab), enforced by the database (a CHECK;
    on SQLite two triggers of the same name, see migration 0015)."""
    allowed = ", ".join(f"'{w.value}'" for w in words)
    return CheckConstraint(f"{column} IN ({allowed})", name=f"ck_{table}_{column}_known")


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class Source(Base):
    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    region: Mapped[str] = mapped_column(String(120), default="")
    # Set when the first complete crawl of the source has been stored: before that every policy
    # found is a baseline and raises no alert.
    baselined_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Health (monitor/health.py): set while the source is failing (blind), with the reason in words
    # and the run that found it; `good_links` is how many detail links its lists gave on its last
    # good run (a layout change shows as a sudden drop).
    failing_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failing_reason: Mapped[str] = mapped_column(Text, default="")
    failing_run_id: Mapped[int | None] = mapped_column(Integer)
    good_links: Mapped[int] = mapped_column(Integer, default=0)
    # Paused by an operator (web app): runs skip the source, saying so, until it is resumed.
    paused_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    paused_note: Mapped[str] = mapped_column(Text, default="", server_default="")

    policies: Mapped[list[Policy]] = relationship(back_populates="source")


class Policy(Base):
    __tablename__ = "policies"
    __table_args__ = (
        UniqueConstraint("source_id", "url"),
        one_of("policies", "status", Status),
        # A repeal reference's candidates: one end of the title key, within a length range (titlekey);
        # a reference with a 文号 can only name a policy without one (monitor.ingest.repeals).
        Index("ix_policies_title_head_len", "title_head", "doc_number", "title_len"),
        Index("ix_policies_title_tail_len", "title_tail", "doc_number", "title_len"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    url: Mapped[str] = mapped_column(String(1000))
    title: Mapped[str] = mapped_column(Text, default="")
    # Index keys of the title (monitor.titlekey), kept in step with it by _keep_title_keys: mirrors and
    # repeal references are matched by index lookups on them, never by a scan of every policy.
    title_key: Mapped[str] = mapped_column(Text, default="")
    title_head: Mapped[str] = mapped_column(String(16), default="")
    title_tail: Mapped[str] = mapped_column(String(16), default="")
    title_len: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # of title_key
    doc_number: Mapped[str] = mapped_column(String(120), default="", index=True)
    issuer: Mapped[str] = mapped_column(Text, default="")
    published: Mapped[date | None] = mapped_column(Date)
    effective_date: Mapped[date | None] = mapped_column(Date)
    effective_rule: Mapped[str] = mapped_column(Text, default="")
    expires_date: Mapped[date | None] = mapped_column(Date)
    expires_rule: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="未知")
    status_source: Mapped[str] = mapped_column(String(40), default="")
    status_evidence: Mapped[str] = mapped_column(Text, default="")
    status_since: Mapped[date | None] = mapped_column(Date)
    # The next day the calendar alone can change the status (monitor.status.next_status_change):
    # the daily lifecycle pass reads only policies due, through this index.
    next_status_check: Mapped[date | None] = mapped_column(Date, index=True)
    repealed_by_id: Mapped[int | None] = mapped_column(ForeignKey("policies.id"))
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Last fetch outcome: HTTP status, or 0 for a network failure; error text when it failed.
    last_fetch_status: Mapped[int] = mapped_column(Integer, default=0)
    last_fetch_error: Mapped[str] = mapped_column(Text, default="")
    # First 404/410 seen; a removal is only confirmed (removed_at) when the page is also gone
    # from every list page of a complete list crawl. A 5xx or timeout never counts.
    gone_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Consecutive runs that found the page gone (404/410 or a "not found" page) and off its complete
    # lists; a removal is confirmed at 2 (monitor.removal). Any successful fetch or listing resets it.
    gone_runs: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The content hash of a suspect version held back for confirmation (monitor.suspect): stored only
    # when the next fetch shows the same content again.
    held_hash: Mapped[str] = mapped_column(String(64), default="", server_default="")
    # Found during its source's first crawl: recorded silently, never announced as new.
    baseline: Mapped[bool] = mapped_column(Boolean, default=False)
    first_run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    # Incremental crawling: the list entry last seen for this page, and when it was last fetched
    # successfully (200 or 304). A changed list entry or an elapsed re-check interval triggers a fetch.
    list_title: Mapped[str] = mapped_column(Text, default="")
    list_date: Mapped[str] = mapped_column(String(20), default="")
    last_fetched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The run day (Asia/Shanghai) the page last came back in full (200): a server that wrongly
    # answers 304 is caught by the periodic unconditional fetch (crawler/recheck.py).
    full_fetch_on: Mapped[date | None] = mapped_column(Date)
    # Fields a list or API row gives about the page (海淀's API: 文号 parts, 有效性), kept so a page
    # fetched without its list row is read the same way.
    list_fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    source: Mapped[Source] = relationship(back_populates="policies")
    versions: Mapped[list[Version]] = relationship(back_populates="policy", order_by="Version.seq")
    repealed_by: Mapped[Policy | None] = relationship(remote_side=[id])
    aliases: Mapped[list[PolicyAlias]] = relationship(back_populates="policy", order_by="PolicyAlias.id")

    @validates("title")
    def _keep_title_keys(self, _: str, title: str) -> str:
        self.title_key, self.title_head, self.title_tail = title_keys(title)
        self.title_len = len(self.title_key)
        return title


class PolicyAlias(Base):
    """Another URL of the same policy: a mirror on another site (经开区 on beijing.gov.cn, an
    aggregator) found to be the same document by its (文号, issuer) or title. Events come from the
    policy's own page; a mirror is tracked by its hash so it never raises a duplicate alert."""

    __tablename__ = "policy_aliases"
    __table_args__ = (UniqueConstraint("source_id", "url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id"), index=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    url: Mapped[str] = mapped_column(String(1000))
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    matched_by: Mapped[str] = mapped_column(String(20), default="")  # doc_number / title
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    policy: Mapped[Policy] = relationship(back_populates="aliases")
    source: Mapped[Source] = relationship()


class Version(Base):
    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("policy_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id"))  # looked up by (policy_id, seq)'s index
    seq: Mapped[int] = mapped_column(Integer)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    # The canonical normalised text, and the document (title, meta, clauses) read from it; both
    # stored compactly (monitor.store.packing): `document` is a property over `stored_document`.
    text: Mapped[str] = mapped_column(PackedText)
    stored_document: Mapped[dict[str, Any]] = mapped_column("document_z", CompressedJSON)
    # Compressed like the document (migration 0016): never queried in SQL, ~30% of a row as plain JSON.
    lifecycle: Mapped[dict[str, Any]] = mapped_column("lifecycle_z", CompressedJSON)
    fields: Mapped[dict[str, Any]] = mapped_column("fields_z", CompressedJSON)  # raw meta tags + info block
    http_status: Mapped[int] = mapped_column(Integer)
    encoding: Mapped[str] = mapped_column(String(40), default="")
    etag: Mapped[str] = mapped_column(String(200), default="")
    last_modified: Mapped[str] = mapped_column(String(100), default="")
    raw_html_z: Mapped[bytes] = mapped_column(LargeBinary)  # the response body, compressed (packing.pack_body)
    # The derivation (monitor.derive.DERIVATION_VERSION) that produced text, document and lifecycle
    # from the raw inputs; 0 for versions stored before it was recorded.
    derived_by: Mapped[int] = mapped_column(Integer, default=0)
    # The other raw inputs (list-row fields, attachments' text) of monitor.derive.PageInputs;
    # None for versions stored before they were kept.
    inputs: Mapped[dict[str, Any] | None] = mapped_column("inputs_z", CompressedJSON)

    policy: Mapped[Policy] = relationship(back_populates="versions")

    @property
    def document(self) -> dict[str, Any]:
        """Title, meta and clauses ([label, kind, path, text]) as stored by the ingest."""
        return unpack_document(self.stored_document, self.text)  # type: ignore[return-value]

    @document.setter
    def document(self, value: dict[str, Any]) -> None:
        # Set the text first (as the constructor's keyword order and correct.py do): the clause
        # texts are then kept only in it; a document set without its text is stored whole.
        self.stored_document = pack_document(value, self.text)  # type: ignore[assignment]

    @property
    def raw_html(self) -> bytes:
        return unpack_body(self.raw_html_z, self.text)

    @validates("text")
    def _keep_body_readable(self, _: str, text: str) -> str:
        # The body's frame refers to the text it was packed with (packing.pack_body): a new text
        # (a re-reading) re-packs it, or it could not be read back. A new version's body is packed
        # with the text it is made with: there is no text before.
        before = self.text
        if (
            before is not None
            and text != before
            and self.raw_html_z is not None
            and bytes(self.raw_html_z[:4]) == TEXT_REF
        ):
            self.raw_html_z = pack_body(unpack_body(self.raw_html_z, before), text)
        return text


class Run(Base):
    __tablename__ = "runs"
    __table_args__ = (one_of("runs", "status", RunStatus),)

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20), default="running")  # running, ok, partial, dry-run, interrupted
    # Per source: pages fetched / unchanged / changed / new / failed, list pages, errors.
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    alerts_sent: Mapped[int] = mapped_column(Integer, default=0)
    alerts_failed: Mapped[int] = mapped_column(Integer, default=0)


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (Index("ix_events_run", "run_id"), one_of("events", "type", EventType))

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    # A policy's event, or a source's own (source_failing / source_recovered: policy_id is None).
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("policies.id"), index=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"), index=True)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("versions.id"))
    type: Mapped[str] = mapped_column(String(40))
    detected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    summary: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # One event per transition: a repeated or resumed run hits this constraint instead of a duplicate.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)

    policy: Mapped[Policy | None] = relationship()
    source: Mapped[Source | None] = relationship()

    @property
    def origin(self) -> Source:
        """The source the event is about (its policy's source for a policy event)."""
        if self.source is not None:
            return self.source
        assert self.policy is not None
        return self.policy.source


class RepealLink(Base):
    """A repeal/revision named in a policy's text, matched to a stored policy when one is found."""

    __tablename__ = "repeal_links"
    __table_args__ = (
        UniqueConstraint("repealing_policy_id", "target_title", "target_doc_number"),
        # References not yet tied to a policy, by one end of the key and its length: every stored page
        # looks up those that could name it. Partial and covering: a page reads index entries only,
        # however many policies name the same old document.
        *(
            Index(
                f"ix_repeal_links_pending_{end}",
                f"target_{end}",
                "target_len",
                "target_key",
                "target_doc_number",
                "repealing_policy_id",
                "target_policy_id",
                sqlite_where=text("target_policy_id IS NULL"),
                postgresql_where=text("target_policy_id IS NULL"),
            )
            for end in ("head", "tail")
        ),
        # …and by 文号 (with the key: the references a new policy resolves are read by both). Only
        # unresolved references are ever looked up by 文号. A plain index on target_doc_number was
        # there before; PostgreSQL, planning a crawl's first pages without statistics, preferred
        # scanning a whole partial index above.
        Index(
            "ix_repeal_links_pending_number",
            "target_doc_number",
            "target_key",
            "repealing_policy_id",
            sqlite_where=text("target_policy_id IS NULL"),
            postgresql_where=text("target_policy_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    repealing_policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id"))  # the unique constraint's index
    target_title: Mapped[str] = mapped_column(Text)
    target_key: Mapped[str] = mapped_column(Text, default="")  # monitor.titlekey, as on Policy
    target_head: Mapped[str] = mapped_column(String(16), default="")
    target_tail: Mapped[str] = mapped_column(String(16), default="")
    target_len: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # of target_key
    target_doc_number: Mapped[str] = mapped_column(String(120), default="")
    kind: Mapped[str] = mapped_column(String(20), default="repeal")
    sentence: Mapped[str] = mapped_column(Text, default="")
    target_policy_id: Mapped[int | None] = mapped_column(ForeignKey("policies.id"), index=True)
    match_score: Mapped[float | None] = mapped_column()
    matched_by: Mapped[str] = mapped_column(String(20), default="")  # doc_number / title

    repealing_policy: Mapped[Policy] = relationship(foreign_keys=[repealing_policy_id])
    target_policy: Mapped[Policy | None] = relationship(foreign_keys=[target_policy_id])

    @validates("target_title")
    def _keep_target_keys(self, _: str, title: str) -> str:
        self.target_key, self.target_head, self.target_tail = title_keys(title)
        self.target_len = len(self.target_key)
        return title


class Alert(Base):
    """Outbox row: one alert of one event to one subscriber, written with the event."""

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("event_id", "subscriber"), one_of("alerts", "status", AlertStatus))

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))  # (event_id, subscriber)'s index serves it
    subscriber: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)  # pending/sending/sent/failed
    tries: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    next_try_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Fingerprints of the subscriber's channels that already have this alert: a retry after a
    # partial failure sends only to the channels that failed.
    channels_done: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # Set when delivered as part of a digest (one message for several alerts of one run).
    digest_key: Mapped[str] = mapped_column(String(80), default="")

    event: Mapped[Event] = relationship()
