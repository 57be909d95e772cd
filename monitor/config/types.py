"""The value types of the configuration files, as pydantic v2 annotated types.

Every type is strict where YAML/TOML already give a real type: a whole number is never `true` or
`"5"`, a boolean is never `1`, a delay is a number. A single string where a list is meant is one
element (`regions = "海淀"` is `("海淀",)`), never its characters; a filter word that looks like several
values in one string (`"海淀,朝阳"`) is refused, since it could never match.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, StrictBool, StringConstraints, TypeAdapter
from pydantic import HttpUrl as _HttpUrl

from monitor.config.crontab import check_crontab

Flag = StrictBool  # true/false only: `1` is not a boolean
Positive = Annotated[int, Field(strict=True, ge=1)]  # a whole number ≥ 1 (never `true`, never "5")
Delay = Annotated[float, Field(strict=True, ge=0)]  # seconds; `slow` or `true` is refused
Name = Annotated[str, StringConstraints(strict=True, strip_whitespace=True, min_length=1)]

_LIST_SEPARATORS = re.compile(r"[,，、;；]")


def _one_or_many(value: Any) -> Any:
    """A single string where a list is meant is a list of one, never a sequence of characters;
    an empty entry (`allow:`) is an empty list."""
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else value


def _one_word(value: str) -> str:
    if _LIST_SEPARATORS.search(value):
        raise ValueError(f'\'{value}\' looks like several values in one string: write a list, e.g. ["海淀", "朝阳"]')
    return value


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"bad regex '{value}': {exc}") from exc
    return value


_HTTP_URL: TypeAdapter[_HttpUrl] = TypeAdapter(_HttpUrl)


def _http_url(value: str) -> str:
    """Checked as an http(s) URL, kept exactly as written (a start URL is an identity)."""
    if not re.match(r"https?://", value, re.I):
        raise ValueError(f"'{value}' is not an http(s) URL")
    try:
        _HTTP_URL.validate_python(value)
    except ValueError as exc:
        raise ValueError(f"'{value}' is not a valid http(s) URL") from exc
    return value


def _page_url(value: str) -> str:
    """Where pages are published: an http(s) address, or a file:// one for a local report."""
    if not value or re.match(r"file:///", value, re.I):
        return value
    if not re.match(r"https?://", value, re.I):
        raise ValueError(f"'{value}' is not an http(s):// or file:// URL")
    return _http_url(value)


def _scheme_url(value: str) -> str:
    if "://" not in value:
        raise ValueError(f"'{value}' is not a URL (expected scheme://…, e.g. mailtos://, wecombot://, json://)")
    return value


Text = Annotated[str, Field(strict=True)]
Regex = Annotated[str, Field(strict=True), AfterValidator(_regex)]
HttpUrl = Annotated[str, Field(strict=True), AfterValidator(_http_url)]
ChannelUrl = Annotated[str, Field(strict=True), AfterValidator(_scheme_url)]
PageUrl = Annotated[str, Field(strict=True), AfterValidator(_page_url)]  # "", http(s):// or file://
Crontab = Annotated[str, Field(strict=True), AfterValidator(check_crontab)]
FilterWord = Annotated[str, Field(strict=True, min_length=1), AfterValidator(_one_word)]

Regexes = Annotated[tuple[Regex, ...], BeforeValidator(_one_or_many)]
HttpUrls = Annotated[tuple[HttpUrl, ...], BeforeValidator(_one_or_many), Field(min_length=1)]
ChannelUrls = Annotated[tuple[ChannelUrl, ...], BeforeValidator(_one_or_many), Field(min_length=1)]
FilterWords = Annotated[tuple[FilterWord, ...], BeforeValidator(_one_or_many)]
