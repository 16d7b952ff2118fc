"""Timing for the in-process benchmarks: calibrated loops, rounds taken in turns, medians.

A benchmark builds :class:`Case` objects (one implementation of one workload, a
function doing ``units`` units of work per call, one case per workload marked
as the baseline: ours) and hands them to :func:`run`. Every case is first
calibrated to about ``seconds`` per measurement; then each round measures every
case once, in turn, so a machine that gets busier or quieter affects all cases
alike, and the result is the median rate per case with its spread and the
baseline's speed over it.
"""

from __future__ import annotations

import cProfile
import gc
import io
import pstats
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

__all__ = ["Case", "Result", "calibrate", "format_table", "profile", "ratios", "run", "timed"]

#: Calibration doubles (x4) the loop count until one timing takes this long.
_CALIBRATION_SECONDS = 0.02


@dataclass
class Case:
    """One implementation running one workload; ``fn()`` does ``units`` units of work."""

    workload: str
    impl: str
    fn: Callable[[], Any]
    baseline: bool = False
    units: int = 1
    rates: list[float] = field(default_factory=list)
    loops: int = 0


@dataclass(frozen=True)
class Result:
    """Median rate of one case, in units per second."""

    workload: str
    impl: str
    median: float
    spread: float
    ratio: float | None  # baseline / this; None for the baseline itself


def calibrate(fn: Callable[[], Any], seconds: float) -> int:
    """Warm ``fn`` up, then the number of calls that takes about ``seconds``."""
    for _ in range(3):
        fn()
    loops = 1
    while True:
        started = time.perf_counter()
        for _ in range(loops):
            fn()
        elapsed = time.perf_counter() - started
        if elapsed >= _CALIBRATION_SECONDS:
            break
        loops *= 4
    return max(1, round(loops * seconds / elapsed))


def timed(fn: Callable[[], Any], loops: int, clock: Callable[[], float]) -> float:
    """Seconds (by ``clock``) that ``loops`` calls of ``fn`` take, after a collection."""
    calls = range(loops)
    gc.collect()
    started = clock()
    for _ in calls:
        fn()
    return clock() - started


def run(
    cases: Sequence[Case], *, repeat: int, seconds: float, clock: Callable[[], float]
) -> list[Result]:
    """Measure every case ``repeat`` times, taking turns, and return the medians."""
    for case in cases:
        case.loops = calibrate(case.fn, seconds)
    for _ in range(repeat):
        for case in cases:
            case.rates.append(case.loops * case.units / timed(case.fn, case.loops, clock))
    medians = {id(case): statistics.median(case.rates) for case in cases}
    base = {case.workload: medians[id(case)] for case in cases if case.baseline}
    return [
        Result(
            case.workload,
            case.impl,
            medians[id(case)],
            (max(case.rates) - min(case.rates)) / medians[id(case)],
            None if case.baseline else base[case.workload] / medians[id(case)],
        )
        for case in cases
    ]


def format_table(results: Sequence[Result], *, unit: str, plural: str) -> str:
    """The results as an aligned text table; ``unit`` names one unit of work ("request")."""
    header = ("workload", "implementation", f"{plural}/s", f"us/{unit}", "spread", "ours/this")
    rows: list[tuple[str, ...]] = []
    previous = ""
    for r in results:
        rows.append(
            (
                r.workload if r.workload != previous else "",
                r.impl,
                f"{r.median / 1e3:.1f}k",
                f"{1e6 / r.median:.1f}",
                f"{100 * r.spread:.0f}%",
                "1 (ours)" if r.ratio is None else f"{r.ratio:.2f}x",
            )
        )
        previous = r.workload
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(row: tuple[str, ...]) -> str:
        cells = (
            c.rjust(w) if i >= 2 else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


def ratios(results: Sequence[Result], rows: Sequence[tuple[str, str]]) -> str:
    """One line per ``(implementation, label)``: the baseline's speed over it, per workload."""
    lines = []
    for impl, what in rows:
        parts = [f"{r.workload} {r.ratio:.2f}x" for r in results if r.impl == impl and r.ratio]
        if parts:
            lines.append(f"{what}: {', '.join(parts)}")
    return "\n".join(lines)


def profile(out: TextIO, title: str, work: Callable[[], Any], *, top: int = 15) -> None:
    """cProfile ``work()`` and print its ``top`` functions by own time under ``title``."""
    profiler = cProfile.Profile()
    profiler.runcall(work)
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).strip_dirs().sort_stats("tottime").print_stats(top)
    body = text.getvalue()
    start = body.find("   ncalls")
    out.write(f"\n== profile: {title} ==\n")
    out.write(body[start:] if start >= 0 else body)
