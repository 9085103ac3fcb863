"""One message catalogue: every text the back end shows people, as a code and parameters.

The domain packages say *what* happened as a :class:`Message` (``code`` + ``params``: data,
not words); the edge — an API serialiser, the board's JSON, a report, the GTFS-RT feed —
renders it in Vietnamese (the default) or English with :func:`render`. The texts themselves
are :data:`line.texts.TEXTS`, one table for both languages.

It lives in ``line`` because ``line`` is the base every package may import and imports nothing
of ours: telemetry, crew, the services and the API all use the same codes without depending on
each other. Codes are named after the package that raises them (``alarm.train.stale``,
``crew.problem.rest``, ``crew.trace.shares_group``), so each text's owner is plain.

Parameters are JSON values (a message's :meth:`Message.to_json` is stored with a saved alarm
book and sent to API clients) or nested messages, rendered in the same language: a list of
messages renders as their texts joined by "; ", ``None`` as nothing. A template uses
``str.format`` fields (``{age_s:.0f}``); a text may have a singular (``one``) and a plural
(``other``) form, chosen by the parameter ``n``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from line.texts import TEXTS

Lang = Literal["vi", "en"]
LANGS: tuple[Lang, ...] = ("vi", "en")
DEFAULT_LANG: Lang = "vi"

Param: TypeAlias = "str | int | float | bool | None | Message | tuple[Message, ...]"


@dataclass(frozen=True, slots=True)
class Message:
    """A user-facing text as data: its catalogue ``code`` and the ``params`` it is filled with."""

    code: str
    params: Mapping[str, Param] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """``{"code", "params"}`` with nested messages as the same kind of object."""
        return {"code": self.code, "params": {k: _param_json(v) for k, v in self.params.items()}}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Message:
        """The inverse of :meth:`to_json`."""
        return cls(str(d["code"]), {k: _param_from_json(v) for k, v in d["params"].items()})


def _param_json(v: Param) -> Any:
    if isinstance(v, Message):
        return v.to_json()
    if isinstance(v, tuple):
        return [m.to_json() for m in v]
    return v


def _param_from_json(v: Any) -> Param:
    if isinstance(v, dict):
        return Message.from_json(v)
    if isinstance(v, list):
        return tuple(Message.from_json(m) for m in v)
    if v is None or isinstance(v, str | int | float | bool):
        return v
    return str(v)


class Refusal(Exception):
    """An operation refused for a reason people read: ``message`` says why as a catalogue
    message, rendered in the asker's language at the edge (the API answers ``detail:
    {code, message}``); ``str()`` is its English text, for logs and the audit trail."""

    def __init__(self, message: Message) -> None:
        super().__init__(render(message, "en"))
        self.message = message


class Invalid(Refusal, ValueError):
    """A value refused, in the catalogue's words. Raised in a pydantic validator it is the
    validation error's ``ctx["error"]``, which the API renders in the asker's language (with
    the message's ``code`` beside the error's ``type``); raised elsewhere it is a
    ``ValueError`` saying the rule in English."""


def render(msg: Message, lang: Lang = DEFAULT_LANG) -> str:
    """``msg`` in ``lang``.

    Never fails: an unknown code or a template the parameters do not fill shows the code and
    its parameters (a text missing from the catalogue must not take an alarm off the board);
    ``tests/line/test_catalogue.py`` checks that none is missing.
    """
    entry = TEXTS.get(msg.code)
    if entry is None:
        return _raw(msg)
    template = entry[lang]
    if not isinstance(template, str):
        template = template["one"] if msg.params.get("n") == 1 else template["other"]
    values = {k: _value(v, lang) for k, v in msg.params.items()}
    try:
        return template.format_map(values)
    except (KeyError, ValueError, IndexError, TypeError):
        return _raw(msg)


def render_both(msg: Message) -> tuple[str, str]:
    """(Vietnamese, English): for what is sent once to clients of either language."""
    return render(msg, "vi"), render(msg, "en")


def _value(v: Param, lang: Lang) -> Any:
    if v is None:
        return ""
    if isinstance(v, Message):
        return render(v, lang)
    if isinstance(v, tuple):
        return "; ".join(render(m, lang) for m in v)
    if lang == "vi" and isinstance(v, int | float) and not isinstance(v, bool):
        return _ViNumber(v)
    return v


class _ViNumber:
    """A number in a Vietnamese text, written as Vietnamese writes it: a decimal comma
    (``{minutes:.1f}`` → 4,5) and, in a grouped format (``{n:,}``), a point between the
    thousands (400.000, 1.234,5). Python's formats write the English marks; they are swapped."""

    __slots__ = ("v",)

    def __init__(self, v: float) -> None:
        self.v = v

    def __format__(self, spec: str) -> str:
        return format(self.v, spec).translate(_VI_MARKS)

    def __str__(self) -> str:
        return str(self.v).translate(_VI_MARKS)


_VI_MARKS = str.maketrans({",": ".", ".": ","})


def name_of(kind: str, value: str) -> Message | str:
    """The catalogue's name of ``value`` among ``kind`` (``name_of("shift", "occ_day")`` is
    the message ``shift.occ_day``: "ca ngày" / "the day shift"), or ``value`` itself for one
    the catalogue does not name (a configured id is better shown than a code with no text)."""
    code = f"{kind}.{value}"
    return Message(code) if code in TEXTS else value


def _raw(msg: Message) -> str:
    shown = ", ".join(f"{k}={v!r}" for k, v in msg.params.items())
    return f"{msg.code}({shown})"


def pick_lang(accept_language: str | None) -> Lang:
    """The language of ours an ``Accept-Language`` header prefers; Vietnamese otherwise."""
    best, best_q = DEFAULT_LANG, 0.0
    for part in (accept_language or "").split(","):
        tag, _, rest = part.partition(";")
        primary = tag.strip().lower().split("-")[0]
        q = 1.0
        name, _, value = rest.strip().partition("=")
        if name.strip() == "q":
            try:
                q = float(value)
            except ValueError:
                q = 0.0
        if primary in LANGS and q > best_q:
            best, best_q = ("en" if primary == "en" else "vi"), q
    return best
