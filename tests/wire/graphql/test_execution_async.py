"""Execution with asynchronous resolvers: ``execute`` under Trio and asyncio.

The executor uses no event loop of its own: these tests run it under Trio (the
test runner's loop) and under asyncio, awaiting resolver coroutines and other
awaitables, in field order by default and concurrently through a ``gather``
hook. They check that asynchronous results complete like synchronous ones
(errors, null propagation, abstract types, mutations in order), that errors
below a position already nulled are not reported, and that a cancelled
execution leaves no coroutine un-awaited behind.
"""

from __future__ import annotations

import asyncio
import gc
import warnings
from collections.abc import Awaitable, Iterator, Sequence
from typing import Any

import pytest
import trio

from wire.graphql import parse
from wire.graphql._build import build_schema
from wire.graphql._definition import (
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLUnionType,
)
from wire.graphql._execution import default_type_resolver, execute, execute_sync
from wire.graphql._scalars import GraphQLInt, GraphQLString
from wire.graphql._schema import GraphQLSchema

SDL = """
type Query {
  a: String
  b: Int!
  obj: Obj
  objs: [Obj]
  strict: [Obj!]
  ints: [Int]
  strictInts: [Int!]
}
type Obj { x: Int y: String! z: Int }
type Mutation { one: Int two: Int! three: Int }
"""


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return build_schema(SDL)


def later(value: Any, log: list[str] | None = None, name: str = "", checkpoints: int = 1) -> Any:
    """A resolver (for the default resolver) returning a coroutine of ``value``."""

    async def resolve(info: Any, **args: Any) -> Any:
        if log is not None:
            log.append(f"start {name}")
        for _ in range(checkpoints):
            await trio.lowlevel.checkpoint()
        if log is not None:
            log.append(f"end {name}")
        if isinstance(value, Exception):
            raise value
        return value

    return resolve


def soon(value: Any, log: list[str] | None = None, name: str = "", checkpoints: int = 1) -> Any:
    """A coroutine of ``value`` (for list items)."""
    return later(value, log, name, checkpoints)(None)


class Ready:
    """An awaitable that is not a coroutine (like a future that is already done)."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __await__(self) -> Iterator[Any]:
        return self.value
        yield  # a generator


def error(message: str, line: int, column: int, path: list[Any]) -> dict[str, Any]:
    return {"message": message, "locations": [{"line": line, "column": column}], "path": path}


async def test_async_values_complete_like_sync_ones(schema: GraphQLSchema) -> None:
    root = {
        "a": later("x"),
        "b": Ready(2),
        "obj": later({"x": later(1), "y": "y", "z": Ready(3)}),
        "objs": [soon({"y": "a"}), {"y": later("b")}, None],
        "ints": later([Ready(1), soon(2), 3]),
    }
    query = "{ a b obj { x y z } objs { y } ints }"
    assert await execute(schema, query, root_value=root) == {
        "data": {
            "a": "x",
            "b": 2,
            "obj": {"x": 1, "y": "y", "z": 3},
            "objs": [{"y": "a"}, {"y": "b"}, None],
            "ints": [1, 2, 3],
        }
    }


async def test_execute_without_awaitables_returns_at_once(schema: GraphQLSchema) -> None:
    assert await execute(schema, "{ a b }", root_value={"a": "x", "b": 1}) == {
        "data": {"a": "x", "b": 1}
    }
    assert await execute(schema, "{ zzz }") == {
        "errors": [
            {
                "message": 'Cannot query field "zzz" on type "Query".',
                "locations": [{"line": 1, "column": 3}],
            }
        ]
    }


async def test_async_errors_and_null_propagation(schema: GraphQLSchema) -> None:
    root = {
        "a": later(ValueError("a failed")),
        "obj": {"x": 1, "y": later(None)},
        "objs": [{"y": "ok"}, soon({"y": None}), soon(RuntimeError("item failed"))],
        "strict": [{"y": "fine"}, {"y": later(None)}],
        "strictInts": [Ready(1), soon(None)],
    }
    query = "{ a obj { x y } objs { y } strict { y } strictInts }"
    assert await execute(schema, query, root_value=root) == {
        "errors": [
            error("a failed", 1, 3, ["a"]),
            error("Cannot return null for non-nullable field Obj.y.", 1, 13, ["obj", "y"]),
            error("Cannot return null for non-nullable field Obj.y.", 1, 24, ["objs", 1, "y"]),
            error("item failed", 1, 17, ["objs", 2]),
            error("Cannot return null for non-nullable field Obj.y.", 1, 37, ["strict", 1, "y"]),
            error(
                "Cannot return null for non-nullable field Query.strictInts.",
                1,
                41,
                ["strictInts", 1],
            ),
        ],
        "data": {
            "a": None,
            "obj": None,
            "objs": [{"y": "ok"}, None, None],
            "strict": None,
            "strictInts": None,
        },
    }


async def test_a_failed_root_field_nulls_the_data(schema: GraphQLSchema) -> None:
    assert await execute(schema, "{ a b }", root_value={"a": "x", "b": later(None)}) == {
        "errors": [error("Cannot return null for non-nullable field Query.b.", 1, 5, ["b"])],
        "data": None,
    }


async def test_errors_below_a_nulled_position_are_dropped(schema: GraphQLSchema) -> None:
    # y fails first (in field order) and nulls obj; z's later error is not reported,
    # but z's resolver still runs to the end.
    log: list[str] = []
    root = {"obj": {"y": later(None, log, "y"), "z": later(ValueError("z failed"), log, "z")}}
    assert await execute(schema, "{ obj { y z } }", root_value=root) == {
        "errors": [error("Cannot return null for non-nullable field Obj.y.", 1, 9, ["obj", "y"])],
        "data": {"obj": None},
    }
    assert log == ["start y", "end y", "start z", "end z"]
    # Two non-null failures: the first is reported, the second dropped.
    strict = build_schema("type Query { obj: Obj } type Obj { y: String! z: String! }")
    root = {"obj": {"y": later(None), "z": later(None)}}
    assert await execute(strict, "{ obj { y z } }", root_value=root) == {
        "errors": [error("Cannot return null for non-nullable field Obj.y.", 1, 9, ["obj", "y"])],
        "data": {"obj": None},
    }


async def test_a_synchronous_failure_waits_for_the_fields_before_it(schema: GraphQLSchema) -> None:
    # x is pending when y fails synchronously: x is finished (and its error kept,
    # it comes first) before obj is nulled.
    root = {"obj": {"x": later(ValueError("x failed")), "y": None, "z": later(1)}}
    assert await execute(schema, "{ obj { x y z } }", root_value=root) == {
        "errors": [
            error("x failed", 1, 9, ["obj", "x"]),
            error("Cannot return null for non-nullable field Obj.y.", 1, 11, ["obj", "y"]),
        ],
        "data": {"obj": None},
    }
    # A pending field that fails first wins over the synchronous failure after it.
    root = {"obj": {"x": 1, "z": later(None), "y": None}}
    schema_strict = build_schema("type Query { obj: Obj } type Obj { z: Int! y: String! }")
    assert await execute(schema_strict, "{ obj { z y } }", root_value=root) == {
        "errors": [error("Cannot return null for non-nullable field Obj.z.", 1, 9, ["obj", "z"])],
        "data": {"obj": None},
    }


async def test_a_failing_list_settles_its_pending_items(schema: GraphQLSchema) -> None:
    log: list[str] = []

    def items() -> Iterator[Any]:
        yield soon(1, log, "first")
        raise RuntimeError("iteration failed")

    assert await execute(schema, "{ ints }", root_value={"ints": items()}) == {
        "errors": [error("iteration failed", 1, 3, ["ints"])],
        "data": {"ints": None},
    }
    assert log == ["start first", "end first"]
    root = {"strictInts": [soon(1, log, "second"), None, 3, soon(3, log, "third")]}
    assert await execute(schema, "{ strictInts }", root_value=root) == {
        "errors": [
            error(
                "Cannot return null for non-nullable field Query.strictInts.",
                1,
                3,
                ["strictInts", 1],
            )
        ],
        "data": {"strictInts": None},
    }
    assert log[2:] == ["start second", "end second"]  # third was never reached


async def test_sibling_fields_are_awaited_in_order_by_default(schema: GraphQLSchema) -> None:
    log: list[str] = []
    root = {"a": later("a", log, "a", checkpoints=3), "b": later(1, log, "b")}
    await execute(schema, "{ a b }", root_value=root)
    assert log == ["start a", "end a", "start b", "end b"]


async def gather_in_nursery(awaitables: list[Awaitable[Any]]) -> Sequence[Any]:
    results: list[Any] = [None] * len(awaitables)

    async def run(index: int, awaitable: Awaitable[Any]) -> None:
        results[index] = await awaitable

    async with trio.open_nursery() as nursery:
        for index, awaitable in enumerate(awaitables):
            nursery.start_soon(run, index, awaitable)
    return results


async def test_a_gather_hook_runs_siblings_concurrently(schema: GraphQLSchema) -> None:
    log: list[str] = []
    root = {
        "a": later("a", log, "a", checkpoints=3),
        "b": later(1, log, "b"),
        "objs": [soon({"y": "p"}), soon({"y": "q"})],
    }
    response = await execute(
        schema, "{ a b objs { y } }", root_value=root, gather=gather_in_nursery
    )
    assert response == {"data": {"a": "a", "b": 1, "objs": [{"y": "p"}, {"y": "q"}]}}
    assert log.index("end b") < log.index("end a")


async def test_a_gather_hook_reports_the_first_failure(schema: GraphQLSchema) -> None:
    root = {
        "obj": {
            "x": later(ValueError("x failed"), checkpoints=5),
            "y": later(None),
            "z": later(None, checkpoints=2),
        }
    }
    response = await execute(schema, "{ obj { x y z } }", root_value=root, gather=gather_in_nursery)
    # y nulls obj first; x fails later, below a nulled position, and is dropped.
    assert response == {
        "errors": [error("Cannot return null for non-nullable field Obj.y.", 1, 11, ["obj", "y"])],
        "data": {"obj": None},
    }
    strict = build_schema("type Query { obj: Obj } type Obj { y: String! z: String! }")
    response = await execute(
        strict,
        "{ obj { z y } }",
        root_value={"obj": {"y": later(None, checkpoints=3), "z": later(None)}},
        gather=gather_in_nursery,
    )
    assert response == {
        "errors": [error("Cannot return null for non-nullable field Obj.z.", 1, 9, ["obj", "z"])],
        "data": {"obj": None},
    }


async def test_mutations_run_one_after_the_other(schema: GraphQLSchema) -> None:
    log: list[str] = []
    root = {
        "one": later(1, log, "one", checkpoints=3),
        "two": later(2, log, "two"),
        "three": lambda info: log.append("three") or 3,
    }
    response = await execute(
        schema, "mutation { one two three }", root_value=root, gather=gather_in_nursery
    )
    assert response == {"data": {"one": 1, "two": 2, "three": 3}}
    assert log == ["start one", "end one", "start two", "end two", "three"]
    log.clear()
    root["one"] = 1
    root["two"] = later(None, log, "two")
    assert await execute(schema, "mutation { one two three }", root_value=root) == {
        "errors": [
            error("Cannot return null for non-nullable field Mutation.two.", 1, 16, ["two"])
        ],
        "data": None,
    }
    assert log == ["start two", "end two"]


def abstract_schema(**options: Any) -> GraphQLSchema:
    named = GraphQLInterfaceType(
        "Named", {"name": GraphQLString}, resolve_type=options.get("resolve_type")
    )
    dog = GraphQLObjectType(
        "Dog", {"name": GraphQLString}, [named], is_type_of=options.get("dog_is_type_of")
    )
    cat = GraphQLObjectType(
        "Cat", {"name": GraphQLString}, [named], is_type_of=options.get("cat_is_type_of")
    )
    pet = GraphQLUnionType("Pet", [dog, cat])
    query = GraphQLObjectType(
        "Query",
        {
            "named": GraphQLList(named),
            "pets": GraphQLList(pet),
            "dog": dog,
            "cat": GraphQLNonNull(cat),
        },
    )
    return GraphQLSchema(query, types=[dog, cat])


async def test_async_resolve_type_and_is_type_of() -> None:
    async def resolve_type(value: Any, info: Any, type_: Any) -> str:
        await trio.lowlevel.checkpoint()
        return value["kind"]

    async def is_dog(value: Any, info: Any) -> bool:
        await trio.lowlevel.checkpoint()
        return value.get("kind") == "Dog"

    schema = abstract_schema(
        resolve_type=resolve_type, dog_is_type_of=is_dog, cat_is_type_of=lambda v, i: True
    )
    root = {
        "named": [{"kind": "Dog", "name": "rex"}, {"kind": "Cat", "name": "tom"}, {"kind": "Nope"}],
        "pets": [{"kind": "Dog", "name": "d"}, {"kind": "Cat", "name": "c"}],
        "dog": {"kind": "Cat", "name": "not a dog"},
    }
    response = await execute(
        schema,
        "{ named { __typename name } pets { __typename ... on Named { name } } dog { name } }",
        root_value=root,
    )
    assert response == {
        "errors": [
            error(
                'Abstract type "Named" was resolved to a type "Nope" that does not exist inside'
                " the schema.",
                1,
                3,
                ["named", 2],
            ),
            error(
                'Expected value of type "Dog" but got: { kind: "Cat", name: "not a dog" }.',
                1,
                71,
                ["dog"],
            ),
        ],
        "data": {
            "named": [
                {"__typename": "Dog", "name": "rex"},
                {"__typename": "Cat", "name": "tom"},
                None,
            ],
            # As in graphql-js, the synchronous is_type_of of Cat wins over Dog's
            # pending one (which is still awaited first).
            "pets": [{"__typename": "Cat", "name": "d"}, {"__typename": "Cat", "name": "c"}],
            "dog": None,
        },
    }


async def test_default_type_resolver_with_only_async_answers() -> None:
    async def never(value: Any, info: Any) -> bool:
        return False

    async def always(value: Any, info: Any) -> bool:
        return True

    schema = abstract_schema(dog_is_type_of=never, cat_is_type_of=always)
    assert await execute(schema, "{ pets { __typename } }", root_value={"pets": [{}]}) == {
        "data": {"pets": [{"__typename": "Cat"}]}
    }
    info: Any = type("Info", (), {"schema": schema})()
    pending = default_type_resolver({}, info, schema.get_type("Pet"))  # type: ignore[arg-type]
    assert await pending == "Cat"
    schema = abstract_schema(dog_is_type_of=never, cat_is_type_of=never)
    response = await execute(schema, "{ cat { name } }", root_value={"cat": {}})
    assert response["data"] is None
    assert response["errors"][0]["message"].startswith('Expected value of type "Cat" but got: {}')


async def test_a_cancelled_execution_leaves_no_coroutine_unawaited(schema: GraphQLSchema) -> None:
    async def forever(info: Any) -> Any:
        await trio.sleep_forever()

    root = {"a": forever, "b": later(1), "obj": {"x": later(2)}}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with trio.move_on_after(0.01) as scope:
            await execute(schema, "{ a b obj { x } }", root_value=root)
        assert scope.cancelled_caught
        gc.collect()


def test_execute_runs_under_asyncio(schema: GraphQLSchema) -> None:
    async def value(info: Any) -> int:
        await asyncio.sleep(0)
        return 5

    async def gather(awaitables: list[Awaitable[Any]]) -> Sequence[Any]:
        return await asyncio.gather(*awaitables)

    root = {"b": value, "objs": [{"x": value, "y": "a"}, {"x": 1, "y": "b"}]}
    for hook in (None, gather):
        response = asyncio.run(execute(schema, "{ b objs { x y } }", root_value=root, gather=hook))
        assert response == {"data": {"b": 5, "objs": [{"x": 5, "y": "a"}, {"x": 1, "y": "b"}]}}


def test_generator_based_coroutines_are_awaitables(schema: GraphQLSchema) -> None:
    import types

    @types.coroutine
    def old_style() -> Iterator[Any]:
        yield from asyncio.sleep(0).__await__()
        return "old"

    async def main() -> Any:
        return await execute(schema, "{ a }", root_value={"a": lambda info: old_style()})

    assert asyncio.run(main()) == {"data": {"a": "old"}}

    def generator() -> Iterator[int]:
        yield 1

    # A plain generator is an iterable, not an awaitable.
    assert execute_sync(schema, "{ ints }", root_value={"ints": generator()}) == {
        "data": {"ints": [1]}
    }


async def test_resolvers_with_async_is_type_of_on_object_fields() -> None:
    async def yes(value: Any, info: Any) -> bool:
        return True

    schema = abstract_schema(dog_is_type_of=yes)
    assert await execute(schema, "{ dog { name } }", root_value={"dog": {"name": "rex"}}) == {
        "data": {"dog": {"name": "rex"}}
    }
    root = {"dog": {"name": later("later rex")}}
    assert await execute(schema, "{ dog { name } }", root_value=root) == {
        "data": {"dog": {"name": "later rex"}}
    }
    query = GraphQLObjectType(
        "Query", {"n": GraphQLField(GraphQLInt, resolve=lambda parent, info: Ready(4))}
    )
    assert await execute(GraphQLSchema(query), parse("{ n }")) == {"data": {"n": 4}}
