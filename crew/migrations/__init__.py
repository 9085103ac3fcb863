"""Alembic migrations of the crew tables (run by :func:`crew.store.engine.migrate` at start-up).

The version table is ``crew_alembic_version``, so other parts can keep their own migration
streams in the same database.
"""
