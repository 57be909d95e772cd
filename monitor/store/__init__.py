"""Persistence: SQLAlchemy 2 typed models (monitor.store.models), engine and sessions
(monitor.store.db), Alembic migrations. Nothing is imported here: a reader that needs only the
engine (`policywatch status`) must not load the ORM models."""
