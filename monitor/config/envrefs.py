"""`${VAR}` references in subscriber URLs: secrets stay in the environment, not in the config file."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from urllib.parse import quote

from monitor.config.errors import ConfigError

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
