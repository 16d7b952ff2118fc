"""The ``wire`` command.

``wire decode FAMILY`` and ``wire encode FAMILY`` turn bytes into a JSON view and
back; ``wire demo mqtt`` shows the codec at work; ``wire fuzz TARGET`` runs a
fuzzing campaign.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from wire import mqtt
from wire.errors import LocalProtocolError, RemoteProtocolError

__all__ = ["main"]


def _read_input(value: str, stdin: Any) -> bytes:
    """Bytes from the argument or stdin: hex text, or raw bytes when not hex."""
    if value != "-":
        raw = value.encode()
    else:
        raw = stdin.buffer.read() if hasattr(stdin, "buffer") else stdin.read()
        if isinstance(raw, str):
            raw = raw.encode()
    text = b"".join(raw.split())
    try:
        return bytes.fromhex(text.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        if value != "-":
            raise LocalProtocolError(
                "the argument is not hex; pass raw bytes on stdin with -"
            ) from None
        return raw


def _decode_mqtt(data: bytes, version: int, out: TextIO) -> int:
    reader = mqtt.PacketReader(version=version, max_packet_size=mqtt.MAX_PACKET_SIZE_LIMIT)
    packets, error = reader.feed_until_error(data)
    for packet in packets:
        out.write(json.dumps(mqtt.packet_to_json(packet, version=reader.version)) + "\n")
    if error is not None:
        out.write(
            json.dumps(
                {
                    "error": type(error).__name__,
                    "reason_code": int(error.reason_code),
                    "reason_name": error.reason_code.name,
                    "message": str(error),
                }
            )
            + "\n"
        )
        return 1
    if reader.buffered:
        out.write(json.dumps({"error": "Incomplete", "buffered": reader.buffered}) + "\n")
        return 1
    return 0


def _encode_mqtt(text: str, version: int, out: TextIO) -> int:
    chunks = []
    for line in text.splitlines():
        if not line.strip():
            continue
        value = json.loads(line)
        for item in value if isinstance(value, list) else [value]:
            packet = mqtt.packet_from_json(item)
            chunks.append(mqtt.encode(packet, version=version))
    out.write(b"".join(chunks).hex() + "\n")
    return 0


def _demo_mqtt(out: TextIO) -> int:
    """Encode a short MQTT 5.0 session, decode it back, and print both views."""
    session: list[mqtt.Packet] = [
        mqtt.Connect(
            client_id="demo-sensor",
            keep_alive=30,
            will=mqtt.Will("sensors/demo/status", b"offline", qos=1, retain=True),
            properties=mqtt.Properties.build(session_expiry_interval=3600),
        ),
        mqtt.Connack(reason_code=mqtt.ReasonCode.SUCCESS),
        mqtt.Subscribe(1, (mqtt.Subscription("sensors/+/temperature", qos=1, no_local=True),)),
        mqtt.Suback(1, (mqtt.ReasonCode.GRANTED_QOS_1,)),
        mqtt.Publish(
            "sensors/demo/temperature",
            b'{"celsius": 21.5}',
            qos=1,
            packet_id=2,
            properties=mqtt.Properties.build(
                payload_format_indicator=1,
                content_type="application/json",
                message_expiry_interval=60,
                user_property=[("unit", "C")],
            ),
        ),
        mqtt.Puback(2),
        mqtt.Disconnect(),
    ]
    stream = b"".join(mqtt.encode(packet, version=5) for packet in session)
    out.write(f"MQTT 5.0 session, {len(session)} packets, {len(stream)} bytes:\n{stream.hex()}\n\n")
    reader = mqtt.PacketReader(version=5)
    decoded = [
        packet for byte in range(len(stream)) for packet in reader.feed(stream[byte : byte + 1])
    ]
    for packet in decoded:
        out.write(json.dumps(mqtt.packet_to_json(packet)) + "\n")
    assert decoded == session, "the codec did not round-trip the demo session"
    out.write("\nDecoded byte by byte; every packet round-trips.\n")
    return 0


def _mqtt_passwd(args: argparse.Namespace, out: TextIO) -> int:
    """``wire mqtt passwd FILE USER``: scrypt hashes with a fresh random salt."""
    import getpass
    import os
    import secrets

    path = args.file
    existing = ""
    if os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            existing = handle.read()
    passwords = mqtt.PasswordFile.parse(existing)
    if args.delete:
        if not passwords.remove(args.username):
            print(f"wire: no user {args.username!r} in {path}", file=sys.stderr)
            return 1
        action = "deleted"
    else:
        password = args.password
        if password is None:
            password = getpass.getpass("Password: ")
            if getpass.getpass("Again: ") != password:
                print("wire: the passwords differ", file=sys.stderr)
                return 1
        salt = secrets.token_bytes(16)
        passwords.set(args.username, mqtt.hash_password(password, salt=salt))
        action = "set"
    temporary = f"{path}.tmp"
    with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
        handle.write(passwords.dump())
    os.replace(temporary, path)
    out.write(f"{action} user {args.username!r} in {path}\n")
    return 0


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wire", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    for name, help_text in (
        ("decode", "bytes (hex argument, or hex/raw on stdin with -) to JSON lines"),
        ("encode", "JSON lines (argument or stdin with -) to hex"),
    ):
        command = commands.add_parser(name, help=help_text)
        families = command.add_subparsers(dest="family", required=True)
        family = families.add_parser("mqtt", help="MQTT 3.1.1 (--version 4) or 5.0")
        family.add_argument("--version", type=int, choices=[4, 5], default=5)
        family.add_argument("input", nargs="?", default="-")

    serve = commands.add_parser("serve", help="run servers on loopback with embedded defaults")
    serve.add_argument("family", nargs="?", choices=["mqtt", "http", "ws"], help="one family alone")
    serve.add_argument("--app", help="HTTP application as module:attribute (default: the demo)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int)
    serve.add_argument("--tls-cert", help="PEM certificate chain: serve TLS")
    serve.add_argument("--tls-key", help="PEM private key for --tls-cert")
    serve.add_argument("--password-file", help="MQTT users (see `wire mqtt passwd`)")
    serve.add_argument("--acl-file", help="MQTT topic access rules")
    serve.add_argument(
        "--data-dir", help="keep MQTT sessions, retained and in-flight messages here (SQLite)"
    )
    serve.add_argument(
        "--ws-port", type=int, help="MQTT over WebSocket on this port too (path /mqtt)"
    )
    serve.add_argument(
        "--access-log", action="store_true", help="HTTP: one line per answered request"
    )
    serve.add_argument(
        "--max-connections", type=int, help="HTTP: most connections at once (default 10000)"
    )
    serve.add_argument(
        "--idle-timeout",
        type=float,
        help="HTTP: seconds of keep-alive idle time and for a request head (default 60)",
    )
    serve.add_argument(
        "--body-timeout",
        type=float,
        help="HTTP: seconds for a request body to arrive after its head (default 60)",
    )
    serve.add_argument(
        "--shutdown-timeout",
        type=float,
        help="HTTP: seconds requests in flight get on SIGINT/SIGTERM (default 10)",
    )

    family_tools = commands.add_parser("mqtt", help="MQTT tools: pub, sub, passwd")
    tools = family_tools.add_subparsers(dest="tool", required=True)
    from servers.mqtt_tools import add_arguments

    add_arguments(tools)
    passwd = tools.add_parser("passwd", help="add, change or delete a user in a password file")
    passwd.add_argument("file")
    passwd.add_argument("username")
    passwd.add_argument("--password", help="the password (default: prompt twice)")
    passwd.add_argument("--delete", action="store_true", help="remove the user")

    conform = commands.add_parser("conform", help="run a conformance suite against any peer")
    conform.add_argument("suite", choices=["mqtt-broker", "ws-server"])
    conform.add_argument(
        "--target",
        required=True,
        help="mqtt-broker: HOST:PORT; ws-server: ws://HOST:PORT/PATH of an echo endpoint",
    )
    conform.add_argument("--version", type=int, choices=[4, 5], action="append")
    conform.add_argument(
        "--only",
        action="append",
        default=[],
        help="mqtt-broker: a statement id or a check-name prefix; "
        "ws-server: a case id or a section prefix such as 5. or 6.4",
    )
    conform.add_argument(
        "--all",
        action="store_true",
        help="ws-server: every case of sections 9, 12 and 13, not a sample",
    )
    conform.add_argument(
        "--timeout", type=float, default=10.0, help="ws-server: seconds one case may take"
    )
    conform.add_argument("--json", action="store_true", help="print results as JSON")

    demo = commands.add_parser("demo", help="show a codec at work")
    demo.add_argument("family", choices=["mqtt"])

    fuzz = commands.add_parser("fuzz", help="run a fuzzing campaign against a codec or machine")
    fuzz.add_argument("target", choices=["mqtt", "http"])
    fuzz.add_argument("--seconds", type=float, default=60.0)
    fuzz.add_argument("--workdir", default="fuzz/runs", help="where crashes and corpus go")
    fuzz.add_argument("--jobs", type=int, default=1)
    return parser


def main(
    argv: Sequence[str] | None = None, *, stdin: Any = None, stdout: TextIO | None = None
) -> int:
    """Run the ``wire`` command; returns the exit status."""
    args = _build_parser().parse_args(argv)
    stdin = sys.stdin if stdin is None else stdin
    out = sys.stdout if stdout is None else stdout
    try:
        if args.command == "decode":
            return _decode_mqtt(_read_input(args.input, stdin), args.version, out)
        if args.command == "encode":
            text = stdin.read() if args.input == "-" else args.input
            return _encode_mqtt(text, args.version, out)
        if args.command == "demo":
            return _demo_mqtt(out)
        if args.command == "serve":
            from servers.serve import run_serve

            return run_serve(
                args.family,
                host=args.host,
                port=args.port,
                tls_cert=args.tls_cert,
                tls_key=args.tls_key,
                password_file=args.password_file,
                acl_file=args.acl_file,
                data_dir=args.data_dir,
                app=args.app,
                http_options={
                    name: value
                    for name, value in (
                        ("access_log", args.access_log),
                        ("max_connections", args.max_connections),
                        ("idle_timeout", args.idle_timeout),
                        ("body_timeout", args.body_timeout),
                        ("shutdown_timeout", args.shutdown_timeout),
                    )
                    if value not in (None, False)
                },
                out=out,
                mqtt_ws_port=args.ws_port,
            )
        if args.command == "mqtt":
            from servers import mqtt_tools

            if args.tool == "pub":
                return mqtt_tools.run_pub(args, stdin, out)
            if args.tool == "sub":
                return mqtt_tools.run_sub(args, out)
            return _mqtt_passwd(args, out)
        if args.command == "conform" and args.suite == "ws-server":
            from servers.conform.ws_server import run_ws_suite

            return run_ws_suite(
                args.target,
                only=args.only,
                everything=args.all,
                timeout=args.timeout,
                as_json=args.json,
                out=out,
            )
        if args.command == "conform":
            from servers.conform import run_suite
            from servers.conform.mqtt_broker import SUITE

            return run_suite(
                SUITE,
                args.target,
                versions=args.version or (4, 5),
                only=args.only,
                as_json=args.json,
                out=out,
            )
        from servers import fuzzing

        return fuzzing.run_campaign(
            args.target, seconds=args.seconds, workdir=args.workdir, jobs=args.jobs, out=out
        )
    except (LocalProtocolError, RemoteProtocolError, json.JSONDecodeError) as exc:
        print(f"wire: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
