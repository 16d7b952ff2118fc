"""``wire mqtt pub`` and ``wire mqtt sub``: command-line publish and subscribe."""

from __future__ import annotations

import argparse
from typing import TextIO

import trio

from servers import mqtt_client
from wire.mqtt import Properties

__all__ = ["add_arguments", "run_pub", "run_sub"]


def add_arguments(tools: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``pub`` and ``sub`` sub-commands, with options named like mosquitto's."""
    for name, help_text in (("pub", "publish a message"), ("sub", "print messages")):
        command = tools.add_parser(name, help=help_text, conflict_handler="resolve")
        command.add_argument("-h", "--host", default="127.0.0.1")
        command.add_argument("-p", "--port", type=int, default=1883)
        command.add_argument("-t", "--topic", action="append", required=True)
        command.add_argument("-q", "--qos", type=int, choices=[0, 1, 2], default=0)
        command.add_argument("-i", "--id", default="", help="client id")
        command.add_argument("-V", "--protocol-version", type=int, choices=[4, 5], default=5)
        command.add_argument("-u", "--username")
        command.add_argument("-P", "--password")
        command.add_argument("-k", "--keepalive", type=int, default=60)
        command.add_argument("-D", "--user-property", nargs=2, action="append", default=[])
        if name == "pub":
            command.add_argument("-m", "--message", help="the payload (default: stdin)")
            command.add_argument("-r", "--retain", action="store_true")
            command.add_argument("-e", "--expiry", type=int, help="Message Expiry Interval")
        else:
            command.add_argument("-C", "--count", type=int, help="exit after N messages")
            command.add_argument("-W", "--timeout", type=float, help="exit after N seconds")
            command.add_argument("-v", "--verbose", action="store_true", help="print topics")


def _connect_kwargs(args: argparse.Namespace) -> dict[str, object]:
    return {
        "version": args.protocol_version,
        "client_id": args.id,
        "keep_alive": args.keepalive,
        "username": args.username,
        "password": None if args.password is None else args.password.encode(),
        "reconnect": False,
    }


def run_pub(args: argparse.Namespace, stdin: TextIO, out: TextIO) -> int:
    payload = (args.message if args.message is not None else stdin.read()).encode()
    properties = Properties()
    if args.protocol_version == 5:
        values: dict[str, object] = {}
        if args.user_property:
            values["user_property"] = [tuple(pair) for pair in args.user_property]
        if args.expiry is not None:
            values["message_expiry_interval"] = args.expiry
        properties = Properties.build(**values)  # type: ignore[arg-type]

    async def main() -> None:
        kwargs = _connect_kwargs(args)
        async with mqtt_client.connect(args.host, args.port, **kwargs) as client:  # type: ignore[arg-type]
            for topic in args.topic:
                await client.publish(
                    topic, payload, qos=args.qos, retain=args.retain, properties=properties
                )

    trio.run(main)
    return 0


def run_sub(args: argparse.Namespace, out: TextIO) -> int:
    async def main() -> None:
        received = 0
        kwargs = _connect_kwargs(args)
        async with (
            mqtt_client.connect(args.host, args.port, **kwargs) as client,  # type: ignore[arg-type]
            trio.open_nursery() as nursery,
        ):
            if args.timeout is not None:
                nursery.cancel_scope.deadline = trio.current_time() + args.timeout
            send, receive = trio.open_memory_channel[tuple[str, bytes]](100)

            async def follow(topic_filter: str) -> None:
                async with client.subscription(topic_filter, qos=args.qos) as messages:
                    async for message in messages:
                        await send.send((message.topic_name, message.payload))

            for topic_filter in args.topic:
                nursery.start_soon(follow, topic_filter)
            async for topic, payload in receive:
                text = payload.decode(errors="replace")
                out.write(f"{topic} {text}\n" if args.verbose else f"{text}\n")
                out.flush()
                received += 1
                if args.count is not None and received >= args.count:
                    nursery.cancel_scope.cancel()

    trio.run(main)
    return 0
