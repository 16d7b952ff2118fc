"""``wire conform SUITE --target ADDR``: conformance checks against any peer."""

from servers.conform._runner import CheckResult, Suite, run_suite

__all__ = ["CheckResult", "Suite", "run_suite"]
