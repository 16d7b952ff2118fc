"""The REST toolkit: ``from wire.http.rest import App, Request, JSONResponse``.

An application object with typed routes, problem details (RFC 9457), content
negotiation, conditional requests, gzip, CORS, Server-Sent Events and an
OpenAPI 3.1 document; see :mod:`wire.http._rest` for the details.
"""

from wire.http import _rest
from wire.http._rest import *  # noqa: F403 - the toolkit's public names, listed in its __all__

__all__ = list(_rest.__all__)
