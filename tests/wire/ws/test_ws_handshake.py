"""The opening handshake over HTTP/1.1 (RFC 6455 section 4) and HTTP/2 (RFC 8441)."""

from __future__ import annotations

import pytest

from wire import ws
from wire.errors import LocalProtocolError
from wire.http import ProtocolSwitch, Request, Response
from wire.ws._handshake import parse_extensions, parse_subprotocols

NONCE = bytes(range(16))


def test_accept_token_of_the_rfc_example() -> None:
    # RFC 6455 section 1.3.
    assert ws.accept_token(b"dGhlIHNhbXBsZSBub25jZQ==") == b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_http11_handshake_round_trip() -> None:
    client = ws.ClientHandshake(
        nonce=NONCE,
        subprotocols=["chat", "superchat"],
        deflate=ws.DeflateConfig(server_no_context_takeover=True),
        headers=((b"origin", b"https://example.com"),),
    )
    request = client.request(b"/chat?x=1", b"example.com:8080")
    assert (request.method, request.protocol, request.scheme) == (b"GET", b"websocket", b"http")
    fields = dict(request.headers)
    assert fields[b"sec-websocket-key"] == b"AAECAwQFBgcICQoLDA0ODw=="
    assert fields[b"sec-websocket-version"] == b"13"
    assert fields[b"sec-websocket-protocol"] == b"chat, superchat"
    server = ws.ServerHandshake(request)
    assert server.subprotocols == ("chat", "superchat")
    assert server.origin == b"https://example.com"
    assert not server.http2
    switch, agreed = server.accept(
        subprotocol="superchat", deflate=ws.DeflateConfig(), headers=((b"set-cookie", b"a=b"),)
    )
    assert switch.protocol == b"websocket"
    assert dict(switch.headers)[b"sec-websocket-accept"] == ws.accept_token(client.key)
    negotiated = client.accept(switch)
    assert negotiated == ws.Negotiated(ws.Role.CLIENT, "superchat", agreed.deflate, False)
    assert agreed.role is ws.Role.SERVER
    assert agreed.deflate is not None and agreed.deflate.server_no_context_takeover


def test_http2_extended_connect_round_trip() -> None:
    client = ws.ClientHandshake(http2=True, deflate=ws.DeflateConfig())
    request = client.request(b"/chat", b"example.com", stream_id=3)
    assert (request.method, request.protocol, request.scheme) == (
        b"CONNECT",
        b"websocket",
        b"https",
    )
    assert b"sec-websocket-key" not in dict(request.headers)
    server = ws.ServerHandshake(request)
    assert server.http2 and server.origin is None
    switch, agreed = server.accept(deflate=ws.DeflateConfig())
    assert switch.stream_id == 3
    assert b"sec-websocket-accept" not in dict(switch.headers)
    negotiated = client.accept(switch)
    assert negotiated.http2 and negotiated.deflate == agreed.deflate
    conn = ws.WSConnection.from_handshake(agreed)
    assert (conn.role, conn.subprotocol, conn.deflate) == (ws.Role.SERVER, None, agreed.deflate)


def test_server_declines_deflate_it_was_not_asked_for_or_cannot_accept() -> None:
    plain = ws.ClientHandshake(nonce=NONCE).request(b"/", b"h")
    _, agreed = ws.ServerHandshake(plain).accept(deflate=ws.DeflateConfig())
    assert agreed.deflate is None
    fields = (
        (b"sec-websocket-key", b"AAECAwQFBgcICQoLDA0ODw=="),
        (b"sec-websocket-version", b"13"),
        (b"sec-websocket-extensions", b"x-other, permessage-deflate; bad, permessage-deflate"),
    )
    request = Request(b"GET", b"/", b"h", headers=fields, protocol=b"websocket")
    switch, agreed = ws.ServerHandshake(request).accept(deflate=ws.DeflateConfig())
    assert agreed.deflate == ws.DeflateParams()
    assert dict(switch.headers)[b"sec-websocket-extensions"] == b"permessage-deflate"
    _, declined = ws.ServerHandshake(request).accept()
    assert declined.deflate is None


def _request(**changes: object) -> Request:
    fields = {
        b"sec-websocket-key": b"AAECAwQFBgcICQoLDA0ODw==",
        b"sec-websocket-version": b"13",
    }
    headers = changes.pop("headers", None)
    if headers is None:
        headers = tuple(fields.items())
    base: dict[str, object] = {
        "method": b"GET",
        "target": b"/",
        "authority": b"h",
        "headers": headers,
        "protocol": b"websocket",
    }
    base.update(changes)
    return Request(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("request_", "status"),
    [
        (_request(protocol=None), 400),
        (_request(protocol=b"h2c"), 400),
        (_request(method=b"POST"), 400),
        (_request(authority=b""), 400),
        (_request(headers=((b"sec-websocket-key", b"AAECAwQFBgcICQoLDA0ODw=="),)), 426),
        (_request(headers=((b"sec-websocket-version", b"8"),)), 426),
        (_request(headers=((b"sec-websocket-version", b"13"),)), 400),
        (_request(headers=((b"sec-websocket-version", b"13"), (b"sec-websocket-key", b"!!"))), 400),
        (
            _request(headers=((b"sec-websocket-version", b"13"), (b"sec-websocket-key", b"AAEC"))),
            400,
        ),
        (
            _request(
                headers=(
                    (b"sec-websocket-version", b"13"),
                    (b"sec-websocket-key", b"AAECAwQFBgcICQoLDA0ODw=="),
                    (b"sec-websocket-key", b"AAECAwQFBgcICQoLDA0ODw=="),
                )
            ),
            400,
        ),
        (
            _request(
                headers=(
                    (b"sec-websocket-version", b"13"),
                    (b"sec-websocket-key", b"AAECAwQFBgcICQoLDA0ODw=="),
                    (b"sec-websocket-protocol", b"a b"),
                )
            ),
            400,
        ),
        (
            _request(
                headers=(
                    (b"sec-websocket-version", b"13"),
                    (b"sec-websocket-key", b"AAECAwQFBgcICQoLDA0ODw=="),
                    (b"sec-websocket-extensions", b"permessage-deflate;"),
                )
            ),
            400,
        ),
    ],
)
def test_server_refuses_bad_handshakes(request_: Request, status: int) -> None:
    with pytest.raises(ws.HandshakeError) as caught:
        ws.ServerHandshake(request_)
    assert caught.value.status == status
    response = ws.reject(request_, caught.value)
    assert isinstance(response, Response)
    assert response.status == status
    if status == 426:
        assert (b"sec-websocket-version", b"13") in response.headers


def test_reject_needs_a_server_error() -> None:
    with pytest.raises(LocalProtocolError):
        ws.reject(_request(), ws.HandshakeError("client side"))


def test_server_accept_argument_checks() -> None:
    server = ws.ServerHandshake(_request())
    with pytest.raises(LocalProtocolError):
        server.accept(subprotocol="chat")
    with pytest.raises(LocalProtocolError):
        server.accept(deflate=ws.DeflateParams())  # type: ignore[arg-type]
    with pytest.raises(LocalProtocolError):
        server.accept(headers=((b"Sec-WebSocket-Accept", b"x"),))


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"nonce": b"short"},
        {"nonce": NONCE, "http2": 1},
        {"nonce": NONCE, "subprotocols": "chat"},
        {"nonce": NONCE, "subprotocols": ["bad token"]},
        {"nonce": NONCE, "subprotocols": [b"chat"]},
        {"nonce": NONCE, "deflate": ws.DeflateParams()},
        {"nonce": NONCE, "headers": ((b"sec-websocket-protocol", b"x"),)},
    ],
)
def test_client_argument_checks(kwargs: dict[str, object]) -> None:
    with pytest.raises(LocalProtocolError):
        ws.ClientHandshake(**kwargs)  # type: ignore[arg-type]


def test_client_request_needs_an_authority() -> None:
    with pytest.raises(LocalProtocolError):
        ws.ClientHandshake(nonce=NONCE).request(b"/", b"")


def _switch(*headers: tuple[bytes, bytes], protocol: bytes | None = b"websocket") -> ProtocolSwitch:
    return ProtocolSwitch(1, protocol, headers)


GOOD = (b"sec-websocket-accept", ws.accept_token(b"AAECAwQFBgcICQoLDA0ODw=="))


@pytest.mark.parametrize(
    "switch",
    [
        _switch(GOOD, protocol=None),
        _switch(GOOD, protocol=b"other"),
        _switch(),
        _switch((b"sec-websocket-accept", b"wrong")),
        _switch(GOOD, GOOD),
        _switch(GOOD, (b"sec-websocket-protocol", b"other")),
        _switch(GOOD, (b"sec-websocket-protocol", b"chat, chat2")),
        _switch(GOOD, (b"sec-websocket-protocol", b"a b")),
        _switch(GOOD, (b"sec-websocket-extensions", b"x-unknown")),
        _switch(GOOD, (b"sec-websocket-extensions", b"permessage-deflate, permessage-deflate")),
        _switch(GOOD, (b"sec-websocket-extensions", b"permessage-deflate; x")),
    ],
)
def test_client_refuses_bad_answers(switch: ProtocolSwitch) -> None:
    client = ws.ClientHandshake(
        nonce=NONCE, subprotocols=["chat", "chat2"], deflate=ws.DeflateConfig()
    )
    with pytest.raises(ws.HandshakeError) as caught:
        client.accept(switch)
    assert caught.value.code is None


def test_client_without_deflate_refuses_it() -> None:
    client = ws.ClientHandshake(nonce=NONCE)
    with pytest.raises(ws.HandshakeError):
        client.accept(_switch(GOOD, (b"sec-websocket-extensions", b"permessage-deflate")))
    assert client.accept(_switch(GOOD)) == ws.Negotiated(ws.Role.CLIENT)


def test_parse_extensions_grammar() -> None:
    assert parse_extensions("") == []
    assert parse_extensions(" , ,") == []
    assert parse_extensions('a, b ; x ; y=1 ; z = "q\\uoted" ,c;p="tok"'.replace("\\u", "u")) == [
        ("a", []),
        ("b", [("x", None), ("y", "1"), ("z", "quoted")]),
        ("c", [("p", "tok")]),
    ]
    assert parse_extensions('a; p="\\t\\o\\k"') == [("a", [("p", "tok")])]


@pytest.mark.parametrize("value", ["a b", ";", "a; p=", 'a; p="two words"', "a;=1", "é"])
def test_parse_extensions_refuses(value: str) -> None:
    with pytest.raises(ValueError, match=r"\w"):
        parse_extensions(value)


def test_parse_subprotocols() -> None:
    assert parse_subprotocols(" chat ,, v2.json ") == ["chat", "v2.json"]
    with pytest.raises(ValueError, match="token"):
        parse_subprotocols("chat, bad/token")
