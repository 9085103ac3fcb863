"""The control-room web UI: its pages, its static assets, and the line geometry it draws.

The UI is plain ES modules and CSS under ``web/`` (no build step, nothing from a CDN; uPlot is
vendored in ``web/vendor/uplot``). Pages are public files — every datum they show comes from the
API, which checks the caller's role; a signed-out page sends the browser to ``/login``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from accounts.identity import READERS, Principal
from api.auth import require_roles
from api.deps import RuntimeDep
from api.schemas.ops import LineGeometry

WEB_DIR = Path(__file__).resolve().parents[2] / "web"

#: URL path → page file. Clean URLs so bookmarks survive a change of file layout.
PAGES = {
    "/login": "login.html",
    "/board": "board.html",
    "/crew": "crew.html",
    "/whatif": "whatif.html",
    "/history": "history.html",
    "/marey": "marey.html",
    "/reports": "reports.html",
    "/shiftlog": "shiftlog.html",
    "/incidents": "incidents.html",
    "/handover": "handover.html",
    "/alarmperf": "alarmperf.html",
    "/audit": "audit.html",
}

# Pages must be re-validated (a deploy changes them); assets are small, so the same.
_NO_CACHE = {"Cache-Control": "no-cache"}

router = APIRouter(tags=["web"])
Reader = Annotated[Principal, Depends(require_roles(*READERS))]


def _page_route(filename: str) -> Any:
    async def page() -> FileResponse:
        return FileResponse(WEB_DIR / filename, media_type="text/html", headers=_NO_CACHE)

    page.__name__ = f"page_{filename.removesuffix('.html')}"
    return page


for _path, _file in PAGES.items():
    router.add_api_route(_path, _page_route(_file), methods=["GET"], include_in_schema=False)


@router.get("/", include_in_schema=False)
async def root() -> RedirectResponse:
    return RedirectResponse("/board", status_code=307)


@router.get("/api/line", tags=["board"], response_model=LineGeometry)
def line_geometry(_: Reader, rt: RuntimeDep) -> dict[str, Any]:
    """What the line diagram draws: stations, substations and the depot with chainages (m)."""
    line = rt.line
    return {
        "id": line.id,
        "name": line.name,
        "name_en": line.name_en,
        "length_m": line.length_m,
        "stations": [
            {"id": s.id, "name": s.name, "chainage_m": s.chainage_m} for s in line.stations
        ],
        "substations": [
            {"id": s.id, "name": s.name, "chainage_m": s.chainage_m} for s in line.substations
        ],
        "depot": {
            "id": line.depot.id,
            "name": line.depot.name,
            "chainage_m": line.depot.chainage_m,
        },
        "trains": list(line.fleet.trains),
        "planned_in_service": line.fleet.planned_in_service,
    }


def mount_web(app: FastAPI) -> None:
    """Serve ``web/`` under ``/static`` and the pages at their clean URLs."""
    app.mount("/static", StaticFiles(directory=WEB_DIR, html=False), name="static")
    app.include_router(router)
