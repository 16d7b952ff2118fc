"""Running conformance checks and printing their table.

A :class:`Check` is one black-box test of a peer, keyed by the normative statement
it decides (``MQTT-3.1.4-2``) or, where the behaviour has no statement id, by the
section that describes it (``§3.3.1.3``). A check raises :class:`CheckFailed` when
the peer does not do what the statement requires; it may return a note for
behaviour the text only recommends (SHOULD/MAY), which is reported without failing.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from typing import TextIO

import trio

from wire.errors import LocalProtocolError

__all__ = [
    "Check",
    "CheckFailed",
    "CheckResult",
    "Suite",
    "parse_target",
    "print_table",
    "run_checks",
    "run_suite",
    "selects",
]


class CheckFailed(AssertionError):
    """The peer did not do what the statement requires; the message says what it did."""


#: A check's body: given the target's (host, port), run and return an optional note.
CheckBody = Callable[[tuple[str, int]], Awaitable[str | None]]


@dataclass(frozen=True, slots=True)
class Check:
    """One conformance check, keyed by the normative statement it tests.

    ``name`` is stable and unique within a suite for one ``version`` (a statement
    may be decided by more than one check); ``statement`` is ``MQTT-x.y.z-n`` or,
    for behaviour without a statement id, ``§x.y.z``.
    """

    name: str
    statement: str
    version: int
    summary: str
    run: CheckBody
    timeout: float = 10.0


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    statement: str
    version: int
    summary: str
    outcome: str  # "pass", "fail" or "error"
    detail: str  # why it failed, or a note on a passing check ("" if none)
    seconds: float


@dataclass(frozen=True, slots=True)
class Suite:
    name: str
    checks: Sequence[Check]


async def _run_one(check: Check, target: tuple[str, int]) -> CheckResult:
    start = trio.current_time()
    outcome, detail = "pass", ""
    try:
        with trio.fail_after(check.timeout):
            detail = await check.run(target) or ""
    except CheckFailed as exc:
        outcome, detail = "fail", str(exc)
    except trio.TooSlowError:
        outcome, detail = "fail", f"no answer within {check.timeout:g} s"
    except (OSError, trio.BrokenResourceError, trio.ClosedResourceError, EOFError) as exc:
        outcome, detail = "error", f"{type(exc).__name__}: {exc}"
    except Exception as exc:  # a bug in the check itself must not stop the others
        outcome, detail = "error", f"check raised {type(exc).__name__}: {exc}"
    seconds = trio.current_time() - start
    return CheckResult(
        check.name, check.statement, check.version, check.summary, outcome, detail, seconds
    )


def selects(pattern: str, check: Check) -> bool:
    """Whether ``--only pattern`` selects ``check``.

    A pattern selects a check whose name it is or begins (``topic-alias`` selects
    ``topic-alias-unknown``, not ``no-topic-alias``), or whose statement contains it
    not followed by another digit: ``MQTT-3.1.2-2`` selects ``MQTT-3.1.2-2`` but not
    ``MQTT-3.1.2-24``; ``MQTT-3.1.2`` selects every statement of section 3.1.2.
    """
    if check.name == pattern or check.name.startswith(f"{pattern}-"):
        return True
    start = check.statement.find(pattern)
    while start >= 0:
        end = start + len(pattern)
        if end == len(check.statement) or not check.statement[end].isdigit():
            return True
        start = check.statement.find(pattern, start + 1)
    return False


def select(
    suite: Suite, *, versions: Sequence[int] = (4, 5), only: Sequence[str] = ()
) -> list[Check]:
    return [
        c
        for c in suite.checks
        if c.version in versions and (not only or any(selects(o, c) for o in only))
    ]


async def run_checks(
    suite: Suite,
    target: tuple[str, int],
    *,
    versions: Sequence[int] = (4, 5),
    only: Sequence[str] = (),
    concurrency: int = 8,
) -> list[CheckResult]:
    """Run the suite's checks against ``target``, a few at a time, in a stable order."""
    checks = select(suite, versions=versions, only=only)
    results: list[CheckResult | None] = [None] * len(checks)
    limiter = trio.CapacityLimiter(concurrency)

    async def worker(index: int, check: Check) -> None:
        async with limiter:
            results[index] = await _run_one(check, target)

    async with trio.open_nursery() as nursery:
        for index, check in enumerate(checks):
            nursery.start_soon(worker, index, check)
    return [r for r in results if r is not None]


def _version_label(version: int) -> str:
    return {4: "3.1.1", 5: "5.0"}.get(version, str(version))


def print_table(results: Sequence[CheckResult], out: TextIO) -> None:
    """One line per check, the failure reason or note under it, then the counts."""
    width = max((len(r.statement) for r in results), default=9)
    name_width = max((len(r.name) for r in results), default=5)
    out.write(
        f"{'statement':<{width}}  {'version':<8}{'result':<7} {'check':<{name_width}}  summary\n"
    )
    indent = " " * (width + 2 + 8 + 7 + 1)
    for r in results:
        version = _version_label(r.version)
        out.write(
            f"{r.statement:<{width}}  {version:<8}{r.outcome:<7} "
            f"{r.name:<{name_width}}  {r.summary}\n"
        )
        if r.detail:
            prefix = "-> " if r.outcome != "pass" else "note: "
            out.write(f"{indent}{prefix}{r.detail}\n")
    passed = sum(r.outcome == "pass" for r in results)
    failed = sum(r.outcome == "fail" for r in results)
    errors = len(results) - passed - failed
    out.write(f"{passed} passed, {failed} failed, {errors} errors\n")


def parse_target(target: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[v6addr]:PORT`` for IPv6) to ``(host, port)``."""
    host, sep, port_text = target.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise LocalProtocolError(f"--target must be HOST:PORT, got {target!r}")
    return host, int(port_text)


async def _reachable(target: tuple[str, int]) -> str | None:
    try:
        with trio.fail_after(5):
            stream = await trio.open_tcp_stream(*target)
    except (OSError, trio.TooSlowError) as exc:
        return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    await trio.aclose_forcefully(stream)
    return None


def run_suite(
    suite: Suite,
    target: str,
    *,
    versions: Sequence[int] = (4, 5),
    only: Sequence[str] = (),
    as_json: bool = False,
    out: TextIO,
    err: TextIO | None = None,
) -> int:
    """Run ``suite`` against ``target`` (``HOST:PORT``) and print the table.

    Returns 0 when every selected check passes, 1 when one fails or errs, and 2
    when nothing could be run (the target does not accept connections). A
    malformed target or a selection matching no check raises
    :class:`~wire.errors.LocalProtocolError`.
    """
    address = parse_target(target)
    if not select(suite, versions=versions, only=only):
        raise LocalProtocolError(f"no {suite.name} check matches --only {' '.join(only)!r}")
    problem = trio.run(_reachable, address)
    if problem is not None:
        (sys.stderr if err is None else err).write(
            f"wire: error: cannot connect to {target}: {problem}\n"
        )
        return 2
    results = trio.run(lambda: run_checks(suite, address, versions=versions, only=only))
    if as_json:
        out.write(json.dumps([asdict(r) for r in results], indent=1) + "\n")
    else:
        print_table(results, out)
    return 0 if all(r.outcome == "pass" for r in results) else 1
