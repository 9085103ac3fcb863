"""Alembic migrations of the security tables (run by :func:`accounts.db.migrate` at start).

Their version table is ``security_alembic_version``: a stream of its own beside the crew
tables' in the same database, so neither package needs the other's migrations.
"""
