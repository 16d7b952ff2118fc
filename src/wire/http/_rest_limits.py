"""The REST toolkit's limits, each with a safe default and the reason for it."""

from __future__ import annotations

from dataclasses import dataclass, fields

from wire.errors import LocalProtocolError

__all__ = ["DEFAULT_LIMITS", "Limits"]


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on what one request may make the application do.

    Every field is a positive integer. The connection layer bounds what comes
    before (header block size, header count); these bound what the REST layer
    itself builds from the request.
    """

    # RFC 9112 §3 asks servers to accept request-lines of at least 8000 octets.
    # Anything longer is not one of our URLs; refusing it early (414) bounds the
    # percent-decoding and routing work per request.
    max_target_length: int = 8192
    # Every query parameter becomes a Python string pair in a dict: a cap stops a
    # request of many tiny parameters from costing far more memory and hashing
    # than its size suggests (the same reason as ``max_num_fields`` in the stdlib).
    max_query_params: int = 256
    # The driver buffers the whole body before calling the application; this is
    # the most it should buffer (larger bodies get 413 Content Too Large).
    max_body_size: int = 16 * 1024 * 1024
    # ``json.loads`` builds the whole document in memory, at roughly ten times the
    # size of the text in Python objects, so JSON bodies get a tighter bound.
    max_json_size: int = 1024 * 1024
    # Deeply nested JSON costs recursion in every consumer (validation, handlers,
    # re-encoding); real documents are shallow.
    max_json_depth: int = 64
    # One problem response lists at most this many validation errors, so a huge
    # invalid array cannot produce a response larger than the request.
    max_validation_errors: int = 50

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if type(value) is not int or value < 1:
                raise LocalProtocolError(f"{field.name} must be a positive integer, not {value!r}")


DEFAULT_LIMITS = Limits()
