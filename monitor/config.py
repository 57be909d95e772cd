"""Typed configuration: the sources file (YAML) and the settings file (TOML).

Mistakes are reported with the file and line they are on, so `policywatch config check` and a bad
nightly run both point the operator at the exact spot.
"""

from __future__ import annotations

import logging
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml

EVENT_TYPES = (
    "new_policy",
    "text_changed",
    "removed",
    "restored",
    "repealed",
    "expiry_changed",
    "taking_effect",
    "expiring_soon",
    "expired",
)
# A source's own health, for operators: opt-in (`events = ["source_failing", "source_recovered"]`),
# never part of a subscriber's default event list.
SOURCE_EVENT_TYPES = ("source_failing", "source_recovered")
ALL_EVENT_TYPES = EVENT_TYPES + SOURCE_EVENT_TYPES


log = logging.getLogger("policywatch.config")


class ConfigError(ValueError):
    """A configuration mistake, with where it is."""


@dataclass(frozen=True, slots=True)
class Selectors:
    title: str | None = None
    body: str | None = None
    list_links: str | None = None  # CSS selector for the <a> elements of list rows


@dataclass(frozen=True, slots=True)
class SourceConfig:
    name: str
    start_urls: tuple[str, ...]
    region: str = ""
    allow: tuple[str, ...] = ()  # regexes a detail-page URL must match
    deny: tuple[str, ...] = ()
    selectors: Selectors = Selectors()
    schedule: str = "0 2 * * *"
    download_delay: float | None = None
    concurrency: int | None = None
    max_list_pages: int = 50
    # Re-check policy (crawler/recheck.py): policies in force or of unknown status are re-checked
    # (conditionally) every run; repealed/expired/withdrawn ones every `recheck_inactive_days`;
    # every known page gets an unconditional GET at least every `full_refetch_days`.
    recheck_inactive_days: int = 7
    full_refetch_days: int = 7
    kind: str = "html"  # html (list pages) or json_api (a policy library's JSON search API)
    api: Mapping[str, Any] | None = None  # json_api: field mapping, see seeds/sources.yaml

    def allows(self, url: str) -> bool:
        if any(re.search(p, url) for p in self.deny):
            return False
        return not self.allow or any(re.search(p, url) for p in self.allow)


class _LineLoader(yaml.SafeLoader):
    """Keeps the line of every mapping so errors can name it."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)

_SOURCE_KEYS = {
    "name",
    "region",
    "start_urls",
    "allow",
    "deny",
    "selectors",
    "schedule",
    "download_delay",
    "concurrency",
    "max_list_pages",
    "recheck_inactive_days",
    "full_refetch_days",
    "kind",
    "api",
}


_RETIRED_SOURCE_KEYS = {
    key: "policies in force are now re-checked every run; repealed/expired ones every "
    "recheck_inactive_days, every page in full every full_refetch_days"
    for key in ("old_after_days", "recheck_old_days")
}


def _as_tuple(value: Any, where: str, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(f"{where}: '{key}' must be a string or a list of strings")


def _kind(entry: Mapping[str, Any], where: str) -> str:
    kind = str(entry.get("kind") or "html")
    if kind not in ("html", "json_api"):
        raise ConfigError(f"{where}: kind must be html or json_api, not '{kind}'")
    if kind == "json_api" and not isinstance(entry.get("api"), dict):
        raise ConfigError(f"{where}: a json_api source needs an 'api' mapping (rows, title, url, …)")
    return kind


def _positive(entry: Mapping[str, Any], key: str, default: int, where: str) -> int:
    value = entry.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"{where}: '{key}' must be a positive whole number of days")
    return value


def yaml_error(exc: yaml.YAMLError, text: str, filename: str) -> str:
    """`file:line:col: what` and the offending line with a caret, not PyYAML's internals."""
    mark = getattr(exc, "problem_mark", None)
    if not isinstance(exc, yaml.MarkedYAMLError) or mark is None:
        return f"{filename}: not valid YAML ({type(exc).__name__})"
    what = " ".join(str(p) for p in (exc.context, exc.problem) if p) or "not valid YAML"
    lines = text.splitlines()
    offending = lines[mark.line] if mark.line < len(lines) else ""
    return (
        f"{filename}:{mark.line + 1}:{mark.column + 1}: invalid YAML: {what}\n    {offending}\n    {' ' * mark.column}^"
    )


def parse_sources(text: str, filename: str = "<sources>") -> list[SourceConfig]:
    try:
        data = yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as exc:
        raise ConfigError(yaml_error(exc, text, filename)) from exc
    if isinstance(data, dict) and "sources" in data:
        data = data["sources"]
    if not isinstance(data, list):
        raise ConfigError(f"{filename}: expected a list of sources (or a 'sources:' key holding one)")
    sources: list[SourceConfig] = []
    names: set[str] = set()
    for entry in data:
        if not isinstance(entry, dict):
            raise ConfigError(f"{filename}: every source must be a mapping")
        where = f"{filename}:{entry.get('__line__', '?')}"
        unknown = set(entry) - _SOURCE_KEYS - {"__line__"}
        for key in sorted(unknown & set(_RETIRED_SOURCE_KEYS)):
            # An upgrade must not stop a nightly run: a retired key is ignored, with a warning.
            log.warning("%s: '%s' is no longer used: %s", where, key, _RETIRED_SOURCE_KEYS[key])
            unknown.discard(key)
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        name = entry.get("name")
        if not isinstance(name, str) or not name:
            raise ConfigError(f"{where}: a source needs a 'name'")
        if name in names:
            raise ConfigError(f"{where}: duplicate source name '{name}'")
        names.add(name)
        start_urls = _as_tuple(entry.get("start_urls"), where, "start_urls")
        if not start_urls:
            raise ConfigError(f"{where}: source '{name}' needs at least one start_url")
        for url in start_urls:
            if not re.match(r"https?://", url):
                raise ConfigError(f"{where}: start_url '{url}' is not an http(s) URL")
        allow = _as_tuple(entry.get("allow"), where, "allow")
        deny = _as_tuple(entry.get("deny"), where, "deny")
        for pattern in (*allow, *deny):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ConfigError(f"{where}: bad regex '{pattern}': {exc}") from exc
        sel = entry.get("selectors") or {}
        if not isinstance(sel, dict):
            raise ConfigError(f"{where}: 'selectors' must be a mapping")
        sel = {k: v for k, v in sel.items() if k != "__line__"}
        if set(sel) - {"title", "body", "list_links"}:
            raise ConfigError(f"{where}: selectors take only title, body, list_links")
        sources.append(
            SourceConfig(
                name=name,
                start_urls=start_urls,
                region=str(entry.get("region") or ""),
                allow=allow,
                deny=deny,
                selectors=Selectors(**sel),
                schedule=str(entry.get("schedule") or "0 2 * * *"),
                download_delay=entry.get("download_delay"),
                concurrency=entry.get("concurrency"),
                max_list_pages=int(entry.get("max_list_pages") or 50),
                recheck_inactive_days=_positive(entry, "recheck_inactive_days", 7, where),
                full_refetch_days=_positive(entry, "full_refetch_days", 7, where),
                kind=_kind(entry, where),
                api={k: v for k, v in (entry.get("api") or {}).items() if k != "__line__"} or None,
            )
        )
    return sources


def load_sources(path: str | Path) -> list[SourceConfig]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read sources file {path}: {exc.strerror}") from exc
    return parse_sources(text, str(path))


# --- settings (policywatch.toml) ----------------------------------------------------------------

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def env_refs(url: str) -> list[str]:
    """The environment variables a URL references."""
    return _ENV_REF.findall(url)


def _userinfo_end(url: str) -> int:
    """Where the user:password part of a URL template ends (0 when it has none)."""
    start = url.find("://")
    if start < 0:
        return 0
    authority = re.match(r"[^/?#]*", url[start + 3 :])
    at = authority.group().rfind("@") if authority else -1
    return start + 3 + at if at >= 0 else 0


def expand_env(value: str, env: Mapping[str, str] | None = None) -> str:
    """Replace ${VAR} with the environment's value, so secrets stay out of the config file. A value
    in the user:password part is percent-encoded: a password with `#@:/?` stays one password."""
    env = os.environ if env is None else env
    userinfo_end = _userinfo_end(value)

    def repl(m: re.Match[str]) -> str:
        if m.group(1) not in env:
            raise ConfigError(f"environment variable {m.group(1)} is not set")
        return quote(env[m.group(1)], safe="") if m.start() < userinfo_end else env[m.group(1)]

    return _ENV_REF.sub(repl, value)


IMPORTANCE = ("low", "medium", "high")
DELIVERY_MODES = ("immediate", "digest")


@dataclass(frozen=True, slots=True)
class Subscriber:
    name: str
    urls: tuple[str, ...]  # apprise URLs, may hold ${ENV} references (expanded at send time)
    events: tuple[str, ...] = EVENT_TYPES
    regions: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    min_importance: str = "low"
    mode: str = "immediate"  # immediate: one message per event; digest: one per run

    def wants(self, event_type: str, importance: str, region: str, source: str, text: str) -> bool:
        if event_type not in self.events:
            return False
        if IMPORTANCE.index(importance) < IMPORTANCE.index(self.min_importance):
            return False
        if self.regions and not any(r in region for r in self.regions):
            return False
        if self.sources and source not in self.sources:
            return False
        return not self.keywords or any(k in text for k in self.keywords)


DEFAULT_USER_AGENT = "policywatch/0.1 (+https://github.com/policywatch/policywatch)"


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str | None = None
    report_dir: str = "report"
    report_base_url: str = ""  # where the report is published; alerts link to it
    user_agent: str = DEFAULT_USER_AGENT
    expiring_soon_days: int = 30
    alert_max_tries: int = 5
    alert_timeout: int = 30  # seconds a receiver may take to answer before the outcome is "unknown"
    subscribers: tuple[Subscriber, ...] = field(default=())


_SECTIONS = {
    "database": {"url"},
    "report": {"dir", "base_url"},
    "crawl": {"user_agent"},
    "alerts": {"expiring_soon_days", "max_tries", "timeout"},
}
_SUBSCRIBER_KEYS = {"name", "urls", "events", "regions", "sources", "keywords", "min_importance", "mode"}


class _Lines:
    """Finds the line of a table or key in the TOML text, so every mistake can be pointed at."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def table(self, header: str, nth: int = 0) -> int:
        pattern = re.compile(rf"^\s*\[+\s*{re.escape(header)}\s*\]+")
        hits = [i for i, line in enumerate(self.lines) if pattern.match(line)]
        return hits[nth] + 1 if nth < len(hits) else 0

    def key(self, key: str, after: int) -> int:
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
        for i in range(max(after, 1), len(self.lines) + 1):
            line = self.lines[i - 1]
            if i > after and line.lstrip().startswith("["):
                break
            if pattern.match(line):
                return i
        return after


def check_settings(text: str, filename: str = "<settings>") -> tuple[Settings | None, list[str]]:
    """Parse and validate; returns the settings (when valid) and every mistake as "file:line: what"."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return None, [f"{filename}: {exc}"]
    lines = _Lines(text)
    errors: list[str] = []

    def err(line: int, message: str) -> None:
        errors.append(f"{filename}:{line}: {message}" if line else f"{filename}: {message}")

    for section, value in data.items():
        if section == "subscribers":
            continue
        if section not in _SECTIONS or not isinstance(value, dict):
            err(lines.table(section), f"unknown section [{section}]")
            continue
        for key in set(value) - _SECTIONS[section]:
            err(lines.key(key, lines.table(section)), f"unknown option '{key}' in [{section}]")
    alerts = data.get("alerts", {}) if isinstance(data.get("alerts"), dict) else {}
    for key in ("expiring_soon_days", "max_tries", "timeout"):
        if key in alerts and (not isinstance(alerts[key], int) or alerts[key] < 1):
            err(lines.key(key, lines.table("alerts")), f"'{key}' must be a positive whole number")

    subs: list[Subscriber] = []
    names: set[str] = set()
    for i, raw in enumerate(data.get("subscribers", []) or []):
        at = lines.table("subscribers", i)
        if not isinstance(raw, dict):
            err(at, "each [[subscribers]] entry must be a table")
            continue
        for key in set(raw) - _SUBSCRIBER_KEYS:
            err(lines.key(key, at), f"unknown option '{key}' in [[subscribers]]")
        name = raw.get("name")
        if not isinstance(name, str) or not name:
            err(at, "a subscriber needs a 'name'")
            continue
        if name in names:
            err(lines.key("name", at), f"duplicate subscriber name '{name}'")
        names.add(name)
        urls = raw.get("urls")
        if not isinstance(urls, list) or not urls or not all(isinstance(u, str) and "://" in u for u in urls):
            err(lines.key("urls", at), f"subscriber '{name}' needs 'urls', a list of apprise URLs (scheme://…)")
            continue
        events = raw.get("events") or list(EVENT_TYPES)
        bad = sorted(set(events) - set(ALL_EVENT_TYPES))
        if bad:
            err(lines.key("events", at), f"unknown event type(s) {', '.join(bad)}; known: {', '.join(ALL_EVENT_TYPES)}")
        importance = raw.get("min_importance", "low")
        if importance not in IMPORTANCE:
            err(lines.key("min_importance", at), f"'min_importance' must be one of {', '.join(IMPORTANCE)}")
        mode = raw.get("mode", "immediate")
        if mode not in DELIVERY_MODES:
            err(lines.key("mode", at), f"'mode' must be one of {', '.join(DELIVERY_MODES)}")
        if not errors:
            subs.append(
                Subscriber(
                    name=name,
                    urls=tuple(urls),
                    events=tuple(events),
                    regions=tuple(raw.get("regions") or ()),
                    sources=tuple(raw.get("sources") or ()),
                    keywords=tuple(raw.get("keywords") or ()),
                    min_importance=importance,
                    mode=mode,
                )
            )
    if errors:
        return None, errors
    db, report, crawl = data.get("database", {}), data.get("report", {}), data.get("crawl", {})
    settings = Settings(
        database_url=db.get("url"),
        report_dir=report.get("dir", "report"),
        report_base_url=report.get("base_url", ""),
        user_agent=crawl.get("user_agent", DEFAULT_USER_AGENT),
        expiring_soon_days=int(alerts.get("expiring_soon_days", 30)),
        alert_max_tries=int(alerts.get("max_tries", 5)),
        alert_timeout=int(alerts.get("timeout", 30)),
        subscribers=tuple(subs),
    )
    return settings, []


def parse_settings(text: str, filename: str = "<settings>") -> Settings:
    settings, errors = check_settings(text, filename)
    if errors or settings is None:
        raise ConfigError("; ".join(errors))
    return settings


def load_settings(path: str | Path | None) -> Settings:
    if path is None:
        return Settings()
    path = Path(path)
    try:
        return parse_settings(path.read_text(encoding="utf-8"), str(path))
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from exc


def sources_by_name(sources: Sequence[SourceConfig], names: Sequence[str]) -> list[SourceConfig]:
    known = {s.name: s for s in sources}
    missing = [n for n in names if n not in known]
    if missing:
        raise ConfigError(f"unknown source(s): {', '.join(missing)}; known: {', '.join(known)}")
    return [known[n] for n in names]
