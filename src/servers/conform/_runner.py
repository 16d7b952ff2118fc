"""Running conformance checks and printing their table."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from typing import TextIO

import trio

__all__ = ["Check", "CheckFailed", "CheckResult", "Suite", "run_suite"]


class CheckFailed(AssertionError):
    """The peer did not do what the statement requires; the message says what it did."""


@dataclass(frozen=True, slots=True)
class Check:
    """One conformance check, keyed by the normative statement it tests."""

    statement: str
    version: int
    summary: str
    run: Callable[[tuple[str, int]], Awaitable[None]]
    timeout: float = 10.0


@dataclass(frozen=True, slots=True)
class CheckResult:
    statement: str
    version: int
    summary: str
    outcome: str  # "pass", "fail" or "error"
    detail: str
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
            await check.run(target)
    except CheckFailed as exc:
        outcome, detail = "fail", str(exc)
    except trio.TooSlowError:
        outcome, detail = "fail", f"no answer within {check.timeout:g} s"
    except (OSError, trio.BrokenResourceError, EOFError) as exc:
        outcome, detail = "error", f"{type(exc).__name__}: {exc}"
    seconds = trio.current_time() - start
    return CheckResult(check.statement, check.version, check.summary, outcome, detail, seconds)


async def run_checks(
    suite: Suite,
    target: tuple[str, int],
    *,
    versions: Sequence[int] = (4, 5),
    only: Sequence[str] = (),
    concurrency: int = 8,
) -> list[CheckResult]:
    """Run the suite's checks against ``target``, a few at a time, in a stable order."""
    checks = [
        c
        for c in suite.checks
        if c.version in versions and (not only or any(o in c.statement for o in only))
    ]
    results: list[CheckResult | None] = [None] * len(checks)
    limiter = trio.CapacityLimiter(concurrency)

    async def worker(index: int, check: Check) -> None:
        async with limiter:
            results[index] = await _run_one(check, target)

    async with trio.open_nursery() as nursery:
        for index, check in enumerate(checks):
            nursery.start_soon(worker, index, check)
    return [r for r in results if r is not None]


def print_table(results: Sequence[CheckResult], out: TextIO) -> None:
    width = max((len(r.statement) for r in results), default=9)
    out.write(f"{'statement':<{width}}  {'version':<8}{'result':<7} summary\n")
    for r in results:
        version = "5.0" if r.version == 5 else "3.1.1"
        out.write(f"{r.statement:<{width}}  {version:<8}{r.outcome:<7} {r.summary}\n")
        if r.detail:
            out.write(f"{'':<{width}}         -> {r.detail}\n")
    passed = sum(r.outcome == "pass" for r in results)
    failed = sum(r.outcome == "fail" for r in results)
    errors = len(results) - passed - failed
    out.write(f"{passed} passed, {failed} failed, {errors} errors\n")


def run_suite(
    suite: Suite,
    target: str,
    *,
    versions: Sequence[int] = (4, 5),
    only: Sequence[str] = (),
    as_json: bool = False,
    out: TextIO,
) -> int:
    """Run ``suite`` against ``target`` (``HOST:PORT``) and print the table; 0 if all pass."""
    host, _, port_text = target.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    results = trio.run(
        lambda: run_checks(suite, (host, int(port_text)), versions=versions, only=only)
    )
    if as_json:
        out.write(json.dumps([asdict(r) for r in results], indent=1) + "\n")
    else:
        print_table(results, out)
    return 0 if results and all(r.outcome == "pass" for r in results) else 1
