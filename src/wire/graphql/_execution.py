"""Execution of GraphQL operations (GraphQL October 2021, section 6 "Execution").

:func:`execute_sync` runs an operation whose resolvers all return plain values;
:func:`execute` is a coroutine that also awaits the awaitables resolvers return.
Both return the response map of section 7.1, ready for ``json.dumps``:
``{"data": ...}``, with ``"errors"`` when something went wrong. ``data`` is left
out when the request fails before execution starts (a syntax, validation,
limit, operation-selection or variable error: a *request error*), and is
``None`` when execution fails at the root (a non-null root field failed).

No event loop is needed or used: ``execute`` awaits what resolvers return and
nothing else, so it runs unchanged under Trio, asyncio or any other loop.
Fields of a selection set "may resolve concurrently" (section 6.3): every
resolver of a selection set is called before any of their awaitables is awaited,
and the awaitables are then awaited one after the other, in field order, which
is correct under every loop. Pass ``gather=`` (for example a Trio nursery that
starts one task per awaitable) to await them concurrently instead. Mutation root
fields run strictly in order (section 6.2.2).

Performance: the fields an object selects are collected once per object type
and selection (``@skip``/``@include`` see the request's variables, which do not
change during an execution), arguments are coerced once per selection, the
resolve info is only built for resolvers that receive it, and leaf fields of the
built-in scalars read from plain dicts skip the generic path. ``execute_sync``
creates no coroutine at all, and refuses an awaitable a resolver returns with a
``LocalProtocolError`` naming the field.
"""

from __future__ import annotations

import inspect as _inspect
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping, Sequence
from types import CoroutineType, GeneratorType
from typing import Any, NamedTuple, cast

from wire.errors import LocalProtocolError
from wire.graphql._ast import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    NamedTypeNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
)
from wire.graphql._definition import (
    GraphQLAbstractType,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLType,
    GraphQLUnionType,
    Undefined,
)
from wire.graphql._directives import GraphQLIncludeDirective, GraphQLSkipDirective
from wire.graphql._errors import GraphQLError, GraphQLSyntaxError, inspect
from wire.graphql._limits import DEFAULT_QUERY_LIMITS, QueryLimits, check_limits
from wire.graphql._parser import parse
from wire.graphql._scalars import (
    GRAPHQL_MAX_INT,
    GRAPHQL_MIN_INT,
    GraphQLBoolean,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLString,
)
from wire.graphql._schema import GraphQLSchema
from wire.graphql._schema_validation import assert_valid_schema
from wire.graphql._validation import validate
from wire.graphql._variables import (
    coerce_variable_values,
    get_argument_values,
    get_directive_values,
)

__all__ = [
    "Gather",
    "Path",
    "default_field_resolver",
    "default_type_resolver",
    "execute",
    "execute_sync",
]

#: ``gather(awaitables) -> awaitable of their results, in order``: awaits them
#: concurrently. The awaitables it is given never raise ``Exception``.
Gather = Callable[[list[Awaitable[Any]]], Awaitable[Sequence[Any]]]

#: ``(parent, info, **args) -> value`` (or an awaitable of the value).
FieldResolver = Callable[..., Any]


class Path(NamedTuple):
    """A response path (section 7.1.2): a linked list from a field back to the root.

    ``info.path`` is one; ``as_list()`` gives the path as the response writes it.

    Attributes:
        prev: The path of the enclosing field or list, or ``None`` at the root.
        key: The response key of a field, or the index of a list item.
    """

    prev: Path | None
    key: str | int

    def as_list(self) -> list[str | int]:
        """The keys from the root down to this one, e.g. ``["hero", "friends", 0]``."""
        keys: list[str | int] = []
        path: Path | None = self
        while path is not None:
            keys.append(path.key)
            path = path.prev
        keys.reverse()
        return keys


# Path(prev, key) without the NamedTuple's Python-level __new__.
_tuple_new = tuple.__new__


def default_field_resolver(parent: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
    """The resolver of fields that have none: read the field from the parent.

    A mapping gives the value of the key named like the field, any other object
    the attribute named like the field (``None`` when missing). A callable value
    is called as ``value(info, **args)``, and its result is the field's value.

    Args:
        parent: The value of the parent field (the root value at the root).
        info: The resolve info.
        **args: The field's arguments.

    Returns:
        The field's value.
    """
    name = info.field_name
    value = parent.get(name) if isinstance(parent, Mapping) else getattr(parent, name, None)
    if callable(value):
        return value(info, **args)
    return value


def _typename(value: Any) -> Any:
    if isinstance(value, Mapping):
        return value.get("__typename")
    # A class attribute ``__typename`` is stored under its mangled name.
    for cls in type(value).__mro__:
        typename = getattr(value, f"_{cls.__name__}__typename", None)
        if typename:
            return typename
    return None


def default_type_resolver(
    value: Any, info: GraphQLResolveInfo, abstract_type: GraphQLAbstractType
) -> Any:
    """The runtime object type of a value of an interface or union without ``resolve_type``.

    The value's ``__typename`` (a mapping key, or a class attribute ``__typename``)
    names it; otherwise the first possible type whose ``is_type_of`` accepts the
    value is the one.

    Args:
        value: The resolved value.
        info: The resolve info of the field.
        abstract_type: The interface or union.

    Returns:
        The name of the object type, ``None`` when nothing matches, or an
        awaitable of either when an ``is_type_of`` returns an awaitable.
    """
    typename = _typename(value)
    if isinstance(typename, str):
        return typename
    pending: list[tuple[GraphQLObjectType, Any]] = []
    for type_ in info.schema.get_possible_types(abstract_type):
        if type_.is_type_of is not None:
            result = type_.is_type_of(value, info)
            if _is_awaitable(result):
                pending.append((type_, result))
            elif result:
                # As graphql-js: a synchronous answer wins, once the pending ones settle.
                return _first_type_of(pending, type_.name) if pending else type_.name
    if pending:
        return _first_type_of(pending, None)
    return None


async def _first_type_of(
    pending: list[tuple[GraphQLObjectType, Awaitable[Any]]], found: str | None
) -> str | None:
    for type_, result in pending:  # every awaitable is awaited, so none is left behind
        if await result and found is None:
            found = type_.name
    return found


# Awaitables ------------------------------------------------------------------------------

_PLAIN_TYPES: frozenset[type] = frozenset({str, int, float, bool, type(None), dict, list, tuple})
_ITERABLE_COROUTINE = _inspect.CO_ITERABLE_COROUTINE


# Types seen not to be awaitable (``await`` looks ``__await__`` up on the type), at
# most _MAX_KNOWN_TYPES of them, so a program creating classes forever cannot grow it.
_not_awaitable: set[type] = set(_PLAIN_TYPES)
_MAX_KNOWN_TYPES = 1_000


def _is_awaitable(value: Any) -> bool:
    """Whether ``await value`` works: coroutines, futures, generator-based coroutines."""
    kind = type(value)
    if kind in _not_awaitable:
        return False
    if kind is GeneratorType:
        return bool(value.gi_code.co_flags & _ITERABLE_COROUTINE)
    if hasattr(kind, "__await__"):
        return True
    if len(_not_awaitable) < _MAX_KNOWN_TYPES:
        _not_awaitable.add(kind)
    return False


class _AwaitableInSyncExecution(LocalProtocolError):
    """A resolver returned an awaitable to ``execute_sync``."""


class _Failure:
    """What a field awaited by ``gather`` failed with (so ``gather`` never sees it raise)."""

    __slots__ = ("error",)

    def __init__(self, error: GraphQLError) -> None:
        self.error = error


# Collected fields ------------------------------------------------------------------------

# The built-in scalars whose values of one exact Python type serialize to themselves:
# (Python type, check): 0 none, 1 within 32 bits, 2 finite.
_FAST_LEAVES: dict[GraphQLScalarType, tuple[type, int]] = {
    GraphQLString: (str, 0),
    GraphQLID: (str, 0),
    GraphQLBoolean: (bool, 0),
    GraphQLInt: (int, 1),
    GraphQLFloat: (float, 2),
}


_LEAF, _LIST, _OBJECT, _ABSTRACT = range(4)
# What completing a value of each class of type does (section 6.4.3).
_KINDS: dict[type, int] = {
    GraphQLScalarType: _LEAF,
    GraphQLEnumType: _LEAF,
    GraphQLList: _LIST,
    GraphQLObjectType: _OBJECT,
    GraphQLInterfaceType: _ABSTRACT,
    GraphQLUnionType: _ABSTRACT,
}


class _Field:
    """One response key of a selection set on one object type, ready to execute.

    Built once per execution for each (object type, selection): the merged field
    nodes, the definition, the chosen resolver (``None`` for the default one), the
    coerced arguments (or the error coercing them), and, for leaves of the
    built-in scalars, the exact Python type whose values serialize to themselves
    (``direct`` when the default resolver may read them straight from the parent).
    """

    __slots__ = (
        "args",
        "args_error",
        "check",
        "definition",
        "direct",
        "fast",
        "key",
        "leaf",
        "name",
        "nodes",
        "nullable",
        "parent",
        "resolve",
        "return_type",
        "subplans",
    )

    def __init__(
        self,
        key: str,
        nodes: list[FieldNode],
        definition: GraphQLField,
        parent: GraphQLObjectType,
        resolve: FieldResolver | None,
        variable_values: dict[str, Any],
    ) -> None:
        self.key = key
        self.name = nodes[0].name.value
        self.nodes = nodes
        self.definition = definition
        self.parent = parent
        self.resolve = resolve
        return_type = definition.type
        self.return_type = return_type
        self.args: dict[str, Any] = {}
        self.args_error: GraphQLError | None = None
        try:
            self.args = get_argument_values(definition, nodes[0], variable_values)
        except GraphQLError as error:
            self.args_error = error
        self.nullable = not isinstance(return_type, GraphQLNonNull)
        named = return_type.of_type if isinstance(return_type, GraphQLNonNull) else return_type
        #: The serializer of a leaf type, or None.
        self.leaf: Callable[[Any], Any] | None = (
            named.serialize if isinstance(named, (GraphQLScalarType, GraphQLEnumType)) else None
        )
        fast = _FAST_LEAVES.get(named) if isinstance(named, GraphQLScalarType) else None
        self.fast: type[Any] | None = None
        self.check = 0
        if fast is not None:
            self.fast, self.check = fast
        self.direct = fast is not None and resolve is None and self.args_error is None
        self.subplans: dict[GraphQLObjectType, list[_Field]] = {}


class _Info(GraphQLResolveInfo):
    """The resolve info, read lazily from the field and the execution it belongs to.

    Built for each call of a resolver; storing three references instead of eleven
    values keeps that cheap, since most resolvers read one attribute of it or none.
    """

    __slots__ = ("_entry", "_executor", "_parent")

    _entry: _Field
    _executor: _Executor
    _parent: Path | None

    @property
    def field_name(self) -> str:
        return self._entry.name

    @property
    def field_nodes(self) -> list[FieldNode]:
        return self._entry.nodes

    @property
    def return_type(self) -> GraphQLType:
        return self._entry.return_type

    @property
    def parent_type(self) -> GraphQLObjectType:
        return self._entry.parent

    @property
    def path(self) -> Path:
        return _tuple_new(Path, (self._parent, self._entry.key))

    @property
    def schema(self) -> GraphQLSchema:
        return self._executor.schema

    @property
    def fragments(self) -> dict[str, FragmentDefinitionNode]:
        return self._executor.fragments

    @property
    def root_value(self) -> Any:
        return self._executor.root_value

    @property
    def operation(self) -> OperationDefinitionNode:
        return self._executor.operation

    @property
    def variable_values(self) -> dict[str, Any]:
        return self._executor.variable_values

    @property
    def context(self) -> Any:
        return self._executor.context


_new_object = object.__new__
_set_info_entry = vars(_Info)["_entry"].__set__
_set_info_executor = vars(_Info)["_executor"].__set__
_set_info_parent = vars(_Info)["_parent"].__set__


def _locate(raw: Exception, nodes: list[FieldNode], path: Path) -> GraphQLError:
    """The error of a field (graphql-js ``locatedError``): located at its nodes and path."""
    if isinstance(raw, GraphQLError):
        if raw.path is not None:
            return raw  # already located by a field below, on its way up
        return GraphQLError(
            raw.message,
            raw.nodes or nodes,
            source=raw.source,
            positions=raw.positions,
            path=path.as_list(),
            original_error=raw,
        )
    return GraphQLError(str(raw), nodes, path=path.as_list(), original_error=raw)


# The executor -----------------------------------------------------------------------------


class _Executor:
    """The state of one execution: what the request fixed, and the errors so far."""

    __slots__ = (
        "_coroutines",
        "_doomed",
        "_root_plans",
        "context",
        "errors",
        "field_resolver",
        "fragments",
        "gather",
        "is_async",
        "operation",
        "root_value",
        "schema",
        "source",
        "variable_values",
    )

    def __init__(
        self,
        schema: GraphQLSchema,
        operation: OperationDefinitionNode,
        fragments: dict[str, FragmentDefinitionNode],
        variable_values: dict[str, Any],
        root_value: Any,
        context: Any,
        field_resolver: FieldResolver | None,
        is_async: bool,
        gather: Gather | None,
        source: str | None,
    ) -> None:
        self.schema = schema
        self.operation = operation
        self.fragments = fragments
        self.variable_values = variable_values
        self.root_value = root_value
        self.context = context
        if field_resolver is default_field_resolver:
            field_resolver = None  # the built-in fast path does the same
        self.field_resolver = field_resolver
        self.is_async = is_async
        self.gather = gather
        self.source = source
        self.errors: list[GraphQLError] = []
        # Positions under which errors are no longer reported: an error is on its
        # way up through them, and they will be null (graphql-js does the same).
        self._doomed: set[Path | None] = set()
        # Coroutines created, so the ones never started can be closed if the
        # execution is cancelled (no "coroutine was never awaited" warnings).
        self._coroutines: list[Any] = []
        self._root_plans: dict[GraphQLObjectType, list[_Field]] = {}

    def for_event(self, root_value: Any) -> _Executor:
        """A fresh execution of the same operation for a subscription event (shares plans)."""
        executor = _Executor(
            self.schema,
            self.operation,
            self.fragments,
            self.variable_values,
            root_value,
            self.context,
            self.field_resolver,
            self.is_async,
            self.gather,
            self.source,
        )
        executor._root_plans = self._root_plans
        return executor

    # Responses --------------------------------------------------------------------------

    def response(self, data: dict[str, Any] | None) -> dict[str, Any]:
        """The response map (section 7.1): errors first, as the spec suggests, then data."""
        if not self.errors:
            return {"data": data}
        return {"errors": self.format_errors(self.errors), "data": data}

    def format_errors(self, errors: list[GraphQLError]) -> list[dict[str, Any]]:
        source = self.source
        if source is not None:
            for error in errors:
                if error.source is None:
                    error.source = source
        return [error.formatted for error in errors]

    def add_error(self, error: GraphQLError, path: Path | None) -> None:
        """Record a field error, unless an error above it is nulling its position."""
        doomed = self._doomed
        if doomed and path is not None:
            ancestor = path.prev
            while True:
                if ancestor in doomed:
                    return
                if ancestor is None:
                    break
                ancestor = ancestor.prev
        self.errors.append(error)

    # Operations (section 6.2) ---------------------------------------------------------------

    def root_plan(self) -> tuple[GraphQLObjectType, list[_Field]]:
        """The root type and its collected fields.

        Raises:
            GraphQLError: The schema has no root type for the operation, or a
                directive argument is invalid.
        """
        operation = self.operation
        root_type = self.schema.get_root_type(operation.operation)
        if root_type is None:
            raise GraphQLError(
                f"Schema is not configured to execute {operation.operation.value} operation.",
                operation,
            )
        plan = self._root_plans.get(root_type)
        if plan is None:
            plan = self._root_plans[root_type] = self._plan(root_type, (operation.selection_set,))
        return root_type, plan

    def run(self) -> Any:
        """Execute the operation: the response map, or (async) a coroutine of it."""
        try:
            root_type, plan = self.root_plan()
            if self.operation.operation is OperationType.MUTATION:
                data = self._execute_serially(root_type, self.root_value, plan)
            else:
                data = self._execute_fields(root_type, self.root_value, None, plan)
        except GraphQLError as error:
            self.add_error(error, None)
            return self.response(None)
        if type(data) is CoroutineType:
            return self._finish(data)
        return self.response(data)

    async def _finish(self, data: Coroutine[Any, Any, dict[str, Any]]) -> dict[str, Any]:
        try:
            result = await data
        except GraphQLError as error:
            self.add_error(error, None)
            return self.response(None)
        except BaseException:
            self._close_unstarted()
            raise
        return self.response(result)

    def _close_unstarted(self) -> None:
        """Close the coroutines a cancelled execution never started (ours and resolvers')."""
        for coroutine in self._coroutines:
            if _inspect.getcoroutinestate(coroutine) == _inspect.CORO_CREATED:
                coroutine.close()

    def _track(self, coroutine: Any) -> Any:
        self._coroutines.append(coroutine)
        return coroutine

    def _execute_serially(
        self, parent_type: GraphQLObjectType, source: Any, plan: list[_Field]
    ) -> Any:
        """Mutation root fields, each finished before the next starts (section 6.2.2)."""
        results: dict[str, Any] = {}
        for index, entry in enumerate(plan):
            completed = self._execute_field(parent_type, source, entry, None)
            if type(completed) is CoroutineType:
                return self._track(
                    self._serially_after(parent_type, source, plan, index, results, completed)
                )
            results[entry.key] = completed
        return results

    async def _serially_after(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        plan: list[_Field],
        index: int,
        results: dict[str, Any],
        pending: Any,
    ) -> dict[str, Any]:
        results[plan[index].key] = await pending
        for entry in plan[index + 1 :]:
            completed = self._execute_field(parent_type, source, entry, None)
            if type(completed) is CoroutineType:
                completed = await completed
            results[entry.key] = completed
        return results

    # Collecting fields (section 6.3.2) ---------------------------------------------------

    def _plan(
        self, object_type: GraphQLObjectType, selection_sets: Iterable[SelectionSetNode]
    ) -> list[_Field]:
        grouped: dict[str, list[FieldNode]] = {}
        visited: set[str] = set()
        for selection_set in selection_sets:
            self._collect(object_type, selection_set, grouped, visited)
        schema = self.schema
        field_resolver = self.field_resolver
        plan: list[_Field] = []
        for key, nodes in grouped.items():
            definition = schema.get_field(object_type, nodes[0].name.value)
            if definition is None:
                continue  # not in the schema: a validated document has none
            resolve = definition.resolve or field_resolver
            plan.append(_Field(key, nodes, definition, object_type, resolve, self.variable_values))
        return plan

    def _collect(
        self,
        object_type: GraphQLObjectType,
        selection_set: SelectionSetNode,
        grouped: dict[str, list[FieldNode]],
        visited: set[str],
    ) -> None:
        """CollectFields: add the fields ``selection_set`` selects on ``object_type``.

        Fragments are expanded in place, depth first, with an explicit stack, so a
        long chain of fragments cannot exhaust Python's stack.
        """
        stack = [iter(selection_set.selections)]
        while stack:
            selection = next(stack[-1], None)
            if selection is None:
                stack.pop()
            elif type(selection) is FieldNode:
                if selection.directives and not self._included(selection):
                    continue
                key = (selection.alias or selection.name).value
                group = grouped.get(key)
                if group is None:
                    grouped[key] = [selection]
                else:
                    group.append(selection)
            elif type(selection) is InlineFragmentNode:
                if selection.directives and not self._included(selection):
                    continue
                condition = selection.type_condition
                if condition is not None and not self._applies(condition, object_type):
                    continue
                stack.append(iter(selection.selection_set.selections))
            else:
                spread = cast(FragmentSpreadNode, selection)
                name = spread.name.value
                if name in visited or (spread.directives and not self._included(spread)):
                    continue
                visited.add(name)
                fragment = self.fragments.get(name)
                if fragment is None or not self._applies(fragment.type_condition, object_type):
                    continue
                stack.append(iter(fragment.selection_set.selections))

    def _included(self, node: Any) -> bool:
        """``@skip(if:)`` and ``@include(if:)`` (sections 3.13.1-2)."""
        skip = get_directive_values(GraphQLSkipDirective, node, self.variable_values)
        if skip is not None and skip.get("if") is True:
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, self.variable_values)
        return include is None or include.get("if") is not False

    def _applies(self, condition: NamedTypeNode, object_type: GraphQLObjectType) -> bool:
        """DoesFragmentTypeApply (section 6.3.2)."""
        type_ = self.schema.get_type(condition.name.value)
        if type_ is object_type:
            return True
        if isinstance(type_, (GraphQLInterfaceType, GraphQLUnionType)):
            return self.schema.is_sub_type(type_, object_type)
        return False

    def _subplan(self, entry: _Field, object_type: GraphQLObjectType) -> list[_Field]:
        plan = entry.subplans.get(object_type)
        if plan is None:
            plan = entry.subplans[object_type] = self._plan(
                object_type,
                [node.selection_set for node in entry.nodes if node.selection_set is not None],
            )
        return plan

    # Executing fields (section 6.4) ---------------------------------------------------------

    def _info(self, entry: _Field, path: Path) -> _Info:
        """The resolve info of the field at ``path`` (or of the list an item at ``path`` is in)."""
        while type(path.key) is int:
            path = path.prev  # type: ignore[assignment]
        info = _new_object(_Info)
        _set_info_entry(info, entry)
        _set_info_executor(info, self)
        _set_info_parent(info, path.prev)
        return info

    def _execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        path: Path | None,
        plan: list[_Field],
    ) -> Any:
        """ExecuteSelectionSet (section 6.3) for fields that may run concurrently."""
        results: dict[str, Any] = {}
        pending: list[str] | None = None
        # How the default resolver reads this parent: 1 a dict, 2 an attribute,
        # 0 another mapping, -1 not known yet.
        mode = 1 if type(source) is dict else -1
        try:
            for entry in plan:
                if entry.direct and mode:
                    if mode == 1:
                        value = source.get(entry.name)
                    elif mode == -1 and isinstance(source, Mapping):
                        mode = 0
                        completed = self._execute_field(parent_type, source, entry, path)
                    else:
                        mode = 2
                        try:
                            value = getattr(source, entry.name, None)
                        except Exception as error:
                            completed = self._field_error(
                                error, entry.return_type, entry, _tuple_new(Path, (path, entry.key))
                            )
                            results[entry.key] = completed
                            continue
                    if mode:
                        if type(value) is entry.fast:
                            check = entry.check
                            if (
                                check == 0
                                or (check == 1 and GRAPHQL_MIN_INT <= value <= GRAPHQL_MAX_INT)
                                or (check == 2 and value - value == 0.0)
                            ):
                                results[entry.key] = value
                                continue
                        elif value is None and entry.nullable:
                            results[entry.key] = None
                            continue
                        completed = self._finish_default(entry, path, value)
                elif entry.resolve is not None and entry.args_error is None:
                    # ExecuteField inlined for the common case: a resolver of its own.
                    try:
                        info = _new_object(_Info)
                        _set_info_entry(info, entry)
                        _set_info_executor(info, self)
                        _set_info_parent(info, path)
                        args = entry.args
                        value = (
                            entry.resolve(source, info, **args)
                            if args
                            else entry.resolve(source, info)
                        )
                        if entry.leaf is not None:
                            kind = type(value)
                            if kind is entry.fast:
                                check = entry.check
                                if (
                                    check == 0
                                    or (check == 1 and GRAPHQL_MIN_INT <= value <= GRAPHQL_MAX_INT)
                                    or (check == 2 and value - value == 0.0)
                                ):
                                    results[entry.key] = value
                                    continue
                            elif value is None:
                                if entry.nullable:
                                    results[entry.key] = None
                                    continue
                            elif kind in _PLAIN_TYPES:
                                serialized = entry.leaf(value)
                                if serialized is not None:
                                    results[entry.key] = serialized
                                    continue
                        completed = self._resolved(
                            entry, _tuple_new(Path, (path, entry.key)), value
                        )
                    except Exception as error:
                        completed = self._field_error(
                            error, entry.return_type, entry, _tuple_new(Path, (path, entry.key))
                        )
                else:
                    completed = self._execute_field(parent_type, source, entry, path)
                results[entry.key] = completed
                if type(completed) is CoroutineType:
                    if pending is None:
                        pending = [entry.key]
                    else:
                        pending.append(entry.key)
        except GraphQLError as error:
            if pending is not None:
                return self._track(self._settle(results, pending, path, error))
            raise
        if pending is not None:
            return self._track(self._await_all(results, pending, path))
        return results

    def _execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        entry: _Field,
        parent_path: Path | None,
    ) -> Any:
        """ExecuteField (section 6.4): resolve, then complete; errors become null here.

        The field's path is only built when something needs it: a composite value's
        fields, an error, or a resolver reading ``info.path``.
        """
        try:
            if entry.args_error is not None:
                path = _tuple_new(Path, (parent_path, entry.key))
                return self._field_error(entry.args_error, entry.return_type, entry, path)
            resolve = entry.resolve
            value: Any
            if resolve is None:
                name = entry.name
                value = (
                    source.get(name) if isinstance(source, Mapping) else getattr(source, name, None)
                )
                if callable(value):
                    path = _tuple_new(Path, (parent_path, entry.key))
                    value = value(self._info(entry, path), **entry.args)
            else:
                info = _new_object(_Info)
                _set_info_entry(info, entry)
                _set_info_executor(info, self)
                _set_info_parent(info, parent_path)
                args = entry.args
                value = resolve(source, info, **args) if args else resolve(source, info)
            # Leaves of plain values need neither the awaitable check nor the dispatch.
            serialize = entry.leaf
            if serialize is not None:
                kind = type(value)
                if kind is entry.fast:
                    check = entry.check
                    if (
                        check == 0
                        or (check == 1 and GRAPHQL_MIN_INT <= value <= GRAPHQL_MAX_INT)
                        or (check == 2 and value - value == 0.0)
                    ):
                        return value
                elif value is None:
                    if entry.nullable:
                        return None
                elif kind in _PLAIN_TYPES:
                    serialized = serialize(value)
                    if serialized is not None:
                        return serialized
            return self._resolved(entry, _tuple_new(Path, (parent_path, entry.key)), value)
        except Exception as error:
            return self._field_error(
                error, entry.return_type, entry, _tuple_new(Path, (parent_path, entry.key))
            )

    def _finish_default(self, entry: _Field, parent_path: Path | None, value: Any) -> Any:
        """The default resolver's work after the fast path read ``value``."""
        path = _tuple_new(Path, (parent_path, entry.key))
        try:
            if callable(value):
                value = value(self._info(entry, path), **entry.args)
            return self._resolved(entry, path, value)
        except Exception as error:
            return self._field_error(error, entry.return_type, entry, path)

    def _resolved(self, entry: _Field, path: Path, value: Any) -> Any:
        if _is_awaitable(value):
            self._adopt(value, entry)
            return self._track(self._await_value(value, entry.return_type, entry, path))
        completed = self._complete(entry.return_type, entry, path, value)
        if type(completed) is CoroutineType:
            return self._track(self._await_completed(completed, entry.return_type, entry, path))
        return completed

    def _adopt(self, awaitable: Any, entry: _Field) -> None:
        """Take charge of an awaitable a resolver returned (refused by execute_sync)."""
        if type(awaitable) is CoroutineType:
            if not self.is_async:
                awaitable.close()  # no "never awaited" warning
            else:
                self._coroutines.append(awaitable)
        if not self.is_async:
            raise _AwaitableInSyncExecution(
                f'Field "{entry.parent.name}.{entry.name}" returned an awaitable:'
                " execute_sync() runs synchronous resolvers only; use execute()."
            )

    def _field_error(self, raw: Exception, type_: GraphQLType, entry: _Field, path: Path) -> Any:
        """Handle a field error (section 6.4.4): null here, or up to the parent if non-null."""
        if isinstance(raw, _AwaitableInSyncExecution):
            raise raw
        error = _locate(raw, entry.nodes, path)
        if type(type_) is GraphQLNonNull:
            raise error
        self.add_error(error, path)
        return None

    # Value completion (section 6.4.3) ---------------------------------------------------

    def _complete(self, type_: GraphQLType, entry: _Field, path: Path, value: Any) -> Any:
        """CompleteValue: raises the field error, returns the value or a coroutine of it."""
        # Completing a value of the type T! gives null exactly when completing it as a T
        # does: when the value is null (a leaf that serializes to null is an error).
        if value is None or value is Undefined:
            if type(type_) is GraphQLNonNull:
                raise GraphQLError(
                    f"Cannot return null for non-nullable field {entry.parent.name}.{entry.name}."
                )
            return None
        if type(type_) is GraphQLNonNull:
            type_ = type_.of_type
        if isinstance(value, Exception):
            raise value
        kind = _KINDS.get(type(type_))
        if kind is None:  # a subclass of a type class
            kind = next(code for base, code in _KINDS.items() if isinstance(type_, base))
        if kind == _LEAF:
            serialized = type_.serialize(value)  # type: ignore[union-attr]
            if serialized is None or serialized is Undefined:
                raise GraphQLError(
                    f"Expected `{type_}.serialize({inspect(value)})` to return non-nullable"
                    f" value, returned: {inspect(serialized)}"
                )
            return serialized
        if kind == _LIST:
            return self._complete_list(type_, entry, path, value)  # type: ignore[arg-type]
        if kind == _OBJECT:
            return self._complete_object(type_, entry, path, value)  # type: ignore[arg-type]
        return self._complete_abstract(type_, entry, path, value)  # type: ignore[arg-type]

    def _complete_list(self, type_: GraphQLList, entry: _Field, path: Path, value: Any) -> Any:
        if not isinstance(value, Iterable) or isinstance(
            value, (str, bytes, bytearray, memoryview, Mapping)
        ):
            raise GraphQLError(
                "Expected Iterable, but did not find one for field"
                f' "{entry.parent.name}.{entry.name}".'
            )
        item_type = type_.of_type
        named = item_type.of_type if type(item_type) is GraphQLNonNull else item_type
        fast = _FAST_LEAVES.get(named) if isinstance(named, GraphQLScalarType) else None
        plan = (
            self._subplan(entry, named)
            if isinstance(named, GraphQLObjectType) and named.is_type_of is None
            else None
        )
        results: list[Any] = []
        append = results.append
        pending: list[int] | None = None
        index = -1
        try:
            for index, item in enumerate(value):
                kind = type(item)
                if fast is not None and kind is fast[0] and fast[1] == 0:
                    append(item)
                    continue
                item_path = _tuple_new(Path, (path, index))
                try:
                    if plan is not None and (
                        kind is dict
                        or kind is tuple
                        or (
                            item is not None
                            and item is not Undefined
                            and not isinstance(item, Exception)
                            and not _is_awaitable(item)
                        )
                    ):
                        completed = self._execute_fields(named, item, item_path, plan)  # type: ignore[arg-type]
                        if type(completed) is CoroutineType:
                            completed = self._track(
                                self._await_completed(completed, item_type, entry, item_path)
                            )
                    elif _is_awaitable(item):
                        self._adopt(item, entry)
                        completed = self._track(
                            self._await_value(item, item_type, entry, item_path)
                        )
                    else:
                        completed = self._complete(item_type, entry, item_path, item)
                        if type(completed) is CoroutineType:
                            completed = self._track(
                                self._await_completed(completed, item_type, entry, item_path)
                            )
                except Exception as error:
                    completed = self._field_error(error, item_type, entry, item_path)
                append(completed)
                if type(completed) is CoroutineType:
                    if pending is None:
                        pending = [index]
                    else:
                        pending.append(index)
        except Exception as error:
            if self.is_async and type(value) in (list, tuple):
                # Items after the failure are never completed: close the coroutines
                # among them, so none is left un-awaited.
                for item in cast(Sequence[Any], value)[index + 1 :]:
                    if type(item) is CoroutineType:
                        item.close()
            if pending is not None:
                return self._track(self._settle(results, pending, path, error))
            raise
        if pending is not None:
            return self._track(self._await_all(results, pending, path))
        return results

    def _complete_object(
        self, type_: GraphQLObjectType, entry: _Field, path: Path, value: Any
    ) -> Any:
        is_type_of = type_.is_type_of
        if is_type_of is not None:
            accepted = is_type_of(value, self._info(entry, path))
            if _is_awaitable(accepted):
                self._adopt(accepted, entry)
                return self._track(self._complete_object_after(accepted, type_, entry, path, value))
            if not accepted:
                raise GraphQLError(
                    f'Expected value of type "{type_.name}" but got: {inspect(value)}.',
                    entry.nodes,
                )
        return self._execute_fields(type_, value, path, self._subplan(entry, type_))

    async def _complete_object_after(
        self,
        accepted: Awaitable[Any],
        type_: GraphQLObjectType,
        entry: _Field,
        path: Path,
        value: Any,
    ) -> Any:
        if not await accepted:
            raise GraphQLError(
                f'Expected value of type "{type_.name}" but got: {inspect(value)}.', entry.nodes
            )
        completed = self._execute_fields(type_, value, path, self._subplan(entry, type_))
        if type(completed) is CoroutineType:
            completed = await completed
        return completed

    def _complete_abstract(
        self, type_: GraphQLAbstractType, entry: _Field, path: Path, value: Any
    ) -> Any:
        resolve_type = type_.resolve_type or default_type_resolver
        runtime = resolve_type(value, self._info(entry, path), type_)
        if _is_awaitable(runtime):
            self._adopt(runtime, entry)
            return self._track(self._complete_abstract_after(runtime, type_, entry, path, value))
        return self._complete_object(
            self._runtime_type(runtime, type_, entry, value), entry, path, value
        )

    async def _complete_abstract_after(
        self,
        runtime: Awaitable[Any],
        type_: GraphQLAbstractType,
        entry: _Field,
        path: Path,
        value: Any,
    ) -> Any:
        object_type = self._runtime_type(await runtime, type_, entry, value)
        completed = self._complete_object(object_type, entry, path, value)
        if type(completed) is CoroutineType:
            completed = await completed
        return completed

    def _runtime_type(
        self, runtime: Any, type_: GraphQLAbstractType, entry: _Field, value: Any
    ) -> GraphQLObjectType:
        """EnsureValidRuntimeType: the object type a ``resolve_type`` answer names."""
        where = f'"{entry.parent.name}.{entry.name}"'
        if runtime is None:
            raise GraphQLError(
                f'Abstract type "{type_.name}" must resolve to an Object type at runtime for'
                f' field {where}. Either the "{type_.name}" type should provide a'
                ' "resolve_type" function or each possible type should provide an'
                ' "is_type_of" function.',
                entry.nodes,
            )
        if isinstance(runtime, GraphQLObjectType):
            runtime = runtime.name
        if not isinstance(runtime, str):
            raise GraphQLError(
                f'Abstract type "{type_.name}" must resolve to an Object type at runtime for'
                f" field {where} with value {inspect(value)}, received"
                f' "{inspect(runtime)}", which is not a valid Object type name.',
                entry.nodes,
            )
        object_type = self.schema.get_type(runtime)
        if object_type is None:
            raise GraphQLError(
                f'Abstract type "{type_.name}" was resolved to a type "{runtime}" that does'
                " not exist inside the schema.",
                entry.nodes,
            )
        if not isinstance(object_type, GraphQLObjectType):
            raise GraphQLError(
                f'Abstract type "{type_.name}" was resolved to a non-object type "{runtime}".',
                entry.nodes,
            )
        if not self.schema.is_sub_type(type_, object_type):
            raise GraphQLError(
                f'Runtime Object type "{runtime}" is not a possible type for "{type_.name}".',
                entry.nodes,
            )
        return object_type

    # Awaiting (execute only) -------------------------------------------------------------

    async def _await_value(
        self, awaitable: Awaitable[Any], type_: GraphQLType, entry: _Field, path: Path
    ) -> Any:
        try:
            completed = self._complete(type_, entry, path, await awaitable)
            if type(completed) is CoroutineType:
                completed = await completed
        except Exception as error:
            return self._field_error(error, type_, entry, path)
        return completed

    async def _await_completed(
        self, pending: Awaitable[Any], type_: GraphQLType, entry: _Field, path: Path
    ) -> Any:
        try:
            return await pending
        except Exception as error:
            return self._field_error(error, type_, entry, path)

    async def _await_all(self, results: Any, keys: Sequence[str | int], path: Path | None) -> Any:
        """Replace each pending result by its value; raise the first failure (in order).

        Every pending result is awaited, also after a failure, so no resolver is
        left behind; errors reported below ``path`` after the failure are dropped,
        since ``path`` will be null.
        """
        gather = self.gather
        failure: GraphQLError | None = None
        if gather is not None and len(keys) > 1:
            values = await gather([self._track(self._capture(results[key], path)) for key in keys])
            for key, value in zip(keys, values, strict=True):
                if type(value) is _Failure:
                    failure = failure or value.error
                else:
                    results[key] = value
        else:
            for key in keys:
                try:
                    results[key] = await results[key]
                except GraphQLError as error:
                    if failure is None:
                        failure = error
                        self._doomed.add(path)
        if failure is not None:
            raise failure
        return results

    async def _capture(self, pending: Awaitable[Any], path: Path | None) -> Any:
        try:
            return await pending
        except GraphQLError as error:
            self._doomed.add(path)
            return _Failure(error)

    async def _settle(
        self, results: Any, keys: Sequence[str | int], path: Path | None, error: Exception
    ) -> Any:
        """A field failed while earlier ones were pending: finish those, then fail."""
        await self._await_all(results, keys, path)
        raise error


# Entry points --------------------------------------------------------------------------------

_VARIABLES_NOT_A_MAPPING = (
    "Variables must be provided as an Object where each property is a variable value."
    " Perhaps look to see if an unparsed JSON string was provided."
)


def _request_errors(errors: list[GraphQLError], source: str | None) -> dict[str, Any]:
    """The response to a request error: errors and no ``data`` (section 7.1.1)."""
    for error in errors:
        if error.source is None:
            error.source = source
    return {"errors": [error.formatted for error in errors]}


def prepare(
    schema: GraphQLSchema,
    document_or_source: str | DocumentNode,
    *,
    root_value: Any,
    variable_values: Mapping[str, Any] | None,
    operation_name: str | None,
    context: Any,
    field_resolver: FieldResolver | None,
    limits: QueryLimits | None,
    source: str | None,
    is_async: bool,
    gather: Gather | None,
) -> _Executor | dict[str, Any]:
    """Everything before execution: parse, limits, validation, operation, variables.

    Returns:
        The executor, or the response to a request error.

    Raises:
        InvalidSchemaError: The schema is not valid.
        LocalProtocolError: ``document_or_source`` is neither text nor a document.
    """
    assert_valid_schema(schema)
    if isinstance(document_or_source, str):
        source = document_or_source
        try:
            if limits is None:
                document = parse(source)
            else:
                document = parse(source, max_length=limits.max_length, max_tokens=limits.max_tokens)
        except GraphQLSyntaxError as error:
            return {"errors": [error.formatted]}
        errors = check_limits(document, limits) if limits is not None else []
        if not errors:
            errors = validate(schema, document, source=source)
        if errors:
            return _request_errors(errors, source)
    elif isinstance(cast(object, document_or_source), DocumentNode):
        document = document_or_source
        if limits is not None:
            errors = check_limits(document, limits)
            if errors:
                return _request_errors(errors, source)
    else:
        kind = type(document_or_source).__name__
        raise LocalProtocolError(f"Expected a GraphQL source text or DocumentNode, not {kind}")
    if variable_values is not None and not isinstance(cast(object, variable_values), Mapping):
        return _request_errors([GraphQLError(_VARIABLES_NOT_A_MAPPING)], source)

    operation: OperationDefinitionNode | None = None
    fragments: dict[str, FragmentDefinitionNode] = {}
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            if operation_name is None:
                if operation is not None:
                    return _request_errors(
                        [
                            GraphQLError(
                                "Must provide operation name if query contains multiple operations."
                            )
                        ],
                        source,
                    )
                operation = definition
            elif definition.name is not None and definition.name.value == operation_name:
                operation = definition
        elif isinstance(definition, FragmentDefinitionNode):
            fragments[definition.name.value] = definition
    if operation is None:
        message = (
            f'Unknown operation named "{operation_name}".'
            if operation_name is not None
            else "Must provide an operation."
        )
        return _request_errors([GraphQLError(message)], source)

    coerced = coerce_variable_values(schema, operation.variable_definitions, variable_values or {})
    if isinstance(coerced, list):
        return _request_errors(coerced, source)
    return _Executor(
        schema,
        operation,
        fragments,
        coerced,
        root_value,
        context,
        field_resolver,
        is_async,
        gather,
        source,
    )


def execute_sync(
    schema: GraphQLSchema,
    document_or_source: str | DocumentNode,
    *,
    root_value: Any = None,
    variable_values: Mapping[str, Any] | None = None,
    operation_name: str | None = None,
    context: Any = None,
    field_resolver: FieldResolver | None = None,
    limits: QueryLimits | None = DEFAULT_QUERY_LIMITS,
    source: str | None = None,
) -> dict[str, Any]:
    """Execute a request whose resolvers are all synchronous (section 6.1).

    Source text is parsed, checked against ``limits`` and validated here; a
    ``DocumentNode`` is assumed to be validated already (only the structural
    limits are checked, cheaply).

    Args:
        schema: The schema (assumed valid).
        document_or_source: The request's document, as text or parsed.
        root_value: The value the root fields are resolved on.
        variable_values: The request's variables (JSON-like data), by name.
        operation_name: Which operation to run, when the document has several.
        context: Passed to resolvers as ``info.context``.
        field_resolver: The resolver of fields that have none, called as
            ``(parent, info, **args)``; default :func:`default_field_resolver`.
        limits: Limits for untrusted documents; ``None`` for none at all (for
            trusted documents only: one nested hundreds of levels deep then ends in
            field errors when it reaches Python's recursion limit).
        source: The text a given ``DocumentNode`` was parsed from, so errors
            report ``locations`` (text given as ``document_or_source`` is used
            automatically).

    Returns:
        The response map: ``{"data": ...}``, plus ``"errors"`` when there are any;
        without ``"data"`` for a request error.

    Raises:
        InvalidSchemaError: The schema is not valid (see ``validate_schema``).
        LocalProtocolError: A resolver (or ``resolve_type``, ``is_type_of``)
            returned an awaitable (use :func:`execute`), or ``document_or_source``
            is neither text nor a document.
    """
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
        is_async=False,
        gather=None,
    )
    if isinstance(prepared, dict):
        return prepared
    return cast(dict[str, Any], prepared.run())


async def execute(
    schema: GraphQLSchema,
    document_or_source: str | DocumentNode,
    *,
    root_value: Any = None,
    variable_values: Mapping[str, Any] | None = None,
    operation_name: str | None = None,
    context: Any = None,
    field_resolver: FieldResolver | None = None,
    limits: QueryLimits | None = DEFAULT_QUERY_LIMITS,
    source: str | None = None,
    gather: Gather | None = None,
) -> dict[str, Any]:
    """Execute a request whose resolvers may return awaitables (section 6.1).

    Takes the arguments of :func:`execute_sync`, and:

    Args:
        gather: Awaits the pending fields of one selection set concurrently:
            ``await gather([awaitable, ...])`` returns their results in order
            (the awaitables never raise ``Exception``). Without it they are
            awaited one after the other, in field order. The executor itself uses
            no event loop, so this runs under any.

    Returns:
        The response map, as :func:`execute_sync` returns it.
    """
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
        return prepared
    response = prepared.run()
    if type(response) is CoroutineType:
        response = await response
    return cast(dict[str, Any], response)
