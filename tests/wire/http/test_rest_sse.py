"""Server-Sent Events: the encoder against the WHATWG "Interpreting an event stream" parser."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wire.errors import LocalProtocolError
from wire.http._rest import EventSourceResponse, ServerSentEvent, encode_comment


@dataclass
class Dispatched:
    type: str
    data: str
    last_event_id: str


@dataclass
class Parsed:
    events: list[Dispatched]
    retry: int | None
    last_event_id: str


def parse_event_stream(stream: bytes) -> Parsed:
    """WHATWG HTML §9.2.6, step by step (the decoder is UTF-8 decode)."""
    text = stream.decode("utf-8", errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = re.split(r"\r\n|\r|\n", text)
    lines.pop()  # text after the last line break is an incomplete line: discarded at EOF
    data = event_type = ""
    last_event_id_buffer = ""
    source_last_event_id = ""
    retry: int | None = None
    events: list[Dispatched] = []
    for line in lines:
        if line == "":
            # Dispatch the event.
            source_last_event_id = last_event_id_buffer
            if data == "":
                data = event_type = ""
                continue
            if data.endswith("\n"):
                data = data[:-1]
            events.append(Dispatched(event_type or "message", data, source_last_event_id))
            data = event_type = ""
            continue
        if line.startswith(":"):
            continue
        if ":" in line:
            field, _, value = line.partition(":")
            if value.startswith(" "):
                value = value[1:]
        else:
            field, value = line, ""
        if field == "event":
            event_type = value
        elif field == "data":
            data += value + "\n"
        elif field == "id":
            if "\x00" not in value:
                last_event_id_buffer = value
        elif field == "retry" and value and all(c in "0123456789" for c in value):
            retry = int(value)
    return Parsed(events, retry, source_last_event_id)


def normalize(data: str) -> str:
    return re.sub(r"\r\n|\r", "\n", data)


line_text = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\r\n"))
events = st.builds(
    ServerSentEvent,
    data=st.one_of(st.none(), st.text()),
    event=st.one_of(st.none(), line_text),
    id=st.one_of(st.none(), line_text.filter(lambda s: "\x00" not in s)),
    retry=st.one_of(st.none(), st.integers(0, 10**9)),
    comment=st.one_of(st.none(), st.text()),
)


@given(st.lists(events, max_size=6))
def test_encoder_round_trips_through_the_whatwg_parser(sent: list[ServerSentEvent]) -> None:
    parsed = parse_event_stream(b"".join(event.encode() for event in sent))
    expected: list[Dispatched] = []
    last_id = ""
    retry = None
    for event in sent:
        if event.id is not None:
            last_id = event.id
        if event.retry is not None:
            retry = event.retry
        if event.data is not None:
            expected.append(Dispatched(event.event or "message", normalize(event.data), last_id))
    assert parsed.events == expected
    assert parsed.retry == retry
    assert parsed.last_event_id == last_id


@given(st.text(), st.text())
def test_comments_are_invisible(comment: str, data: str) -> None:
    stream = encode_comment(comment) + ServerSentEvent(data=data).encode() + encode_comment()
    assert parse_event_stream(stream).events == [Dispatched("message", normalize(data), "")]


def test_encoding_examples() -> None:
    assert (
        ServerSentEvent(data="a\nb\r\nc\rd").encode() == b"data: a\ndata: b\ndata: c\ndata: d\n\n"
    )
    assert ServerSentEvent(data="", event="e", id="1", retry=5).encode() == (
        b"event: e\nid: 1\nretry: 5\ndata: \n\n"
    )
    assert ServerSentEvent(comment="x\ny").encode() == b": x\n: y\n\n"
    assert encode_comment() == b": \n\n"
    assert ServerSentEvent(data=" lead").encode() == b"data:  lead\n\n"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"event": "a\nb"},
        {"id": "a\rb"},
        {"id": "a\x00b"},
        {"retry": -1},
        {"retry": 1.5},
        {"data": "\ud800"},
        {"comment": "\udfff"},
    ],
)
def test_invalid_events(kwargs: dict[str, object]) -> None:
    with pytest.raises(LocalProtocolError):
        ServerSentEvent(**kwargs)  # type: ignore[arg-type]


def test_comment_must_be_utf8() -> None:
    with pytest.raises(LocalProtocolError):
        encode_comment("\ud800")


async def collect(response: EventSourceResponse) -> bytes:
    return b"".join([chunk async for chunk in response.iter_body()])


async def test_response_from_an_async_iterator() -> None:
    async def source() -> AsyncIterator[ServerSentEvent | str]:
        yield ServerSentEvent(data="one", id="1")
        yield "two"

    response = EventSourceResponse(source(), headers={"x-extra": "1"}, heartbeat_interval=None)
    assert response.status == 200
    assert response.headers.get("content-type") == "text/event-stream"
    assert response.headers.get("cache-control") == "no-cache"
    assert response.headers.get("x-extra") == "1"
    assert response.heartbeat_interval is None
    parsed = parse_event_stream(await collect(response))
    assert parsed.events == [Dispatched("message", "one", "1"), Dispatched("message", "two", "1")]
    assert parse_event_stream(EventSourceResponse.heartbeat()).events == []


async def test_response_from_a_list_and_close() -> None:
    response = EventSourceResponse(["a", ServerSentEvent(data="b", event="x")])
    assert response.heartbeat_interval == 15.0
    assert parse_event_stream(await collect(response)).events == [
        Dispatched("message", "a", ""),
        Dispatched("x", "b", ""),
    ]
    await EventSourceResponse(["never read"]).aclose()  # neither aclose nor close: nothing to do


async def test_close_releases_the_source() -> None:
    closed: list[str] = []

    async def source() -> AsyncIterator[str]:
        try:
            yield "a"
            yield "b"
        finally:
            closed.append("async")

    response = EventSourceResponse(source())
    iterator = response.iter_body()
    assert await iterator.__anext__() == b"data: a\n\n"
    await response.aclose()
    assert closed == ["async"]

    def sync_source() -> object:
        try:
            yield "a"
        finally:
            closed.append("sync")

    sync_response = EventSourceResponse(sync_source())  # type: ignore[arg-type]
    sync_iterator = sync_response.iter_body()
    assert await sync_iterator.__anext__() == b"data: a\n\n"
    await sync_response.aclose()
    assert closed == ["async", "sync"]
