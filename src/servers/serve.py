"""``wire serve``: every family built so far on loopback, or one family alone."""

from __future__ import annotations

import logging
import signal
import ssl
import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import partial
from typing import Any, TextIO

import trio

from servers.http import ACCESS_LOG, serve_http
from servers.mqtt import serve_mqtt
from servers.ws import serve_ws
from servers.ws_hub import Hub, demo_routes, run_ticker
from wire.http import App, demo_app
from wire.mqtt import AccessControl, BrokerConfig, PasswordFile

__all__ = ["FAMILIES", "run_serve"]

#: Families `wire serve` knows, with their default ports.
FAMILIES: dict[str, int] = {"mqtt": 1883, "http": 8080, "ws": 8081}


def load_app(spec: str | None) -> App:
    """The HTTP application ``module:attribute`` names, or the demo application."""
    if spec is None:
        return demo_app()
    import importlib

    module_name, _, attribute = spec.partition(":")
    target = getattr(importlib.import_module(module_name), attribute or "app")
    app = target() if callable(target) and not isinstance(target, App) else target
    if not isinstance(app, App):
        raise TypeError(f"{spec} is not a wire.http.App")
    return app


def _tls_context(cert: str | None, key: str | None) -> ssl.SSLContext | None:
    if cert is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def broker_config(password_file: str | None, acl_file: str | None) -> BrokerConfig:
    """A broker configuration with the given password and ACL files, if any."""
    config = BrokerConfig()
    if password_file is not None:
        with open(password_file, encoding="utf-8") as handle:
            passwords = PasswordFile.parse(handle.read())
        config = replace(config, authenticate=passwords.authenticate)
    if acl_file is not None:
        with open(acl_file, encoding="utf-8") as handle:
            acl = AccessControl.parse(handle.read())
        config = replace(
            config, authorize_publish=acl.can_publish, authorize_subscribe=acl.can_subscribe
        )
    return config


async def _serve(
    families: Sequence[str],
    host: str,
    port: int | None,
    tls: tuple[str | None, str | None],
    config: BrokerConfig,
    data_dir: str | None,
    out: TextIO,
    app: App | None = None,
    http_options: Mapping[str, Any] | None = None,
    task_status: trio.TaskStatus[list[tuple[str, str, int]]] = trio.TASK_STATUS_IGNORED,
    *,
    mqtt_ws_port: int | None = None,
) -> None:
    async with trio.open_nursery() as nursery:
        bound: list[tuple[str, str, int]] = []
        for family in families:
            chosen = FAMILIES[family] if port is None else port
            # One TLS context per listener: HTTP sets ALPN on its own.
            context = _tls_context(*tls)
            if family == "mqtt":
                ws_context = _tls_context(*tls) if mqtt_ws_port is not None else None
                address = await nursery.start(
                    partial(
                        serve_mqtt,
                        host,
                        chosen,
                        config=config,
                        data_dir=data_dir,
                        ssl_context=context,
                        ws_port=mqtt_ws_port,
                        ws_ssl_context=ws_context,
                    )
                )
                scheme = "mqtts" if context is not None else "mqtt"
                what = "MQTT 3.1.1/5.0 broker"
                if mqtt_ws_port is not None:
                    ws_scheme = "wss" if ws_context is not None else "ws"
                    print(
                        f"mqtt: MQTT over WebSocket listening on "
                        f"{ws_scheme}://{host}:{mqtt_ws_port}/mqtt",
                        file=out,
                        flush=True,
                    )
            elif family == "ws":
                hub = Hub()
                nursery.start_soon(run_ticker, hub)
                address = await nursery.start(
                    partial(serve_ws, host, chosen, demo_routes(hub), ssl_context=context)
                )
                scheme = "wss" if context is not None else "ws"
                what = "WebSocket server (/echo, /chat/{room}, /ticker)"
            else:
                address = await nursery.start(
                    partial(
                        serve_http,
                        host,
                        chosen,
                        app=app,
                        ssl_context=context,
                        **(http_options or {}),
                    )
                )
                scheme = "https" if context is not None else "http"
                what = "HTTP/1.1 and HTTP/2 server"
            print(
                f"{family}: {what} listening on {scheme}://{address[0]}:{address[1]}",
                file=out,
                flush=True,
            )
            bound.append((family, address[0], address[1]))
        task_status.started(bound)
        with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for signum in signals:
                print(f"{signal.Signals(signum).name}: shutting down", file=out, flush=True)
                nursery.cancel_scope.cancel()
                break


def run_serve(
    family: str | None,
    *,
    host: str,
    port: int | None,
    tls_cert: str | None = None,
    tls_key: str | None = None,
    password_file: str | None = None,
    acl_file: str | None = None,
    data_dir: str | None = None,
    app: str | None = None,
    http_options: Mapping[str, Any] | None = None,
    out: TextIO | None = None,
    mqtt_ws_port: int | None = None,
) -> int:
    """Run ``wire serve``; returns when a signal stops it."""
    families = list(FAMILIES) if family is None else [family]
    if port is not None and len(families) > 1:
        print("wire serve: --port needs a family", file=sys.stderr)
        return 2
    config = broker_config(password_file, acl_file)
    if http_options and http_options.get("access_log"):
        # The access log goes where the listening lines go, one plain line each.
        handler = logging.StreamHandler(out or sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        ACCESS_LOG.addHandler(handler)
        ACCESS_LOG.setLevel(logging.INFO)
        ACCESS_LOG.propagate = False
    _tls_context(tls_cert, tls_key)  # fail early on a bad certificate or key
    if mqtt_ws_port is not None and "mqtt" not in families:
        print("wire serve: --ws-port is for the mqtt family", file=sys.stderr)
        return 2
    trio.run(
        partial(
            _serve,
            families,
            host,
            port,
            (tls_cert, tls_key),
            config,
            data_dir,
            out or sys.stdout,
            load_app(app),
            http_options,
            mqtt_ws_port=mqtt_ws_port,
        )
    )
    return 0
