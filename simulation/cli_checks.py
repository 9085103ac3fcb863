"""What ``metro-ops simulate`` checks before it runs, and how it words what went wrong.

A run can take minutes: an output it cannot write (a path under a file, a plot format
matplotlib does not know) or a crew database that is not there must be refused before it
starts, in one line each, never as a traceback after the work is done.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import ValidationError

from line.catalogue import Lang, Refusal, render
from storage.urls import async_db_url


def error_lines(exc: BaseException, lang: Lang = "en") -> list[str]:
    """What ``exc`` says, one line per problem: a validation error's fields and reasons
    (without pydantic's URL), a catalogue refusal in ``lang``, a KeyError's text (not its
    quoted repr), a missing file's name."""
    if isinstance(exc, Refusal):
        return [render(exc.message, lang)]
    if isinstance(exc, ValidationError):
        out = []
        for e in exc.errors(include_url=False, include_input=False, include_context=False):
            where = ".".join(str(p) for p in e["loc"])
            msg = str(e["msg"]).removeprefix("Value error, ")
            out.append(f"{where}: {msg}" if where else msg)
        return out or [str(exc.title)]
    if isinstance(exc, KeyError) and exc.args:
        text = str(exc.args[0])
    elif isinstance(exc, OSError) and exc.strerror and exc.filename is not None:
        text = f"{exc.filename}: {exc.strerror}"
    else:
        text = str(exc) or type(exc).__name__
    return [" ".join(text.split())]


def check_writable(path: Path, option: str) -> None:
    """Refuse ``path`` as an output file unless it can be written (or made) there: nothing is
    created now, so a refused run leaves nothing behind."""
    if path.is_dir():
        raise ValueError(f"{option} {path}: is a directory, give a file name")
    parent = path.parent
    while not parent.exists():  # the folders that would be made: under what exists?
        parent = parent.parent
    if not parent.is_dir():
        raise ValueError(f"{option} {path}: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise ValueError(f"{option} {path}: not writable")


def plot_formats() -> list[str]:
    """The file extensions the charts can be written as (matplotlib's Agg canvas)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    return sorted(FigureCanvasAgg(Figure()).get_supported_filetypes())


def check_plot(path: Path, option: str = "--plot") -> None:
    """Refuse a chart file whose extension is no image format the charts can be written in."""
    check_writable(path, option)
    ext = path.suffix.lower().removeprefix(".")
    formats = plot_formats()
    if ext not in formats:
        raise ValueError(
            f"{option} {path}: {'.' + ext if ext else 'no'} extension is no image format; "
            f"use one of {', '.join('.' + f for f in formats)}"
        )


def crew_db_url(url: str) -> str:
    """``--crew-db`` as the crew store opens it: the async driver added to ``sqlite:///…``
    or ``postgresql://…`` (as the server's ``db.url``), and an SQLite file that must exist —
    opening a mistyped path would create an empty database and simulate a line without staff."""
    from sqlalchemy.engine import make_url

    try:
        async_url = async_db_url(url)
    except ValueError as exc:
        raise ValueError(f"--crew-db: {exc}") from None
    u = make_url(async_url)
    if u.get_backend_name() == "sqlite":
        db = u.database or ""
        if db in ("", ":memory:") or db.startswith("file::memory:"):
            raise ValueError("--crew-db: an in-memory database has no crew record")
        if not Path(db).is_file():
            raise ValueError(f"--crew-db: no crew database at {db} (the file does not exist)")
    return async_url
