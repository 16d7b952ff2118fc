"""A client and a server connection driven by hypothesis, in both versions.

The same rules run over HTTP/1.1 and HTTP/2 through :class:`HTTPConnection`
(the application never asks which version it runs on): requests and responses
with bodies in any chunks and trailers, the bytes delivered in pieces of any
size at any moment, applications that acknowledge what they read only now and
then, resets, graceful shutdowns, and misuse that must be refused without
writing anything or changing what happens next.

Checked throughout: each side receives exactly a prefix of what the other sent,
in order (heads equal, bodies as prefixes, trailers equal, the end only after
all the data); nothing is reset or closed that no one asked for; no protocol
error ever arises between our own two ends. At the end the network is healed,
the applications read everything and finish what they started, and every
exchange not abandoned must have arrived complete.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from wire.errors import LocalProtocolError
from wire.http._connection import HTTPConnection
from wire.http._events import (
    ConnectionClosed,
    Data,
    EndOfMessage,
    Event,
    GoAway,
    InformationalResponse,
    Request,
    Response,
    StreamReset,
    Trailers,
)
from wire.http._h1 import H1Config
from wire.http._h2 import H2Config
from wire.http._state import Role

CLIENT, SERVER = Role.CLIENT, Role.SERVER
LONG = 1e9
chunks = st.one_of(st.binary(max_size=30), st.sampled_from([b"w" * 20_000, b"v" * 70_000]))
_field = st.tuples(st.sampled_from([b"x-a", b"x-b", b"etag"]), st.sampled_from([b"1", b"v w"]))
field_sets = st.lists(_field, max_size=2).map(tuple)
trailer_sets = st.lists(_field, min_size=1, max_size=2).map(tuple)


@dataclass
class Message:
    """What one side sent on one stream."""

    head: Request | Response | None = None
    body: bytearray = field(default_factory=bytearray)
    trailers: tuple[tuple[bytes, bytes], ...] | None = None
    ended: bool = False


@dataclass
class Seen:
    """What one side received on one stream."""

    head: Event | None = None
    body: bytearray = field(default_factory=bytearray)
    trailers: tuple[tuple[bytes, bytes], ...] | None = None
    ended: bool = False
    reset: bool = False


class Pair(RuleBasedStateMachine):
    alpn = "http/1.1"

    def __init__(self) -> None:
        super().__init__()
        # Timers are tested on their own; here time passes without expiring them.
        h1 = H1Config(max_body_size=None, idle_timeout=None, drain_timeout=LONG)
        h2 = H2Config(
            max_body_size=None, settings_timeout=LONG, stall_timeout=LONG, drain_timeout=LONG
        )
        self.ends = {
            role: HTTPConnection(role, alpn=self.alpn, h1_config=h1, h2_config=h2)
            for role in (CLIENT, SERVER)
        }
        self.wire: dict[Role, bytearray] = {CLIENT: bytearray(), SERVER: bytearray()}
        self.eof: dict[Role, bool] = {CLIENT: False, SERVER: False}
        self.sent: dict[Role, dict[int, Message]] = {CLIENT: {}, SERVER: {}}
        self.seen: dict[Role, dict[int, Seen]] = {CLIENT: {}, SERVER: {}}
        self.unacked: dict[Role, dict[int, int]] = {CLIENT: {}, SERVER: {}}
        self.reset_by: set[int] = set()
        self.goaway_sent: set[Role] = set()
        self.closed: dict[Role, bool] = {CLIENT: False, SERVER: False}
        self.now = 0.0
        self.collect()

    # -- plumbing ------------------------------------------------------

    @property
    def h1(self) -> bool:
        return self.alpn == "http/1.1"

    def other(self, role: Role) -> Role:
        return SERVER if role is CLIENT else CLIENT

    def collect(self) -> None:
        for role, end in self.ends.items():
            for chunk in end.data_to_send():
                if chunk:
                    assert not self.eof[role]
                    self.wire[role] += chunk
                else:
                    self.eof[role] = True
            for event in end.events():
                self.record(role, event)

    def send(self, role: Role, event: Event) -> None:
        self.ends[role].send(event)
        self.collect()

    def record(self, role: Role, event: Event) -> None:
        """Check one event ``role`` received against what the other side sent."""
        if isinstance(event, ConnectionClosed):
            assert event.error is None, event
            assert not self.closed[role]
            self.closed[role] = True
            return
        if isinstance(event, GoAway):
            assert event.error_code == 0
            assert self.other(role) in self.goaway_sent or self.h1
            return
        sid = event.stream_id
        sent = self.sent[self.other(role)].get(sid)
        seen = self.seen[role].setdefault(sid, Seen())
        assert not seen.reset
        if isinstance(event, StreamReset):
            # The peer may abandon an exchange whose message to us is complete.
            assert event.error is None
            assert sid in self.reset_by or (event.error_code == 7 and self.goaway_sent)
            seen.reset = True
            return
        assert sent is not None and sent.head is not None and not seen.ended
        if isinstance(event, InformationalResponse):
            assert seen.head is None
        elif isinstance(event, Request | Response):
            assert seen.head is None and event == sent.head
            seen.head = event
        elif isinstance(event, Data):
            assert seen.head is not None
            seen.body += event.data
            assert sent.body.startswith(seen.body)
            self.unacked[role][sid] = self.unacked[role].get(sid, 0) + (
                event.flow_controlled_length or 0
            )
        elif isinstance(event, Trailers):
            assert sent.trailers == event.headers and sent.ended
            seen.trailers = event.headers
        else:
            assert isinstance(event, EndOfMessage)
            assert sent.ended and seen.body == sent.body and seen.trailers == sent.trailers
            seen.ended = True

    def open(self, role: Role, sid: int) -> bool:
        """Whether ``role`` may still send on ``sid``."""
        message = self.sent[role].get(sid)
        if message is None or message.ended or sid in self.reset_by:
            return False
        return not self.closed[role] and not self.seen[role].get(sid, Seen()).reset

    def streams(self, role: Role) -> list[int]:
        return sorted(sid for sid in self.sent[role] if self.open(role, sid))

    def answerable(self) -> list[int]:
        return sorted(
            sid
            for sid, seen in self.seen[SERVER].items()
            if seen.head is not None
            and sid not in self.sent[SERVER]
            and sid not in self.reset_by
            and not seen.reset
            and not self.closed[SERVER]
        )

    # -- the applications ----------------------------------------------

    @precondition(
        lambda self: self.ends[CLIENT].next_stream_id is not None and not self.closed[CLIENT]
    )
    @rule(method=st.sampled_from([b"GET", b"POST", b"PUT"]), fields=field_sets)
    def start_request(self, method: bytes, fields: tuple[tuple[bytes, bytes], ...]) -> None:
        sid = self.ends[CLIENT].next_stream_id
        assert sid is not None
        request = Request(method, b"/r%d" % sid, b"example.com", b"http", fields, sid)
        self.sent[CLIENT][sid] = Message(request)
        self.send(CLIENT, request)

    @rule(role=st.sampled_from([CLIENT, SERVER]), data=st.data(), chunk=chunks)
    def send_data(self, role: Role, data: st.DataObject, chunk: bytes) -> None:
        streams = self.streams(role)
        if not streams:
            return
        sid = data.draw(st.sampled_from(streams))
        self.sent[role][sid].body += chunk
        self.send(role, Data(sid, chunk))

    @rule(
        role=st.sampled_from([CLIENT, SERVER]),
        data=st.data(),
        trailers=st.booleans(),
        fields=trailer_sets,
    )
    def end_message(
        self,
        role: Role,
        data: st.DataObject,
        trailers: bool,
        fields: tuple[tuple[bytes, bytes], ...],
    ) -> None:
        streams = self.streams(role)
        if not streams:
            return
        sid = data.draw(st.sampled_from(streams))
        message = self.sent[role][sid]
        message.ended = True
        if trailers:
            message.trailers = fields
            self.send(role, Trailers(sid, fields))
        self.send(role, EndOfMessage(sid))

    @rule(data=st.data(), status=st.sampled_from([200, 404]), early=st.booleans())
    def respond(self, data: st.DataObject, status: int, early: bool) -> None:
        sids = self.answerable()
        if not sids:
            return
        sid = data.draw(st.sampled_from(sids))
        if early:
            self.send(SERVER, InformationalResponse(103, (), sid))
        self.answer(sid, status)

    def answer(self, sid: int, status: int = 200) -> None:
        response = Response(status, ((b"x-for", b"%d" % sid),), sid)
        self.sent[SERVER][sid] = Message(response)
        self.send(SERVER, response)

    @rule(role=st.sampled_from([CLIENT, SERVER]))
    def read_everything(self, role: Role) -> None:
        for sid, size in self.unacked[role].items():
            if size:
                self.ends[role].acknowledge_data(sid, size)
        self.unacked[role].clear()
        self.collect()

    @precondition(lambda self: not self.h1)
    @rule(role=st.sampled_from([CLIENT, SERVER]), data=st.data())
    def reset_stream(self, role: Role, data: st.DataObject) -> None:
        known = self.sent[CLIENT] if role is CLIENT else self.seen[SERVER]
        candidates = [sid for sid in known if sid not in self.reset_by and not self.closed[role]]
        if not candidates:
            return
        sid = data.draw(st.sampled_from(candidates))
        self.reset_by.add(sid)
        self.send(role, StreamReset(sid))

    @precondition(lambda self: not self.goaway_sent)
    @rule(role=st.sampled_from([CLIENT, SERVER]))
    def go_away(self, role: Role) -> None:
        self.goaway_sent.add(role)
        self.send(role, GoAway())

    # -- the network and the clock -------------------------------------

    @rule(role=st.sampled_from([CLIENT, SERVER]), size=st.integers(1, 100_000))
    def deliver(self, role: Role, size: int) -> None:
        pending = self.wire[role]
        target = self.ends[self.other(role)]
        if pending:
            piece = bytes(pending[:size])
            del pending[:size]
            target.receive_data(piece)
        elif self.eof[role]:
            self.eof[role] = False
            target.receive_eof()
        self.collect()

    @rule(seconds=st.floats(0.0, 1.0))
    def tick(self, seconds: float) -> None:
        self.now += seconds
        for end in self.ends.values():
            end.tick(self.now)
        self.collect()

    # -- misuse ----------------------------------------------------------

    @rule(role=st.sampled_from([CLIENT, SERVER]), choice=st.integers(0, 3))
    def misuse(self, role: Role, choice: int) -> None:
        end = self.ends[role]
        before = (end.state, end.next_stream_id)
        bad: Event = [
            Response(200, (), 1) if role is CLIENT else Request(b"GET", b"/", b"h"),
            Data(2**31 - 1, b"x"),
            Request(b"GET", b"/", b"h", stream_id=2**31 - 3),
            InformationalResponse(100, (), 2**31 - 1),
        ][choice]
        with pytest.raises(LocalProtocolError):
            end.send(bad)
        assert end.data_to_send() == []
        assert (end.state, end.next_stream_id) == before

    # -- invariants ------------------------------------------------------

    @invariant()
    def one_exchange_at_a_time_in_http11(self) -> None:
        if self.h1:
            active = [
                sid
                for sid, m in self.sent[CLIENT].items()
                if not self.seen[CLIENT].get(sid, Seen()).ended
            ]
            assert len(active) <= 1 or self.closed[CLIENT]

    @invariant()
    def versions_stay_put(self) -> None:
        expected = "1.1" if self.h1 else "2"
        assert all(end.http_version == expected for end in self.ends.values())

    def teardown(self) -> None:
        """Heal the network, read everything, finish everything; check it all arrived."""
        for _ in range(60):
            for role in (CLIENT, SERVER):
                self.read_everything(role)
                if not self.closed[role] and not self.closed[self.other(role)]:
                    for sid in self.answerable():
                        self.answer(sid)
                    for sid in self.streams(role):
                        self.sent[role][sid].ended = True
                        self.send(role, EndOfMessage(sid))
                self.deliver(role, 10**9)
                self.deliver(role, 10**9)
        for role in (CLIENT, SERVER):
            if self.closed[role] or self.goaway_sent:
                continue
            for sid, message in self.sent[self.other(role)].items():
                seen = self.seen[role].get(sid, Seen())
                if sid in self.reset_by or seen.reset:
                    continue
                assert seen.ended, (role, sid, message, seen)


class Http11Pair(Pair):
    alpn = "http/1.1"


class Http2Pair(Pair):
    alpn = "h2"


_settings = settings(max_examples=60, stateful_step_count=40, deadline=None)
TestHttp11Pair = _settings(Http11Pair).TestCase
TestHttp2Pair = _settings(Http2Pair).TestCase
