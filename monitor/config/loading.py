"""Reading the sources file (YAML) and the settings file (TOML) into their models. Every mistake is
reported with the file and line it is on, so `policywatch config check` and a bad nightly run both
point the operator at the exact spot."""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from monitor.config.errors import ConfigError, describe
from monitor.config.lines import Loc, TomlLines, read_yaml, yaml_line
from monitor.config.settings import Settings, SettingsFile
from monitor.config.sources import SourceConfig

log = logging.getLogger("policywatch.config")

_SOURCES: TypeAdapter[list[SourceConfig]] = TypeAdapter(list[SourceConfig])
_RETIRED_SOURCE_KEYS = {
    key: "policies in force are now re-checked every run; repealed/expired ones every "
    "recheck_inactive_days, every page in full every full_refetch_days"
    for key in ("old_after_days", "recheck_old_days")
}


def _where(filename: str, line: int) -> str:
    return f"{filename}:{line}" if line else filename


def _problems(
    exc: ValidationError,
    filename: str,
    line_of: Callable[[Loc, bool], int],
    message: Callable[[Mapping[str, Any]], str],
) -> list[str]:
    out = []
    for error in exc.errors(include_url=False):
        line = line_of(error["loc"], error["type"] == "extra_forbidden")
        out.append(f"{_where(filename, line)}: {message(error)}")
    return out


def _drop_retired(entries: list[Any], node: Any, prefix: Loc, filename: str) -> None:
    """An upgrade must not stop a nightly run: a retired key is ignored, with a warning."""
    for i, entry in enumerate(entries):
        for key in sorted(set(entry) & set(_RETIRED_SOURCE_KEYS) if isinstance(entry, dict) else ()):
            line = yaml_line(node, [*prefix, i, key], True)
            log.warning("%s: '%s' is no longer used: %s", _where(filename, line), key, _RETIRED_SOURCE_KEYS[key])
            del entry[key]


# A check beyond the file's own types, by the layer that knows (the crawler's source kinds): for a
# source, each (key, what is wrong with it) — reported on that key's line.
SourceCheck = Callable[[SourceConfig], Sequence[tuple[str, str]]]


def parse_sources(text: str, filename: str = "<sources>", check: SourceCheck | None = None) -> list[SourceConfig]:
    data, node = read_yaml(text, filename)
    prefix: list[int | str] = []
    if isinstance(data, dict) and "sources" in data:
        data, prefix = data["sources"], ["sources"]
    if not isinstance(data, list):
        raise ConfigError(f"{filename}: expected a list of sources (or a 'sources:' key holding one)")
    _drop_retired(data, node, prefix, filename)

    def message(error: Mapping[str, Any]) -> str:
        loc = error["loc"]
        entry = data[loc[0]] if loc and isinstance(loc[0], int) and loc[0] < len(data) else None
        name = entry.get("name") if isinstance(entry, dict) else None
        return f"source '{name}': {describe(error)}" if isinstance(name, str) and name else describe(error)

    try:
        sources = _SOURCES.validate_python(data)
    except ValidationError as exc:
        raise ConfigError(
            _problems(exc, filename, lambda loc, at_key: yaml_line(node, [*prefix, *loc], at_key), message)
        ) from None
    seen: set[str] = set()
    problems: list[str] = []
    for i, source in enumerate(sources):
        if source.name in seen:
            line = yaml_line(node, [*prefix, i, "name"])
            raise ConfigError(f"{_where(filename, line)}: duplicate source name '{source.name}'")
        seen.add(source.name)
        for key, what in check(source) if check else ():
            line = yaml_line(node, [*prefix, i, key])
            problems.append(f"{_where(filename, line)}: source '{source.name}': {what}")
    if problems:
        raise ConfigError(problems)
    return sources


def load_sources(path: str | Path, check: SourceCheck | None = None) -> list[SourceConfig]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read sources file {path}: {exc.strerror}") from exc
    return parse_sources(text, str(path), check)


def _settings_message(error: Mapping[str, Any]) -> str:
    loc = error["loc"]
    if len(loc) == 1 and error["type"] == "extra_forbidden":
        return f"unknown section [{loc[0]}]; known: {', '.join(SettingsFile.model_fields)}"
    if len(loc) > 1 and loc[0] == "subscribers" and isinstance(loc[1], int):
        return f"[[subscribers]] #{loc[1] + 1}: {describe(error)}"
    return f"[{loc[0]}] {describe(error)}" if len(loc) > 1 else describe(error)


def check_settings(text: str, filename: str = "<settings>") -> tuple[Settings | None, list[str]]:
    """Parse and validate; returns the settings (when valid) and every mistake as "file:line: what"."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return None, [f"{filename}: {exc}"]
    lines = TomlLines(text)
    try:
        parsed = SettingsFile.model_validate(data)
    except ValidationError as exc:
        return None, _problems(exc, filename, lambda loc, _: lines.line(loc), _settings_message)
    seen: set[str] = set()
    for i, sub in enumerate(parsed.subscribers):
        if sub.name in seen:
            line = lines.line(("subscribers", i, "name"))
            return None, [f"{_where(filename, line)}: duplicate subscriber name '{sub.name}'"]
        seen.add(sub.name)
    return parsed.settings(), []


def parse_settings(text: str, filename: str = "<settings>") -> Settings:
    settings, errors = check_settings(text, filename)
    if errors or settings is None:
        raise ConfigError(errors)
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
