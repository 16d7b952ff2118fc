"""The public hypothesis strategies of ``wire.http.strategies`` draw what they promise."""

from __future__ import annotations

import h11
import hpack
import pytest
from hypothesis import given, settings

from wire.http import (
    H2_PREFACE,
    ConnectionClosed,
    ConnectionState,
    EndOfMessage,
    H1Connection,
    HTTPConnection,
    Request,
    Response,
    Role,
)
from wire.http import strategies as hs
from wire.http._events import CONNECTION_FIELDS


@given(hs.header_names(), hs.header_values(), hs.headers())
def test_fields_are_valid_in_any_event(
    name: bytes, value: bytes, fields: tuple[tuple[bytes, bytes], ...]
) -> None:
    assert name not in CONNECTION_FIELDS and name != b"content-length"
    assert Response(200, ((name, value), *fields)).headers == ((name, value), *fields)
    assert value == value.strip(b" \t")


def test_special_names_are_drawn() -> None:
    seen: set[bytes] = set()

    @settings(max_examples=300, database=None)
    @given(hs.header_names(special=True))
    def collect(name: bytes) -> None:
        seen.add(name)

    collect()
    assert seen & CONNECTION_FIELDS


@given(hs.requests(stream_id=3), hs.requests(body=True), hs.requests(body=False), hs.responses())
def test_requests_and_responses(
    any_request: Request, with_body: Request, without: Request, response: Response
) -> None:
    assert any_request.stream_id == 3 and any_request.target.startswith(b"/")
    assert any(name == b"content-length" for name, _ in with_body.headers)
    assert not any(name == b"content-length" for name, _ in without.headers)
    assert 200 <= response.status <= 599


@given(hs.request_bytes())
def test_request_bytes_are_read_by_h11_and_by_the_machine(data: bytes) -> None:
    oracle = h11.Connection(h11.SERVER)
    oracle.receive_data(data)
    assert type(oracle.next_event()) is h11.Request
    server = H1Connection(Role.SERVER)
    server.receive_data(data)
    events = server.events()
    assert isinstance(events[0], Request)
    assert isinstance(events[-1], EndOfMessage)


@pytest.mark.parametrize("name", list(hs.MUTATIONS))
def test_each_mutation_gives_bytes(name: str) -> None:
    results: list[bytes] = []

    @settings(max_examples=40, database=None)
    @given(hs.mutated_request_bytes([name], max_body=8))
    def collect(data: bytes) -> None:
        results.append(data)

    collect()
    assert len(set(results)) > 1


@given(hs.mutated_request_bytes())
def test_mutations_never_crash_a_server(data: bytes) -> None:
    server = H1Connection(Role.SERVER)
    server.receive_data(data)
    server.receive_eof()
    # Refused and closed, or read with a request waiting for its response.
    assert server.state is ConnectionState.CLOSED or server.reading_paused


def test_unknown_mutation() -> None:
    with pytest.raises(KeyError):
        hs.mutated_request_bytes(["no such thing"])


@given(hs.h2_frames())
def test_h2_frames_have_a_well_formed_layout(frame: bytes) -> None:
    # RFC 9113 section 4.1: 24-bit length, type, flags, stream; then the payload.
    assert int.from_bytes(frame[:3], "big") == len(frame) - 9
    kind, payload = frame[3], frame[9:]
    sizes = {0x2: {5}, 0x3: {4}, 0x6: {8}, 0x8: {4}}
    assert len(payload) in sizes.get(kind, {len(payload)})
    if kind == 0x4:
        assert len(payload) % 6 == 0
    if kind == 0x1:  # HEADERS, END_HEADERS set, no padding or priority
        fields = dict(hpack.Decoder().decode(payload, raw=True))
        assert {b":method", b":path", b":scheme", b":authority"} <= set(fields)


@given(hs.h2_client_bytes())
def test_h2_client_bytes_reach_an_http2_server(data: bytes) -> None:
    assert data.startswith(H2_PREFACE)
    server = HTTPConnection(Role.SERVER)
    server.receive_data(data)
    server.receive_eof()
    assert server.http_version == "2"
    assert isinstance(server.events()[-1], ConnectionClosed)
