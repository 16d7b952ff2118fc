"""What every Trio server here shares: accept on listeners, then shut down gracefully.

:class:`GracefulServer` runs ``trio.serve_listeners`` with its connections in a
nursery of their own. When the server's task is cancelled it stops accepting,
says goodbye on every open connection (:meth:`~GracefulServer.say_goodbye`:
GOAWAY, ``Connection: close``, a 1001 Close), gives them ``shutdown_timeout``
seconds while :meth:`~GracefulServer.busy` holds, then cancels what is left.
"""

from __future__ import annotations

from functools import partial

import trio

__all__ = ["GracefulServer"]


class GracefulServer:
    """A server whose connections outlive its cancellation by a grace period.

    Subclasses set ``shutdown_timeout`` and implement :meth:`handle` (one
    connection), :meth:`say_goodbye` and :meth:`busy`.
    """

    shutdown_timeout: float

    def __init__(self) -> None:
        self._stopping = False
        self._nursery: trio.Nursery | None = None

    async def handle(self, stream: trio.abc.Stream) -> None:
        """Serve one accepted connection until it ends."""
        raise NotImplementedError

    def say_goodbye(self) -> None:
        """Tell every open connection, in its protocol's way, that the server stops."""
        raise NotImplementedError

    def busy(self) -> bool:
        """Whether connections still need the grace period."""
        raise NotImplementedError

    def after_grace(self) -> None:
        """Called when the grace period ends, before what is left is cancelled."""

    async def serve(
        self,
        listeners: list[trio.abc.Listener[trio.abc.Stream]],
        *,
        task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        """Accept clients on ``listeners`` until cancelled, then shut down gracefully."""
        ready = trio.Event()
        stop = trio.Event()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._hold_connections, ready, stop)
            try:
                await ready.wait()
                assert self._nursery is not None
                await nursery.start(
                    partial(trio.serve_listeners, handler_nursery=self._nursery),
                    self.handle,
                    listeners,
                )
                task_status.started()
                await trio.sleep_forever()
            finally:
                self._stopping = True
                stop.set()

    async def _hold_connections(self, ready: trio.Event, stop: trio.Event) -> None:
        # Shielded: the connections outlive the server's cancellation by the
        # grace period, then are cancelled here.
        with trio.CancelScope(shield=True):
            async with trio.open_nursery() as nursery:
                self._nursery = nursery
                ready.set()
                await stop.wait()
                self.say_goodbye()
                with trio.move_on_after(self.shutdown_timeout):
                    while self.busy():
                        await trio.sleep(0.01)
                self.after_grace()
                nursery.cancel_scope.cancel()
        self._nursery = None
