"""The unit of work per fetched page: extract → normalise → (new version?) → diff → lifecycle →
events and outbox rows, committed in one transaction. A transient failure never becomes a version
or a removal; an unchanged hash touches nothing but `last_seen`."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

import monitor.derive as derivation
from crawler.items import ListPageItem, PageItem
from monitor.config import Settings, SourceConfig
from monitor.correct import Correction, apply_rederived, attachments_alone_differ, record_correction, rederive
from monitor.derive import (
    ParsedPage,
    fact_changes,
    parse_page,
)
from monitor.diff import DocumentDiff, diff_documents
from monitor.events import record_event
from monitor.extract import ExtractError, detect_block_page
from monitor.health import MASS_VANISHED, HealthFacts, apply_health, failing_reasons
from monitor.lifecycle import Lifecycle, RepealTarget, lifecycle_from_json
from monitor.normalise import Document, document_from_json, document_to_json
from monitor.removal import removal_verdict
from monitor.status import latest_version, refresh_status
from monitor.store.db import Database
from monitor.store.models import Event, Policy, PolicyAlias, RepealLink, Run, Source, Version
from monitor.suspect import empty_template, not_found_page, page_text, suspect_change
from monitor.titlekey import title_keys, title_similarity

log = logging.getLogger("policywatch.ingest")

__all__ = ["Ingestor", "ParsedPage", "SourceStats", "parse_page"]

GONE = (404, 410)


@dataclass(slots=True)
class SourceStats:
    list_pages: int = 0
    list_failures: int = 0
    fetched: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    failed: int = 0
    gone: int = 0
    removed: int = 0
    held: int = 0  # suspect versions held for confirmation by the next run (monitor.suspect)
    mirrored: int = 0  # pages found to be another URL of a policy already watched
    links: int = 0  # distinct detail links the list pages gave
    capped: int = 0  # further list pages not followed because of max_list_pages
    read: int = 0  # detail pages answered 200 and read
    empty: int = 0  # of those, with an empty body or no title
    failing: list[str] = field(default_factory=list)  # why the source is blind this run (monitor/health.py)
    errors: list[str] = field(default_factory=list)
    would: list[str] = field(default_factory=list)  # events a dry run would have recorded
    workers: dict[str, int] = field(default_factory=dict)  # distributed run: pages fetched per crawl process

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}  # type: ignore[attr-defined]


class Ingestor:
    """Stores one source's pages for one run. Called by the Scrapy pipeline, or directly in tests."""

    def __init__(
        self,
        db: Database,
        *,
        run_id: int | None,
        source: SourceConfig,
        settings: Settings,
        today: date,
        clock: Any = None,
        dry_run: bool = False,
    ) -> None:
        self.db = db
        self.dry_run = dry_run
        self.run_id = run_id
        self.source = source
        self.settings = settings
        self.today = today
        self._clock = clock
        self.stats = SourceStats()
        self.listed: set[str] = set()
        self.gone: set[str] = set()
        self.capped: set[str] = set()  # list pages not followed because of max_list_pages
        with self._session() as session:
            row = self._source_row(session)
            self.baselining = row.baselined_at is None

    def _session(self) -> Any:
        """Policy data: committed, or rolled back at the end of each unit of work in a dry run."""
        return self.db.session(commit=not self.dry_run)

    def now(self) -> datetime:
        from datetime import UTC

        return self._clock() if self._clock else datetime.now(UTC)

    def _source_row(self, session: Session) -> Source:
        row = session.scalar(select(Source).where(Source.name == self.source.name))
        if row is None:
            row = Source(name=self.source.name, region=self.source.region)
            session.add(row)
            session.flush()
        row.region = self.source.region
        return row

    # --- list pages ---------------------------------------------------------------------------

    def record_list(self, item: ListPageItem) -> None:
        self.stats.list_pages += 1
        if set(item.capped) - self.capped:
            self.capped.update(item.capped)
            self.stats.capped = len(self.capped)
            self.stats.errors.append(
                f"list {item.url}: max_list_pages={self.source.max_list_pages} reached, "
                f"{len(item.capped)} further list page(s) not crawled (e.g. {item.capped[0]})"
            )
        if item.error:
            self.stats.list_failures += 1
            self.stats.errors.append(f"list {item.url}: {item.error}")
            log.warning("[%s] list page failed: %s (%s)", self.source.name, item.url, item.error)
            return
        self.listed.update(link.url for link in item.links)
        self.stats.links = len(self.listed)
        with self._session() as session:
            by_url = {link.url: link for link in item.links}
            query = select(Policy).join(Source).where(Source.name == self.source.name, Policy.url.in_(list(by_url)))
            for policy in session.scalars(query):
                policy.gone_runs = 0  # listed again: not vanished
                link = by_url[policy.url]
                policy.list_title, policy.list_date = link.title, link.date
                if link.fields:
                    policy.list_fields = dict(link.fields)

    # --- detail pages -------------------------------------------------------------------------

    def ingest_page(self, item: PageItem) -> str:
        """Returns what happened: new, changed, unchanged, failed or gone."""
        self.stats.fetched += 1
        if item.status in GONE:
            return self._gone(item)
        if item.status == 304 and not item.error:
            return self._not_modified(item)
        if item.error or not 200 <= item.status < 300:
            return self._failed(item, item.error or f"HTTP {item.status}")
        if "html" not in item.content_type.lower() and item.content_type and not item.text:
            return self._failed(item, f"unsupported content type {item.content_type}")
        self.stats.read += 1
        reason = detect_block_page(item.text, item.status)
        if reason:
            self.stats.empty += 1  # a challenge, WAF or empty shell in place of the page: nothing to read
            return self._failed(item, reason)
        visible = page_text(item.text)
        gone = not_found_page(visible)
        if gone:
            return self._gone(item, gone)
        empty = empty_template(visible)
        if empty:
            return self._failed(item, empty)
        if item.listed is not None:
            list_fields: Mapping[str, str] = item.listed.fields
        else:
            with self._session() as session:
                known = self._policy(session, item.url)
                list_fields = dict(known.list_fields or {}) if known is not None else {}
        try:
            parsed = parse_page(item.text, item.url, self.source, item.attachments, list_fields)
        except ExtractError as exc:
            self.stats.empty += 1
            return self._failed(item, str(exc))
        except Exception as exc:  # a bug or a library failure on one page must not stop the source
            log.exception("[%s] extraction crashed on %s", self.source.name, item.url)
            return self._failed(item, f"extraction error: {type(exc).__name__}: {exc}")
        if not parsed.document.title.strip():
            self.stats.empty += 1
        with self._session() as session:
            outcome = self._store(session, item, parsed)
        setattr(self.stats, outcome, getattr(self.stats, outcome) + 1)
        log.info("[%s] %s %s", self.source.name, outcome, item.url)
        return outcome

    def _policy(self, session: Session, url: str) -> Policy | None:
        return session.scalar(select(Policy).join(Source).where(Source.name == self.source.name, Policy.url == url))

    def _failed(self, item: PageItem, reason: str) -> str:
        self.stats.failed += 1
        self.stats.errors.append(f"{item.url}: {reason}")
        log.warning("[%s] fetch failed, nothing stored: %s (%s)", self.source.name, item.url, reason)
        with self._session() as session:
            policy = self._policy(session, item.url)
            if policy is not None:
                policy.last_fetch_status = item.status
                policy.last_fetch_error = reason
        return "failed"

    def _not_modified(self, item: PageItem) -> str:
        """304 to a conditional request: the page is as stored."""
        self.stats.unchanged += 1
        with self._session() as session:
            policy = self._policy(session, item.url)
            if policy is not None:
                policy.last_seen = policy.last_fetched_at = self.now()
                policy.last_fetch_status, policy.last_fetch_error = 304, ""
                policy.gone_since, policy.gone_runs = None, 0
        return "unchanged"

    def _gone(self, item: PageItem, reason: str = "") -> str:
        """404/410, or a 200 page saying the page does not exist: a removal only when finish()
        confirms it (off the complete lists, two runs in a row)."""
        self.stats.gone += 1
        self.gone.add(item.url)
        with self._session() as session:
            policy = self._policy(session, item.url)
            if policy is not None:
                policy.last_fetch_status = item.status
                policy.last_fetch_error = reason or f"HTTP {item.status}"
                policy.gone_since = policy.gone_since or item.fetched_at
        return "gone"

    def _store(self, session: Session, item: PageItem, parsed: ParsedPage) -> str:
        now = self.now()
        doc, lc = parsed.document, parsed.lifecycle
        source_row = self._source_row(session)
        policy = self._policy(session, item.url)
        if item.moved_to:
            policy = self._moved(session, policy, item)
        created = policy is None
        if policy is None:
            mirror = self._mirror(session, source_row, item.url, doc, lc, now)
            if mirror is not None:
                return mirror
            policy = Policy(
                source=source_row,
                url=item.url,
                first_seen=now,
                last_seen=now,
                baseline=self.baselining,
                first_run_id=self.run_id,
            )
            session.add(policy)
        policy.last_seen = policy.last_fetched_at = now
        policy.full_fetch_on = self.today
        if item.listed is not None:
            policy.list_title, policy.list_date = item.listed.title, item.listed.date
            if item.listed.fields:
                policy.list_fields = dict(item.listed.fields)
        policy.last_fetch_status = item.status
        policy.last_fetch_error = ""
        policy.gone_since, policy.gone_runs = None, 0
        came_back = policy.removed_at is not None
        policy.removed_at = None
        previous = None if created else latest_version(session, policy)
        code_only = None  # the quiet correction to record when the difference may be the code's alone
        if previous is not None and (
            previous.derived_by != derivation.DERIVATION_VERSION or previous.content_hash != doc.content_hash
        ):
            code_only = self._reread_previous(session, policy, previous, item, parsed)
        if came_back:
            self._restored(session, policy, previous)
        if previous is not None and previous.content_hash == doc.content_hash:
            policy.held_hash = ""  # the page is as stored: whatever was held was a glitch
            if came_back:
                self._refresh(session, policy, lc, quiet=True)
            return "unchanged"
        if previous is not None and code_only is None and self._held(policy, previous, doc, lc):
            return "held"

        version = _new_version(policy, previous, item, parsed, self.run_id)
        session.add(version)
        self._apply_lifecycle(policy, doc, lc)
        session.flush()
        quiet = self._quiet(policy) or code_only is not None
        if code_only is not None:
            record_correction(session, policy, version, code_only, run_id=self.run_id, now=self.now())
        elif previous is None:
            if not quiet:
                self._event(
                    session,
                    policy,
                    "new_policy",
                    f"new_policy:{policy.id}",
                    f"新发布:{policy.title}",
                    {"lifecycle": lc.to_json()},
                    version,
                )
        else:
            self._changed(session, policy, previous, version, doc, lc, quiet)
        self._link_repeals(session, policy, lc, quiet)
        self._match_pending_links(session, policy, quiet)
        self._refresh(session, policy, lc, quiet=quiet)
        return "new" if previous is None else "changed"

    # --- re-reading stored versions with the running code ----------------------------------------

    def _reread_previous(
        self, session: Session, policy: Policy, previous: Version, item: PageItem, parsed: ParsedPage
    ) -> Correction | None:
        """Bring the stored version up to the running code before it is compared with this fetch, so
        that only a real change of the page raises events. Returns, when what still differs could
        come from the code alone, the quiet correction to record for the new version instead."""
        stamp, why = previous.derived_by, ""
        try:
            again, reconstructed = rederive(policy, previous, self.source)
        except Exception as exc:
            log.warning(
                "[%s] stored v%s of %s cannot be re-read by the running code (%s: %s); its difference "
                "from this fetch is recorded as a quiet correction",
                self.source.name,
                previous.seq,
                policy.url,
                type(exc).__name__,
                exc,
            )
            why = f"v{previous.seq} 无法由新版程序重读({type(exc).__name__})"
        else:
            self.correct(session, policy, previous, again, latest=True)
            if reconstructed and attachments_alone_differ(policy, previous, again, item.text, parsed, self.source):
                why = f"v{previous.seq} 存于保存附件原文之前,差异仅在附件部分"
        if not why or previous.content_hash == parsed.document.content_hash:
            return None
        facts = fact_changes(previous.lifecycle or {}, parsed.lifecycle.to_json())
        return Correction(previous.seq + 1, stamp, facts, True, notes=[why + ",可能仅来自程序升级,故不推送"])

    def correct(
        self, session: Session, policy: Policy, version: Version, again: ParsedPage, *, latest: bool
    ) -> Correction:
        """Overwrite a stored version with its re-derivation; for the latest one also the policy's
        facts, repeal links and status — all quietly — and record what changed as facts_corrected."""
        correction = apply_rederived(version, again)
        if latest:
            old_status = policy.status
            self._apply_lifecycle(policy, again.document, again.lifecycle)
            self._link_repeals(session, policy, again.lifecycle, quiet=True)
            self._refresh(session, policy, again.lifecycle, quiet=True)
            if policy.status != old_status:
                correction.status = (old_status, policy.status)
        session.flush()
        if record_correction(session, policy, version, correction, run_id=self.run_id, now=self.now()) and self.dry_run:
            self.stats.would.append(f"facts_corrected: {policy.title} — {correction.summary()}")
        return correction

    def _moved(self, session: Session, policy: Policy | None, item: PageItem) -> Policy | None:
        """A page moved for good (301/308): the policy takes its new address and keeps its history;
        a page first met through such a move is known by its new address."""
        there = self._policy(session, item.moved_to)
        if policy is not None and there is None:
            log.info("[%s] %s moved to %s (history kept)", self.source.name, item.url, item.moved_to)
            policy.url = item.moved_to
        item.url = item.moved_to
        return there or policy

    def _held(self, policy: Policy, previous: Version, doc: Document, lc: Lifecycle) -> bool:
        """A suspect version (title, 文号 and most articles gone at once) is held, not stored, until the
        next fetch shows the same content again."""
        reason = suspect_change(document_from_json(previous.document), lifecycle_from_json(previous.lifecycle), doc, lc)
        if reason is None or policy.held_hash == doc.content_hash:
            policy.held_hash = ""
            return False
        policy.held_hash = doc.content_hash
        self.stats.errors.append(f"{policy.url}: {reason}")
        log.warning("[%s] %s: %s", self.source.name, policy.url, reason)
        return True

    def _nth(self, session: Session, policy: Policy, type_: str) -> int:
        """1 + how many `type_` events the policy already has: a page removed, restored and removed
        again gets a second removal (its own de-duplication key), never a lost one."""
        query = select(func.count()).select_from(Event).where(Event.policy_id == policy.id, Event.type == type_)
        return int(session.scalar(query) or 0) + 1

    def _restored(self, session: Session, policy: Policy, latest: Version | None) -> None:
        self._event(
            session,
            policy,
            "restored",
            f"restored:{policy.id}:{self._nth(session, policy, 'restored')}",
            "页面已恢复(曾被判定撤下,历史版本保留)",
            {"last_version": latest.seq if latest else None, "note": "页面重新可以访问,此前的版本历史完整保留"},
        )

    def _mirror(
        self, session: Session, source_row: Source, url: str, doc: Document, lc: Lifecycle, now: datetime
    ) -> str | None:
        """A page that is another URL of a policy already watched (same 文号 and issuer, or same title
        and issuer, on another source) is kept as an alias of it: no second policy, no duplicate
        alerts. Returns "mirrored"/"unchanged" when the page is (now) a mirror, None otherwise."""
        alias = session.scalar(
            select(PolicyAlias).where(PolicyAlias.source_id == source_row.id, PolicyAlias.url == url)
        )
        if alias is None:
            found = self._identity_match(session, source_row, doc, lc)
            if found is None:
                return None
            twin, how = found
            alias = PolicyAlias(
                policy=twin,
                source=source_row,
                url=url,
                content_hash=doc.content_hash,
                matched_by=how,
                first_seen=now,
                last_seen=now,
            )
            session.add(alias)
            log.info("[%s] %s is a mirror of #%s %s (by %s)", self.source.name, url, twin.id, twin.title, how)
            return "mirrored"
        alias.last_seen = now
        if alias.content_hash != doc.content_hash:
            # Mirrors lag and re-typeset; the policy's own page is what raises events.
            log.info("[%s] mirror %s of #%s changed", self.source.name, url, alias.policy_id)
            alias.content_hash = doc.content_hash
        return "unchanged"

    def _identity_match(
        self, session: Session, source_row: Source, doc: Document, lc: Lifecycle
    ) -> tuple[Policy, str] | None:
        """A policy's identity is its (issuer, 文号) when it has one, else its title and issuer."""
        others = select(Policy).where(Policy.source_id != source_row.id)
        issuers = set(lc.issuers)
        if lc.doc_number:
            for candidate in session.scalars(others.where(Policy.doc_number == lc.doc_number)):
                if not issuers or not candidate.issuer or issuers & set(candidate.issuer.split("、")):
                    return candidate, "doc_number"
            return None
        key, head, _ = title_keys(doc.title)
        for candidate in session.scalars(
            others.where(Policy.doc_number == "", Policy.title_head == head, Policy.title_key == key)
        ):
            if not issuers or not candidate.issuer or issuers & set(candidate.issuer.split("、")):
                return candidate, "title"
        return None

    def _quiet(self, policy: Policy) -> bool:
        """Baseline pages of a source's first crawl are recorded, not announced."""
        return policy.baseline and policy.first_run_id == self.run_id

    @staticmethod
    def _apply_lifecycle(policy: Policy, doc: Document, lc: Lifecycle) -> None:
        policy.title = doc.title
        policy.doc_number = lc.doc_number
        policy.issuer = "、".join(lc.issuers)
        policy.published = lc.published
        policy.effective_date, policy.effective_rule = lc.effective.date, lc.effective.rule
        policy.expires_date, policy.expires_rule = lc.expires.date, lc.expires.rule

    def _refresh(self, session: Session, policy: Policy, lc: Lifecycle, *, quiet: bool) -> None:
        refresh_status(
            session,
            policy,
            today=self.today,
            now=self.now(),
            run_id=self.run_id,
            subscribers=self.settings.subscribers,
            soon_days=self.settings.expiring_soon_days,
            quiet=quiet,
            lifecycle=lc,
        )

    def _event(
        self,
        session: Session,
        policy: Policy,
        type_: str,
        key: str,
        summary: str,
        details: dict[str, Any],
        version: Version | None = None,
    ) -> None:
        event = record_event(
            session,
            policy=policy,
            type_=type_,
            dedupe_key=key,
            summary=summary,
            details=details,
            run_id=self.run_id,
            now=self.now(),
            subscribers=self.settings.subscribers,
            version_id=version.id if version else None,
        )
        if event is not None and self.dry_run:
            self.stats.would.append(f"{type_}: {policy.title} — {summary}")

    def _changed(
        self,
        session: Session,
        policy: Policy,
        previous: Version,
        version: Version,
        doc: Document,
        lc: Lifecycle,
        quiet: bool,
    ) -> None:
        diff = diff_documents(document_from_json(previous.document), doc)
        old_lc = lifecycle_from_json(previous.lifecycle)
        lifecycle_rules: set[str] = set()
        if (old_lc.expires.date, old_lc.expires.rule) != (lc.expires.date, lc.expires.rule):
            lifecycle_rules |= {old_lc.expires.rule, lc.expires.rule}
            if not quiet:
                old_d, new_d = old_lc.expires.date, lc.expires.date
                self._event(
                    session,
                    policy,
                    "expiry_changed",
                    f"expiry_changed:{version.id}",
                    f"有效期 {old_d or old_lc.expires.rule or '未载明'} → {new_d or lc.expires.rule or '未载明'}",
                    {
                        "old_date": old_d.isoformat() if old_d else None,
                        "new_date": new_d.isoformat() if new_d else None,
                        "old_rule": old_lc.expires.rule,
                        "new_rule": lc.expires.rule,
                        "from_version": previous.seq,
                        "to_version": version.seq,
                        "diff": diff.to_json(),
                    },
                    version,
                )
        if not quiet and not _only_lifecycle_edits(diff, lifecycle_rules - {""}):
            facts = [f.summary for f in diff.facts]
            self._event(
                session,
                policy,
                "text_changed",
                f"text_changed:{version.id}",
                "；".join(facts[:3]) + (f" 等{len(facts)}处" if len(facts) > 3 else ""),
                {
                    "from_version": previous.seq,
                    "to_version": version.seq,
                    "articles": [c.ref for c in diff.clauses],
                    **diff.to_json(),
                },
                version,
            )

    # --- repeals ------------------------------------------------------------------------------

    def _find_target(self, session: Session, policy: Policy, target: RepealTarget) -> tuple[Policy, float, str] | None:
        others = select(Policy).where(Policy.id != policy.id)
        if target.doc_number:
            if target.doc_number == policy.doc_number:
                return None  # a document cannot repeal itself
            hit = session.scalar(others.where(Policy.doc_number == target.doc_number).order_by(Policy.id))
            if hit is not None:
                return hit, 1.0, "doc_number"
        # Candidates share one end of the title key (an index lookup); only their keys are read, and
        # only the best match is loaded.
        key, head, tail = title_keys(target.title)
        candidates = session.execute(
            select(Policy.id, Policy.title_key, Policy.doc_number).where(
                Policy.id != policy.id, or_(Policy.title_head == head, Policy.title_tail == tail)
            )
        )
        best: tuple[int, float] | None = None
        for candidate_id, candidate_key, candidate_number in candidates:
            if "解读" in candidate_key or "答记者问" in candidate_key:
                continue
            if target.doc_number and candidate_number and candidate_number != target.doc_number:
                continue
            score = title_similarity(key, candidate_key)
            if score and (best is None or score > best[1]):
                best = (candidate_id, score)
        if best is None:
            return None
        return session.get_one(Policy, best[0]), best[1], "title"

    def _link_repeals(self, session: Session, policy: Policy, lc: Lifecycle, quiet: bool) -> None:
        for target in lc.repeals:
            link = session.scalar(
                select(RepealLink).where(
                    RepealLink.repealing_policy_id == policy.id,
                    RepealLink.target_title == target.title,
                    RepealLink.target_doc_number == target.doc_number,
                )
            )
            if link is None:
                link = RepealLink(
                    repealing_policy=policy,
                    target_title=target.title,
                    target_doc_number=target.doc_number,
                    kind=target.kind,
                    sentence=target.sentence,
                )
                session.add(link)
                session.flush()
            if link.target_policy_id is None:
                found = self._find_target(session, policy, target)
                if found is not None:
                    self._apply_link(session, link, *found, quiet=quiet)

    def _match_pending_links(self, session: Session, policy: Policy, quiet: bool) -> None:
        """A repeal read earlier whose target is only now crawled for the first time."""
        # Only references that could name this policy: same 文号, or a title sharing one end of its key.
        could_name = [RepealLink.target_head == policy.title_head, RepealLink.target_tail == policy.title_tail]
        if policy.doc_number:
            could_name.append(RepealLink.target_doc_number == policy.doc_number)
        pending = session.execute(
            select(RepealLink.id, RepealLink.target_key, RepealLink.target_doc_number).where(
                RepealLink.target_policy_id.is_(None), RepealLink.repealing_policy_id != policy.id, or_(*could_name)
            )
        )
        ids = [
            link_id
            for link_id, key, number in pending
            if (number and number == policy.doc_number) or title_similarity(key, policy.title_key)
        ]
        if not ids:
            return
        for link in session.scalars(select(RepealLink).where(RepealLink.id.in_(ids))):
            target = RepealTarget(link.target_title, link.target_doc_number, link.sentence, link.kind)
            found = self._find_target(session, link.repealing_policy, target)
            if found is not None and found[0].id == policy.id:
                self._apply_link(session, link, *found, quiet=quiet)

    def _apply_link(
        self, session: Session, link: RepealLink, target: Policy, score: float, how: str, *, quiet: bool
    ) -> None:
        link.target_policy = target
        link.match_score = score
        link.matched_by = how
        repealer = link.repealing_policy
        if target.repealed_by_id is not None:
            return
        target.repealed_by = repealer
        session.flush()
        quiet = quiet or self._quiet(target) or self._quiet(repealer)
        if not quiet:
            verb = "修订" if link.kind == "revision" else "废止"
            self._event(
                session,
                target,
                "repealed",
                f"repealed:{target.id}:{repealer.id}",
                f"被《{repealer.title}》{verb}",
                {
                    "repealed_by": {
                        "policy_id": repealer.id,
                        "title": repealer.title,
                        "doc_number": repealer.doc_number or None,
                        "url": repealer.url,
                    },
                    "kind": link.kind,
                    "sentence": link.sentence,
                    "matched_by": how,
                    "match_score": round(score, 3),
                },
            )
        latest = latest_version(session, target)
        if latest is not None:
            self._refresh(session, target, lifecycle_from_json(latest.lifecycle), quiet=True)

    # --- end of the source's crawl --------------------------------------------------------------

    def _confirm_removals(self, session: Session, source_row: Source) -> bool:
        """Pages gone (404/410/not-found) and off the complete lists: removed on the second run in a
        row (monitor.removal); a mass vanishing is a failing source instead (returns True)."""
        vanished: dict[str, Policy] = {}
        for url in sorted(self.gone - self.listed):
            policy = self._policy(session, url)
            if policy is not None and policy.removed_at is None:
                vanished[url] = policy
        if not vanished:
            return False
        active = session.scalar(
            select(func.count())
            .select_from(Policy)
            .where(Policy.source_id == source_row.id, Policy.removed_at.is_(None))
        )
        verdict = removal_verdict({url: p.gone_runs + 1 for url, p in vanished.items()}, int(active or 0))
        if verdict.mass_failure:
            self.stats.list_failures += 1
            self.stats.errors.insert(0, verdict.mass_failure)
            log.error("[%s] %s", self.source.name, verdict.mass_failure)
            return True
        for url in verdict.pending:
            vanished[url].gone_runs += 1
            log.warning("[%s] %s is gone and off its lists; removed if still so next run", self.source.name, url)
        for url in verdict.confirm:
            self._remove(session, vanished[url])
        return False

    def _remove(self, session: Session, policy: Policy) -> None:
        policy.gone_runs += 1
        policy.removed_at = self.now()
        self.stats.removed += 1
        latest = latest_version(session, policy)
        if not self._quiet(policy):
            why = policy.last_fetch_error or f"HTTP {policy.last_fetch_status}"
            self._event(
                session,
                policy,
                "removed",
                f"removed:{policy.id}:{self._nth(session, policy, 'removed')}",
                f"页面已撤下(连续{policy.gone_runs}次:{why},且不在列表页中)",
                {
                    "http_status": policy.last_fetch_status,
                    "reason": why,
                    "runs": policy.gone_runs,
                    "last_version": latest.seq if latest else None,
                    "note": "撤下不等于废止;最后一次内容已保留",
                },
            )
        if latest is not None:
            self._refresh(session, policy, lifecycle_from_json(latest.lifecycle), quiet=True)

    def _health_record(self, session: Session, source_row: Source, reasons: list[str], lists_complete: bool) -> None:
        """The run's verdict on the source (monitor/health.py): state, and failing/recovered events."""
        self.stats.failing = reasons
        apply_health(
            session,
            source_row,
            reasons,
            self.stats.links,
            run_id=self.run_id,
            now=self.now(),
            subscribers=self.settings.subscribers,
            lists_complete=lists_complete,
        )
        if reasons:
            log.error("[%s] source failing: %s", self.source.name, "；".join(reasons))

    def finish(self, due: int = 0) -> SourceStats:
        """Judge the source's health, confirm removals (only after a complete list crawl of a source
        that is not blind) and close the baseline. `due`: stored pages that were due this run."""
        st = self.stats
        # Lists read without a failure (the same pages every run, even under a max_list_pages cap)…
        lists_ok = st.list_pages > 0 and st.list_failures == 0
        with self._session() as session:
            source_row = self._source_row(session)
            ok_lists = st.list_pages - st.list_failures
            reasons = failing_reasons(
                HealthFacts(ok_lists, st.links, st.fetched, st.read, st.empty, due, source_row.good_links, lists_ok)
            )
            # …and complete (no cap reached) before a page off them can be removed; a blind source's
            # lists prove nothing: no removals while it is failing.
            if lists_ok and not st.capped and not reasons and self._confirm_removals(session, source_row):
                reasons.append(MASS_VANISHED)
            self._health_record(session, source_row, reasons, lists_ok)
            if self.baselining and lists_ok and not reasons:
                source_row.baselined_at = self.now()
        # The run's own record is kept even in a dry run: it says what the run saw and would do.
        with self.db.session() as session:
            run = session.get(Run, self.run_id)
            if run is not None:
                run.stats = {**(run.stats or {}), self.source.name: self.stats.as_dict()}
        counts = Counter({k: v for k, v in self.stats.as_dict().items() if isinstance(v, int) and v})
        log.info("[%s] done: %s", self.source.name, dict(counts))
        return self.stats


def _only_lifecycle_edits(diff: DocumentDiff, rules: set[str]) -> bool:
    """True when every edited sentence is one that carries a lifecycle rule that changed: such an
    edit is reported as its lifecycle event (expiry_changed), not a second text_changed."""
    if not rules or diff.meta or any(c.change != "modified" for c in diff.clauses):
        return False
    return all(
        any(rule and (rule in old or rule in new) for rule in rules)
        for c in diff.clauses
        for old, new in c.changed_sentences
    )


def _new_version(
    policy: Policy, previous: Version | None, item: PageItem, parsed: ParsedPage, run_id: int | None
) -> Version:
    """The version row of a fetch: derived data stamped with the derivation that produced it, and
    the raw inputs (body, list fields, attachments' text) it can be derived from again."""
    return Version(
        policy=policy,
        seq=(previous.seq + 1) if previous else 1,
        run_id=run_id,
        fetched_at=item.fetched_at,
        content_hash=parsed.document.content_hash,
        title=parsed.document.title,
        text=parsed.document.text,
        document=document_to_json(parsed.document),
        lifecycle=parsed.lifecycle.to_json(),
        fields=parsed.fields,
        http_status=item.status,
        encoding=item.encoding,
        etag=item.etag,
        last_modified=item.last_modified,
        raw_html_z=Version.compress(item.body or item.text.encode("utf-8")),
        derived_by=derivation.DERIVATION_VERSION,
        inputs=parsed.inputs.to_json(),
    )
