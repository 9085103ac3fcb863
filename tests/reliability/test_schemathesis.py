"""Schemathesis against the running app's own OpenAPI schema (a real ``metro-ops serve``).

* With an admin's bearer token (the role that may call everything): no operation answers 5xx
  to any generated request — well-formed ones and the edge cases schemathesis derives from the
  schema (bounds, empty strings, odd unicode, large numbers).
* Without credentials: every operation answers 401, except those the access policy documents
  as public (``tests/api/test_roles_matrix.py``'s ``POLICY``: health, metrics, sign-in and
  sign-out, the passenger GTFS feeds), which must not fail either.

Bounded and deterministic: at most ``MAX_EXAMPLES`` requests per operation, hypothesis
derandomized (the same requests every run), no deadline, no example database. Runs the
simulation queue empties after each operation, so a generated what-if of 10,000 replications
does not keep the cores busy for the rest of the run.
"""

from __future__ import annotations

import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import Case
from schemathesis.core.result import Err

from tests.api.test_roles_matrix import POLICY
from tests.fixtures.metro_server import MetroServer, server_env
from tests.fixtures.mosquitto import Broker
from tests.fixtures.ports import free_port

ADMIN_TOKEN = "tok-admin-schemathesis-0123"
MAX_EXAMPLES = 20
PUBLIC = frozenset(route for route, roles in POLICY.items() if roles is None)


@dataclass
class Served:
    server: MetroServer
    ops: list[Any] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    """One broker and one ``metro-ops serve`` for the module (starting one costs seconds)."""
    root = Path(tempfile.mkdtemp(prefix="metro-schemathesis-"))
    root.chmod(0o755)
    broker = Broker(port=free_port(), workdir=root)
    port = free_port()
    env = server_env(
        root,
        port,
        MQTT_URL=broker.url,
        AUTH_TOKENS=f'{{"{ADMIN_TOKEN}": "st01:admin"}}',
        # cheap password hashing and coverage solves: the run checks answers, not cost
        AUTH_ARGON2_TIME_COST="1",
        AUTH_ARGON2_MEMORY_KIB="8192",
        AUTH_ARGON2_PARALLELISM="1",
        CREW_SOLVER_TIME_LIMIT_S="1",
    )
    server = MetroServer(root, env, port)
    try:
        broker.start()
        server.start()
        schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json", timeout=10)
        ops: list[Any] = []
        for result in schema.get_all_operations():
            if isinstance(result, Err):  # the app's own schema must be valid
                raise AssertionError(f"invalid operation in the schema: {result.err()}")
            ops.append(result.ok())
        yield Served(server, ops)
    finally:
        server.stop()
        broker.stop(signal.SIGTERM)
        shutil.rmtree(root, ignore_errors=True)


def _route(case: Case[Any]) -> tuple[str, str]:
    return case.operation.method.upper(), case.operation.path


def _cancel_simulations(url: str, headers: dict[str, str]) -> None:
    """Cancel every queued or running what-if the run submitted."""
    with httpx.Client(base_url=url, headers=headers, timeout=30) as http:
        r = http.get("/api/simulations")
        if r.status_code != 200:
            return
        body = r.json()
        runs = body.get("runs", body) if isinstance(body, dict) else body
        for run in runs:
            if run.get("status") in ("queued", "running"):
                http.post(f"/api/simulations/{run['id']}/cancel")


def _exercise(op: Any, url: str, headers: dict[str, str], check: Any) -> tuple[str | None, int]:
    """``MAX_EXAMPLES`` generated requests to one operation; ``check(case, response)`` returns
    a problem or None. Returns the first problem (with a curl line) and the requests made."""
    found: list[str] = []
    calls = 0

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=op.as_strategy())
    def one(case: Case[Any]) -> None:
        nonlocal calls
        if found:
            return  # one problem per operation is enough to report
        response = case.call(base_url=url, headers=headers, timeout=60)
        calls += 1
        problem = check(case, response)
        if problem:
            found.append(f"{op.label}: {problem}\n    {case.as_curl_command(headers)}")

    one()
    return (found[0] if found else None), calls


def _run(served: Served, headers: dict[str, str], check: Any) -> tuple[list[str], int]:
    """Every operation of the schema; the problems (the first of each operation) and the
    number of requests made."""
    problems: list[str] = []
    calls = 0
    for op in served.ops:
        problem, n = _exercise(op, served.url, headers, check)
        calls += n
        if problem:
            problems.append(problem)
        if op.path == "/api/simulations" and op.method.upper() == "POST" and headers:
            _cancel_simulations(served.url, headers)
    return problems, calls


def test_no_operation_answers_5xx_to_an_admin(served: Served) -> None:
    t0 = time.monotonic()
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}

    def no_server_error(case: Case[Any], response: Any) -> str | None:
        if response.status_code >= 500:
            return f"{response.status_code} {response.text[:300]}"
        return None

    problems, calls = _run(served, headers, no_server_error)
    assert not problems, "\n".join(problems) + f"\n\n{served.server.tail(4000)}"
    assert len(served.ops) >= 40 and calls >= 4 * len(served.ops)
    assert time.monotonic() - t0 < 180


def test_anonymous_callers_get_401_everywhere_but_the_public_routes(served: Served) -> None:
    def refused(case: Case[Any], response: Any) -> str | None:
        if _route(case) in PUBLIC:
            if response.status_code >= 500:
                return f"public route failed: {response.status_code} {response.text[:200]}"
            return None
        if response.status_code != 401:
            return f"anonymous got {response.status_code}, not 401: {response.text[:200]}"
        return None

    problems, calls = _run(served, {}, refused)
    assert not problems, "\n".join(problems)
    public_ops = {(op.method.upper(), op.path) for op in served.ops} & PUBLIC
    assert {("GET", "/healthz"), ("GET", "/metrics"), ("POST", "/api/auth/login")} <= public_ops
    assert calls >= 4 * len(served.ops)
