"""Configuration mistakes in words: pydantic's errors and PyYAML's, as `file:line: what`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import yaml


class ConfigError(ValueError):
    """A configuration mistake, with where it is. `problems` holds each one ("file:line: what")."""

    def __init__(self, problems: str | Sequence[str]) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


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


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


_MESSAGES = {
    "missing": "'{key}' is required",
    "int_type": "'{key}' must be a whole number, not {got}",
    "float_type": "'{key}' must be a number (of seconds), not {got}",
    "bool_type": "'{key}' must be true or false, not {got}",
    "string_type": "'{key}' must be a string, not {got}",
    "string_too_short": "'{key}' must not be empty",
    "too_short": "'{key}' needs at least one value",
    "tuple_type": "'{key}' must be a list, not {got}",
    "dict_type": "'{key}' must be a mapping, not {got}",
    "model_type": "'{key}' must be a mapping (a table), not {got}",
    "model_attributes_type": "'{key}' must be a mapping (a table), not {got}",
    "literal_error": "'{key}' must be one of {expected}, not {got}",
    "enum": "'{key}' must be one of {expected}, not {got}",
}


def describe(error: Mapping[str, Any]) -> str:
    """One pydantic error as an operator reads it (the location is added by the caller)."""
    keys = [part for part in error["loc"] if isinstance(part, str)]
    key = keys[-1] if keys else "entry"
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if kind == "extra_forbidden":
        return f"unknown key '{key}'"
    if kind in ("greater_than_equal", "greater_than") and ctx.get("ge", ctx.get("gt")) in (0, 1):
        limit = "a positive whole number" if ctx.get("ge") == 1 else "zero or more"
        return f"'{key}' must be {limit}, not {_shown(error['input'])}"
    template = _MESSAGES.get(kind)
    if template is None:
        return f"'{key}': {error['msg']} (got {_shown(error['input'])})"
    return template.format(key=key, got=_shown(error["input"]), expected=ctx.get("expected", ""))
