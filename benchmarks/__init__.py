"""Benchmarks: ours against each peer, measured in the same run.

``python -m benchmarks`` (or ``make bench``) runs every benchmark and prints a table
per benchmark with the ratio ours/peer. Benchmarks are not tests: nothing here runs
under pytest.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

__all__ = ["BENCHMARKS", "CLOCKS", "add_arguments"]

#: Benchmark modules in this package, in the order ``python -m benchmarks`` runs them.
#: Each has ``run_from_args(args, out)`` and reads the options of :func:`add_arguments`.
BENCHMARKS = (
    "mqtt_codec",
    "mqtt_broker",
    "http_sansio",
    "http_server",
    "ws_sansio",
    "ws_server",
    "graphql",
)

CLOCKS: dict[str, Callable[[], float]] = {
    "perf_counter": time.perf_counter,
    # CPU time of this process: steadier than wall time on a machine other jobs share.
    "process_time": time.process_time,
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every benchmark takes."""
    parser.add_argument("--repeat", type=int, default=7, help="rounds; tables show medians")
    parser.add_argument("--time", type=float, default=0.25, help="seconds per measurement")
    parser.add_argument("--quick", action="store_true", help="3 rounds of 0.05 s (a smoke run)")
    parser.add_argument("--profile", action="store_true", help="also profile our code")
    parser.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="perf_counter",
        help="time.perf_counter (wall, default) or time.process_time (CPU, for a busy machine)",
    )
