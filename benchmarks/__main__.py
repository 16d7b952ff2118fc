"""Run every benchmark and print its table: ``python -m benchmarks [--quick] [--profile]``."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from benchmarks import BENCHMARKS, add_arguments


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "--only", choices=BENCHMARKS, action="append", help="run only this benchmark (repeatable)"
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    for name in args.only or BENCHMARKS:
        module = importlib.import_module(f"benchmarks.{name}")
        print(f"=== {name} ===", flush=True)
        module.run_from_args(args, sys.stdout)
        print(flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
