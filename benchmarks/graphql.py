"""GraphQL engine speed: wire.graphql against graphql-core (and graphql-js as the ceiling).

Five workloads over one schema (a shop: products, users, reviews, orders, an
interface, a union, an input object, plus a flat ``Item`` type):

- ``parse 10 KB query``: a 10 KB query with fragments, variables, aliases,
  arguments, inline fragments and directives;
- ``validate 10 KB query``: all the specified rules on it;
- ``execute 1,000 x 10 scalar fields``: ``{ items { ...10 scalar fields } }`` over a
  list of 1,000 plain dicts (String, Int, Float, Boolean and ID, two of each),
  resolved by the default resolver;
- ``execute introspection``: the full introspection query, parsed once;
- ``parse+validate+execute introspection``: the same from its text, as a server
  answers it (ours: ``execute_sync`` with its default limits; graphql-core:
  ``graphql_sync``; graphql-js: ``graphqlSync``).

Python implementations take turns within each of ``--repeat`` rounds of about
``--time`` seconds each, so machine noise hits them alike; tables show medians of
milliseconds per call. Before timing, the benchmark checks that both Python
engines give the same results. graphql-js runs the same workloads in node, after
the Python rounds (``npm install --prefix <temporary directory> graphql``; the
column is left out when node or npm is missing or the install fails).
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import io
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from benchmarks import CLOCKS, add_arguments
from benchmarks._interleaved import calibrate, timed
from wire.graphql import parse
from wire.graphql._build import build_schema
from wire.graphql._execution import execute_sync
from wire.graphql._introspection import get_introspection_query
from wire.graphql._validation import validate

__all__ = ["WORKLOADS", "build_query", "main", "run_from_args"]

#: The workloads, in the order of the table; the issue's target is 3x graphql-core.
WORKLOADS = (
    "parse 10 KB query",
    "validate 10 KB query",
    "execute 1,000 x 10 scalar fields",
    "execute introspection",
    "parse+validate+execute introspection",
)
TARGET = 3.0

SDL = """
scalar DateTime
enum Currency { USD EUR GBP JPY }
enum OrderStatus { PENDING PAID SHIPPED DELIVERED CANCELLED }
interface Node { id: ID! }
interface Priced { price(currency: Currency = USD): Float! }
type Product implements Node & Priced {
  id: ID!
  name: String!
  description: String
  price(currency: Currency = USD): Float!
  inStock: Boolean!
  rating: Float
  tags: [String!]!
  reviews(first: Int = 10, after: String): ReviewConnection!
  seller: User!
  categories: [Category!]!
  related(first: Int = 5): [Product!]!
}
type Category implements Node {
  id: ID!
  name: String!
  parent: Category
  products(first: Int = 10): [Product!]!
}
type User implements Node {
  id: ID!
  name: String!
  email: String
  avatar(size: Int = 64): String
  friends(first: Int = 10): [User!]!
  orders(status: OrderStatus, first: Int = 10): [Order!]!
  reviews: [Review!]!
}
type Review implements Node {
  id: ID!
  rating: Int!
  title: String
  body: String
  author: User!
  product: Product!
  createdAt: DateTime
}
type ReviewConnection { edges: [ReviewEdge!]! pageInfo: PageInfo! totalCount: Int! }
type ReviewEdge { cursor: String! node: Review! }
type PageInfo { hasNextPage: Boolean! endCursor: String }
type Order implements Node & Priced {
  id: ID!
  status: OrderStatus!
  price(currency: Currency = USD): Float!
  items: [OrderItem!]!
  customer: User!
  placedAt: DateTime
}
type OrderItem { product: Product! quantity: Int! }
union SearchResult = Product | User | Category
input ProductFilter {
  minPrice: Float
  maxPrice: Float
  tags: [String!]
  inStock: Boolean = true
  category: ID
}
type Item {
  s1: String s2: String i1: Int i2: Int f1: Float f2: Float b1: Boolean b2: Boolean id1: ID id2: ID
}
type Query {
  node(id: ID!): Node
  product(id: ID!): Product
  products(filter: ProductFilter, first: Int = 20, after: String): [Product!]!
  user(id: ID!): User
  search(text: String!, first: Int = 10): [SearchResult!]!
  items: [Item!]!
}
"""

_FRAGMENTS = """
fragment UserCard on User { id name avatar(size: 32) }
fragment ReviewFields on Review {
  id rating title body createdAt author { ...UserCard }
}
fragment ProductCard on Product {
  id name description inStock rating tags
  categories { id name parent { id name } }
}
"""

_SECTION = """
  p{i}: product(id: "p{i}") {{
    ...ProductCard
    price(currency: $currency)
    reviews(first: $first) @include(if: $withReviews) {{
      edges {{ cursor node {{ ...ReviewFields }} }}
      pageInfo {{ hasNextPage endCursor }}
      totalCount
    }}
    seller {{ ...UserCard friends(first: 3) {{ ...UserCard }} }}
    related {{ id name price }}
  }}
  s{i}: search(text: "query {i}", first: 5) {{
    __typename
    ... on Product {{ id name }}
    ... on User {{ ...UserCard }}
    ... on Category {{ id name }}
  }}
  l{i}: products(filter: {{minPrice: {i}.5, tags: ["a", "b"], category: "c{i}"}}) {{
    id ... on Priced {{ price(currency: JPY) }}
  }}
"""

ITEMS_QUERY = "{ items { s1 s2 i1 i2 f1 f2 b1 b2 id1 id2 } }"
ITEM_COUNT = 1_000


def build_query(size: int = 10_240) -> str:
    """A valid query of at least ``size`` characters, made of repeated aliased sections."""
    head = (
        "query Shop($first: Int = 10, $currency: Currency = EUR, $withReviews: Boolean! = true) {\n"
    )
    sections: list[str] = []
    index = 0
    while len(head) + sum(map(len, sections)) + len(_FRAGMENTS) + 2 < size:
        sections.append(_SECTION.format(i=index))
        index += 1
    return head + "".join(sections) + "}\n" + _FRAGMENTS


def build_items(count: int = ITEM_COUNT) -> list[dict[str, Any]]:
    """``count`` plain dicts with two values of each built-in scalar."""
    return [
        {
            "s1": f"name {n}",
            "s2": f"note {n}",
            "i1": n,
            "i2": -n,
            "f1": n * 0.5,
            "f2": n + 0.25,
            "b1": n % 2 == 0,
            "b2": n % 3 == 0,
            "id1": f"item-{n}",
            "id2": str(n),
        }
        for n in range(count)
    ]


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------


@dataclass
class Case:
    """One implementation of one workload, and its measurements."""

    workload: str
    impl: str
    fn: Callable[[], object]
    baseline: bool = False
    loops: int = 1
    seconds: list[float] = field(default_factory=list)  # per call, one per round


def _wire_cases(query: str, introspection: str, items: list[dict[str, Any]]) -> list[Case]:
    schema = build_schema(SDL)
    document = parse(query)
    items_document = parse(ITEMS_QUERY)
    introspection_document = parse(introspection)
    root = {"items": items}
    if validate(schema, document):
        raise AssertionError("the 10 KB query is not valid for wire")
    return [
        Case(WORKLOADS[0], "wire", lambda: parse(query), baseline=True),
        Case(WORKLOADS[1], "wire", lambda: validate(schema, document), baseline=True),
        Case(
            WORKLOADS[2],
            "wire",
            lambda: execute_sync(schema, items_document, root_value=root),
            baseline=True,
        ),
        Case(
            WORKLOADS[3],
            "wire",
            lambda: execute_sync(schema, introspection_document),
            baseline=True,
        ),
        Case(WORKLOADS[4], "wire", lambda: execute_sync(schema, introspection), baseline=True),
    ]


def _graphql_core_cases(query: str, introspection: str, items: list[dict[str, Any]]) -> list[Case]:
    core = importlib.import_module("graphql")  # graphql-core, not this module
    schema = core.build_schema(SDL)
    document = core.parse(query)
    items_document = core.parse(ITEMS_QUERY)
    introspection_document = core.parse(introspection)
    root = {"items": items}
    if core.validate(schema, document):
        raise AssertionError("the 10 KB query is not valid for graphql-core")
    ours = build_schema(SDL)
    for theirs_document, ours_text, root_value in (
        (items_document, ITEMS_QUERY, root),
        (introspection_document, introspection, None),
    ):
        theirs = core.execute_sync(schema, theirs_document, root_value).formatted
        if execute_sync(ours, ours_text, root_value=root_value) != theirs:
            raise AssertionError(f"wire and graphql-core disagree on {ours_text[:40]!r}")
    impl = f"graphql-core {core.__version__}"
    return [
        Case(WORKLOADS[0], impl, lambda: core.parse(query)),
        Case(WORKLOADS[1], impl, lambda: core.validate(schema, document)),
        Case(WORKLOADS[2], impl, lambda: core.execute_sync(schema, items_document, root)),
        Case(WORKLOADS[3], impl, lambda: core.execute_sync(schema, introspection_document)),
        Case(WORKLOADS[4], impl, lambda: core.graphql_sync(schema, introspection)),
    ]


# ---------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """Median milliseconds per call of one implementation of one workload."""

    workload: str
    impl: str
    median: float  # seconds per call
    spread: float  # (max - min) / median over the rounds
    ratio: float | None  # this / ours (how many times faster we are); None for ours


def run_python(cases: list[Case], *, repeat: int, seconds: float, clock: str) -> dict[str, float]:
    """Measure the cases ``repeat`` times, taking turns; return ours per workload."""
    timer = CLOCKS[clock]
    for case in cases:
        case.loops = calibrate(case.fn, seconds)
    for _ in range(repeat):
        for case in cases:
            case.seconds.append(timed(case.fn, case.loops, timer) / case.loops)
    return {case.workload: statistics.median(case.seconds) for case in cases if case.baseline}


def run_graphql_js(
    query: str,
    introspection: str,
    items: list[dict[str, Any]],
    *,
    repeat: int,
    seconds: float,
    out: TextIO,
) -> tuple[str, dict[str, dict[str, list[float]]]] | None:
    """graphql-js's (version, {workload: {"wall": [...], "cpu": [...]}}), or None."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        out.write("note: node or npm not found; the graphql-js rows are left out\n")
        return None
    spec = os.environ.get("WIRE_GRAPHQL_JS", "graphql")
    with tempfile.TemporaryDirectory(prefix="wire-graphql-js-") as prefix:
        install = subprocess.run(
            [npm, "install", "--prefix", prefix, "--no-audit", "--no-fund", spec],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if install.returncode != 0:
            out.write(f"note: npm install {spec} failed; the graphql-js rows are left out\n")
            return None
        config = {
            "sdl": SDL,
            "query": query,
            "itemsQuery": ITEMS_QUERY,
            "items": items,
            "introspection": introspection,
            "repeat": repeat,
            "seconds": seconds,
        }
        script = Path(__file__).with_name("graphql_js_bench.mjs")
        finished = subprocess.run(
            [node, str(script), prefix],
            input=json.dumps(config),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    if finished.returncode != 0:
        out.write(f"note: the graphql-js run failed: {finished.stderr.strip()[-500:]}\n")
        return None
    report = json.loads(finished.stdout)
    return report["version"], report["results"]


def rows(
    cases: list[Case],
    ours: dict[str, float],
    js: tuple[str, dict[str, dict[str, list[float]]]] | None,
    clock: str,
) -> list[Row]:
    """The table rows: per workload, ours, graphql-core, graphql-js."""
    found: list[Row] = []
    for workload in WORKLOADS:
        for case in cases:
            if case.workload != workload:
                continue
            median = statistics.median(case.seconds)
            spread = (max(case.seconds) - min(case.seconds)) / median
            ratio = None if case.baseline else median / ours[workload]
            found.append(Row(workload, case.impl, median, spread, ratio))
        if js is not None:
            version, results = js
            samples = results[workload]["cpu" if clock == "process_time" else "wall"]
            median = statistics.median(samples)
            spread = (max(samples) - min(samples)) / median
            impl = f"graphql-js {version} (node)"
            found.append(Row(workload, impl, median, spread, median / ours[workload]))
    return found


def format_table(table: Sequence[Row]) -> str:
    """The rows as an aligned text table."""
    header = ("workload", "implementation", "ms/call", "spread", "this/ours")
    lines: list[tuple[str, ...]] = []
    previous = ""
    for row in table:
        lines.append(
            (
                row.workload if row.workload != previous else "",
                row.impl,
                f"{row.median * 1e3:.3f}",
                f"{100 * row.spread:.0f}%",
                "1 (ours)" if row.ratio is None else f"{row.ratio:.2f}x",
            )
        )
        previous = row.workload
    widths = [max(len(line[i]) for line in [header, *lines]) for i in range(len(header))]
    right = {2, 3, 4}

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(
            cell.rjust(width) if i in right else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(header), rule, *(line(cells) for cells in lines)])


def summarize(table: Sequence[Row]) -> str:
    """Where we stand against the target: every figure at least 3x graphql-core."""
    core = [row for row in table if row.impl.startswith("graphql-core") and row.ratio is not None]
    if not core:
        return "graphql-core is not installed: no ratio to report"
    worst = min(row.ratio for row in core if row.ratio is not None)
    parts = ", ".join(f"{row.workload} {row.ratio:.2f}x" for row in core)
    verdict = "met" if worst >= TARGET else "NOT met"
    return f"graphql-core/ours: {parts} -> target >= {TARGET:g}x {verdict}"


# ---------------------------------------------------------------------------
# Profiling
# ---------------------------------------------------------------------------


def profile(out: TextIO, *, top: int = 15) -> None:
    """cProfile our executor on the two execution workloads; print the hot spots."""
    schema = build_schema(SDL)
    root = {"items": build_items()}
    items_document = parse(ITEMS_QUERY)
    introspection_document = parse(get_introspection_query())
    loops: dict[str, Callable[[], object]] = {
        "execute 1,000 x 10 scalar fields": lambda: [
            execute_sync(schema, items_document, root_value=root) for _ in range(20)
        ],
        "execute introspection": lambda: [
            execute_sync(schema, introspection_document) for _ in range(50)
        ],
    }
    for name, fn in loops.items():
        profiler = cProfile.Profile()
        profiler.runcall(fn)
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).strip_dirs().sort_stats("tottime").print_stats(top)
        body = text.getvalue()
        start = body.find("   ncalls")
        out.write(f"\n== profile: wire {name} ==\n")
        out.write(body[start:] if start >= 0 else body)


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------


def run_from_args(args: argparse.Namespace, out: TextIO) -> None:
    """Run with the options of :func:`benchmarks.add_arguments` and print the table."""
    repeat, seconds = (3, 0.05) if args.quick else (args.repeat, args.time)
    query = build_query()
    introspection = get_introspection_query()
    items = build_items()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    out.write(
        f"GraphQL engines: medians of {repeat} rounds of ~{seconds:g} s per implementation,"
        f" taking turns, timed with time.{args.clock}\n"
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load}\n"
        f"10 KB query: {len(query):,} characters; introspection query:"
        f" {len(introspection):,} characters\n\n"
    )
    cases = _wire_cases(query, introspection, items)
    try:
        cases += _graphql_core_cases(query, introspection, items)
    except ImportError:
        out.write("note: graphql-core is not installed; its rows are left out\n")
    ours = run_python(cases, repeat=repeat, seconds=seconds, clock=args.clock)
    js = run_graphql_js(query, introspection, items, repeat=repeat, seconds=seconds, out=out)
    table = rows(cases, ours, js, args.clock)
    out.write(format_table(table) + "\n\n" + summarize(table) + "\n")
    if args.profile:
        profile(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    add_arguments(parser)
    run_from_args(parser.parse_args(argv), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
