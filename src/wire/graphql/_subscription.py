"""Subscriptions: a source stream of events mapped to responses (section 6.2.3).

:func:`subscribe` resolves the subscription's root field to a *source stream*
(an async iterable of events, "CreateSourceEventStream", section 6.2.3.1) and
executes the operation once per event, with the event as the root value
("MapSourceToResponseEvent", section 6.2.3.2). It returns an async iterator of
response maps; closing it (``aclose()``) closes the source stream.

As a convenience for transports that carry every kind of operation on one
channel (graphql-transport-ws does), a query or mutation given to
:func:`subscribe` yields its one response. A request error, or an error
creating the source stream, is one response with ``errors`` and no ``data``;
an error the source stream raises while it runs ends the iteration with that
error, as the specification says.

No event loop is used: this awaits only what resolvers and the source stream
return, so it runs under Trio as under asyncio.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from wire.graphql._ast import DocumentNode, FieldNode, OperationType
from wire.graphql._errors import GraphQLError, inspect
from wire.graphql._execution import (
    FieldResolver,
    Gather,
    Path,
    _Executor,
    _Field,
    _is_awaitable,
    _locate,
    default_field_resolver,
    prepare,
)
from wire.graphql._limits import DEFAULT_QUERY_LIMITS, QueryLimits
from wire.graphql._schema import GraphQLSchema

__all__ = ["subscribe"]


def subscribe(
    schema: GraphQLSchema,
    document_or_source: str | DocumentNode,
    *,
    root_value: Any = None,
    variable_values: Mapping[str, Any] | None = None,
    operation_name: str | None = None,
    context: Any = None,
    field_resolver: FieldResolver | None = None,
    subscribe_field_resolver: FieldResolver | None = None,
    limits: QueryLimits | None = DEFAULT_QUERY_LIMITS,
    source: str | None = None,
    gather: Gather | None = None,
) -> AsyncIterator[dict[str, Any]]:
    """Subscribe to a subscription operation (section 6.2.3).

    Takes the arguments of :func:`execute`, and:

    Args:
        subscribe_field_resolver: Gives the source stream of a root field without
            a ``subscribe`` function, called as ``(root_value, info, **args)``;
            default: :func:`default_field_resolver` (the ``root_value`` entry or
            attribute named like the field, called with ``(info, **args)`` when
            callable).

    Returns:
        An async iterator of response maps, one per event. Nothing runs until
        it is first iterated.

    Raises:
        LocalProtocolError: (when iterated) ``document_or_source`` is neither text
            nor a document.
    """
    return _responses(
        schema,
        document_or_source,
        root_value=root_value,
        variable_values=variable_values,
        operation_name=operation_name,
        context=context,
        field_resolver=field_resolver,
        subscribe_field_resolver=subscribe_field_resolver,
        limits=limits,
        source=source,
        gather=gather,
    )


async def _responses(
    schema: GraphQLSchema,
    document_or_source: str | DocumentNode,
    *,
    root_value: Any,
    variable_values: Mapping[str, Any] | None,
    operation_name: str | None,
    context: Any,
    field_resolver: FieldResolver | None,
    subscribe_field_resolver: FieldResolver | None,
    limits: QueryLimits | None,
    source: str | None,
    gather: Gather | None,
) -> AsyncIterator[dict[str, Any]]:
    prepared = prepare(
        schema,
        document_or_source,
        root_value=root_value,
        variable_values=variable_values,
        operation_name=operation_name,
        context=context,
        field_resolver=field_resolver,
        limits=limits,
        source=source,
        is_async=True,
        gather=gather,
    )
    if isinstance(prepared, dict):
        yield prepared
        return
    if prepared.operation.operation is not OperationType.SUBSCRIPTION:
        yield await _run(prepared)
        return
    try:
        stream = await _source_stream(prepared, subscribe_field_resolver or default_field_resolver)
    except GraphQLError as error:
        yield {"errors": prepared.format_errors([error])}
        return
    iterator = stream.__aiter__()
    try:
        async for event in iterator:
            yield await _run(prepared.for_event(event))
    finally:
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            await aclose()


async def _run(executor: _Executor) -> dict[str, Any]:
    response = executor.run()
    if _is_awaitable(response):
        response = await response
    return response  # type: ignore[no-any-return]


async def _source_stream(executor: _Executor, resolver: FieldResolver) -> Any:
    """CreateSourceEventStream (section 6.2.3.1): the root field's async iterable.

    Raises:
        GraphQLError: The schema has no subscription type, the field is unknown,
            its arguments are invalid, or its resolver failed or did not give an
            async iterable.
    """
    root_type, _plan = executor.root_plan()
    operation = executor.operation
    grouped: dict[str, list[FieldNode]] = {}
    executor._collect(root_type, operation.selection_set, grouped, set())
    if not grouped:
        raise GraphQLError("The subscription operation selects no field.", operation)
    key, nodes = next(iter(grouped.items()))
    name = nodes[0].name.value
    definition = executor.schema.get_field(root_type, name)
    if definition is None:
        raise GraphQLError(f'The subscription field "{name}" is not defined.', nodes)
    entry = _Field(key, nodes, definition, root_type, None, executor.variable_values)
    path = Path(None, key)
    try:
        if entry.args_error is not None:
            raise entry.args_error
        subscribe_resolver = definition.subscribe or resolver
        stream = subscribe_resolver(executor.root_value, executor._info(entry, path), **entry.args)
        if _is_awaitable(stream):
            stream = await stream
        if isinstance(stream, Exception):
            raise stream
        if not hasattr(stream, "__aiter__"):
            raise GraphQLError(
                f"Subscription field must return AsyncIterable. Received: {inspect(stream)}."
            )
    except Exception as error:
        raise _locate(error, entry.nodes, path) from error
    return stream
