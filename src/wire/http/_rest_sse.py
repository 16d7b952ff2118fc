"""Server-Sent Events (WHATWG HTML §9.2 "Server-sent events").

:class:`ServerSentEvent` encodes one event as the ``text/event-stream`` lines
that the WHATWG parser ("Interpreting an event stream", §9.2.6) turns back
into the same event: one ``data:`` line per line of the data (CRLF, CR and LF
all end a line there), ``event:``, ``id:`` and ``retry:`` fields, ``:`` comment
lines, and a blank line that dispatches.

:class:`EventSourceResponse` streams events. It has no timer: the driver,
which owns the clock, writes :meth:`EventSourceResponse.heartbeat` whenever
the stream has been idle for ``heartbeat_interval`` seconds, so proxies do not
close a quiet connection.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from dataclasses import dataclass

from wire.errors import LocalProtocolError
from wire.http._rest_headers import HeaderInput
from wire.http._rest_messages import StreamingResponse, close_iterator

__all__ = ["EventSourceResponse", "ServerSentEvent", "encode_comment"]

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _lines(text: str) -> list[str]:
    return _LINE_BREAK.split(text)


def encode_comment(text: str = "") -> bytes:
    """Comment lines (ignored by the client), such as a heartbeat: ``b": \\n\\n"``.

    Raises:
        LocalProtocolError: ``text`` cannot be encoded as UTF-8 (a lone surrogate).
    """
    try:
        return ("".join(f": {line}\n" for line in _lines(text)) + "\n").encode("utf-8")
    except UnicodeEncodeError:
        raise LocalProtocolError(
            "an event stream is UTF-8: lone surrogates cannot be sent"
        ) from None


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    """One event of a ``text/event-stream``.

    Args:
        data: The data; a line break of any kind becomes a new ``data:`` line, and
            the client joins them with LF. None sends no ``data`` field, so the
            client dispatches nothing (only ``id``/``retry`` take effect).
        event: The event type (``message`` when None or empty).
        id: The last event id to remember (``""`` resets it).
        retry: The reconnection time, in milliseconds.
        comment: Comment lines sent before the fields.

    Raises:
        LocalProtocolError: ``event`` or ``id`` holds a line break, ``id`` holds
            NUL (the client would ignore it), ``retry`` is negative, or a text
            cannot be encoded as UTF-8.
    """

    data: str | None = None
    event: str | None = None
    id: str | None = None
    retry: int | None = None
    comment: str | None = None

    def __post_init__(self) -> None:
        for name in ("event", "id"):
            value = getattr(self, name)
            if value is not None and _LINE_BREAK.search(value):
                raise LocalProtocolError(f"an event {name} cannot hold a line break")
        if self.id is not None and "\x00" in self.id:
            raise LocalProtocolError("an event id cannot hold NUL")
        if self.retry is not None and (type(self.retry) is not int or self.retry < 0):
            raise LocalProtocolError("retry is a non-negative number of milliseconds")
        for text in (self.data, self.event, self.id, self.comment):
            if text is not None:
                try:
                    text.encode("utf-8")
                except UnicodeEncodeError:
                    raise LocalProtocolError(
                        "an event stream is UTF-8: lone surrogates cannot be sent"
                    ) from None

    def encode(self) -> bytes:
        """The event's lines, ending with the blank line that dispatches it."""
        out: list[str] = []
        if self.comment is not None:
            out.extend(f": {line}\n" for line in _lines(self.comment))
        if self.event is not None:
            out.append(f"event: {self.event}\n")
        if self.id is not None:
            out.append(f"id: {self.id}\n")
        if self.retry is not None:
            out.append(f"retry: {self.retry}\n")
        if self.data is not None:
            out.extend(f"data: {line}\n" for line in _lines(self.data))
        out.append("\n")
        return "".join(out).encode("utf-8")


EventSource = AsyncIterable[ServerSentEvent | str] | Iterable[ServerSentEvent | str]


class EventSourceResponse(StreamingResponse):
    """A ``text/event-stream`` response fed by events.

    Args:
        events: An async iterable (or a non-blocking iterable) of
            :class:`ServerSentEvent` or of ``str`` (data of a ``message`` event).
        status: The status code.
        headers: Extra header fields.
        heartbeat_interval: Seconds of silence after which the driver should send
            :meth:`heartbeat`; None for never. Proxies commonly close connections
            idle for 30 to 60 seconds, hence 15 by default.

    The response is never compressed, and says ``Cache-Control: no-cache``.
    """

    __slots__ = ("events", "heartbeat_interval")

    events: EventSource
    heartbeat_interval: float | None

    def __init__(
        self,
        events: EventSource,
        status: int = 200,
        headers: HeaderInput = None,
        *,
        heartbeat_interval: float | None = 15.0,
    ) -> None:
        super().__init__(self._encode(events), status, headers, media_type="text/event-stream")
        self.headers.setdefault("cache-control", "no-cache")
        # nginx buffers proxied responses unless told not to.
        self.headers.setdefault("x-accel-buffering", "no")
        self.events = events
        self.heartbeat_interval = heartbeat_interval

    @staticmethod
    async def _encode(events: EventSource) -> AsyncIterator[bytes]:
        if isinstance(events, AsyncIterable):
            async for event in events:
                yield _encode_one(event)
        else:
            for event in events:
                yield _encode_one(event)

    @staticmethod
    def heartbeat() -> bytes:
        """The bytes to write when the stream has been idle: an empty comment."""
        return b":\n\n"

    async def aclose(self) -> None:
        """Release the event source without reading it."""
        await super().aclose()  # the encoder
        await close_iterator(self.events)


def _encode_one(event: ServerSentEvent | str) -> bytes:
    if isinstance(event, str):
        event = ServerSentEvent(data=event)
    return event.encode()
