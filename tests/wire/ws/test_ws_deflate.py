"""permessage-deflate: negotiation (RFC 7692 section 7.1) and bounded (de)compression."""

from __future__ import annotations

import os
import zlib

import pytest
from tests.peers import require_module
from tests.wire.ws.peer import frame_bytes

from wire import ws
from wire.ws._deflate import accept_offer, accept_response, offer
from wire.ws._handshake import parse_extensions


def params(text: str) -> list[tuple[str, str | None]]:
    [(name, found)] = parse_extensions(text)
    assert name == "permessage-deflate"
    return found


def test_client_offers() -> None:
    assert offer(ws.DeflateConfig()) == "permessage-deflate; client_max_window_bits"
    assert (
        offer(ws.DeflateConfig(True, True, 10, 12))
        == "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
        "server_max_window_bits=10; client_max_window_bits=12"
    )


@pytest.mark.parametrize(
    ("offered", "config", "response"),
    [
        ("permessage-deflate", ws.DeflateConfig(), "permessage-deflate"),
        (
            "permessage-deflate; client_max_window_bits",
            ws.DeflateConfig(client_max_window_bits=10),
            "permessage-deflate; client_max_window_bits=10",
        ),
        (
            "permessage-deflate; client_max_window_bits=9",
            ws.DeflateConfig(client_max_window_bits=12),
            "permessage-deflate; client_max_window_bits=9",
        ),
        # Without client_max_window_bits in the offer the server may not limit it.
        ("permessage-deflate", ws.DeflateConfig(client_max_window_bits=10), "permessage-deflate"),
        (
            "permessage-deflate; server_max_window_bits=12",
            ws.DeflateConfig(server_max_window_bits=10),
            "permessage-deflate; server_max_window_bits=10",
        ),
        (
            "permessage-deflate; server_max_window_bits=9",
            ws.DeflateConfig(),
            "permessage-deflate; server_max_window_bits=9",
        ),
        (
            "permessage-deflate",
            ws.DeflateConfig(server_max_window_bits=11, client_no_context_takeover=True),
            "permessage-deflate; client_no_context_takeover; server_max_window_bits=11",
        ),
        (
            'permessage-deflate; server_no_context_takeover; server_max_window_bits="8"',
            ws.DeflateConfig(server_no_context_takeover=True),
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=8",
        ),
    ],
)
def test_server_accepts_offers(offered: str, config: ws.DeflateConfig, response: str) -> None:
    agreed = accept_offer(params(offered), config)
    assert agreed is not None
    assert agreed.response() == response
    # The client reads the same agreement back from the response.
    client_config = ws.DeflateConfig(
        server_no_context_takeover="server_no_context_takeover" in offered
    )
    back = accept_response(params(response), client_config)
    assert back.response() == response


@pytest.mark.parametrize(
    "offered",
    [
        "permessage-deflate; unknown",
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
        "permessage-deflate; server_no_context_takeover=1",
        "permessage-deflate; server_max_window_bits",
        "permessage-deflate; server_max_window_bits=7",
        "permessage-deflate; client_max_window_bits=16",
        "permessage-deflate; client_max_window_bits=010",
    ],
)
def test_server_declines_invalid_offers(offered: str) -> None:
    assert accept_offer(params(offered), ws.DeflateConfig()) is None


@pytest.mark.parametrize(
    ("response", "config"),
    [
        ("permessage-deflate; client_max_window_bits", ws.DeflateConfig()),
        ("permessage-deflate; x=1", ws.DeflateConfig()),
        ("permessage-deflate", ws.DeflateConfig(server_no_context_takeover=True)),
        ("permessage-deflate", ws.DeflateConfig(server_max_window_bits=10)),
        (
            "permessage-deflate; server_max_window_bits=12",
            ws.DeflateConfig(server_max_window_bits=10),
        ),
        (
            "permessage-deflate; client_max_window_bits=12",
            ws.DeflateConfig(client_max_window_bits=10),
        ),
    ],
)
def test_client_refuses_bad_responses(response: str, config: ws.DeflateConfig) -> None:
    with pytest.raises(ws.HandshakeError):
        accept_response(params(response), config)


def test_client_keeps_its_own_window_when_the_server_names_none() -> None:
    agreed = accept_response(
        params("permessage-deflate"), ws.DeflateConfig(client_max_window_bits=10)
    )
    assert agreed.client_max_window_bits == 10


def pair(agreed: ws.DeflateParams, **config: object) -> tuple[ws.WSConnection, ws.WSConnection]:
    settings = ws.WSConfig(ping_interval=None, **config)  # type: ignore[arg-type]
    client = ws.WSConnection(
        ws.Role.CLIENT, deflate=agreed, config=settings, mask_source=os.urandom
    )
    server = ws.WSConnection(ws.Role.SERVER, deflate=agreed, config=settings)
    return client, server


def carry(sender: ws.WSConnection, receiver: ws.WSConnection) -> list[ws.Event]:
    for data in sender.data_to_send():
        receiver.receive_data(data)
    return receiver.events()


def test_compressed_messages_honour_the_window_and_context_rules() -> None:
    # A block repeated at a distance of 2 KiB: a 10-bit window cannot reach back to
    # it. Hex digits still compress (Huffman codes), so the messages go compressed.
    block = os.urandom(1024).hex().encode()
    agreed = ws.DeflateParams(server_no_context_takeover=True, server_max_window_bits=10)
    client, server = pair(agreed)
    server.send(ws.BytesMessage(block * 2))
    server.send(ws.BytesMessage(block))
    frames = server.data_to_send()
    strict = zlib.decompressobj(-10)
    first = frames[0]
    assert first[0] == 0xC2  # FIN, RSV1, binary
    payload = first[4:]
    assert strict.decompress(payload + b"\x00\x00\xff\xff") == block * 2
    # No context takeover: the second message decodes with a fresh inflater.
    second = frames[1][4:]
    assert zlib.decompressobj(-10).decompress(second + b"\x00\x00\xff\xff") == block
    for data in frames:
        client.receive_data(data)
    assert client.events() == [ws.BytesMessage(block * 2), ws.BytesMessage(block)]


def test_context_takeover_makes_the_second_message_small() -> None:
    client, server = pair(ws.DeflateParams())
    text = "the same JSON document, again and again " * 10
    client.send(ws.TextMessage(text))
    client.send(ws.TextMessage(text))
    first, second = client.data_to_send()
    assert len(second) < len(first) // 3
    server.receive_data(first + second)
    assert server.events() == [ws.TextMessage(text), ws.TextMessage(text)]


def test_an_8_bit_window_for_our_direction_sends_uncompressed() -> None:
    # zlib cannot compress within 256 octets: the client sends plainly, the server compresses.
    client, server = pair(ws.DeflateParams(client_max_window_bits=8))
    client.send(ws.TextMessage("hello hello hello"))
    [frame] = client.data_to_send()
    assert frame[0] == 0x81
    server.receive_data(frame)
    assert server.events() == [ws.TextMessage("hello hello hello")]
    server.send(ws.TextMessage("hello hello hello"))
    [answer] = server.data_to_send()
    assert answer[0] == 0xC1
    client.receive_data(answer)
    assert client.events() == [ws.TextMessage("hello hello hello")]


def test_small_messages_below_min_size_go_uncompressed() -> None:
    client, server = pair(ws.DeflateParams(min_size=10))
    # Both would compress well: only the size decides.
    client.send(ws.BytesMessage(b"a" * 9))
    client.send(ws.BytesMessage(b"a" * 10))
    tiny, long = client.data_to_send()
    assert tiny[0] == 0x82 and long[0] == 0xC2
    server.receive_data(tiny + long)
    assert server.events() == [ws.BytesMessage(b"a" * 9), ws.BytesMessage(b"a" * 10)]


def test_streamed_compressed_fragments_arrive_as_sent() -> None:
    client, server = pair(ws.DeflateParams(client_no_context_takeover=True), stream_fragments=True)
    pieces = ["first part, ", "second part, ", "", "last"]
    for i, piece in enumerate(pieces):
        client.send(ws.MessageFragment(piece, i == len(pieces) - 1))
    frames = client.data_to_send()
    assert [f[0] for f in frames] == [0x41, 0x00, 0x00, 0x80]  # RSV1 on the first frame only
    for data in frames:
        server.receive_data(data)
    assert server.events() == [
        ws.MessageFragment(p, i == len(pieces) - 1) for i, p in enumerate(pieces)
    ]
    # Context was reset: the next message inflates from scratch too.
    client.send(ws.MessageFragment("again", True))
    assert carry(client, server) == [ws.MessageFragment("again", True)]


def test_a_decompression_bomb_stops_at_the_limit() -> None:
    _, server = pair(ws.DeflateParams(), max_message_size=1 << 16, max_frame_size=1 << 20)
    bomb = zlib.compressobj(9, zlib.DEFLATED, -15)
    payload = bomb.compress(b"\0" * (64 << 20)) + bomb.flush(zlib.Z_SYNC_FLUSH)
    assert len(payload) < 70_000
    server.receive_data(frame_bytes(2, payload, rsv=4, key=b"abcd"))
    [closed] = server.events()
    assert isinstance(closed, ws.ConnectionClosed)
    assert isinstance(closed.error, ws.MessageTooBig)
    close = server.data_to_send()[0]
    assert (close[0], close[2:4]) == (0x88, b"\x03\xf1")  # Close 1009


def test_the_frame_limit_applies_after_decompression() -> None:
    client, server = pair(ws.DeflateParams(), max_message_size=1 << 20, max_frame_size=1000)
    client.send(ws.BytesMessage(b"a" * 1000))
    assert carry(client, server) == [ws.BytesMessage(b"a" * 1000)]
    client.send(ws.BytesMessage(b"a" * 1001))
    [closed] = carry(client, server)
    assert isinstance(closed, ws.ConnectionClosed)
    assert isinstance(closed.error, ws.MessageTooBig)


#: Compressible and incompressible messages in turn; the compressible one
#: twice in a row, which context takeover shrinks to a back-reference.
MIXED: list[bytes] = [
    b"a JSON document, compressible " * 8,
    os.urandom(3000),
    b"",
    b"a JSON document, compressible " * 8,
    b"a JSON document, compressible " * 8,
    os.urandom(40),
    b"a JSON document, compressible " * 8,
]


def server_frames(takeover: bool) -> tuple[ws.DeflateParams, list[bytes]]:
    """Our server's frames for MIXED (unmasked, each one frame)."""
    agreed = ws.DeflateParams(server_no_context_takeover=not takeover)
    _, server = pair(agreed)
    for message in MIXED:
        server.send(ws.BytesMessage(message))
    return agreed, server.data_to_send()


def split(frame: bytes) -> tuple[bool, bytes]:
    """RSV1 and the payload of one unmasked server frame."""
    short = frame[1] & 0x7F
    start = 2 if short < 126 else 4 if short == 126 else 10
    return bool(frame[0] & 0x40), frame[start:]


@pytest.mark.parametrize("takeover", [True, False])
def test_a_message_that_would_grow_goes_uncompressed(takeover: bool) -> None:
    agreed, frames = server_frames(takeover)
    rsv1 = [split(frame)[0] for frame in frames]
    assert rsv1 == [True, False, False, True, True, False, True]
    for frame, message in zip(frames, MIXED, strict=True):
        assert len(split(frame)[1]) <= len(message)
    # After the uncompressed messages the compressor started afresh, and with
    # context takeover it still refers back to the message before.
    assert (len(frames[4]) < 16) is takeover
    assert len(frames[6]) == len(frames[0])
    # An inflater that sees only the compressed messages, as a peer's does.
    inflater = zlib.decompressobj(-15)
    for frame, message in zip(frames, MIXED, strict=True):
        compressed, payload = split(frame)
        if compressed:
            if not takeover:
                inflater = zlib.decompressobj(-15)
            payload = inflater.decompress(payload + b"\x00\x00\xff\xff")
        assert payload == message
    client, _ = pair(agreed)
    client.receive_data(b"".join(frames))
    assert client.events() == [ws.BytesMessage(m) for m in MIXED]


@pytest.mark.parametrize("takeover", [True, False])
def test_wsproto_inflates_the_mixed_messages(takeover: bool) -> None:
    from wsproto.extensions import PerMessageDeflate
    from wsproto.frame_protocol import FrameProtocol

    agreed, frames = server_frames(takeover)
    extension = PerMessageDeflate()
    extension.finalize(agreed.response())
    peer = FrameProtocol(client=True, extensions=[extension])
    peer.receive_bytes(b"".join(frames))
    assert [bytes(frame.payload) for frame in peer.received_frames()] == MIXED


@pytest.mark.parametrize("takeover", [True, False])
def test_websockets_inflates_the_mixed_messages(takeover: bool) -> None:
    require_module("websockets")
    from websockets.extensions.permessage_deflate import PerMessageDeflate
    from websockets.frames import Frame, Opcode

    _, frames = server_frames(takeover)
    # The client's view: the server's direction is "remote".
    extension = PerMessageDeflate(not takeover, False, 15, 15)
    received = []
    for data in frames:
        compressed, payload = split(data)
        frame = Frame(Opcode.BINARY, payload, fin=True, rsv1=compressed)
        received.append(bytes(extension.decode(frame).data))
    assert received == MIXED


def test_streamed_messages_keep_the_context_between_them() -> None:
    client, server = pair(ws.DeflateParams(), stream_fragments=True)
    text = "a streamed JSON document, " * 8
    sizes = []
    for _ in range(2):
        client.send(ws.MessageFragment(text, False))
        client.send(ws.MessageFragment(text, True))
        frames = client.data_to_send()
        sizes.append(sum(len(f) for f in frames))
        for data in frames:
            server.receive_data(data)
        assert server.events() == [ws.MessageFragment(text, False), ws.MessageFragment(text, True)]
    # The second message refers back to the first (without takeover: the same size).
    assert sizes[1] < sizes[0]
