"""Database URLs as people write them, made into the async URLs the stores open.

Shared by the server's settings and the command-line tools that take a database URL
(``metro-ops simulate --crew-db``): one rule for both.
"""

from __future__ import annotations

#: Drivers a plain database URL gets: what everyone writes, made async.
ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


def async_db_url(url: str) -> str:
    """``sqlite:///…`` and ``postgresql://…`` (or ``postgres://``) with the async driver the
    stores use; a synchronous driver or another database is refused saying what to write."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        u = make_url(url)
    except ArgumentError:
        raise ValueError(
            "not a database URL: write sqlite:///data/metro.db or postgresql://user@host/db"
        ) from None
    backend = "postgresql" if u.get_backend_name() in ("postgres", "postgresql") else None
    backend = backend or u.get_backend_name()
    wanted = ASYNC_DRIVERS.get(backend)
    if wanted is None:
        raise ValueError(f"unsupported database {backend!r}: use sqlite:///… or postgresql://…")
    if u.drivername in (backend, "postgres", wanted):
        return u.set(drivername=wanted).render_as_string(hide_password=False)
    raise ValueError(
        f"database driver {u.drivername!r} is synchronous: write {wanted}://… "
        f"(or just {backend}://…)"
    )
