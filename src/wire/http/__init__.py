"""HTTP/1.1 and HTTP/2, Sans-IO.

The REST toolkit lives in :mod:`wire.http.rest` (``App``, routes, requests and
responses, problem details, content negotiation, conditional requests, CORS,
compression, Server-Sent Events, OpenAPI); its main names are here too.
"""

from wire.http import _rest as rest
from wire.http._rest import CORS, App, Compression, HTTPProblem, Limits
from wire.http._rest_demo import demo_app

__all__ = ["CORS", "App", "Compression", "HTTPProblem", "Limits", "demo_app", "rest"]
