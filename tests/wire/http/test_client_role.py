"""Client-role behaviour the Trio client relies on, through the public machines."""

from __future__ import annotations

from hyperframe.frame import SettingsFrame

from wire.http._connection import HTTPConnection
from wire.http._events import EndOfMessage, Request
from wire.http._h2 import H2Connection
from wire.http._state import Role

CLIENT = Role.CLIENT


def _open(client: H2Connection | HTTPConnection, count: int) -> int:
    """Open streams while the machine allows, up to ``count``; return how many."""
    opened = 0
    while opened < count and (stream_id := client.next_stream_id) is not None:
        client.send(Request(b"GET", b"/", b"h", stream_id=stream_id))
        opened += 1
    return opened


def test_at_most_100_streams_before_the_servers_settings() -> None:
    # RFC 9113 section 6.5.2: the limit starts unlimited, but a server may
    # allow as few as it likes; 100 is the recommended floor.
    client = H2Connection(CLIENT)
    assert _open(client, 150) == 100
    capped = client.next_stream_id
    client.receive_data(
        SettingsFrame(0, settings={SettingsFrame.MAX_CONCURRENT_STREAMS: 120}).serialize()
    )
    assert client.events() == []
    assert capped is None and client.next_stream_id == 201
    assert _open(client, 150) == 20


def test_a_server_allowing_fewer_is_obeyed_once_its_settings_arrive() -> None:
    client = HTTPConnection(CLIENT, prior_knowledge=True)
    assert _open(client, 1) == 1
    client.receive_data(
        SettingsFrame(0, settings={SettingsFrame.MAX_CONCURRENT_STREAMS: 2}).serialize()
    )
    assert _open(client, 10) == 1
    assert client.next_stream_id is None
    client.send(EndOfMessage(1))
    assert client.next_stream_id is None  # still open until the response ends


def test_an_empty_settings_frame_lifts_the_initial_cap() -> None:
    client = H2Connection(CLIENT)
    client.receive_data(SettingsFrame(0).serialize())
    assert _open(client, 150) == 150
