"""``wire conform SUITE --target ADDR``: conformance checks against any peer.

``mqtt-broker`` (``mqtt_broker.py``, run by ``_runner.py``) and ``ws-server``
(``ws_server.py``: the WebSocket corpus of ``spec/ws``, read by ``ws_corpus.py``
and played by the fuzzing client of ``ws_peer.py``).
"""

from servers.conform._runner import CheckResult, Suite, run_suite

__all__ = ["CheckResult", "Suite", "run_suite"]
