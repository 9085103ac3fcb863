"""The API's OpenAPI description, with the ``/ws/board`` frames (OpenAPI has no websockets:
their schemas are added as components, so clients and ``web/js/types.js`` get them too)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic.json_schema import models_json_schema

from api.schemas.board import DeltaFrame, HeartbeatFrame, ResyncRequest, SnapshotFrame

#: Models only a websocket carries (server → client frames, and the client's one request).
FRAMES = (SnapshotFrame, DeltaFrame, HeartbeatFrame)
WS_MODELS = (*FRAMES, ResyncRequest)


def install(app: FastAPI) -> None:
    """Make ``app.openapi()`` add the websocket frames' schemas (built once, then cached)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            _, defs = models_json_schema(
                [(m, "serialization") for m in WS_MODELS],
                ref_template="#/components/schemas/{model}",
            )
            schemas = doc.setdefault("components", {}).setdefault("schemas", {})
            for name, schema in defs.get("$defs", {}).items():
                schemas.setdefault(name, schema)
            schemas["BoardFrame"] = {
                "description": "Every frame the server sends on /ws/board (by its type).",
                "oneOf": [{"$ref": f"#/components/schemas/{m.__name__}"} for m in FRAMES],
                "discriminator": {"propertyName": "type"},
            }
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
