"""Reading the WebSocket conformance corpus (``spec/ws/cases/*.json``).

The cases are defined in ``spec/ws/corpus.py`` (Autobahn|Testsuite's case list
re-expressed as data); this module reads the stored JSON and turns payload
descriptions into octets, for the test harnesses and for ``wire conform
ws-server``. An installed wire carries the case files as
``servers/conform/ws_cases`` (a hatch ``force-include``); a checkout reads
``spec/ws/cases``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = [
    "BULK_SECTIONS",
    "RAW_MASK",
    "Case",
    "cases_dir",
    "dataset",
    "expand",
    "load",
    "message_payloads",
    "sample",
    "section_of",
    "total_input",
]

Case = dict[str, Any]
Payload = dict[str, Any]

#: The masking key the fuzzing client uses in ``raw`` steps (any key works).
RAW_MASK = bytes.fromhex("37fa213d")

#: Section files of large and many messages: a sample of them runs unless asked for all.
BULK_SECTIONS = ("9-limits", "12-deflate", "13-deflate-parameters")

_PACKAGED = Path(__file__).resolve().parent / "ws_cases"
# src/servers/conform/ws_corpus.py -> the checkout's spec/ws/cases.
_CHECKOUT = Path(__file__).resolve().parents[3] / "spec" / "ws" / "cases"


def cases_dir() -> Path:
    """Where the case files are: the installed package's copy first, then the checkout's."""
    for directory in (_PACKAGED, _CHECKOUT):
        if any(directory.glob("*.json")):
            return directory
    raise FileNotFoundError(f"no WebSocket corpus in {_PACKAGED} or {_CHECKOUT}")


def load() -> dict[str, list[Case]]:
    """The corpus as stored, per section file name (``1-framing``, ...), in file order."""
    return {
        path.stem: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(cases_dir().glob("*.json"))
    }


def section_of(case: Case) -> str:
    """The Autobahn section number of a case (``"6"`` for ``6.4.1``)."""
    return str(case["id"]).split(".", 1)[0]


def expand(payload: Payload) -> bytes:
    """The octets a payload description stands for."""
    if "text" in payload:
        return str(payload["text"]).encode("utf-8")
    if "hex" in payload:
        return bytes.fromhex(payload["hex"])
    if "repeat" in payload:
        unit = expand(payload["repeat"])
        length = int(payload["length"])
        return (unit * (length // len(unit) + 1))[:length]
    data = dataset(payload["dataset"])
    offset, length = int(payload["offset"]) % len(data), int(payload["length"])
    doubled = data + data
    return doubled[offset : offset + length]


_FAUST = (
    "Habe nun ach Philosophie Juristerei und Medizin und leider auch Theologie "
    "durchaus studiert mit heißem Bemühn Da steh ich nun ich armer Tor und bin so "
    "klug als wie zuvor heiße Magister heiße Doktor gar und ziehe schon an die zehen "
    "Jahr herauf herab und quer und krumm meine Schüler an der Nase herum"
)
_WORDS = _FAUST.split()

_DATASET_SIZE = 1 << 18
_datasets: dict[str, bytes] = {}


def dataset(name: str) -> bytes:
    """One of the five data sets of sections 12-13 (256 KiB, generated, deterministic).

    Autobahn ships files (Goethe's Faust, a bitmap, a PDF, JSON, HTML); these
    have the same character: ``faust`` German prose (UTF-8, sent as binary),
    ``bitmap`` a 512x512 greyscale picture with smooth gradients and noise,
    ``pdf`` compressible text interleaved with incompressible streams,
    ``json`` records and ``html`` markup (both ASCII, sent as text).

    Raises:
        KeyError: ``name`` is none of these.
    """
    if name in _datasets:
        return _datasets[name]
    rng = random.Random(f"wire-ws-{name}")
    out = bytearray()
    if name == "faust":
        while len(out) < _DATASET_SIZE:
            line = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(4, 12)))
            out += (line.capitalize() + ".\n").encode("utf-8")
    elif name == "bitmap":
        for y in range(512):
            out += bytes(((x * y) // 512 + rng.randint(0, 8)) & 0xFF for x in range(512))
    elif name == "pdf":
        while len(out) < _DATASET_SIZE:
            out += b"%d 0 obj << /Length %d >> stream\n" % (len(out), rng.randint(100, 999))
            out += rng.randbytes(rng.randint(64, 2048)) + b"\nendstream endobj\n"
    elif name == "json":
        while len(out) < _DATASET_SIZE:
            record = {
                "id": rng.randint(1, 10**6),
                "name": "".join(rng.choice("abcdefghij") for _ in range(8)),
                "tags": [rng.choice(["red", "green", "blue"]) for _ in range(3)],
                "value": round(rng.random() * 1000, 3),
            }
            out += json.dumps(record).encode("ascii") + b",\n"
    elif name == "html":
        while len(out) < _DATASET_SIZE:
            out += (
                b'<div class="row"><span id="c%d">%s</span><a href="/item/%d">more</a></div>\n'
                % (
                    rng.randint(1, 9999),
                    " ".join(rng.choice(_WORDS) for _ in range(5)).encode("ascii", "replace"),
                    rng.randint(1, 9999),
                )
            )
    else:
        raise KeyError(name)
    _datasets[name] = data = bytes(out[:_DATASET_SIZE])
    return data


def message_payloads(spec: dict[str, Any]) -> Iterator[bytes]:
    """The payloads of a ``messages`` step (an echo loop), in order."""
    size, data = spec["size"], spec["data"]
    if isinstance(data, str):
        offset = 0
        for _ in range(spec["count"]):
            yield expand({"dataset": data, "offset": offset, "length": size})
            offset = (offset + size) % len(dataset(data))
    else:
        payload = expand({"repeat": data, "length": size}) if size else b""
        for _ in range(spec["count"]):
            yield payload


def total_input(case: Case) -> int:
    """Roughly how many octets a case sends (to pick feeding modes and samples)."""
    total = 0
    for step in case["steps"]:
        if "messages" in step:
            spec = step["messages"]
            total += spec["count"] * (spec["size"] + 14)
        for element in step.get("send", ()):
            if "raw" in element:
                total += len(element["raw"]) // 2
            elif "payload" in element:
                total += len(expand(element["payload"])) + 14
            else:
                total += 6
    return total


def sample(corpus: dict[str, list[Case]] | None = None, *, everything: bool = False) -> list[Case]:
    """The cases worth a live run: all of sections 1-7 and 10, a sample of the bulk sections.

    Of sections 9, 12 and 13 the sample holds the cheapest case of every
    subsection (ties: the last, with the largest fragments) and every case of
    ours (``N.W.k``); ``everything`` takes them all.
    """
    out = []
    for section, cases in (load() if corpus is None else corpus).items():
        if everything or section not in BULK_SECTIONS:
            out += cases
            continue
        cheapest: dict[str, Case] = {}
        for case in cases:
            if ".W." in case["id"]:
                out.append(case)
                continue
            subsection = case["id"].rsplit(".", 1)[0]
            best = cheapest.get(subsection)
            if best is None or total_input(case) <= total_input(best):
                cheapest[subsection] = case
        out += cheapest.values()
    return out
