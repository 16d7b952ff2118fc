"""``spec/mqtt/checklist.tsv``: every row is well formed and names a test that exists.

The node ids are checked against pytest's own collection of the files the
checklist names, so a renamed test or a removed vector fails here.
"""

from __future__ import annotations

import csv
import functools
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
CHECKLIST = ROOT / "spec" / "mqtt" / "checklist.tsv"
VECTORS = ROOT / "spec" / "mqtt" / "vectors"
HEADER = ["statement", "version", "paraphrase", "test"]
VERSIONS = {"3.1.1", "5.0"}
STATEMENT = re.compile(r"MQTT-(\d+)\.(\d+)\.(\d+)-(\d+)")
#: Statement ids the specifications themselves print in a non-standard form.
MISPRINTED = {("MQTT-3-8.3-4", "3.1.1")}
#: Sections whose statements are about packet format (the rest of chapter 4 is behaviour).
SCOPE = {
    "3.1.1": ("1.", "2.", "3.", "3-8.", "4.7."),
    "5.0": ("1.", "2.", "3.", "4.7.", "4.8.2-1", "4.8.2-2"),
}


def read_rows() -> list[dict[str, str]]:
    with CHECKLIST.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader)
        assert header == HEADER
        return [dict(zip(header, row, strict=True)) for row in reader]


ROWS = read_rows()


def row_id(row: dict[str, str]) -> str:
    return f"{row['version']}-{row['statement']}"


@functools.cache
def collected() -> frozenset[str]:
    """Node ids pytest collects from every file the checklist names."""
    files = sorted({row["test"].split("::", 1)[0] for row in ROWS})
    for name in files:
        assert (ROOT / name).is_file(), f"{name} does not exist"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    ids = {line.strip() for line in result.stdout.splitlines() if "::" in line}
    # A function's node id without a parameter selects all its cases.
    ids |= {node.split("[", 1)[0] for node in ids}
    return frozenset(ids)


def test_rows_are_well_formed() -> None:
    assert ROWS, "the checklist is empty"
    for row in ROWS:
        assert all(row.values()), f"empty field in {row}"
        assert row["version"] in VERSIONS, row
        statement = row["statement"]
        assert STATEMENT.fullmatch(statement) or (statement, row["version"]) in MISPRINTED, (
            f"malformed statement id {statement!r}"
        )
        assert statement.removeprefix("MQTT-").startswith(SCOPE[row["version"]]), (
            f"{statement} is outside the packet-format chapters"
        )
        paraphrase = row["paraphrase"]
        # Our own words: one short line, not the specification's capitalised keywords.
        assert len(paraphrase) <= 140, statement
        assert not re.search(r"\b(MUST|SHALL|SHOULD|REQUIRED)\b", paraphrase), statement
        assert row["test"].startswith("tests/") and "::test_" in row["test"], row["test"]


def test_no_statement_is_listed_twice_per_version() -> None:
    counts = Counter((row["statement"], row["version"]) for row in ROWS)
    assert [key for key, count in counts.items() if count > 1] == []


def test_both_versions_are_covered() -> None:
    per_version = Counter(row["version"] for row in ROWS)
    assert per_version["3.1.1"] >= 45
    assert per_version["5.0"] >= 65


@pytest.mark.parametrize("row", ROWS, ids=[row_id(row) for row in ROWS])
def test_listed_test_exists(row: dict[str, str]) -> None:
    assert row["test"] in collected(), f"{row['test']} is not a collected test"


def test_vector_statements_are_in_the_checklist() -> None:
    """Every statement an invalid vector cites is a checklist row for that version."""
    listed = {(row["statement"], row["version"]) for row in ROWS}
    vectors = json.loads((VECTORS / "invalid.json").read_text(encoding="utf-8"))
    cited = {
        (vector["statement"], "3.1.1" if vector["version"] == 4 else "5.0")
        for vector in vectors
        if vector["statement"] is not None
    }
    assert sorted(cited - listed) == []
