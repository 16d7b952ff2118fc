"""The JSON view used by `wire decode` / `wire encode`."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wire import mqtt
from wire.errors import LocalProtocolError
from wire.mqtt.strategies import packets


@pytest.mark.parametrize("version", [4, 5])
@given(data=st.data())
def test_json_round_trip(version: int, data: st.DataObject) -> None:
    packet = data.draw(packets(version))
    view = json.loads(json.dumps(mqtt.packet_to_json(packet, version=version)))
    assert view["type"] == packet.packet_type.name
    assert mqtt.packet_from_json(view) == packet


def test_json_view_is_readable() -> None:
    packet = mqtt.Publish(
        "t",
        b"\x01\x02",
        qos=1,
        packet_id=3,
        properties=mqtt.Properties.build(correlation_data=b"\xff", user_property=[("a", "b")]),
    )
    assert mqtt.packet_to_json(packet) == {
        "type": "PUBLISH",
        "topic_name": "t",
        "payload": "0102",
        "qos": 1,
        "retain": False,
        "dup": False,
        "packet_id": 3,
        "properties": [["Correlation Data", "ff"], ["User Property", ["a", "b"]]],
    }
    assert mqtt.packet_to_json(mqtt.Connack(reason_code=5), version=4)["reason_name"] == (
        "NOT_AUTHORIZED"
    )
    assert mqtt.packet_to_json(mqtt.Connack(reason_code=0x87))["reason_name"] == "NOT_AUTHORIZED"
    assert mqtt.packet_to_json(mqtt.Connack(reason_code=0x77))["reason_name"] == "UNKNOWN"
    assert mqtt.packet_to_json(mqtt.Connack(reason_code=9), version=4)["reason_name"] == "UNKNOWN"
    assert mqtt.packet_to_json(mqtt.Suback(1, (0, 0x80)))["reason_names"] == [
        "SUCCESS",
        "UNSPECIFIED_ERROR",
    ]


@pytest.mark.parametrize(
    ("view", "message"),
    [
        ([], "JSON object"),
        ({"type": "NOPE"}, "unknown packet type"),
        ({"type": "PINGREQ", "extra": 1}, "has no field"),
        ({"type": "PUBLISH", "topic_name": "t", "payload": "zz"}, "not valid hex"),
        ({"type": "PUBLISH", "topic_name": "t", "payload": 5}, "hex string"),
        ({"type": "PUBLISH", "topic_name": "t", "properties": {}}, "list of"),
        ({"type": "PUBLISH", "topic_name": "t", "properties": [["x"]]}, "pair"),
        (
            {"type": "PUBLISH", "topic_name": "t", "properties": [["Nope", 1]]},
            "unknown MQTT property",
        ),
        (
            {"type": "PUBLISH", "topic_name": "t", "properties": [["User Property", "ab"]]},
            "pair",
        ),
        ({"type": "PUBLISH"}, "invalid PUBLISH"),
        ({"type": "CONNECT", "will": "w"}, "will must be an object"),
        ({"type": "SUBSCRIBE", "packet_id": 1, "subscriptions": "a"}, "list of objects"),
        (
            {"type": "SUBSCRIBE", "packet_id": 1, "subscriptions": [{"filter": "a"}]},
            "invalid subscription",
        ),
    ],
)
def test_json_rejects(view: Any, message: str) -> None:
    with pytest.raises(LocalProtocolError, match=message):
        mqtt.packet_from_json(view)


def test_json_defaults_for_will_fields() -> None:
    packet = mqtt.packet_from_json({"type": "CONNECT", "will": {"topic": "w"}})
    assert packet == mqtt.Connect(will=mqtt.Will("w"))
