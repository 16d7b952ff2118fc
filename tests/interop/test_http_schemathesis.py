"""schemathesis against the live demo application's ``/openapi.json``.

The server runs on Trio in a thread of its own for the module, because
schemathesis' pytest integration is synchronous (hypothesis drives
``requests``). Every operation the document lists is tested in the examples,
coverage and fuzzing phases with all of schemathesis' default checks
(``call_and_validate``): no server errors, status codes, content types,
response schemas and headers as documented, schema-valid data accepted,
schema-invalid data rejected, 405 with ``Allow`` for undocumented methods.
A stateful run then follows the links schemathesis infers between the
operations (create an item, read it back, change it, delete it).

The number of examples is bounded (``MAX_EXAMPLES``, ``STATEFUL_STEPS``) so
the module runs in well under a minute.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from functools import partial
from typing import Any

import httpx
import pytest
import schemathesis
import trio
from hypothesis import HealthCheck, settings
from schemathesis import Case

from servers.http import serve_http
from wire.http import demo_app

Address = tuple[str, int]

#: Examples per operation and phase. schemathesis' own default is 100; 25
#: keeps the run short while each phase still reaches every operation.
MAX_EXAMPLES = 25
#: Stateful scenarios and steps per scenario.
STATEFUL_SCENARIOS = 15
STATEFUL_STEPS = 8
#: Seconds the server thread gets to start and to stop.
THREAD_TIMEOUT = 10.0


@pytest.fixture(scope="module")
def live_demo() -> Iterator[Address]:
    """The demo application served on loopback by a Trio loop in a thread."""
    started: queue.Queue[tuple[Address, trio.lowlevel.TrioToken, trio.CancelScope]] = queue.Queue()

    async def main() -> None:
        with trio.CancelScope() as scope:
            async with trio.open_nursery() as nursery:
                address = await nursery.start(partial(serve_http, "127.0.0.1", 0))
                started.put((address, trio.lowlevel.current_trio_token(), scope))

    thread = threading.Thread(target=trio.run, args=(main,), name="demo-server", daemon=True)
    thread.start()
    address, token, scope = started.get(timeout=THREAD_TIMEOUT)
    try:
        yield address
    finally:
        trio.from_thread.run_sync(scope.cancel, trio_token=token)
        thread.join(THREAD_TIMEOUT)
        assert not thread.is_alive(), "the server thread did not stop"


@pytest.fixture(scope="module")
def base_url(live_demo: Address) -> str:
    host, port = live_demo
    return f"http://{host}:{port}"


# The document comes from a fresh demo application, so the operations can be
# listed when the module is collected (schemathesis' lazy loading from a fixture
# does not run on pytest 9); test_the_live_document_is_the_one_tested checks
# that the live server serves exactly this document.
schema = schemathesis.openapi.from_dict(demo_app().openapi())


def test_the_live_document_is_the_one_tested(base_url: str) -> None:
    response = httpx.get(f"{base_url}/openapi.json", timeout=THREAD_TIMEOUT)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == schema.raw_schema


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_openapi_operations(case: Case[Any], base_url: str) -> None:
    case.call_and_validate(base_url=base_url)


def test_openapi_stateful(base_url: str) -> None:
    base = schema.as_state_machine()

    class Machine(base):  # type: ignore[valid-type,misc]
        def get_call_kwargs(self, case: Case[Any]) -> dict[str, Any]:
            return {"base_url": base_url}

    Machine.run(
        settings=settings(
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=STATEFUL_STEPS,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
    )
