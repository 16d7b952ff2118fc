"""HTTP/1.1 and HTTP/2, Sans-IO, over h11 and h2 (work in progress)."""

__all__: list[str] = []
