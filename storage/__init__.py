"""Infrastructure for our tables: the engine factory (:mod:`storage.engine`), Alembic migration
streams (:mod:`storage.migrations`, :mod:`storage.alembic_env`) and the one-table store life cycle
(:mod:`storage.table_store`). It knows no application package; the packages that own tables
(crew, accounts, reports, whatif, services) use it."""
