"""Storing a readable page: the policy row (new, moved, mirrored, restored), a new version only when
the normalised text changed, and that version's events from the pure rules (monitor.rules).

Before a stored version is compared with a fetch it is re-read by the running code (monitor.derive),
so that an upgrade of policywatch never alerts anyone; a suspect version (title, 文号 and most
articles gone at once) is held until the next fetch confirms it."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

import monitor.derive as derivation
from monitor import rules
from monitor.contracts import PageItem
from monitor.correct import Correction, apply_rederived, attachments_alone_differ, record_correction, rederive
from monitor.derive import ParsedPage, decode_stored, fact_changes
from monitor.diff import diff_documents
from monitor.ingest.base import IngestBase
from monitor.ingest.identity import Known, look_up, mirror, moved
from monitor.ingest.repeals import find_target, link_repeals, match_pending_links
from monitor.lifecycle import Lifecycle, lifecycle_from_json
from monitor.normalise import Document, document_from_json, document_to_json
from monitor.replaced import replaced_for_alert
from monitor.status import latest_version
from monitor.store.models import Policy, Source, Version
from monitor.store.packing import pack_body, unpack_body
from monitor.store.rows import insert_new, insert_new_with
from monitor.suspect import suspect_change
from monitor.vocab import EventType

log = logging.getLogger("policywatch.ingest")


def store(unit: IngestBase, session: Session, item: PageItem, parsed: ParsedPage) -> str:
    """Returns what happened: new, changed, unchanged, held or mirrored."""
    doc, lc = parsed.document, parsed.lifecycle
    known = look_up(unit, session, item.url, doc, lc, new_address=item.new_address)
    policy = None if known.policy_id is None else session.get_one(Policy, known.policy_id)
    if item.moved_to:
        policy = moved(unit, session, policy, item)
        if policy is None:  # a new page at its new address, which may be a known mirror
            known = look_up(unit, session, item.url, doc, lc)
    if policy is None:
        source_row = unit._source_row(session)  # only a new page needs the source's row
        as_mirror = mirror(unit, session, source_row, item.url, doc, lc, known)
        if as_mirror is not None:
            return as_mirror
        policy = _new_policy(unit, source_row, item)
        previous = None
    else:
        previous = latest_version(session, policy)
    came_back = _seen(unit, policy, item)
    code_only = None  # the quiet correction to record when the difference may be the code's alone
    if previous is not None and (
        previous.derived_by != derivation.DERIVATION_VERSION or previous.content_hash != doc.content_hash
    ):
        code_only = reread_previous(unit, session, policy, previous, item, parsed)
    if came_back:
        nth = unit._nth(session, policy, EventType.RESTORED)
        unit._event(session, policy, rules.restored(policy.id, nth, previous.seq if previous else None))
    if previous is not None and previous.content_hash == doc.content_hash:
        policy.held_hash = ""  # the page is as stored: whatever was held was a glitch
        if came_back:
            unit._refresh(session, policy, lc, quiet=True)
        return "unchanged"
    if previous is not None and code_only is None and held(unit, policy, previous, doc, lc):
        return "held"
    _record_version(unit, session, policy, previous, item, parsed, code_only, known)
    return "new" if previous is None else "changed"


def _new_policy(unit: IngestBase, source_row: Source, item: PageItem) -> Policy:
    now = unit.now()
    policy = Policy(  # inserted with its first version (_record_version)
        source_id=source_row.id,
        url=item.url,
        first_seen=now,
        last_seen=now,
        baseline=unit.baselining,
        first_run_id=unit.run_id,
    )
    return policy


def _seen(unit: IngestBase, policy: Policy, item: PageItem) -> bool:
    """The page answered and was read: bookkeeping of the fetch. True when it had been removed."""
    policy.last_seen = policy.last_fetched_at = unit.now()
    policy.full_fetch_on = unit.today
    if item.listed is not None:
        policy.list_title, policy.list_date = item.listed.title, item.listed.date
        if item.listed.fields:
            policy.list_fields = dict(item.listed.fields)
    policy.last_fetch_status = item.status
    policy.last_fetch_error = ""
    policy.gone_since, policy.gone_runs = None, 0
    came_back = policy.removed_at is not None
    policy.removed_at = None
    return came_back


def _record_version(
    unit: IngestBase,
    session: Session,
    policy: Policy,
    previous: Version | None,
    item: PageItem,
    parsed: ParsedPage,
    code_only: Correction | None,
    known: Known,
) -> None:
    """Store the new version, then its events: new_policy, or what changed since `previous`; a
    difference that may be the code's alone is a quiet correction instead. `known`: the page's
    identity lookup, which may have read the repeal references that could name it."""
    doc, lc = parsed.document, parsed.lifecycle
    version = new_version(previous, item, parsed, unit.run_id)
    unit._apply_lifecycle(policy, doc, lc)
    quiet = unit._quiet(policy) or code_only is not None
    if quiet:
        # Nothing to announce: the status is written with the row, and the refresh below (after the
        # repeal links) writes again only if a link changed it. Announced policies keep the order
        # status-after-events, so a transition the new version makes is compared with the old status.
        unit._refresh(session, policy, lc, quiet=True)
    new_policy = policy.id is None
    if new_policy:  # its row with its first version
        insert_new_with(session, policy, version, "policy_id")
    else:
        session.expire(policy, ["versions"])  # as loaded before this version, if it was
        version.policy_id = policy.id
        insert_new(session, version)
    if code_only is not None:
        record_correction(session, policy, version, code_only, run_id=unit.run_id, now=unit.now())
    elif not quiet and previous is None:
        replaced = replaced_for_alert(replaced_targets(session, policy, lc), doc) if lc.repeals else []
        unit._event(session, policy, rules.new_policy(policy.id, lc, replaced), version)
    elif not quiet and previous is not None:
        diff = diff_documents(document_from_json(previous.document), doc)
        old_lc = lifecycle_from_json(previous.lifecycle)
        for spec in rules.version_events(version.id, previous.seq, version.seq, diff, old_lc, lc):
            unit._event(session, policy, spec, version)
    link_repeals(unit, session, policy, lc, quiet, new_policy=new_policy)
    read_already = known.could_name_for == (policy.title_key, policy.doc_number)
    match_pending_links(unit, session, policy, quiet, known.could_name if read_already else None)
    unit._refresh(session, policy, lc, quiet=quiet)


def reread_previous(
    unit: IngestBase, session: Session, policy: Policy, previous: Version, item: PageItem, parsed: ParsedPage
) -> Correction | None:
    """Bring the stored version up to the running code before it is compared with this fetch, so
    that only a real change of the page raises events. Returns, when what still differs could
    come from the code alone, the quiet correction to record for the new version instead."""
    stamp, why = previous.derived_by, ""
    try:
        again, reconstructed = rederive(policy, previous, unit.source)
    except Exception as exc:
        log.warning(
            "[%s] stored v%s of %s cannot be re-read by the running code (%s: %s); its difference "
            "from this fetch is recorded as a quiet correction",
            unit.source.name,
            previous.seq,
            policy.url,
            type(exc).__name__,
            exc,
        )
        why = f"v{previous.seq} 无法由新版程序重读({type(exc).__name__})"
    else:
        correct(unit, session, policy, previous, again, latest=True)
        if reconstructed and attachments_alone_differ(
            policy, previous, again, page_html(item, parsed), parsed, unit.source
        ):
            why = f"v{previous.seq} 存于保存附件原文之前,差异仅在附件部分"
    if not why or previous.content_hash == parsed.document.content_hash:
        return None
    facts = fact_changes(previous.lifecycle or {}, parsed.lifecycle.to_json())
    return Correction(previous.seq + 1, stamp, facts, True, notes=[why + ",可能仅来自程序升级,故不推送"])


def correct(
    unit: IngestBase, session: Session, policy: Policy, version: Version, again: ParsedPage, *, latest: bool
) -> Correction:
    """Overwrite a stored version with its re-derivation; for the latest one also the policy's
    facts, repeal links and status — all quietly — and record what changed as facts_corrected."""
    correction = apply_rederived(version, again)
    if latest:
        old_status = policy.status
        unit._apply_lifecycle(policy, again.document, again.lifecycle)
        link_repeals(unit, session, policy, again.lifecycle, quiet=True)
        unit._refresh(session, policy, again.lifecycle, quiet=True)
        if policy.status != old_status:
            correction.status = (old_status, policy.status)
    session.flush()
    if record_correction(session, policy, version, correction, run_id=unit.run_id, now=unit.now()) and unit.dry_run:
        unit.stats.would.append({"type": "facts_corrected", "title": policy.title, "summary": correction.summary()})
    return correction


def held(unit: IngestBase, policy: Policy, previous: Version, doc: Document, lc: Lifecycle) -> bool:
    """A suspect version (title, 文号 and most articles gone at once) is held, not stored, until the
    next fetch shows the same content again."""
    reason = suspect_change(document_from_json(previous.document), lifecycle_from_json(previous.lifecycle), doc, lc)
    if reason is None or policy.held_hash == doc.content_hash:
        policy.held_hash = ""
        return False
    policy.held_hash = doc.content_hash
    unit.stats.errors.append(f"{policy.url}: {reason}")
    log.warning("[%s] %s: %s", unit.source.name, policy.url, reason)
    return True


def new_version(previous: Version | None, item: PageItem, parsed: ParsedPage, run_id: int | None) -> Version:
    """The version row of a fetch: derived data stamped with the derivation that produced it, and
    the raw inputs (body, list fields, attachments' text) it can be derived from again."""
    return Version(  # its policy_id is set when it is inserted (a new policy has no id yet)
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
        raw_html_z=item.body_z or pack_body(item.raw_body, parsed.document.text),
        derived_by=derivation.DERIVATION_VERSION,
        inputs=parsed.inputs.to_json(),
    )


def replaced_targets(session: Session, policy: Policy, lc: Lifecycle) -> list[tuple[Policy, str]]:
    """The stored policies a new policy's repeal/revision sentences name (as its repeal links will tie them)."""
    found = []
    for target in lc.repeals:
        hit = find_target(session, policy, target)
        if hit is not None:
            found.append((hit[0], target.kind))
    return found


def page_html(item: PageItem, parsed: ParsedPage) -> str:
    """The fetched page's HTML. The crawl's reader process sends the store the body compressed and
    not the decoded text (crawler/pipelines.py): it is read back from the body, as stored."""
    return item.text or decode_stored(unpack_body(item.body_z, parsed.document.text), item.encoding)
