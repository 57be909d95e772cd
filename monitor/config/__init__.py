"""Typed configuration: the sources file (YAML) and the settings file (TOML), as pydantic v2 models.

Mistakes are reported with the file and line they are on, so `policywatch config check` and a bad
nightly run both point the operator at the exact spot. Modules: `types` (the value types), `sources`
(one watched site), `settings` (policywatch.toml and its subscribers), `loading` (reading files,
mapping errors to lines), `crontab` (a source's schedule), `envrefs` (`${VAR}` in URLs).
"""

from monitor.config.crontab import CrontabError, cron_trigger
from monitor.config.envrefs import env_refs, expand_env
from monitor.config.errors import ConfigError, yaml_error
from monitor.config.loading import (
    check_settings,
    load_settings,
    load_sources,
    parse_settings,
    parse_sources,
    sources_by_name,
)
from monitor.config.settings import (
    ALL_EVENT_TYPES,
    DEFAULT_USER_AGENT,
    DELIVERY_MODES,
    EVENT_TYPES,
    IMPORTANCE,
    SOURCE_EVENT_TYPES,
    Settings,
    SettingsFile,
    Subscriber,
)
from monitor.config.sources import Selectors, SourceConfig

__all__ = [
    "ALL_EVENT_TYPES",
    "DEFAULT_USER_AGENT",
    "DELIVERY_MODES",
    "EVENT_TYPES",
    "IMPORTANCE",
    "SOURCE_EVENT_TYPES",
    "ConfigError",
    "CrontabError",
    "Selectors",
    "Settings",
    "SettingsFile",
    "SourceConfig",
    "Subscriber",
    "check_settings",
    "cron_trigger",
    "env_refs",
    "expand_env",
    "load_settings",
    "load_sources",
    "parse_settings",
    "parse_sources",
    "sources_by_name",
    "yaml_error",
]
