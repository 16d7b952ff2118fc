"""The opening handshake, as events of :mod:`wire.http` (RFC 6455 section 4, RFC 8441).

HTTP/1.1 carries it as an Upgrade: a ``GET`` request whose
:attr:`~wire.http.Request.protocol` is ``b"websocket"`` (the HTTP machine
writes ``Connection: Upgrade`` and ``Upgrade: websocket``), answered by a
:class:`~wire.http.ProtocolSwitch` (101). HTTP/2 carries it as an extended
CONNECT (RFC 8441 section 4): ``:method CONNECT`` with ``:protocol websocket``,
answered by a :class:`~wire.http.ProtocolSwitch` (200), without the key and
accept fields (section 5).

- :class:`ClientHandshake` builds the request and checks the answer;
- :class:`ServerHandshake` checks a request and builds the answer, or a
  :class:`~wire.ws.HandshakeError` says which HTTP status refuses it
  (:func:`reject` turns it into a :class:`~wire.http.Response`);
- both give a :class:`Negotiated`, from which
  :meth:`WSConnection.from_handshake <wire.ws.WSConnection.from_handshake>`
  starts the connection in OPEN.

Nothing here draws random numbers: the client's 16-octet nonce comes from the
caller (``os.urandom(16)``, RFC 6455 section 4.1 item 7).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from wire.errors import LocalProtocolError
from wire.http import ProtocolSwitch, Request, Response, Role
from wire.http._events import Headers
from wire.ws._deflate import (
    EXTENSION_NAME,
    DeflateConfig,
    DeflateParams,
    ExtensionParams,
    accept_offer,
    accept_response,
    offer,
)
from wire.ws._errors import HandshakeError

__all__ = [
    "ClientHandshake",
    "Negotiated",
    "ServerHandshake",
    "accept_token",
    "parse_extensions",
    "parse_subprotocols",
    "reject",
]

#: RFC 6455 section 1.3: appended to the key before hashing.
_GUID: Final = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_VERSION: Final = b"13"
_WEBSOCKET: Final = b"websocket"
_NONCE_SIZE: Final = 16
_KEY: Final = b"sec-websocket-key"
_ACCEPT: Final = b"sec-websocket-accept"
_VERSION_FIELD: Final = b"sec-websocket-version"
_PROTOCOL: Final = b"sec-websocket-protocol"
_EXTENSIONS: Final = b"sec-websocket-extensions"
#: Fields the handshake writes itself.
_OWN_FIELDS: Final = frozenset({_KEY, _ACCEPT, _VERSION_FIELD, _PROTOCOL, _EXTENSIONS})

# RFC 9110 section 5.6.2 (token), 5.6.3 (OWS), 5.6.4 (quoted-string).
_TOKEN_CHARS: Final = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_TOKEN: Final = re.compile(_TOKEN_CHARS)
_PARAM: Final = re.compile(
    rf"[ \t]*;[ \t]*({_TOKEN_CHARS})"
    rf'(?:[ \t]*=[ \t]*(?:({_TOKEN_CHARS})|"((?:[\t !#-\[\]-~\x80-\xff]|\\[\t -~\x80-\xff])*)"))?'
)
_ESCAPE: Final = re.compile(r"\\(.)")


def accept_token(key: bytes) -> bytes:
    """``Sec-WebSocket-Accept`` for a ``Sec-WebSocket-Key`` (RFC 6455 section 4.2.2 item 5.4)."""
    return base64.b64encode(hashlib.sha1(key + _GUID).digest())


def _values(headers: Headers, name: bytes) -> list[bytes]:
    return [value for field, value in headers if field == name]


def _joined(headers: Headers, name: bytes) -> str:
    # Several fields of one name are one comma-separated list (RFC 9110 section 5.3).
    return ",".join(value.decode("latin-1") for value in _values(headers, name))


def parse_subprotocols(value: str) -> list[str]:
    """The tokens of a ``Sec-WebSocket-Protocol`` value (``1#token``, section 4.3).

    Raises:
        ValueError: an element is not a token.
    """
    out = []
    for element in value.split(","):
        name = element.strip(" \t")
        if name:
            if _TOKEN.fullmatch(name) is None:
                raise ValueError(f"{name[:32]!r} is not a token")
            out.append(name)
    return out


def parse_extensions(value: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """The entries of a ``Sec-WebSocket-Extensions`` value (RFC 6455 section 9.1).

    Each entry is ``(name, [(parameter, value or None), ...])``; a quoted value
    is unescaped and must then be a token.

    Raises:
        ValueError: the value does not follow the grammar.
    """
    entries: list[tuple[str, list[tuple[str, str | None]]]] = []
    end = len(value)
    pos = 0
    while True:
        while pos < end and value[pos] in " \t,":
            pos += 1
        if pos == end:
            return entries
        name = _TOKEN.match(value, pos)
        if name is None:
            raise ValueError(f"no extension name at {value[pos : pos + 32]!r}")
        pos = name.end()
        params: list[tuple[str, str | None]] = []
        while (param := _PARAM.match(value, pos)) is not None:
            pos = param.end()
            quoted = param.group(3)
            if quoted is None:
                params.append((param.group(1), param.group(2)))
                continue
            text = _ESCAPE.sub(r"\1", quoted)
            if _TOKEN.fullmatch(text) is None:
                raise ValueError(f"the quoted value {text[:32]!r} is not a token")
            params.append((param.group(1), text))
        while pos < end and value[pos] in " \t":
            pos += 1
        if pos < end and value[pos] != ",":
            raise ValueError(f"unexpected {value[pos : pos + 32]!r}")
        entries.append((name.group(), params))


def _check_extra(headers: Headers) -> Headers:
    headers = tuple(headers)
    for name, _ in headers:
        if name.lower() in _OWN_FIELDS:
            raise LocalProtocolError(f"{name.decode('latin-1')} is written by the handshake")
    return headers


@dataclass(frozen=True, slots=True)
class Negotiated:
    """What the opening handshake settled: everything a connection needs to start.

    Attributes:
        role: Which end this is.
        subprotocol: The subprotocol both ends speak (section 1.9), if any.
        deflate: permessage-deflate as agreed, or ``None`` when not in use.
        http2: The handshake was an RFC 8441 extended CONNECT (informational).
    """

    role: Role
    subprotocol: str | None = None
    deflate: DeflateParams | None = None
    http2: bool = False


class ClientHandshake:
    """The client's side of the opening handshake.

    Args:
        nonce: 16 octets from a random source (``os.urandom(16)``); HTTP/1.1
            only, RFC 8441 has no key.
        subprotocols: Subprotocols to offer, most preferred first.
        deflate: Offer permessage-deflate with these parameters.
        headers: More request fields (``origin``, cookies, authorization).
        http2: Build an RFC 8441 extended CONNECT instead of an Upgrade.

    Raises:
        LocalProtocolError: an invalid argument.
    """

    __slots__ = ("deflate", "headers", "http2", "key", "subprotocols")

    def __init__(
        self,
        *,
        nonce: bytes | None = None,
        subprotocols: Sequence[str] = (),
        deflate: DeflateConfig | None = None,
        headers: Headers = (),
        http2: bool = False,
    ) -> None:
        if type(http2) is not bool:
            raise LocalProtocolError("http2 must be a bool")
        if not http2 and (type(nonce) is not bytes or len(nonce) != _NONCE_SIZE):
            raise LocalProtocolError("HTTP/1.1 needs a nonce of 16 random octets (os.urandom(16))")
        if isinstance(subprotocols, str):
            raise LocalProtocolError("subprotocols is a sequence of str")
        for name in subprotocols:
            if type(name) is not str or _TOKEN.fullmatch(name) is None:
                raise LocalProtocolError(f"subprotocol {name!r} is not a token")
        if deflate is not None and type(deflate) is not DeflateConfig:
            raise LocalProtocolError("deflate must be a DeflateConfig or None")
        self.http2 = http2
        #: The ``Sec-WebSocket-Key`` sent (``b""`` over HTTP/2).
        self.key = b"" if nonce is None else base64.b64encode(nonce)
        self.subprotocols = tuple(subprotocols)
        self.deflate = deflate
        self.headers = _check_extra(headers)

    def request(
        self,
        target: bytes,
        authority: bytes,
        *,
        scheme: bytes | None = None,
        stream_id: int = 1,
    ) -> Request:
        """The request to send on the HTTP connection.

        Args:
            target: The path and query (``b"/chat?room=1"``).
            authority: Host and port (``Host``, or ``:authority``).
            scheme: ``b"http"``/``b"https"`` (``ws``/``wss``); by default
                ``http`` over HTTP/1.1 and ``https`` over HTTP/2.
            stream_id: The HTTP/2 stream, or the HTTP/1.1 exchange number.

        Raises:
            LocalProtocolError: the request would be invalid.
        """
        if not authority:
            raise LocalProtocolError("the handshake needs an authority (RFC 6455 section 4.1)")
        fields: list[tuple[bytes, bytes]] = []
        if not self.http2:
            fields.append((_KEY, self.key))
        fields.append((_VERSION_FIELD, _VERSION))
        if self.subprotocols:
            fields.append((_PROTOCOL, ", ".join(self.subprotocols).encode()))
        if self.deflate is not None:
            fields.append((_EXTENSIONS, offer(self.deflate).encode()))
        return Request(
            b"CONNECT" if self.http2 else b"GET",
            target,
            authority,
            scheme or (b"https" if self.http2 else b"http"),
            (*fields, *self.headers),
            stream_id,
            _WEBSOCKET,
        )

    def accept(self, switch: ProtocolSwitch) -> Negotiated:
        """Check the server's answer (RFC 6455 section 4.1, last list; RFC 8441 section 5).

        Raises:
            HandshakeError: the answer is wrong; drop the connection.
        """
        if switch.protocol is None or switch.protocol.lower() != _WEBSOCKET:
            raise HandshakeError(f"the server switched to {switch.protocol!r}")
        headers = switch.headers
        if not self.http2 and _values(headers, _ACCEPT) != [accept_token(self.key)]:
            raise HandshakeError("missing or wrong Sec-WebSocket-Accept")
        try:
            chosen = parse_subprotocols(_joined(headers, _PROTOCOL))
            entries = parse_extensions(_joined(headers, _EXTENSIONS))
        except ValueError as exc:
            raise HandshakeError(f"invalid handshake response: {exc}") from None
        if len(chosen) > 1 or not set(chosen) <= set(self.subprotocols):
            raise HandshakeError(f"the server chose subprotocol {chosen!r}, not one we offered")
        deflate = None
        for name, params in entries:
            if name != EXTENSION_NAME or self.deflate is None or deflate is not None:
                raise HandshakeError(f"the server uses extension {name!r}, not offered")
            deflate = accept_response(params, self.deflate)
        return Negotiated(Role.CLIENT, chosen[0] if chosen else None, deflate, self.http2)


class ServerHandshake:
    """A server's view of a client's opening handshake.

    Args:
        request: A request whose ``protocol`` is ``b"websocket"``.

    Raises:
        HandshakeError: the request is not an acceptable handshake; ``status``
            and ``headers`` say how to refuse it (:func:`reject`).
    """

    __slots__ = ("extensions", "http2", "key", "origin", "request", "subprotocols")

    def __init__(self, request: Request) -> None:
        if request.protocol is None or request.protocol.lower() != _WEBSOCKET:
            raise HandshakeError("not a WebSocket handshake", status=400)
        http2 = request.method == b"CONNECT"
        if not http2 and request.method != b"GET":
            raise HandshakeError("a WebSocket handshake is a GET (section 4.1)", status=400)
        if not request.authority:
            raise HandshakeError("a WebSocket handshake needs a Host", status=400)
        if _values(request.headers, _VERSION_FIELD) != [_VERSION]:
            # Section 4.4: say which version we speak.
            raise HandshakeError(
                "unsupported Sec-WebSocket-Version",
                status=426,
                headers=((_VERSION_FIELD, _VERSION),),
            )
        key = b""
        if not http2:
            keys = _values(request.headers, _KEY)
            try:
                valid = len(keys) == 1 and len(base64.b64decode(keys[0], validate=True)) == 16
            except binascii.Error:
                valid = False
            if not valid:
                raise HandshakeError("missing or invalid Sec-WebSocket-Key", status=400)
            key = keys[0]
        try:
            subprotocols = parse_subprotocols(_joined(request.headers, _PROTOCOL))
            extensions = parse_extensions(_joined(request.headers, _EXTENSIONS))
        except ValueError as exc:
            raise HandshakeError(f"invalid handshake request: {exc}", status=400) from None
        origins = _values(request.headers, b"origin")
        self.request = request
        self.http2 = http2
        self.key = key
        #: The subprotocols the client offers, most preferred first.
        self.subprotocols: tuple[str, ...] = tuple(subprotocols)
        #: The extensions the client offers, in its order.
        self.extensions: tuple[tuple[str, ExtensionParams], ...] = tuple(extensions)
        #: The ``Origin`` field, for the application's check (section 10.2).
        self.origin: bytes | None = origins[0] if origins else None

    def accept(
        self,
        *,
        subprotocol: str | None = None,
        deflate: DeflateConfig | None = None,
        headers: Headers = (),
    ) -> tuple[ProtocolSwitch, Negotiated]:
        """Accept the handshake.

        Args:
            subprotocol: One of :attr:`subprotocols`, or ``None``.
            deflate: Accept the client's first acceptable permessage-deflate
                offer on these terms; ``None`` declines compression.
            headers: More response fields (``set-cookie``).

        Returns:
            The event to send on the HTTP connection, and the agreement.

        Raises:
            LocalProtocolError: a subprotocol the client did not offer, or an
                invalid argument.
        """
        if subprotocol is not None and subprotocol not in self.subprotocols:
            raise LocalProtocolError(f"the client did not offer subprotocol {subprotocol!r}")
        if deflate is not None and type(deflate) is not DeflateConfig:
            raise LocalProtocolError("deflate must be a DeflateConfig or None")
        fields: list[tuple[bytes, bytes]] = []
        if not self.http2:
            fields.append((_ACCEPT, accept_token(self.key)))
        if subprotocol is not None:
            fields.append((_PROTOCOL, subprotocol.encode()))
        agreed = None
        if deflate is not None:
            for name, params in self.extensions:
                if name == EXTENSION_NAME:
                    agreed = accept_offer(params, deflate)
                    if agreed is not None:
                        fields.append((_EXTENSIONS, agreed.response().encode()))
                        break
        request = self.request
        switch = ProtocolSwitch(
            request.stream_id, request.protocol, (*fields, *_check_extra(headers))
        )
        return switch, Negotiated(Role.SERVER, subprotocol, agreed, self.http2)


def reject(request: Request, error: HandshakeError) -> Response:
    """The response that refuses ``request`` for ``error`` (a server's HandshakeError).

    Raises:
        LocalProtocolError: ``error`` carries no status (it came from a client).
    """
    if error.status is None:
        raise LocalProtocolError("only a server's HandshakeError has a status to answer")
    return Response(error.status, error.headers, request.stream_id)
