"""The 422 of a malformed request in the asker's language.

pydantic words its errors in English only; the web UI shows them beside the field (the form's
own checks catch most mistakes first, but not all: a number out of range, a date the browser
let through). For a Vietnamese request each error's ``msg`` is said again from its ``type``
and ``ctx``; English requests keep pydantic's own text. A custom validator that refuses in
the catalogue's words (:class:`line.catalogue.Invalid`) is said in either language from its
message, whose code the error carries as ``code`` (its ``type`` stays what clients know);
any other type not listed here keeps pydantic's text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from fastapi import HTTPException
from pydantic import ValidationError

from line.catalogue import Lang, Refusal, render

#: pydantic error type → the Vietnamese ``msg`` (``str.format`` fields from the error's ``ctx``).
VI: Final[Mapping[str, str]] = {
    "missing": "bắt buộc nhập",
    "string_too_short": "cần ít nhất {min_length} ký tự",
    "string_too_long": "tối đa {max_length} ký tự",
    "string_type": "phải là chuỗi ký tự",
    "string_pattern_mismatch": "sai định dạng (mẫu {pattern})",
    "int_type": "phải là số nguyên",
    "int_parsing": "phải là số nguyên",
    "int_from_float": "phải là số nguyên",
    "float_type": "phải là số",
    "float_parsing": "phải là số",
    "finite_number": "phải là số hữu hạn",
    "greater_than": "phải lớn hơn {gt}",
    "greater_than_equal": "phải lớn hơn hoặc bằng {ge}",
    "less_than": "phải nhỏ hơn {lt}",
    "less_than_equal": "phải nhỏ hơn hoặc bằng {le}",
    "bool_type": "phải là đúng hoặc sai",
    "bool_parsing": "phải là đúng hoặc sai",
    "enum": "phải là một trong: {expected}",
    "literal_error": "phải là một trong: {expected}",
    "datetime_type": "phải là ngày giờ",
    "datetime_parsing": "ngày giờ không hợp lệ",
    "datetime_from_date_parsing": "ngày giờ không hợp lệ",
    "timezone_aware": "ngày giờ cần có múi giờ",
    "date_type": "phải là ngày",
    "date_parsing": "ngày không hợp lệ",
    "date_from_datetime_parsing": "ngày không hợp lệ",
    "too_short": "cần ít nhất {min_length} mục",
    "too_long": "tối đa {max_length} mục",
    "list_type": "phải là danh sách",
    "dict_type": "phải là một đối tượng",
    "model_type": "phải là một đối tượng",
    "model_attributes_type": "phải là một đối tượng",
    "extra_forbidden": "trường này không được phép",
    "json_invalid": "JSON không hợp lệ",
    "json_type": "phải là JSON",
    "uuid_parsing": "mã UUID không hợp lệ",
}


def localised(errors: list[dict[str, Any]], lang: Lang) -> list[dict[str, Any]]:
    """``errors`` (pydantic's, without their inputs) with ``msg`` in ``lang``."""
    out = []
    for e in errors:
        ctx = e.get("ctx") or {}
        refusal = ctx.get("error")
        if isinstance(refusal, Refusal):  # the catalogue's words, in either language
            m = refusal.message
            e = {**e, "msg": render(m, lang), "code": m.code, "ctx": m.to_json()["params"]}
            out.append(e)
            continue
        template = VI.get(str(e.get("type"))) if lang == "vi" else None
        if template is not None:
            ctx = {k: _number(v) for k, v in ctx.items()}
            try:
                e = {**e, "msg": template.format_map(ctx)}
            except (KeyError, IndexError, ValueError):
                pass  # a ctx without the field: pydantic's own words rather than none
        out.append(e)
    return out


def invalid_input(loc: Sequence[Any], why: Exception | str, kind: str, lang: Lang) -> HTTPException:
    """A 422 for one input a route refused after validation (a scenario's days, a variant) of
    ``type`` ``kind``: said in ``lang`` when the refusal is the catalogue's, with its ``code``."""
    # a KeyError's str() is its text quoted: its argument is the text
    msg = str(why.args[0]) if isinstance(why, KeyError) and why.args else str(why)
    error: dict[str, Any] = {"loc": list(loc), "msg": msg, "type": kind}
    if isinstance(why, Refusal):
        error.update(msg=render(why.message, lang), code=why.message.code)
    return HTTPException(422, [error])


def invalid_nested(prefix: Sequence[Any], exc: ValidationError, lang: Lang) -> HTTPException:
    """A 422 for a model validated inside a route (an inline scenario): pydantic's errors
    under ``prefix``, in ``lang``, without the values sent or anything not JSON."""
    errors = [
        {"loc": [*prefix, *e["loc"]], "msg": e["msg"], "type": e["type"], "ctx": e.get("ctx")}
        for e in exc.errors(include_url=False, include_input=False)
    ]
    return HTTPException(
        422,
        [{k: v for k, v in e.items() if k != "ctx" or _plain(v)} for e in localised(errors, lang)],
    )


def _plain(ctx: Any) -> bool:
    """A ctx that is JSON as it is (a custom validator's holds the exception itself)."""
    return isinstance(ctx, dict) and all(
        isinstance(v, str | int | float | bool) or v is None for v in ctx.values()
    )


def _number(v: Any) -> Any:
    """480.0 → 480: a whole bound said as people write it."""
    return int(v) if isinstance(v, float) and v.is_integer() else v
