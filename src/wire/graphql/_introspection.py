"""The introspection types and meta fields (section 4 "Introspection").

``__Schema``, ``__Type``, ``__Field``, ``__InputValue``, ``__EnumValue``,
``__Directive`` and the enums ``__TypeKind`` and ``__DirectiveLocation`` are
ordinary object and enum types whose resolvers read the type system; the meta
fields ``__schema``, ``__type(name:)`` and ``__typename`` reach them. They are as
graphql-js 17 defines them (with ``isOneOf``, deprecated arguments and input
fields, and deprecated directives), so introspection results and the printed
introspection schema match graphql-js's.

Fields, arguments, input fields and enum values are passed to the resolvers of
``__Field``, ``__InputValue`` and ``__EnumValue`` as ``(name, definition)`` pairs.
"""

from __future__ import annotations

from textwrap import dedent
from typing import Any

from wire.graphql._definition import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLEnumValue,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLUnionType,
    Undefined,
)
from wire.graphql._directives import DirectiveLocation
from wire.graphql._printer import print_ast
from wire.graphql._scalars import GraphQLBoolean, GraphQLString
from wire.graphql._values import ast_from_value

__all__ = [
    "SchemaMetaFieldDef",
    "TypeMetaFieldDef",
    "TypeNameMetaFieldDef",
    "__Directive",
    "__DirectiveLocation",
    "__EnumValue",
    "__Field",
    "__InputValue",
    "__Schema",
    "__Type",
    "__TypeKind",
    "get_introspection_query",
    "introspection_types",
    "is_introspection_type",
]


def _include_deprecated_arg() -> dict[str, GraphQLArgument]:
    return {"includeDeprecated": GraphQLArgument(GraphQLNonNull(GraphQLBoolean), False)}


def _active(items: Any, include_deprecated: bool) -> list[Any]:
    """The ``(name, definition)`` pairs, without the deprecated ones unless asked."""
    if include_deprecated:
        return list(items)
    return [item for item in items if item[1].deprecation_reason is None]


# __Schema ---------------------------------------------------------------------------


def _schema_directives(
    schema: Any, info: GraphQLResolveInfo, includeDeprecated: bool = False
) -> Any:
    if includeDeprecated:
        return schema.directives
    return [directive for directive in schema.directives if directive.deprecation_reason is None]


__Schema: GraphQLObjectType = GraphQLObjectType(
    "__Schema",
    lambda: {
        "description": GraphQLField(GraphQLString, resolve=lambda schema, info: schema.description),
        "types": GraphQLField(
            GraphQLNonNull(GraphQLList(GraphQLNonNull(__Type))),
            resolve=lambda schema, info: list(schema.type_map.values()),
            description="A list of all types supported by this server.",
        ),
        "queryType": GraphQLField(
            GraphQLNonNull(__Type),
            resolve=lambda schema, info: schema.query_type,
            description="The type that query operations will be rooted at.",
        ),
        "mutationType": GraphQLField(
            __Type,
            resolve=lambda schema, info: schema.mutation_type,
            description="If this server supports mutation, the type that mutation operations"
            " will be rooted at.",
        ),
        "subscriptionType": GraphQLField(
            __Type,
            resolve=lambda schema, info: schema.subscription_type,
            description="If this server supports subscription, the type that subscription"
            " operations will be rooted at.",
        ),
        "directives": GraphQLField(
            GraphQLNonNull(GraphQLList(GraphQLNonNull(__Directive))),
            _include_deprecated_arg(),
            resolve=_schema_directives,
            description="A list of all directives supported by this server.",
        ),
    },
    description="A GraphQL Schema defines the capabilities of a GraphQL server. It exposes all"
    " available types and directives on the server, as well as the entry points for query,"
    " mutation, and subscription operations.",
)


# __Directive ---------------------------------------------------------------------------


__Directive: GraphQLObjectType = GraphQLObjectType(
    "__Directive",
    lambda: {
        "name": GraphQLField(GraphQLNonNull(GraphQLString), resolve=lambda d, info: d.name),
        "description": GraphQLField(GraphQLString, resolve=lambda d, info: d.description),
        "isRepeatable": GraphQLField(
            GraphQLNonNull(GraphQLBoolean), resolve=lambda d, info: d.is_repeatable
        ),
        "locations": GraphQLField(
            GraphQLNonNull(GraphQLList(GraphQLNonNull(__DirectiveLocation))),
            resolve=lambda d, info: d.locations,
        ),
        "args": GraphQLField(
            GraphQLNonNull(GraphQLList(GraphQLNonNull(__InputValue))),
            _include_deprecated_arg(),
            resolve=lambda d, info, includeDeprecated=False: _active(
                d.args.items(), includeDeprecated
            ),
        ),
        "isDeprecated": GraphQLField(
            GraphQLNonNull(GraphQLBoolean),
            resolve=lambda d, info: d.deprecation_reason is not None,
        ),
        "deprecationReason": GraphQLField(
            GraphQLString, resolve=lambda d, info: d.deprecation_reason
        ),
    },
    description="A Directive provides a way to describe alternate runtime execution and type"
    " validation behavior in a GraphQL document.\n\nIn some cases, you need to provide options"
    " to alter GraphQL's execution behavior in ways field arguments will not suffice, such as"
    " conditionally including or skipping a field. Directives provide this by describing"
    " additional information to the executor.",
)

_LOCATION_DESCRIPTIONS = {
    "QUERY": "Location adjacent to a query operation.",
    "MUTATION": "Location adjacent to a mutation operation.",
    "SUBSCRIPTION": "Location adjacent to a subscription operation.",
    "FIELD": "Location adjacent to a field.",
    "FRAGMENT_DEFINITION": "Location adjacent to a fragment definition.",
    "FRAGMENT_SPREAD": "Location adjacent to a fragment spread.",
    "INLINE_FRAGMENT": "Location adjacent to an inline fragment.",
    "VARIABLE_DEFINITION": "Location adjacent to an operation variable definition.",
    "FRAGMENT_VARIABLE_DEFINITION": "Location adjacent to a fragment variable definition.",
    "SCHEMA": "Location adjacent to a schema definition.",
    "SCALAR": "Location adjacent to a scalar definition.",
    "OBJECT": "Location adjacent to an object type definition.",
    "FIELD_DEFINITION": "Location adjacent to a field definition.",
    "ARGUMENT_DEFINITION": "Location adjacent to an argument definition.",
    "INTERFACE": "Location adjacent to an interface definition.",
    "UNION": "Location adjacent to a union definition.",
    "ENUM": "Location adjacent to an enum definition.",
    "ENUM_VALUE": "Location adjacent to an enum value definition.",
    "INPUT_OBJECT": "Location adjacent to an input object type definition.",
    "INPUT_FIELD_DEFINITION": "Location adjacent to an input object field definition.",
    "DIRECTIVE_DEFINITION": "Location adjacent to a directive definition.",
}

__DirectiveLocation: GraphQLEnumType = GraphQLEnumType(
    "__DirectiveLocation",
    {
        location.name: GraphQLEnumValue(location, description=_LOCATION_DESCRIPTIONS[location.name])
        for location in DirectiveLocation
    },
    description="A Directive can be adjacent to many parts of the GraphQL language, a"
    " __DirectiveLocation describes one such possible adjacencies.",
)


# __Type ----------------------------------------------------------------------------------


def _type_kind(type_: Any, info: GraphQLResolveInfo) -> str:
    if isinstance(type_, GraphQLScalarType):
        return "SCALAR"
    if isinstance(type_, GraphQLObjectType):
        return "OBJECT"
    if isinstance(type_, GraphQLInterfaceType):
        return "INTERFACE"
    if isinstance(type_, GraphQLUnionType):
        return "UNION"
    if isinstance(type_, GraphQLEnumType):
        return "ENUM"
    if isinstance(type_, GraphQLInputObjectType):
        return "INPUT_OBJECT"
    if isinstance(type_, GraphQLList):
        return "LIST"
    return "NON_NULL"


def _type_fields(type_: Any, info: GraphQLResolveInfo, includeDeprecated: bool = False) -> Any:
    if isinstance(type_, (GraphQLObjectType, GraphQLInterfaceType)):
        return _active(type_.fields.items(), includeDeprecated)
    return None


def _type_interfaces(type_: Any, info: GraphQLResolveInfo) -> Any:
    if isinstance(type_, (GraphQLObjectType, GraphQLInterfaceType)):
        return type_.interfaces
    return None


def _type_possible_types(type_: Any, info: GraphQLResolveInfo) -> Any:
    if isinstance(type_, (GraphQLInterfaceType, GraphQLUnionType)):
        return info.schema.get_possible_types(type_)
    return None


def _type_enum_values(type_: Any, info: GraphQLResolveInfo, includeDeprecated: bool = False) -> Any:
    if isinstance(type_, GraphQLEnumType):
        return _active(type_.values.items(), includeDeprecated)
    return None


def _type_input_fields(
    type_: Any, info: GraphQLResolveInfo, includeDeprecated: bool = False
) -> Any:
    if isinstance(type_, GraphQLInputObjectType):
        return _active(type_.fields.items(), includeDeprecated)
    return None


__Type: GraphQLObjectType = GraphQLObjectType(
    "__Type",
    lambda: {
        "kind": GraphQLField(GraphQLNonNull(__TypeKind), resolve=_type_kind),
        "name": GraphQLField(GraphQLString, resolve=lambda t, info: getattr(t, "name", None)),
        "description": GraphQLField(
            GraphQLString, resolve=lambda t, info: getattr(t, "description", None)
        ),
        "specifiedByURL": GraphQLField(
            GraphQLString, resolve=lambda t, info: getattr(t, "specified_by_url", None)
        ),
        "fields": GraphQLField(
            GraphQLList(GraphQLNonNull(__Field)), _include_deprecated_arg(), resolve=_type_fields
        ),
        "interfaces": GraphQLField(GraphQLList(GraphQLNonNull(__Type)), resolve=_type_interfaces),
        "possibleTypes": GraphQLField(
            GraphQLList(GraphQLNonNull(__Type)), resolve=_type_possible_types
        ),
        "enumValues": GraphQLField(
            GraphQLList(GraphQLNonNull(__EnumValue)),
            _include_deprecated_arg(),
            resolve=_type_enum_values,
        ),
        "inputFields": GraphQLField(
            GraphQLList(GraphQLNonNull(__InputValue)),
            _include_deprecated_arg(),
            resolve=_type_input_fields,
        ),
        "ofType": GraphQLField(__Type, resolve=lambda t, info: getattr(t, "of_type", None)),
        "isOneOf": GraphQLField(
            GraphQLBoolean,
            resolve=lambda t, info: t.is_one_of if isinstance(t, GraphQLInputObjectType) else None,
        ),
    },
    description="The fundamental unit of any GraphQL Schema is the type. There are many kinds of"
    " types in GraphQL as represented by the `__TypeKind` enum.\n\nDepending on the kind of a"
    " type, certain fields describe information about that type. Scalar types provide no"
    " information beyond a name, description and optional `specifiedByURL`, while Enum types"
    " provide their values. Object and Interface types provide the fields they describe."
    " Abstract types, Union and Interface, provide the Object types possible at runtime. List"
    " and NonNull types compose other types.",
)


# __Field, __InputValue, __EnumValue --------------------------------------------------------


def _deprecation_fields() -> dict[str, GraphQLField]:
    return {
        "isDeprecated": GraphQLField(
            GraphQLNonNull(GraphQLBoolean),
            resolve=lambda item, info: item[1].deprecation_reason is not None,
        ),
        "deprecationReason": GraphQLField(
            GraphQLString, resolve=lambda item, info: item[1].deprecation_reason
        ),
    }


__Field: GraphQLObjectType = GraphQLObjectType(
    "__Field",
    lambda: {
        "name": GraphQLField(GraphQLNonNull(GraphQLString), resolve=lambda item, info: item[0]),
        "description": GraphQLField(GraphQLString, resolve=lambda item, info: item[1].description),
        "args": GraphQLField(
            GraphQLNonNull(GraphQLList(GraphQLNonNull(__InputValue))),
            _include_deprecated_arg(),
            resolve=lambda item, info, includeDeprecated=False: _active(
                item[1].args.items(), includeDeprecated
            ),
        ),
        "type": GraphQLField(GraphQLNonNull(__Type), resolve=lambda item, info: item[1].type),
        **_deprecation_fields(),
    },
    description="Object and Interface types are described by a list of Fields, each of which has"
    " a name, potentially a list of arguments, and a return type.",
)


def default_value_literal(input_value: GraphQLArgument) -> str | None:
    """The printed default value of an argument or input field, or ``None``.

    A definition built from SDL prints the literal as written; one built in
    Python prints its internal default value through ``ast_from_value``.
    """
    if input_value.default_literal is not None:
        return print_ast(input_value.default_literal)
    if input_value.default_value is Undefined:
        return None
    node = ast_from_value(input_value.default_value, input_value.type)
    return None if node is None else print_ast(node)


__InputValue: GraphQLObjectType = GraphQLObjectType(
    "__InputValue",
    lambda: {
        "name": GraphQLField(GraphQLNonNull(GraphQLString), resolve=lambda item, info: item[0]),
        "description": GraphQLField(GraphQLString, resolve=lambda item, info: item[1].description),
        "type": GraphQLField(GraphQLNonNull(__Type), resolve=lambda item, info: item[1].type),
        "defaultValue": GraphQLField(
            GraphQLString,
            resolve=lambda item, info: default_value_literal(item[1]),
            description="A GraphQL-formatted string representing the default value for this"
            " input value.",
        ),
        **_deprecation_fields(),
    },
    description="Arguments provided to Fields or Directives and the input fields of an"
    " InputObject are represented as Input Values which describe their type and optionally a"
    " default value.",
)

__EnumValue: GraphQLObjectType = GraphQLObjectType(
    "__EnumValue",
    lambda: {
        "name": GraphQLField(GraphQLNonNull(GraphQLString), resolve=lambda item, info: item[0]),
        "description": GraphQLField(GraphQLString, resolve=lambda item, info: item[1].description),
        **_deprecation_fields(),
    },
    description="One possible value for a given Enum. Enum values are unique values, not a"
    " placeholder for a string or numeric value. However an Enum value is returned in a JSON"
    " response as a string.",
)

__TypeKind: GraphQLEnumType = GraphQLEnumType(
    "__TypeKind",
    {
        "SCALAR": GraphQLEnumValue(description="Indicates this type is a scalar."),
        "OBJECT": GraphQLEnumValue(
            description="Indicates this type is an object. `fields` and `interfaces` are valid"
            " fields."
        ),
        "INTERFACE": GraphQLEnumValue(
            description="Indicates this type is an interface. `fields`, `interfaces`, and"
            " `possibleTypes` are valid fields."
        ),
        "UNION": GraphQLEnumValue(
            description="Indicates this type is a union. `possibleTypes` is a valid field."
        ),
        "ENUM": GraphQLEnumValue(
            description="Indicates this type is an enum. `enumValues` is a valid field."
        ),
        "INPUT_OBJECT": GraphQLEnumValue(
            description="Indicates this type is an input object. `inputFields` is a valid field."
        ),
        "LIST": GraphQLEnumValue(
            description="Indicates this type is a list. `ofType` is a valid field."
        ),
        "NON_NULL": GraphQLEnumValue(
            description="Indicates this type is a non-null. `ofType` is a valid field."
        ),
    },
    description="An enum describing what kind of type a given `__Type` is.",
)


# Meta fields (section 4.1) --------------------------------------------------------------

#: ``__schema: __Schema!``, on the query root type.
SchemaMetaFieldDef = GraphQLField(
    GraphQLNonNull(__Schema),
    resolve=lambda source, info: info.schema,
    description="Access the current type schema of this server.",
)

#: ``__type(name: String!): __Type``, on the query root type.
TypeMetaFieldDef = GraphQLField(
    __Type,
    {"name": GraphQLArgument(GraphQLNonNull(GraphQLString))},
    resolve=lambda source, info, name: info.schema.get_type(name),
    description="Request the type information of a single type.",
)

#: ``__typename: String!``, on every object, interface and union type.
TypeNameMetaFieldDef = GraphQLField(
    GraphQLNonNull(GraphQLString),
    resolve=lambda source, info: info.parent_type.name,
    description="The name of the current Object type at runtime.",
)

#: The introspection types by name.
introspection_types: dict[str, GraphQLNamedType] = {
    type_.name: type_
    for type_ in (
        __Schema,
        __Directive,
        __DirectiveLocation,
        __Type,
        __Field,
        __InputValue,
        __EnumValue,
        __TypeKind,
    )
}


def is_introspection_type(type_: GraphQLNamedType) -> bool:
    """Whether ``type_`` is one of the introspection types (by name, as graphql-js)."""
    return type_.name in introspection_types


def get_introspection_query(
    descriptions: bool = True,
    specified_by_url: bool = True,
    directive_is_repeatable: bool = True,
    schema_description: bool = True,
    input_value_deprecation: bool = True,
    one_of: bool = True,
    *,
    directive_deprecation: bool = False,
    type_depth: int = 9,
) -> str:
    """The introspection query GraphiQL and code generators send (graphql-js's text).

    Args:
        descriptions: Ask for descriptions.
        specified_by_url: Ask for scalars' ``specifiedByURL``.
        directive_is_repeatable: Ask for directives' ``isRepeatable``.
        schema_description: Ask for the schema's description.
        input_value_deprecation: Ask for deprecated arguments and input fields too.
        one_of: Ask for input objects' ``isOneOf``.
        directive_deprecation: Ask for deprecated directives too (working draft).
        type_depth: How many ``ofType`` levels to ask for in type references (at
            most 100; 9 covers ``[[[[T!]!]!]!]`` and more).

    Returns:
        The query text.

    Raises:
        ValueError: ``type_depth`` is above 100.
    """
    if type_depth > 100:
        raise ValueError(
            "Please set type_depth to a reasonable value between 0 and 100; the default is 9."
        )

    def maybe(flag: bool, text: str) -> str:
        return text if flag else ""

    description = maybe(descriptions, "description")

    def of_type(level: int, indent: str) -> str:
        if level <= 0:
            return ""
        return (
            f"\n{indent}ofType {{\n{indent}  name\n{indent}  kind"
            f"{of_type(level - 1, indent + '  ')}\n{indent}}}"
        )

    input_deprecation = maybe(input_value_deprecation, "(includeDeprecated: true)")
    return dedent(
        f"""
        query IntrospectionQuery {{
          __schema {{
            {maybe(schema_description, description)}
            queryType {{ name kind }}
            mutationType {{ name kind }}
            subscriptionType {{ name kind }}
            types {{
              ...FullType
            }}
            directives{maybe(directive_deprecation, "(includeDeprecated: true)")} {{
              name
              {description}
              {maybe(directive_is_repeatable, "isRepeatable")}
              {maybe(directive_deprecation, "isDeprecated")}
              {maybe(directive_deprecation, "deprecationReason")}
              locations
              args{input_deprecation} {{
                ...InputValue
              }}
            }}
          }}
        }}

        fragment FullType on __Type {{
          kind
          name
          {description}
          {maybe(specified_by_url, "specifiedByURL")}
          {maybe(one_of, "isOneOf")}
          fields(includeDeprecated: true) {{
            name
            {description}
            args{input_deprecation} {{
              ...InputValue
            }}
            type {{
              ...TypeRef
            }}
            isDeprecated
            deprecationReason
          }}
          inputFields{input_deprecation} {{
            ...InputValue
          }}
          interfaces {{
            ...TypeRef
          }}
          enumValues(includeDeprecated: true) {{
            name
            {description}
            isDeprecated
            deprecationReason
          }}
          possibleTypes {{
            ...TypeRef
          }}
        }}

        fragment InputValue on __InputValue {{
          name
          {description}
          type {{ ...TypeRef }}
          defaultValue
          {maybe(input_value_deprecation, "isDeprecated")}
          {maybe(input_value_deprecation, "deprecationReason")}
        }}

        fragment TypeRef on __Type {{
          kind
          name{of_type(type_depth, "          ")}
        }}
        """
    )
