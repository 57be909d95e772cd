"""Persistence: SQLAlchemy 2 typed models, sessions, Alembic migrations."""

from monitor.store.db import Database, resolve_database_url
from monitor.store.models import (
    Alert,
    Base,
    Event,
    Policy,
    PolicyAlias,
    RepealLink,
    Run,
    Source,
    Version,
)

__all__ = [
    "Alert",
    "Base",
    "Database",
    "Event",
    "Policy",
    "PolicyAlias",
    "RepealLink",
    "Run",
    "Source",
    "Version",
    "resolve_database_url",
]
