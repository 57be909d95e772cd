"""Editing the subscribers of a config file, for `policywatch subscribers …` and the web app alike:
the same validation (apprise URLs checked, robot addresses stored as apprise URLs, secrets written out
refused unless allowed), comments and layout kept by tomlkit, and a file written only if still valid."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomlkit

from monitor.config import DELIVERY_MODES, IMPORTANCE, ConfigError, Settings, Subscriber, check_settings, expand_env
from monitor.secrets import mask_url
from notifier.channels import robot_url
from notifier.urlcheck import apprise_problem, how_to_reference, literal_secrets


class SubscriberError(ValueError):
    """A subscriber that cannot be stored, said in words (secrets masked)."""


@dataclass(frozen=True, slots=True)
class SubscriberEntry:
    name: str
    urls: tuple[str, ...]
    events: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    min_importance: str = "low"
    mode: str = "immediate"
    paused: bool = False
    notes: list[str] = field(default_factory=list, compare=False)  # "X is stored as Y" lines


def prepare_urls(urls: Sequence[str], allow_plaintext_secret: bool, env: Mapping[str, str] | None = None) -> list[str]:
    """The URLs as they will be stored; raises SubscriberError naming the first bad one (masked)."""
    env = os.environ if env is None else env
    stored = [robot_url(u.strip()) for u in urls if u.strip()]
    if not stored:
        raise SubscriberError("at least one apprise URL is needed")
    for url in stored:
        problem = apprise_problem(url, env)
        if problem:
            raise SubscriberError(f"{mask_url(url)}: {problem}")
        if literal_secrets(url) and not allow_plaintext_secret:
            raise SubscriberError(
                f"{mask_url(url)} has a secret written out, and the config file is not the place for it: "
                f"{how_to_reference(url)}. (--allow-plaintext-secret stores it anyway.)"
            )
    return stored


def renamed(given: Sequence[str], stored: Sequence[str]) -> list[str]:
    return [f"{mask_url(g)} is stored as {mask_url(s)}" for g, s in zip(given, stored, strict=False) if g != s]


def _table(entry: SubscriberEntry) -> Any:
    if entry.min_importance not in IMPORTANCE:
        raise SubscriberError(f"min_importance must be one of {', '.join(IMPORTANCE)}")
    if entry.mode not in DELIVERY_MODES:
        raise SubscriberError(f"mode must be one of {', '.join(DELIVERY_MODES)}")
    table = tomlkit.table()
    table.add("name", entry.name)
    table.add("urls", list(entry.urls))
    for key in ("events", "regions", "sources", "keywords"):
        if getattr(entry, key):
            table.add(key, list(getattr(entry, key)))
    table.add("min_importance", entry.min_importance)
    table.add("mode", entry.mode)
    if entry.paused:
        table.add("paused", True)
    return table


def load_document(path: Path) -> tomlkit.TOMLDocument:
    return tomlkit.parse(path.read_text(encoding="utf-8") if path.is_file() else "")


def save_document(path: Path, doc: tomlkit.TOMLDocument) -> None:
    """Write the edited config only if it is still valid (comments and layout are kept by tomlkit)."""
    text = tomlkit.dumps(doc)
    _, errors = check_settings(text, str(path))
    if errors:
        raise SubscriberError("; ".join(errors))
    path.write_text(text, encoding="utf-8")


def _subscribers(doc: tomlkit.TOMLDocument) -> Any:
    subs = doc.get("subscribers")
    if subs is None:
        subs = tomlkit.aot()
        doc.append("subscribers", subs)
    return subs


def add_subscriber(path: Path, entry: SubscriberEntry) -> None:
    doc = load_document(path)
    subs = _subscribers(doc)
    if not entry.name.strip():
        raise SubscriberError("a subscriber needs a name")
    if any(s.get("name") == entry.name for s in subs):
        raise SubscriberError(f"subscriber '{entry.name}' already exists in {path}")
    subs.append(_table(entry))
    save_document(path, doc)


def replace_subscriber(path: Path, name: str, entry: SubscriberEntry) -> None:
    """Edit subscriber `name` in place (it may be renamed); keeps its position in the file."""
    doc = load_document(path)
    subs = _subscribers(doc)
    index = next((i for i, s in enumerate(subs) if s.get("name") == name), None)
    if index is None:
        raise SubscriberError(f"no subscriber '{name}' in {path}")
    if entry.name != name and any(s.get("name") == entry.name for s in subs):
        raise SubscriberError(f"subscriber '{entry.name}' already exists in {path}")
    subs[index] = _table(entry)
    save_document(path, doc)


def set_paused(path: Path, name: str, paused: bool) -> None:
    doc = load_document(path)
    for sub in _subscribers(doc):
        if sub.get("name") == name:
            if paused:
                sub["paused"] = True
            elif "paused" in sub:
                del sub["paused"]
            save_document(path, doc)
            return
    raise SubscriberError(f"no subscriber '{name}' in {path}")


def remove_subscriber(path: Path, name: str) -> None:
    doc = load_document(path)
    subs = doc.get("subscribers") or []
    keep = [s for s in subs if s.get("name") != name]
    if len(keep) == len(subs):
        raise SubscriberError(f"no subscriber '{name}' in {path}")
    del doc["subscribers"]
    if keep:
        aot = tomlkit.aot()
        for s in keep:
            aot.append(s)
        doc.append("subscribers", aot)
    save_document(path, doc)


@dataclass(frozen=True, slots=True)
class TestOutcome:
    url: str  # masked
    error: str  # "" when delivered; the channel's error in words (masked) otherwise


def send_test_alert(sub: Subscriber, settings: Settings) -> list[TestOutcome]:
    """A sample alert (stored nowhere) to every channel of the subscriber, one outcome per URL."""
    from notifier.outbox import send_message
    from notifier.sample import sample_alert

    alert = sample_alert(sub.name)
    outcomes = []
    for raw in sub.urls:
        try:
            url = expand_env(raw)
        except ConfigError as exc:
            outcomes.append(TestOutcome(mask_url(raw), str(exc)))
            continue
        error = send_message(url, [alert], settings.report_base_url, [url], settings.alert_timeout)
        outcomes.append(TestOutcome(mask_url(raw), error))
    return outcomes
