"""Handlers: orchestrate the domain decisions, the state in PostgreSQL and the outbox."""
