"""The event vocabulary: every constructor check, and properties of valid events."""

from __future__ import annotations

import dataclasses
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wire.errors import LocalProtocolError, RemoteProtocolError
from wire.http._errors import H1RemoteError, H2ErrorCode, H2RemoteError, H2StreamError
from wire.http._events import (
    ConnectionClosed,
    Data,
    EndOfMessage,
    GoAway,
    InformationalResponse,
    ProtocolSwitch,
    Request,
    Response,
    StreamReset,
    Trailers,
)

TOKEN = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz"
tokens = st.text(TOKEN, min_size=1, max_size=10).map(str.encode)
values = (
    st.lists(st.integers(0x21, 0x7E) | st.integers(0x80, 0xFF) | st.just(0x20), max_size=16)
    .map(bytes)
    .map(lambda b: b.strip(b" "))
)
RESERVED = {
    b"connection",
    b"keep-alive",
    b"proxy-connection",
    b"transfer-encoding",
    b"upgrade",
    b"http2-settings",
    b"host",
    b"te",
    b"content-length",
}
headers = st.lists(st.tuples(tokens.filter(lambda n: n not in RESERVED), values), max_size=6).map(
    tuple
)
stream_ids = st.integers(1, 2**31 - 1)
paths = st.lists(st.text("abcxyz019-._~%!$&'()*+,;=:@", max_size=6), max_size=4).map(
    lambda parts: ("/" + "/".join(parts)).encode()
)


@st.composite
def requests(draw: st.DrawFn) -> Request:
    method = draw(st.sampled_from([b"GET", b"POST", b"PUT", b"DELETE", b"PATCH", b"X-OWN"]))
    return Request(
        method,
        draw(paths),
        draw(st.sampled_from([b"example.com", b"a.example:8080", b"[::1]:443", b""])),
        draw(st.sampled_from([b"http", b"https"])),
        draw(headers),
        draw(stream_ids),
    )


def test_request_fields() -> None:
    request = Request(b"GET", b"/", b"h", headers=((b"X-Name", b"v"),))
    assert request.headers == ((b"x-name", b"v"),)
    assert request.scheme == b"http" and request.stream_id == 1 and request.protocol is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        request.method = b"POST"  # type: ignore[misc]
    assert not hasattr(request, "__dict__")
    assert Request(b"CONNECT", b"a:1", b"a:1").target == b"a:1"
    assert Request(b"CONNECT", b"/chat", b"a", protocol=b"websocket").protocol == b"websocket"
    assert Request(b"OPTIONS", b"*", b"a").target == b"*"
    assert Request(b"GET", b"/", b"", headers=((b"te", b"Trailers"),)).headers[0][0] == b"te"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": b"G ET"}, "method"),
        ({"method": "GET"}, "method must be bytes"),
        ({"target": b"/a b"}, "target"),
        ({"target": b""}, "target"),
        ({"target": b"a"}, "origin-form"),
        ({"target": b"*"}, "OPTIONS"),
        ({"authority": b"a/b"}, "authority"),
        ({"scheme": b"HTTP"}, "scheme"),
        ({"stream_id": 0}, "stream_id"),
        ({"stream_id": True}, "stream_id"),
        ({"stream_id": 2**31}, "stream_id"),
        ({"protocol": b"web socket"}, "protocol"),
        ({"protocol": "ws"}, "protocol must be bytes"),
        ({"method": b"CONNECT", "target": b"/"}, "CONNECT"),
        ({"method": b"CONNECT", "target": b"", "authority": b""}, "target"),
        ({"headers": b"x: y"}, "sequence"),
        ({"headers": "x"}, "sequence"),
        ({"headers": 5}, "sequence"),
        ({"headers": [[b"x", b"y"]]}, "tuple"),
        ({"headers": [(b"x",)]}, "tuple"),
        ({"headers": [("x", b"y")]}, "header name must be bytes"),
        ({"headers": [(b"x", "y")]}, "header value must be bytes"),
        ({"headers": [(b"x y", b"v")]}, "invalid header name"),
        ({"headers": [(b":path", b"/")]}, "invalid header name"),
        ({"headers": [(b"x", b" v")]}, "invalid value"),
        ({"headers": [(b"x", b"a\r\nb")]}, "invalid value"),
        ({"headers": [(b"connection", b"close")]}, "managed by the connection"),
        ({"headers": [(b"Host", b"a")]}, "managed by the connection"),
        ({"headers": [(b"te", b"gzip")]}, "te may only"),
        ({"headers": [(b"content-length", b"-1")]}, "content-length"),
        ({"headers": [(b"content-length", b"1" * 20)]}, "content-length"),
        ({"headers": [(b"content-length", b"1"), (b"content-length", b"2")]}, "conflicting"),
    ],
)
def test_request_checks(kwargs: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {"method": b"GET", "target": b"/", "authority": b"h"}
    fields.update(kwargs)
    with pytest.raises(LocalProtocolError, match=message):
        Request(**fields)  # type: ignore[arg-type]


def test_equal_content_lengths_are_one() -> None:
    request = Request(
        b"POST", b"/", b"h", headers=((b"content-length", b"01"), (b"content-length", b"1"))
    )
    assert len(request.headers) == 2


def test_responses() -> None:
    assert InformationalResponse(100).status == 100
    assert InformationalResponse(103, ((b"Link", b"</a>"),), 3).headers == ((b"link", b"</a>"),)
    for status in (99, 101, 200, True, "100"):
        with pytest.raises(LocalProtocolError, match="informational"):
            InformationalResponse(status)  # type: ignore[arg-type]
    assert Response(599).status == 599
    for status in (199, 600, False):
        with pytest.raises(LocalProtocolError, match="final status"):
            Response(status)
    with pytest.raises(LocalProtocolError, match="stream_id"):
        Response(200, stream_id=-1)


def test_data() -> None:
    assert Data(1, b"abc").flow_controlled_length == 3
    assert Data(1, b"abc", 259).flow_controlled_length == 259
    for length in (2, 260, 3.0):
        with pytest.raises(LocalProtocolError, match="flow_controlled_length"):
            Data(1, b"abc", length)  # type: ignore[arg-type]
    with pytest.raises(LocalProtocolError, match="data must be bytes"):
        Data(1, bytearray(b"x"))  # type: ignore[arg-type]


def test_trailers_and_end() -> None:
    assert Trailers(1, ((b"X-A", b"1"),)).headers == ((b"x-a", b"1"),)
    with pytest.raises(LocalProtocolError, match="not a trailer"):
        Trailers(1, ((b"content-length", b"1"),))
    with pytest.raises(LocalProtocolError, match="at least one"):
        Trailers(1, ())
    with pytest.raises(LocalProtocolError):
        EndOfMessage(0)


def test_protocol_switch() -> None:
    assert ProtocolSwitch(1, None).headers == ()
    assert ProtocolSwitch(1, b"h2c").protocol == b"h2c"
    with pytest.raises(LocalProtocolError, match="protocol"):
        ProtocolSwitch(1, b"a b")


def test_stream_reset() -> None:
    assert StreamReset(1).error_code == H2ErrorCode.CANCEL
    error = H2StreamError("x", stream_id=1)
    assert StreamReset(1, H2ErrorCode.PROTOCOL_ERROR, error).error is error
    with pytest.raises(LocalProtocolError, match="error_code"):
        StreamReset(1, -1)
    with pytest.raises(LocalProtocolError, match="error_code"):
        StreamReset(1, True)
    with pytest.raises(LocalProtocolError, match="RemoteProtocolError"):
        StreamReset(1, 0, ValueError("x"))  # type: ignore[arg-type]


def test_goaway_and_connection_closed() -> None:
    assert GoAway() == GoAway(0, None, "")
    assert GoAway(0, 0).last_stream_id == 0
    assert ConnectionClosed().error_code is None
    for cls in (GoAway, ConnectionClosed):
        with pytest.raises(LocalProtocolError, match="last_stream_id"):
            cls(0, -1)
        with pytest.raises(LocalProtocolError, match="last_stream_id"):
            cls(0, "1")  # type: ignore[arg-type]
        with pytest.raises(LocalProtocolError, match="message"):
            cls(0, None, b"x")  # type: ignore[arg-type]
        with pytest.raises(LocalProtocolError, match="error_code"):
            cls(2**32)
    with pytest.raises(LocalProtocolError, match="RemoteProtocolError"):
        ConnectionClosed(error=KeyError())  # type: ignore[arg-type]
    error = H1RemoteError("bad", status=431)
    assert ConnectionClosed(431, error=error).error is error


def test_errors() -> None:
    assert H1RemoteError("x").status == 400 == H1RemoteError("x").code
    error = H2RemoteError("x", error_code=9)
    assert error.error_code is H2ErrorCode.COMPRESSION_ERROR and error.code == 9
    assert H2RemoteError("x", error_code=0xABC).error_code == 0xABC
    assert H2RemoteError("x").error_code is H2ErrorCode.PROTOCOL_ERROR
    stream = H2StreamError("x", stream_id=3, error_code=H2ErrorCode.CANCEL)
    assert stream.stream_id == 3 and isinstance(stream, RemoteProtocolError)


@given(requests())
def test_valid_requests_rebuild_identically(request: Request) -> None:
    again = Request(**{f.name: getattr(request, f.name) for f in dataclasses.fields(Request)})
    assert again == request
    assert all(name == name.lower() for name, _ in request.headers)


@given(st.binary(max_size=12), st.binary(max_size=12), st.binary(max_size=12))
def test_any_bytes_give_an_event_or_a_local_protocol_error(
    name: bytes, value: bytes, target: bytes
) -> None:
    """No other exception escapes a constructor, whatever the fields hold."""
    try:
        Request(b"GET", target, b"h", headers=((name, value),))
    except LocalProtocolError:
        assert (
            re.fullmatch(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+", name) is None
            or not target.startswith(b"/")
            or name.lower() in RESERVED
            or re.fullmatch(rb"[\x21-\x7e\x80-\xff]+", target) is None
            or value != value.strip(b" \t")
            or re.search(rb"[\x00-\x08\x0a-\x1f\x7f]", value) is not None
        )
