"""Where the configuration is read from when no path is given — one answer for `policywatch` and for
a bare `scrapy crawl policy`. Standard library only: the CLI imports it before anything heavy."""

from __future__ import annotations

from pathlib import Path

DEFAULT_CONFIG = "policywatch.toml"


def config_path(option: str | None) -> Path | None:
    """The given path, else ./policywatch.toml when it exists, else none (the defaults apply)."""
    if option:
        return Path(option)
    return Path(DEFAULT_CONFIG) if Path(DEFAULT_CONFIG).is_file() else None


def sources_path(option: str | None) -> Path:
    """The given path, else ./seeds/sources.yaml in a checkout, else the catalogue shipped in the package."""
    if option:
        return Path(option)
    local = Path("seeds/sources.yaml")
    if local.is_file():
        return local
    from seeds import SEEDS_DIR

    return SEEDS_DIR / "sources.yaml"
