"""wire: Sans-IO protocol implementations.

Everything under this package turns bytes into events and events into bytes.
Nothing here performs I/O, reads a clock or starts an event loop.
"""

from wire.errors import LocalProtocolError, RemoteProtocolError, WireError

__all__ = ["LocalProtocolError", "RemoteProtocolError", "WireError"]
__version__ = "0.1.0"
