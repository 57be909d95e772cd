"""Subscriptions and delivery: per-channel message rendering and the alert outbox, via apprise."""
