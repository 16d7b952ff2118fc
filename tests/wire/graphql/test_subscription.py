"""Subscriptions: a source stream mapped to responses (GraphQL spec section 6.2.3).

``subscribe`` resolves the root field to an async iterable of events and
executes the operation once per event; these tests run it under Trio (and once
under asyncio), with the event sources Python programs use: async generators,
async iterator classes, and coroutines returning either.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import trio

from wire.errors import LocalProtocolError
from wire.graphql import parse
from wire.graphql._build import build_schema
from wire.graphql._definition import (
    GraphQLArgument,
    GraphQLField,
    GraphQLNonNull,
    GraphQLObjectType,
)
from wire.graphql._scalars import GraphQLInt, GraphQLString
from wire.graphql._schema import GraphQLSchema
from wire.graphql._subscription import subscribe

SDL = """
type Query { a: Int }
type Mutation { m: Int }
type Subscription { counter(upTo: Int! = 3): Int! event: Event }
type Event { name: String! size: Int }
"""


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return build_schema(SDL)


async def collect(responses: AsyncIterator[dict[str, Any]]) -> list[dict[str, Any]]:
    return [response async for response in responses]


def counter(log: list[str] | None = None) -> Any:
    async def events(info: Any, upTo: int) -> AsyncIterator[dict[str, int]]:
        try:
            for number in range(1, upTo + 1):
                await trio.lowlevel.checkpoint()
                yield {"counter": number}
        finally:
            if log is not None:
                log.append("closed")

    return events


async def test_each_event_gives_a_response(schema: GraphQLSchema) -> None:
    responses = subscribe(
        schema, "subscription { counter(upTo: 3) }", root_value={"counter": counter()}
    )
    assert await collect(responses) == [
        {"data": {"counter": 1}},
        {"data": {"counter": 2}},
        {"data": {"counter": 3}},
    ]


async def test_events_are_root_values_for_the_whole_selection(schema: GraphQLSchema) -> None:
    async def events(info: Any) -> AsyncIterator[Any]:
        yield {"event": {"name": "first", "size": 1}}
        yield {"event": {"name": None, "size": 2}}
        yield {"event": lambda info: {"name": info.root_value["tag"], "size": None}, "tag": "third"}

    query = "subscription S { event { name size } }"
    responses = subscribe(schema, query, root_value={"event": events}, operation_name="S")
    assert await collect(responses) == [
        {"data": {"event": {"name": "first", "size": 1}}},
        {
            "errors": [
                {
                    "message": "Cannot return null for non-nullable field Event.name.",
                    "locations": [{"line": 1, "column": 26}],
                    "path": ["event", "name"],
                }
            ],
            "data": {"event": None},
        },
        {"data": {"event": {"name": "third", "size": None}}},
    ]


async def test_subscribe_functions_and_resolvers_of_the_field() -> None:
    async def ticks(root: Any, info: Any, every: int) -> AsyncIterator[int]:
        for tick in range(every, 3 * every, every):
            yield tick

    async def later_ticks(root: Any, info: Any, every: int) -> Any:
        return ticks(root, info, every)

    for source in (ticks, later_ticks):
        subscription = GraphQLObjectType(
            "Subscription",
            {
                "tick": GraphQLField(
                    GraphQLNonNull(GraphQLString),
                    {"every": GraphQLArgument(GraphQLInt)},
                    resolve=lambda event, info, every: f"tick {event} of {every}",
                    subscribe=source,
                )
            },
        )
        schema = GraphQLSchema(
            GraphQLObjectType("Query", {"a": GraphQLInt}), subscription=subscription
        )
        responses = subscribe(schema, "subscription { tick(every: 5) }")
        assert await collect(responses) == [
            {"data": {"tick": "tick 5 of 5"}},
            {"data": {"tick": "tick 10 of 5"}},
        ]


async def test_a_subscribe_field_resolver_gives_the_streams(schema: GraphQLSchema) -> None:
    seen: list[Any] = []

    def streams(root: Any, info: Any, **args: Any) -> Any:
        seen.append((root, info.field_name, args))
        return counter()(info, **args)

    responses = subscribe(
        schema,
        "subscription { counter(upTo: 1) }",
        root_value="root",
        subscribe_field_resolver=streams,
        field_resolver=lambda event, info, **args: event["counter"] * 10,
    )
    assert await collect(responses) == [{"data": {"counter": 10}}]
    assert seen == [("root", "counter", {"upTo": 1})]


class Numbers:
    """An async iterator class without ``aclose``."""

    def __init__(self) -> None:
        self.left = 2

    def __aiter__(self) -> Numbers:
        return self

    async def __anext__(self) -> dict[str, int]:
        if not self.left:
            raise StopAsyncIteration
        self.left -= 1
        return {"counter": self.left}


async def test_any_async_iterable_is_a_source(schema: GraphQLSchema) -> None:
    root = {"counter": lambda info, upTo: Numbers()}
    assert await collect(subscribe(schema, "subscription { counter }", root_value=root)) == [
        {"data": {"counter": 1}},
        {"data": {"counter": 0}},
    ]


async def test_closing_the_responses_closes_the_source(schema: GraphQLSchema) -> None:
    log: list[str] = []
    responses = subscribe(
        schema, "subscription { counter(upTo: 100) }", root_value={"counter": counter(log)}
    )
    assert await responses.__anext__() == {"data": {"counter": 1}}
    await responses.aclose()  # type: ignore[attr-defined]
    assert log == ["closed"]


async def test_a_failing_source_ends_the_responses_with_its_error(schema: GraphQLSchema) -> None:
    async def failing(info: Any, upTo: int) -> AsyncIterator[Any]:
        yield {"counter": 1}
        raise RuntimeError("source failed")

    responses = subscribe(schema, "subscription { counter }", root_value={"counter": failing})
    assert await responses.__anext__() == {"data": {"counter": 1}}
    with pytest.raises(RuntimeError, match="source failed"):
        await responses.__anext__()


async def test_queries_and_mutations_give_one_response(schema: GraphQLSchema) -> None:
    async def value(info: Any) -> int:
        return 7

    assert await collect(subscribe(schema, "{ a }", root_value={"a": value})) == [
        {"data": {"a": 7}}
    ]
    assert await collect(subscribe(schema, "mutation { m }", root_value={"m": 8})) == [
        {"data": {"m": 8}}
    ]


def error(message: str, line: int, column: int, path: list[Any] | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"message": message, "locations": [{"line": line, "column": column}]}
    if path is not None:
        found["path"] = path
    return found


async def test_request_errors_give_one_response_without_data(schema: GraphQLSchema) -> None:
    assert await collect(subscribe(schema, "subscription { nope }")) == [
        {"errors": [error('Cannot query field "nope" on type "Subscription".', 1, 16)]}
    ]


@pytest.mark.parametrize(
    ("root", "message", "column"),
    [
        (
            {"counter": lambda info, upTo: 5},
            "Subscription field must return AsyncIterable. Received: 5.",
            16,
        ),
        ({"counter": lambda info, upTo: ValueError("returned")}, "returned", 16),
        ({}, "Subscription field must return AsyncIterable. Received: null.", 16),
    ],
)
async def test_source_stream_errors_give_one_response_without_data(
    schema: GraphQLSchema, root: Any, message: str, column: int
) -> None:
    responses = subscribe(schema, "subscription { counter }", root_value=root)
    assert await collect(responses) == [{"errors": [error(message, 1, column, ["counter"])]}]


async def test_resolver_failures_give_one_response_without_data(schema: GraphQLSchema) -> None:
    async def failing(info: Any, upTo: int) -> Any:
        raise RuntimeError("no stream for you")

    responses = subscribe(schema, "subscription { c: counter }", root_value={"counter": failing})
    assert await collect(responses) == [{"errors": [error("no stream for you", 1, 16, ["c"])]}]


async def test_unvalidated_documents_are_checked(schema: GraphQLSchema) -> None:
    no_subscriptions = build_schema("type Query { a: Int }")
    cases = [
        (
            no_subscriptions,
            "subscription { a }",
            "Schema is not configured to execute subscription operation.",
            1,
            None,
        ),
        (
            schema,
            "subscription { nope }",
            'The subscription field "nope" is not defined.',
            16,
            None,
        ),
        (
            schema,
            "subscription { counter @skip(if: true) }",
            "The subscription operation selects no field.",
            1,
            None,
        ),
        (
            schema,
            'subscription { counter(upTo: "x") }',
            'Argument "upTo" has invalid value: Int cannot represent non-integer value: "x"',
            30,
            ["counter"],
        ),
    ]
    for target, text, message, column, path in cases:
        responses = subscribe(target, parse(text), source=text)
        assert await collect(responses) == [{"errors": [error(message, 1, column, path)]}]


async def test_bad_documents_are_refused_when_iterated(schema: GraphQLSchema) -> None:
    responses = subscribe(schema, 42)  # type: ignore[arg-type]
    with pytest.raises(LocalProtocolError):
        await responses.__anext__()


def test_subscribe_runs_under_asyncio(schema: GraphQLSchema) -> None:
    async def events(info: Any, upTo: int) -> AsyncIterator[dict[str, int]]:
        for number in range(upTo):
            await asyncio.sleep(0)
            yield {"counter": number}

    async def main() -> list[dict[str, Any]]:
        return await collect(
            subscribe(schema, "subscription { counter(upTo: 2) }", root_value={"counter": events})
        )

    assert asyncio.run(main()) == [{"data": {"counter": 0}}, {"data": {"counter": 1}}]
