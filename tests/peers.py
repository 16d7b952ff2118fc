"""Finding the real peers interop tests talk to.

A test that needs a peer calls :func:`require`. On a developer machine a missing
peer skips the test with the reason; with ``WIRE_REQUIRE_PEERS=1`` (set by
``.ci/run``) it fails instead, so CI cannot pass by skipping.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from typing import NoReturn

import pytest

__all__ = ["find_executable", "require", "require_module"]


def peers_required() -> bool:
    return os.environ.get("WIRE_REQUIRE_PEERS", "") not in ("", "0")


def missing(reason: str) -> NoReturn:
    if peers_required():
        pytest.fail(f"peer required by WIRE_REQUIRE_PEERS=1 is missing: {reason}")
    pytest.skip(reason)


def find_executable(name: str, *extra_dirs: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for directory in (*extra_dirs, "/usr/sbin", "/usr/local/sbin"):
        candidate = os.path.join(directory, name)
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def require(name: str) -> str:
    """Return the path of executable ``name``, or skip/fail the calling test."""
    path = find_executable(name)
    if path is None:
        missing(f"executable {name!r} not found")
    return path


def require_module(name: str) -> None:
    """Skip/fail the calling test unless Python module ``name`` imports."""
    if importlib.util.find_spec(name) is None:
        missing(f"Python module {name!r} not installed")
