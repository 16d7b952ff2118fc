"""The GraphQL type system: named types, wrapping types, fields and arguments.

GraphQL October 2021, section 3 "Type System". The classes and predicates are
named as in graphql-core (the Python port of graphql-js), so code written for it
moves over: ``GraphQLObjectType``, ``GraphQLField``, ``is_input_type``...

Fields, interfaces and union members may be given as a zero-argument callable
(a *thunk*) so that types can refer to each other in cycles; the thunk is called
once, the first time the property is read, and the result is kept.

Names are checked when a definition is built (section 2.1.9 Name); anything
else that makes a schema invalid is reported by ``validate_schema``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass, fields
from enum import Enum
from typing import TYPE_CHECKING, Any, Final, TypeAlias, TypeGuard, TypeVar

from wire.graphql._ast import (
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    EnumValueDefinitionNode,
    EnumValueNode,
    FieldDefinitionNode,
    FieldNode,
    FragmentDefinitionNode,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    OperationDefinitionNode,
    ScalarTypeDefinitionNode,
    ScalarTypeExtensionNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    ValueNode,
)
from wire.graphql._errors import GraphQLError, did_you_mean, inspect, suggestion_list
from wire.graphql._printer import print_ast

if TYPE_CHECKING:
    from wire.graphql._schema import GraphQLSchema

__all__ = [
    "GraphQLAbstractType",
    "GraphQLArgument",
    "GraphQLCompositeType",
    "GraphQLEnumType",
    "GraphQLEnumValue",
    "GraphQLField",
    "GraphQLInputField",
    "GraphQLInputObjectType",
    "GraphQLInputType",
    "GraphQLInterfaceType",
    "GraphQLLeafType",
    "GraphQLList",
    "GraphQLNamedType",
    "GraphQLNonNull",
    "GraphQLNullableType",
    "GraphQLObjectType",
    "GraphQLOutputType",
    "GraphQLResolveInfo",
    "GraphQLScalarType",
    "GraphQLType",
    "GraphQLUnionType",
    "GraphQLWrappingType",
    "Thunk",
    "Undefined",
    "UndefinedType",
    "assert_enum_value_name",
    "assert_name",
    "get_named_type",
    "get_nullable_type",
    "is_abstract_type",
    "is_composite_type",
    "is_enum_type",
    "is_input_object_type",
    "is_input_type",
    "is_interface_type",
    "is_leaf_type",
    "is_list_type",
    "is_named_type",
    "is_non_null_type",
    "is_nullable_type",
    "is_object_type",
    "is_output_type",
    "is_required_argument",
    "is_required_input_field",
    "is_scalar_type",
    "is_type",
    "is_union_type",
    "is_wrapping_type",
]

_T = TypeVar("_T")

#: A value, or a zero-argument callable returning it (for types defined in cycles).
Thunk: TypeAlias = "Callable[[], _T] | _T"


class UndefinedType:
    """The type of :data:`Undefined`: a value that was not given at all.

    GraphQL tells "no value" apart from ``null`` (section 2.9.5): an argument that
    was not given differs from one given as ``null``.
    """

    __slots__ = ()
    _instance: UndefinedType | None = None

    def __new__(cls) -> UndefinedType:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "Undefined"

    def __reduce__(self) -> str:
        return "Undefined"


#: The one "no value" marker (falsy, distinct from ``None``, which is ``null``).
Undefined: Final = UndefinedType()


# Names (section 2.1.9) --------------------------------------------------------

_NAME_START = re.compile(r"[_A-Za-z]")
_NAME_CONTINUE = re.compile(r"[_A-Za-z0-9]*\Z")


def assert_name(name: Any) -> str:
    """Return ``name`` if it is a GraphQL Name, else raise.

    Raises:
        GraphQLError: worded as graphql-js's ``assertName``.
    """
    if not isinstance(name, str) or not name:
        raise GraphQLError("Expected name to be a non-empty string.")
    if not _NAME_CONTINUE.match(name, 1):
        raise GraphQLError(f'Names must only contain [_a-zA-Z0-9] but "{name}" does not.')
    if not _NAME_START.match(name):
        raise GraphQLError(f'Names must start with [_a-zA-Z] but "{name}" does not.')
    return name


def assert_enum_value_name(name: Any) -> str:
    """Return ``name`` if it may name an enum value (a Name but not true, false, null).

    Raises:
        GraphQLError: worded as graphql-js's ``assertEnumValueName``.
    """
    if name in ("true", "false", "null"):
        raise GraphQLError(f"Enum values cannot be named: {name}")
    return assert_name(name)


# Named types ----------------------------------------------------------------------


class GraphQLNamedType:
    """Base class of the six kinds of named types (section 3.4).

    Attributes:
        name: The type's name.
        description: Its description, or ``None``.
        ast_node: The definition it was built from, or ``None``.
        extension_ast_nodes: The extensions it was built from.
    """

    __slots__ = ("ast_node", "description", "extension_ast_nodes", "name")

    name: str
    description: str | None
    ast_node: TypeDefinitionNode | None
    extension_ast_nodes: tuple[TypeExtensionNode, ...]

    def __init__(
        self,
        name: str,
        description: str | None,
        ast_node: TypeDefinitionNode | None,
        extension_ast_nodes: Iterable[TypeExtensionNode],
    ) -> None:
        self.name = assert_name(name)
        self.description = description
        self.ast_node = ast_node
        self.extension_ast_nodes = tuple(extension_ast_nodes)

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


def _identity(value: Any) -> Any:
    return value


class GraphQLScalarType(GraphQLNamedType):
    """A scalar type (section 3.5): a leaf value with its own coercion rules.

    Args:
        name: The type's name.
        serialize: Result coercion: internal value -> JSON-ready value; raise
            ``GraphQLError`` (or ``ValueError``/``TypeError``) when it cannot.
            Default: the value unchanged.
        parse_value: Input coercion of a variable's JSON value -> internal value.
            Default: the value unchanged.
        parse_literal: Input coercion of a literal: ``(value_node, variables)`` ->
            internal value. Default: ``parse_value`` of the literal's plain value.
        description: The type's description.
        specified_by_url: The URL of the scalar's specification (``@specifiedBy``).
        ast_node: The definition it was built from.
        extension_ast_nodes: The extensions it was built from.
    """

    __slots__ = ("parse_literal", "parse_value", "serialize", "specified_by_url")

    serialize: Callable[[Any], Any]
    parse_value: Callable[[Any], Any]
    parse_literal: Callable[[ValueNode, dict[str, Any] | None], Any]
    specified_by_url: str | None
    ast_node: ScalarTypeDefinitionNode | None
    extension_ast_nodes: tuple[ScalarTypeExtensionNode, ...]

    def __init__(
        self,
        name: str,
        serialize: Callable[[Any], Any] | None = None,
        parse_value: Callable[[Any], Any] | None = None,
        parse_literal: Callable[[ValueNode, dict[str, Any] | None], Any] | None = None,
        *,
        description: str | None = None,
        specified_by_url: str | None = None,
        ast_node: ScalarTypeDefinitionNode | None = None,
        extension_ast_nodes: Iterable[ScalarTypeExtensionNode] = (),
    ) -> None:
        super().__init__(name, description, ast_node, extension_ast_nodes)
        self.serialize = serialize or _identity
        self.parse_value = parse_value or _identity
        if parse_literal is None:
            parse_literal = self._parse_untyped_literal
        self.parse_literal = parse_literal
        self.specified_by_url = specified_by_url

    def _parse_untyped_literal(
        self, value_node: ValueNode, variables: dict[str, Any] | None = None
    ) -> Any:
        from wire.graphql._values import value_from_ast_untyped

        return self.parse_value(value_from_ast_untyped(value_node, variables))


def _resolve_thunk(thunk: Any, type_name: str, what: str) -> Any:
    """Call a thunk; a GraphQLError from it says which type it was resolving, as graphql-core."""
    if not callable(thunk):
        return thunk
    try:
        return thunk()
    except GraphQLError as error:
        raise GraphQLError(
            f"{type_name} {what} cannot be resolved. {error.message}",
            error.nodes,
            source=error.source,
            original_error=error,
        ) from error


def _field_map(type_name: str, thunk: Any) -> dict[str, GraphQLField]:
    field_map = _resolve_thunk(thunk, type_name, "fields")
    if not isinstance(field_map, Mapping):
        raise TypeError(f"{type_name} fields must be a mapping with field names as keys.")
    return {
        assert_name(name): value if isinstance(value, GraphQLField) else GraphQLField(value)
        for name, value in field_map.items()
    }


class _FieldsType(GraphQLNamedType):
    """Object and interface types: a set of fields and the interfaces they implement."""

    __slots__ = ("_field_map", "_fields_thunk", "_interface_list", "_interfaces_thunk")

    _field_map: dict[str, GraphQLField] | None
    _interface_list: list[GraphQLInterfaceType] | None

    def __init__(
        self,
        name: str,
        fields: Thunk[Mapping[str, GraphQLField | GraphQLType]],
        interfaces: Thunk[Iterable[GraphQLInterfaceType]],
        description: str | None,
        ast_node: TypeDefinitionNode | None,
        extension_ast_nodes: Iterable[TypeExtensionNode],
    ) -> None:
        super().__init__(name, description, ast_node, extension_ast_nodes)
        self._fields_thunk = fields
        self._interfaces_thunk = interfaces
        self._field_map = None
        self._interface_list = None

    @property
    def fields(self) -> dict[str, GraphQLField]:
        """The fields by name (a thunk is called the first time)."""
        field_map = self._field_map
        if field_map is None:
            field_map = self._field_map = _field_map(self.name, self._fields_thunk)
        return field_map

    @property
    def interfaces(self) -> list[GraphQLInterfaceType]:
        """The interfaces this type implements (a thunk is called the first time)."""
        interfaces = self._interface_list
        if interfaces is None:
            interfaces = self._interface_list = list(
                _resolve_thunk(self._interfaces_thunk, self.name, "interfaces")
            )
        return interfaces


class GraphQLObjectType(_FieldsType):
    """An object type (section 3.6).

    Args:
        name: The type's name.
        fields: Field name -> ``GraphQLField`` (or a bare output type), or a thunk.
        interfaces: The interfaces it implements, or a thunk.
        is_type_of: ``(value, info) -> bool`` (or an awaitable): whether a resolved
            value is of this type, for abstract types without ``resolve_type``.
        description: The type's description.
        ast_node: The definition it was built from.
        extension_ast_nodes: The extensions it was built from.
    """

    __slots__ = ("is_type_of",)

    is_type_of: Callable[[Any, GraphQLResolveInfo], Any] | None
    ast_node: ObjectTypeDefinitionNode | None
    extension_ast_nodes: tuple[ObjectTypeExtensionNode, ...]

    def __init__(
        self,
        name: str,
        fields: Thunk[Mapping[str, GraphQLField | GraphQLType]],
        interfaces: Thunk[Iterable[GraphQLInterfaceType]] = (),
        *,
        is_type_of: Callable[[Any, GraphQLResolveInfo], Any] | None = None,
        description: str | None = None,
        ast_node: ObjectTypeDefinitionNode | None = None,
        extension_ast_nodes: Iterable[ObjectTypeExtensionNode] = (),
    ) -> None:
        super().__init__(name, fields, interfaces, description, ast_node, extension_ast_nodes)
        self.is_type_of = is_type_of


class GraphQLInterfaceType(_FieldsType):
    """An interface type (section 3.7), which may itself implement interfaces.

    Args:
        name: The type's name.
        fields: Field name -> ``GraphQLField`` (or a bare output type), or a thunk.
        interfaces: The interfaces it implements, or a thunk.
        resolve_type: ``(value, info, abstract_type)`` -> the name of the object type
            of a resolved value (or the type, or an awaitable of either).
        description: The type's description.
        ast_node: The definition it was built from.
        extension_ast_nodes: The extensions it was built from.
    """

    __slots__ = ("resolve_type",)

    resolve_type: Callable[[Any, GraphQLResolveInfo, Any], Any] | None
    ast_node: InterfaceTypeDefinitionNode | None
    extension_ast_nodes: tuple[InterfaceTypeExtensionNode, ...]

    def __init__(
        self,
        name: str,
        fields: Thunk[Mapping[str, GraphQLField | GraphQLType]],
        interfaces: Thunk[Iterable[GraphQLInterfaceType]] = (),
        *,
        resolve_type: Callable[[Any, GraphQLResolveInfo, Any], Any] | None = None,
        description: str | None = None,
        ast_node: InterfaceTypeDefinitionNode | None = None,
        extension_ast_nodes: Iterable[InterfaceTypeExtensionNode] = (),
    ) -> None:
        super().__init__(name, fields, interfaces, description, ast_node, extension_ast_nodes)
        self.resolve_type = resolve_type


class GraphQLUnionType(GraphQLNamedType):
    """A union type (section 3.8).

    Args:
        name: The type's name.
        types: The member object types, or a thunk.
        resolve_type: ``(value, info, abstract_type)`` -> the name of the object type
            of a resolved value (or the type, or an awaitable of either).
        description: The type's description.
        ast_node: The definition it was built from.
        extension_ast_nodes: The extensions it was built from.
    """

    __slots__ = ("_type_list", "_types_thunk", "resolve_type")

    resolve_type: Callable[[Any, GraphQLResolveInfo, Any], Any] | None
    ast_node: UnionTypeDefinitionNode | None
    extension_ast_nodes: tuple[UnionTypeExtensionNode, ...]
    _type_list: list[GraphQLObjectType] | None

    def __init__(
        self,
        name: str,
        types: Thunk[Iterable[GraphQLObjectType]],
        *,
        resolve_type: Callable[[Any, GraphQLResolveInfo, Any], Any] | None = None,
        description: str | None = None,
        ast_node: UnionTypeDefinitionNode | None = None,
        extension_ast_nodes: Iterable[UnionTypeExtensionNode] = (),
    ) -> None:
        super().__init__(name, description, ast_node, extension_ast_nodes)
        self._types_thunk = types
        self._type_list = None
        self.resolve_type = resolve_type

    @property
    def types(self) -> list[GraphQLObjectType]:
        """The member types (a thunk is called the first time)."""
        types = self._type_list
        if types is None:
            types = self._type_list = list(_resolve_thunk(self._types_thunk, self.name, "types"))
        return types


class GraphQLEnumValue:
    """One value of an enum type (section 3.9).

    Args:
        value: The internal value the name stands for; ``None`` means the name itself.
        description: Its description.
        deprecation_reason: Why it is deprecated, or ``None`` when it is not.
        ast_node: The definition it was built from.
    """

    __slots__ = ("ast_node", "deprecation_reason", "description", "value")

    def __init__(
        self,
        value: Any = None,
        *,
        description: str | None = None,
        deprecation_reason: str | None = None,
        ast_node: EnumValueDefinitionNode | None = None,
    ) -> None:
        self.value = value
        self.description = description
        self.deprecation_reason = deprecation_reason
        self.ast_node = ast_node

    def __repr__(self) -> str:
        return f"GraphQLEnumValue({self.value!r})"


class GraphQLEnumType(GraphQLNamedType):
    """An enum type (section 3.9): a closed set of names.

    Args:
        name: The type's name.
        values: Name -> ``GraphQLEnumValue`` (or a bare internal value); or an
            iterable of names (each standing for itself); or a Python ``Enum``
            class (each name standing for its member); or a thunk returning a
            mapping (called the first time the values are needed).
        description: The type's description.
        ast_node: The definition it was built from.
        extension_ast_nodes: The extensions it was built from.
    """

    __slots__ = ("_internal", "_lookup", "_value_map", "_values_thunk")

    ast_node: EnumTypeDefinitionNode | None
    extension_ast_nodes: tuple[EnumTypeExtensionNode, ...]
    _value_map: dict[str, GraphQLEnumValue] | None
    _internal: dict[str, Any]
    _lookup: dict[Any, str]

    def __init__(
        self,
        name: str,
        values: Thunk[Mapping[str, Any]] | Iterable[str] | type[Enum],
        *,
        description: str | None = None,
        ast_node: EnumTypeDefinitionNode | None = None,
        extension_ast_nodes: Iterable[EnumTypeExtensionNode] = (),
    ) -> None:
        super().__init__(name, description, ast_node, extension_ast_nodes)
        self._values_thunk = values
        self._value_map = None
        if not callable(values) or isinstance(values, type):
            self._resolve()

    def _resolve(self) -> dict[str, GraphQLEnumValue]:
        values: Any = self._values_thunk
        if isinstance(values, type) and issubclass(values, Enum):
            values = dict(values.__members__)
        elif callable(values):
            values = values()
        if not isinstance(values, Mapping):
            values = dict.fromkeys(values)
        value_map = {
            assert_enum_value_name(key): value
            if isinstance(value, GraphQLEnumValue)
            else GraphQLEnumValue(value)
            for key, value in values.items()
        }
        # Internal value of each name, and the first name of each hashable value.
        self._internal = {}
        self._lookup = {}
        for key, enum_value in value_map.items():
            internal = key if enum_value.value is None else enum_value.value
            self._internal[key] = internal
            with suppress(TypeError):  # an unhashable value is found by scanning
                self._lookup.setdefault(internal, key)
        self._value_map = value_map
        return value_map

    @property
    def values(self) -> dict[str, GraphQLEnumValue]:
        """Name -> ``GraphQLEnumValue``, in definition order."""
        value_map = self._value_map
        return self._resolve() if value_map is None else value_map

    def serialize(self, output_value: Any) -> str:
        """Result coercion: the name of an internal value (section 3.9).

        Raises:
            GraphQLError: ``Enum "E" cannot represent value: ...``.
        """
        if self._value_map is None:
            self._resolve()
        try:
            return self._lookup[output_value]
        except KeyError:
            pass
        except TypeError:
            for key, internal in self._internal.items():
                if internal == output_value:
                    return key
        raise GraphQLError(f'Enum "{self.name}" cannot represent value: {inspect(output_value)}')

    def parse_value(self, input_value: Any) -> Any:
        """Input coercion of a variable's value: a name -> its internal value.

        Raises:
            GraphQLError: the value is not a string or names no value.
        """
        if self._value_map is None:
            self._resolve()
        if isinstance(input_value, str):
            try:
                return self._internal[input_value]
            except KeyError:
                raise GraphQLError(
                    f'Value "{input_value}" does not exist in "{self.name}" enum.'
                    + self._did_you_mean(input_value)
                ) from None
        text = inspect(input_value)
        raise GraphQLError(
            f'Enum "{self.name}" cannot represent non-string value: {text}.'
            + self._did_you_mean(text)
        )

    def parse_literal(self, value_node: ValueNode, variables: dict[str, Any] | None = None) -> Any:
        """Input coercion of a literal: an enum value -> its internal value.

        Raises:
            GraphQLError: the literal is not an enum value or names no value.
        """
        if self._value_map is None:
            self._resolve()
        if isinstance(value_node, EnumValueNode):
            try:
                return self._internal[value_node.value]
            except KeyError:
                raise GraphQLError(
                    f'Value "{value_node.value}" does not exist in "{self.name}" enum.'
                    + self._did_you_mean(value_node.value),
                    value_node,
                ) from None
        text = print_ast(value_node)
        raise GraphQLError(
            f'Enum "{self.name}" cannot represent non-enum value: {text}.'
            + self._did_you_mean(text),
            value_node,
        )

    def _did_you_mean(self, text: str) -> str:
        return did_you_mean(suggestion_list(text, self.values), "the enum value")


def _input_field_map(type_name: str, thunk: Any) -> dict[str, GraphQLInputField]:
    field_map = _resolve_thunk(thunk, type_name, "fields")
    if not isinstance(field_map, Mapping):
        raise TypeError(f"{type_name} fields must be a mapping with field names as keys.")
    return {
        assert_name(name): value
        if isinstance(value, GraphQLInputField)
        else GraphQLInputField(value)
        for name, value in field_map.items()
    }


class GraphQLInputObjectType(GraphQLNamedType):
    """An input object type (section 3.10), possibly a OneOf input object.

    Args:
        name: The type's name.
        fields: Field name -> ``GraphQLInputField`` (or a bare input type), or a thunk.
        description: The type's description.
        is_one_of: Exactly one field must be given, and not null (``@oneOf``).
        ast_node: The definition it was built from.
        extension_ast_nodes: The extensions it was built from.
    """

    __slots__ = ("_field_map", "_fields_thunk", "is_one_of")

    is_one_of: bool
    ast_node: InputObjectTypeDefinitionNode | None
    extension_ast_nodes: tuple[InputObjectTypeExtensionNode, ...]
    _field_map: dict[str, GraphQLInputField] | None

    def __init__(
        self,
        name: str,
        fields: Thunk[Mapping[str, GraphQLInputField | GraphQLType]],
        *,
        description: str | None = None,
        is_one_of: bool = False,
        ast_node: InputObjectTypeDefinitionNode | None = None,
        extension_ast_nodes: Iterable[InputObjectTypeExtensionNode] = (),
    ) -> None:
        super().__init__(name, description, ast_node, extension_ast_nodes)
        self._fields_thunk = fields
        self._field_map = None
        self.is_one_of = is_one_of

    @property
    def fields(self) -> dict[str, GraphQLInputField]:
        """The input fields by name (a thunk is called the first time)."""
        field_map = self._field_map
        if field_map is None:
            field_map = self._field_map = _input_field_map(self.name, self._fields_thunk)
        return field_map


# Fields and arguments -------------------------------------------------------------


class GraphQLArgument:
    """An argument of a field or directive (section 3.6.1).

    Args:
        type_: Its input type.
        default_value: The internal value used when the argument is not given;
            ``Undefined`` when it has none.
        description: Its description.
        deprecation_reason: Why it is deprecated, or ``None``.
        ast_node: The definition it was built from.
        default_literal: The default value as a literal (as SDL writes it). Without
            ``default_value``, the literal is coerced the first time
            ``default_value`` is read, so defaults may refer to types defined later.

    Attributes:
        default_literal: The literal, or ``None``.
    """

    __slots__ = (
        "_default_value",
        "ast_node",
        "default_literal",
        "deprecation_reason",
        "description",
        "type",
    )

    def __init__(
        self,
        type_: GraphQLType,
        default_value: Any = Undefined,
        *,
        description: str | None = None,
        deprecation_reason: str | None = None,
        ast_node: InputValueDefinitionNode | None = None,
        default_literal: ValueNode | None = None,
    ) -> None:
        self.type = type_
        self.default_literal = default_literal
        if default_value is Undefined and default_literal is not None:
            default_value = _PENDING
        self._default_value = default_value
        self.description = description
        self.deprecation_reason = deprecation_reason
        self.ast_node = ast_node

    @property
    def default_value(self) -> Any:
        """The internal default value, or ``Undefined`` when there is none (or it is invalid)."""
        value = self._default_value
        if value is _PENDING:
            from wire.graphql._values import coerce_input_literal

            # A default that refers back to this one (through input object defaults,
            # which validate_schema reports) ends as Undefined instead of recursing.
            self._default_value = Undefined
            value = self._default_value = coerce_input_literal(self.default_literal, self.type)  # type: ignore[arg-type]
        return value

    @default_value.setter
    def default_value(self, value: Any) -> None:
        self._default_value = value

    @property
    def has_default(self) -> bool:
        """Whether a default value was given (as a value or as a literal)."""
        return self.default_literal is not None or self._default_value is not Undefined

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.type}>"


#: A default value not yet coerced from its literal.
_PENDING: Final = object()


class GraphQLInputField(GraphQLArgument):
    """A field of an input object type (section 3.10); same shape as an argument."""

    __slots__ = ()


def _argument_map(
    args: Mapping[str, GraphQLArgument | GraphQLType] | None,
) -> dict[str, GraphQLArgument]:
    if not args:
        return {}
    return {
        assert_name(name): value if isinstance(value, GraphQLArgument) else GraphQLArgument(value)
        for name, value in args.items()
    }


class GraphQLField:
    """A field of an object or interface type (section 3.6).

    Args:
        type_: Its output type.
        args: Argument name -> ``GraphQLArgument`` (or a bare input type).
        resolve: ``(parent, info, **args)`` -> the value (or an awaitable); default:
            the executor's default resolver.
        subscribe: ``(parent, info, **args)`` -> an async iterable of events, for
            subscription root fields.
        description: Its description.
        deprecation_reason: Why it is deprecated, or ``None``.
        ast_node: The definition it was built from.
    """

    __slots__ = (
        "args",
        "ast_node",
        "deprecation_reason",
        "description",
        "resolve",
        "subscribe",
        "type",
    )

    args: dict[str, GraphQLArgument]

    def __init__(
        self,
        type_: GraphQLType,
        args: Mapping[str, GraphQLArgument | GraphQLType] | None = None,
        resolve: Callable[..., Any] | None = None,
        subscribe: Callable[..., Any] | None = None,
        *,
        description: str | None = None,
        deprecation_reason: str | None = None,
        ast_node: FieldDefinitionNode | None = None,
    ) -> None:
        self.type = type_
        self.args = _argument_map(args)
        self.resolve = resolve
        self.subscribe = subscribe
        self.description = description
        self.deprecation_reason = deprecation_reason
        self.ast_node = ast_node

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.type}>"


# Wrapping types (section 3.11 List, 3.12 Non-Null) ------------------------------------


class GraphQLWrappingType:
    """Base class of ``GraphQLList`` and ``GraphQLNonNull``.

    Two wrapping types are equal when they wrap equal types, so they can key a dict.

    Attributes:
        of_type: The wrapped type.
    """

    __slots__ = ("of_type",)

    of_type: GraphQLType

    def __init__(self, of_type: Any) -> None:
        if not is_type(of_type):
            raise TypeError(f"Expected {inspect(of_type)} to be a GraphQL type.")
        self.of_type = of_type

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GraphQLWrappingType) and (
            type(self) is type(other) and self.of_type == other.of_type
        )

    def __hash__(self) -> int:
        return hash((type(self), self.of_type))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self}>"


class GraphQLList(GraphQLWrappingType):
    """A list of values of one type (section 3.11); prints as ``[T]``."""

    __slots__ = ()

    def __str__(self) -> str:
        return f"[{self.of_type}]"


class GraphQLNonNull(GraphQLWrappingType):
    """A type whose values are never null (section 3.12); prints as ``T!``.

    Raises:
        TypeError: ``of_type`` is itself non-null.
    """

    __slots__ = ()

    of_type: GraphQLNullableType

    def __init__(self, of_type: GraphQLNullableType) -> None:
        if isinstance(of_type, GraphQLNonNull):
            raise TypeError(f"Expected {of_type} to be a GraphQL nullable type.")
        super().__init__(of_type)

    def __str__(self) -> str:
        return f"{self.of_type}!"


GraphQLType: TypeAlias = GraphQLNamedType | GraphQLWrappingType
GraphQLNullableType: TypeAlias = GraphQLNamedType | GraphQLList
GraphQLInputType: TypeAlias = GraphQLType
GraphQLOutputType: TypeAlias = GraphQLType
GraphQLLeafType: TypeAlias = GraphQLScalarType | GraphQLEnumType
GraphQLCompositeType: TypeAlias = GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType
GraphQLAbstractType: TypeAlias = GraphQLInterfaceType | GraphQLUnionType


# Predicates --------------------------------------------------------------------------


def is_type(type_: Any) -> TypeGuard[GraphQLType]:
    """Whether ``type_`` is any GraphQL type, named or wrapping."""
    return isinstance(type_, (GraphQLNamedType, GraphQLWrappingType))


def is_scalar_type(type_: Any) -> TypeGuard[GraphQLScalarType]:
    """Whether ``type_`` is a scalar type."""
    return isinstance(type_, GraphQLScalarType)


def is_object_type(type_: Any) -> TypeGuard[GraphQLObjectType]:
    """Whether ``type_`` is an object type."""
    return isinstance(type_, GraphQLObjectType)


def is_interface_type(type_: Any) -> TypeGuard[GraphQLInterfaceType]:
    """Whether ``type_`` is an interface type."""
    return isinstance(type_, GraphQLInterfaceType)


def is_union_type(type_: Any) -> TypeGuard[GraphQLUnionType]:
    """Whether ``type_`` is a union type."""
    return isinstance(type_, GraphQLUnionType)


def is_enum_type(type_: Any) -> TypeGuard[GraphQLEnumType]:
    """Whether ``type_`` is an enum type."""
    return isinstance(type_, GraphQLEnumType)


def is_input_object_type(type_: Any) -> TypeGuard[GraphQLInputObjectType]:
    """Whether ``type_`` is an input object type."""
    return isinstance(type_, GraphQLInputObjectType)


def is_list_type(type_: Any) -> TypeGuard[GraphQLList]:
    """Whether ``type_`` is a list type."""
    return isinstance(type_, GraphQLList)


def is_non_null_type(type_: Any) -> TypeGuard[GraphQLNonNull]:
    """Whether ``type_`` is a non-null type."""
    return isinstance(type_, GraphQLNonNull)


def is_wrapping_type(type_: Any) -> TypeGuard[GraphQLWrappingType]:
    """Whether ``type_`` is a list or non-null type."""
    return isinstance(type_, GraphQLWrappingType)


def is_named_type(type_: Any) -> TypeGuard[GraphQLNamedType]:
    """Whether ``type_`` is a named type (not a list or non-null)."""
    return isinstance(type_, GraphQLNamedType)


def is_nullable_type(type_: Any) -> TypeGuard[GraphQLNullableType]:
    """Whether ``type_`` is a type that is not non-null."""
    return is_type(type_) and not isinstance(type_, GraphQLNonNull)


_INPUT_TYPES = (GraphQLScalarType, GraphQLEnumType, GraphQLInputObjectType)
_OUTPUT_TYPES = (
    GraphQLScalarType,
    GraphQLObjectType,
    GraphQLInterfaceType,
    GraphQLUnionType,
    GraphQLEnumType,
)


def is_input_type(type_: Any) -> bool:
    """Whether ``type_`` may type an argument, variable or input field (section 3.4.2)."""
    while isinstance(type_, GraphQLWrappingType):
        type_ = type_.of_type
    return isinstance(type_, _INPUT_TYPES)


def is_output_type(type_: Any) -> bool:
    """Whether ``type_`` may type a field (section 3.4.2)."""
    while isinstance(type_, GraphQLWrappingType):
        type_ = type_.of_type
    return isinstance(type_, _OUTPUT_TYPES)


def is_leaf_type(type_: Any) -> TypeGuard[GraphQLLeafType]:
    """Whether ``type_`` is a scalar or enum type."""
    return isinstance(type_, (GraphQLScalarType, GraphQLEnumType))


def is_composite_type(type_: Any) -> TypeGuard[GraphQLCompositeType]:
    """Whether ``type_`` is an object, interface or union type."""
    return isinstance(type_, (GraphQLObjectType, GraphQLInterfaceType, GraphQLUnionType))


def is_abstract_type(type_: Any) -> TypeGuard[GraphQLAbstractType]:
    """Whether ``type_`` is an interface or union type."""
    return isinstance(type_, (GraphQLInterfaceType, GraphQLUnionType))


def is_required_argument(arg: GraphQLArgument) -> bool:
    """Whether an argument must be given: non-null and without a default value."""
    return isinstance(arg.type, GraphQLNonNull) and not arg.has_default


def is_required_input_field(field: GraphQLInputField) -> bool:
    """Whether an input field must be given: non-null and without a default value."""
    return isinstance(field.type, GraphQLNonNull) and not field.has_default


def get_named_type(type_: GraphQLType | None) -> GraphQLNamedType | None:
    """The named type under any list and non-null wrappers (``None`` for ``None``)."""
    while isinstance(type_, GraphQLWrappingType):
        type_ = type_.of_type
    return type_


def get_nullable_type(type_: GraphQLType | None) -> GraphQLType | None:
    """``type_`` without its outer non-null wrapper, if it has one."""
    if isinstance(type_, GraphQLNonNull):
        return type_.of_type
    return type_


# Resolver information -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GraphQLResolveInfo:
    """What a resolver learns about the field it resolves (the executor builds these).

    Attributes:
        field_name: The field's name (not its alias).
        field_nodes: The field's selections in the document (more than one when
            merged).
        return_type: The field's type.
        parent_type: The object type the field belongs to.
        path: The response path of the field (the executor's path object, with
            ``as_list()``).
        schema: The schema.
        fragments: Fragment name -> definition.
        root_value: The root value of the operation.
        operation: The operation being executed.
        variable_values: The coerced variable values.
        context: The context value the caller passed.
    """

    field_name: str
    field_nodes: list[FieldNode]
    return_type: GraphQLType
    parent_type: GraphQLObjectType
    path: Any
    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    root_value: Any
    operation: OperationDefinitionNode
    variable_values: dict[str, Any]
    context: Any


# The dataclass's __init__ stores each field through object.__setattr__; the
# executor builds one info per resolved field, so store through the slots instead.
(
    _set_field_name,
    _set_field_nodes,
    _set_return_type,
    _set_parent_type,
    _set_path,
    _set_schema,
    _set_fragments,
    _set_root_value,
    _set_operation,
    _set_variable_values,
    _set_context,
) = (getattr(GraphQLResolveInfo, spec.name).__set__ for spec in fields(GraphQLResolveInfo))


def _info_init(
    self: GraphQLResolveInfo,
    field_name: str,
    field_nodes: list[FieldNode],
    return_type: GraphQLType,
    parent_type: GraphQLObjectType,
    path: Any,
    schema: GraphQLSchema,
    fragments: dict[str, FragmentDefinitionNode],
    root_value: Any,
    operation: OperationDefinitionNode,
    variable_values: dict[str, Any],
    context: Any,
) -> None:
    _set_field_name(self, field_name)
    _set_field_nodes(self, field_nodes)
    _set_return_type(self, return_type)
    _set_parent_type(self, parent_type)
    _set_path(self, path)
    _set_schema(self, schema)
    _set_fragments(self, fragments)
    _set_root_value(self, root_value)
    _set_operation(self, operation)
    _set_variable_values(self, variable_values)
    _set_context(self, context)


_info_init.__doc__ = GraphQLResolveInfo.__init__.__doc__
GraphQLResolveInfo.__init__ = _info_init  # type: ignore[method-assign]
