"""Persistence: SQLAlchemy models, engine and sessions, and the event log."""
