"""Checks of a subscriber's apprise URL before it is saved or used: is it one apprise can send to,
and does it hold a secret written out instead of a `${VAR}` reference?"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlsplit

import apprise

from monitor.config import ConfigError, Settings, expand_env
from monitor.config.lines import TomlLines
from monitor.secrets import mask_url, scrub
from notifier.channels import robot_url

_REFERENCE = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$")
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SECRET_QUERY_KEYS = re.compile(r"pass|pwd|token|key|secret|sign|auth", re.I)
# Schemes whose first URL part (where a host would be) is the robot's key or token.
_KEY_AS_HOST = ("wecombot", "dingtalk", "feishu", "lark")
EXAMPLE_VARS = {
    "wecombot": "WECOM_ROBOT_KEY",
    "dingtalk": "DINGTALK_TOKEN",
    "feishu": "FEISHU_HOOK",
    "lark": "FEISHU_HOOK",
}


def literal_secrets(url: str) -> list[str]:
    """Passwords, tokens and robot keys written into the URL itself (not as ${VAR})."""
    url = robot_url(url)
    parts = urlsplit(url)
    found = [parts.password or ""]
    if parts.scheme.lower() in _KEY_AS_HOST:
        found.append(parts.netloc.rpartition("@")[2])
    found += [v for k, v in parse_qsl(parts.query) if _SECRET_QUERY_KEYS.search(k)]
    return [s for s in found if s and not _REFERENCE.match(s)]


def how_to_reference(url: str) -> str:
    """A hint that shows the same URL with its secret taken out into an environment variable."""
    scheme = urlsplit(robot_url(url)).scheme.lower()
    if scheme in EXAMPLE_VARS:
        var = EXAMPLE_VARS[scheme]
        return f"--url '{scheme}://${{{var}}}' with {var} set in the environment (e.g. /etc/policywatch/env)"
    return (
        "write the secret as ${VAR}, e.g. --url 'mailtos://${SMTP_USER}:${SMTP_PASSWORD}@smtp.example.com"
        "?to=policy@example.com' with SMTP_USER and SMTP_PASSWORD set in the environment"
    )


def apprise_problem(url: str, env: Mapping[str, str]) -> str:
    """ "" when apprise can send to the URL (unset ${VAR}s are filled with a stand-in for the
    check), else what is wrong with it."""
    expanded = _ENV_REF.sub(lambda m: env.get(m.group(1)) or "placeholder0123456789", robot_url(url))
    if "://" not in expanded:
        return "not a URL (expected scheme://…, e.g. mailtos://, wecombot://, json://)"
    with apprise.LogCapture(level=logging.WARNING) as captured:
        plugin = apprise.Apprise.instantiate(expanded)
    said = "; ".join(line.rsplit(" - ", 1)[-1] for line in captured.getvalue().splitlines() if line.strip())
    said = scrub(said, [expanded])
    if plugin is None:
        scheme = expanded.split("://", 1)[0]
        return f"apprise cannot send to this URL (unknown scheme '{scheme}://' or a required part missing){f': {said}' if said else ''}"
    return f"apprise: {said}" if said else ""


def subscriber_url_problems(settings: Settings, text: str, filename: str, env: Mapping[str, str]) -> list[str]:
    """`config check`: every subscriber URL apprise cannot send to, or whose ${VAR} is not set, as
    "file:line: …" (the line of its `urls`), secrets masked."""
    lines = TomlLines(text)
    problems = []
    for i, sub in enumerate(settings.subscribers):
        line = lines.line(("subscribers", i, "urls"))
        where = f"{filename}:{line}" if line else filename
        for url in sub.urls:
            try:
                expand_env(url, env)
            except ConfigError as exc:
                problems.append(f"{where}: subscriber '{sub.name}' ({mask_url(url)}): {exc}")
            problem = apprise_problem(url, env)
            if problem:
                problems.append(f"{where}: subscriber '{sub.name}' ({mask_url(url)}): {problem}")
    return problems
