"""The bare Trio + h11 keep-alive loop: the floor a Trio HTTP/1.1 server can reach.

``python -m benchmarks.bare_h11_server PORT`` serves ``GET /hello`` (``Hello, world!``,
``text/plain``) on ``127.0.0.1:PORT`` until SIGTERM or SIGINT; any other target gets 404.
It is a peer for ``benchmarks.http_server``, written for it: the smallest honest
server on the same stack as ours (Trio for the I/O, h11 for the parsing), so its
figure is what the stack costs without a connection machine, a router or timers.

One task per connection. Each wake-up reads what the kernel has, lets h11 parse
every complete request in it, and answers them all with one ``send_all``, as our
server does. There are no timeouts, no limits beyond h11's own, no HTTP/2 and no
graceful shutdown: nothing a real server could leave out, and so nothing to measure.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Sequence

import h11
import trio

__all__ = ["main", "serve"]

READ_SIZE = 64 * 1024
_HELLO = b"Hello, world!"
_HELLO_HEADERS = [
    (b"content-type", b"text/plain; charset=utf-8"),
    (b"content-length", b"%d" % len(_HELLO)),
]
_NOT_FOUND_HEADERS = [(b"content-length", b"0")]


def _answer(conn: h11.Connection, request: h11.Request) -> bytes:
    """The bytes of the response to ``request``."""
    if request.method in (b"GET", b"HEAD") and request.target == b"/hello":
        head = conn.send(h11.Response(status_code=200, headers=_HELLO_HEADERS, reason=b"OK"))
        body = conn.send(h11.Data(data=_HELLO)) if request.method == b"GET" else b""
    else:
        head = conn.send(
            h11.Response(status_code=404, headers=_NOT_FOUND_HEADERS, reason=b"Not Found")
        )
        body = b""
    return head + body + conn.send(h11.EndOfMessage())


async def _connection(stream: trio.SocketStream) -> None:
    conn = h11.Connection(h11.SERVER)
    request: h11.Request | None = None
    async with stream:
        while True:
            try:
                data = await stream.receive_some(READ_SIZE)
            except trio.BrokenResourceError:
                return
            conn.receive_data(data)
            out = bytearray()
            while True:
                try:
                    event = conn.next_event()
                except h11.RemoteProtocolError:
                    return
                if event is h11.NEED_DATA:
                    break
                if type(event) is h11.Request:
                    request = event
                elif type(event) is h11.EndOfMessage:
                    assert request is not None
                    out += _answer(conn, request)
                    if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
                        break
                    conn.start_next_cycle()
                elif type(event) is h11.ConnectionClosed or event is h11.PAUSED:
                    break
            if out:
                try:
                    await stream.send_all(out)
                except trio.BrokenResourceError:
                    return
            if conn.our_state is h11.MUST_CLOSE or conn.their_state is h11.CLOSED or not data:
                return


async def serve(port: int, *, task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED) -> None:
    """Serve on ``127.0.0.1:port`` until cancelled; ``task_status`` gets the bound port."""
    listeners = await trio.open_tcp_listeners(port, host="127.0.0.1", backlog=4096)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(trio.serve_listeners, _connection, listeners)
        task_status.started(listeners[0].socket.getsockname()[1])
        with trio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
            async for _ in signals:
                nursery.cancel_scope.cancel()
                break


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1 or not args[0].isdigit():
        print("usage: python -m benchmarks.bare_h11_server PORT", file=sys.stderr)
        return 2
    trio.run(serve, int(args[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
