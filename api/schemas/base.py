"""The base of every response model."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class Wire(BaseModel):
    """A response shape: undeclared fields are an error, not silently passed on or dropped."""

    model_config = ConfigDict(extra="forbid")


def file_response(media_type: str, what: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` of a route answering a file rather than JSON."""
    return {200: {"description": what, "content": {media_type: {}}}}


CSV = file_response("text/csv", "the file as CSV")
PNG = file_response("image/png", "the chart as PNG")
HTML = file_response("text/html", "a self-contained page")
PDF = file_response("application/pdf", "a PDF document")


class CatalogueMessage(Wire):
    """A user-facing text as data (``line.catalogue.Message``): its catalogue code and the
    parameters it is filled with; a parameter may itself be a message, or a list of them."""

    model_config = Wire.model_config | {
        "json_schema_extra": {
            "examples": [{"code": "alarm.train.stale", "params": {"train": "T05", "age_s": 12.4}}]
        }
    }

    code: str
    params: dict[str, CatalogueParam]


CatalogueParam = str | int | float | bool | None | CatalogueMessage | list[CatalogueMessage]
CatalogueMessage.model_rebuild()
