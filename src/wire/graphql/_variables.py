"""Variable and argument values for execution (GraphQL October 2021, section 6.1.2 and 6.4.1).

Before an operation runs, :func:`coerce_variable_values` turns the request's
variable values (JSON-like Python data) into the internal values the variable
definitions ask for ("CoerceVariableValues", section 6.1.2). While it runs,
:func:`get_argument_values` gives each field its coerced arguments
("CoerceArgumentValues", section 6.4.1), and :func:`get_directive_values` gives
the arguments of a directive such as ``@skip(if: $flag)``.

Messages are graphql-js 17's, names quoted with double quotes
(``Variable "$id" has invalid value: ...``). Coercion is fast and silent; only
when a value is invalid are the reasons worked out, by the validators of
``_values``.

Limits, each with a safe default:

* ``max_errors`` (50, graphql-js's ``maxCoercionErrors``): the variable errors
  reported before coercion stops with a last error saying so, so a request with a
  huge invalid list costs no more than fifty errors' worth of work and response.
* :data:`MAX_INPUT_DEPTH` (200 levels, as graphql-core): how deeply a variable's
  value may nest lists and input objects (a recursive input type allows any depth);
  coercion recurses once per level, so this keeps it far from Python's recursion
  limit.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from wire.graphql._ast import DirectiveNode, FieldNode, Node, VariableDefinitionNode, VariableNode
from wire.graphql._definition import (
    GraphQLArgument,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLType,
    Undefined,
    is_input_type,
    is_required_argument,
)
from wire.graphql._directives import GraphQLDirective
from wire.graphql._errors import GraphQLError
from wire.graphql._printer import print_ast
from wire.graphql._schema import GraphQLSchema, type_from_ast
from wire.graphql._values import (
    coerce_input_literal,
    coerce_input_value,
    print_path_list,
    validate_input_literal,
)

__all__ = [
    "DEFAULT_MAX_VARIABLE_ERRORS",
    "MAX_INPUT_DEPTH",
    "coerce_variable_values",
    "get_argument_values",
    "get_directive_values",
]

#: Default for ``max_errors`` of :func:`coerce_variable_values` (graphql-js's figure).
DEFAULT_MAX_VARIABLE_ERRORS = 50

#: How deeply a variable value may nest lists and input objects (graphql-core's figure).
MAX_INPUT_DEPTH = 200


class _TooManyErrors(Exception):
    """Raised inside coercion when ``max_errors`` errors have been reported."""


def coerce_variable_values(
    schema: GraphQLSchema,
    variable_definitions: Collection[VariableDefinitionNode],
    inputs: Mapping[str, Any],
    *,
    max_errors: int = DEFAULT_MAX_VARIABLE_ERRORS,
) -> dict[str, Any] | list[GraphQLError]:
    """Coerce the request's variable values (section 6.1.2 CoerceVariableValues).

    A variable that is not given takes its default value, if its definition has
    one; a nullable variable without either is left out, so arguments it feeds
    take their own defaults.

    Args:
        schema: The schema the operation runs against.
        variable_definitions: The operation's variable definitions.
        inputs: The variable values of the request, by name (JSON-like data).
        max_errors: Stop after this many errors, with a last error saying so.

    Returns:
        The coerced values by name, or the errors (request errors: the operation
        must not run) located at the variable definitions.
    """
    errors: list[GraphQLError] = []

    def report(error: GraphQLError) -> None:
        if len(errors) >= max_errors:
            errors.append(
                GraphQLError(
                    "Too many errors processing variables, error limit reached. Execution aborted."
                )
            )
            raise _TooManyErrors
        errors.append(error)

    coerced: dict[str, Any] = {}
    try:
        for definition in variable_definitions:
            _coerce_variable(schema, definition, inputs, coerced, report)
    except _TooManyErrors:
        pass
    return errors or coerced


def _coerce_variable(
    schema: GraphQLSchema,
    definition: VariableDefinitionNode,
    inputs: Mapping[str, Any],
    coerced: dict[str, Any],
    report: Any,
) -> None:
    name = definition.variable.name.value
    type_ = type_from_ast(schema, definition.type)
    if type_ is None or not is_input_type(type_):
        report(
            GraphQLError(
                f'Variable "${name}" expected value of type "{print_ast(definition.type)}"'
                " which cannot be used as an input type.",
                definition.type,
            )
        )
        return
    value = inputs.get(name, Undefined)
    if value is Undefined:
        default = definition.default_value
        if default is not None:
            default_value = coerce_input_literal(default, type_)
            if default_value is Undefined:
                validate_input_literal(
                    default,
                    type_,
                    lambda error, path: report(
                        GraphQLError(
                            f'Variable "${name}" has invalid default value'
                            f"{print_path_list(path)}: {error.message}",
                            definition,
                            original_error=error,
                        )
                    ),
                )
            else:
                coerced[name] = default_value
            return
        if not isinstance(type_, GraphQLNonNull):
            return  # a nullable variable without a value is left out
    elif _nested_too_deeply(value, type_):
        report(GraphQLError("Variable values are nested too deeply.", definition))
        return
    coerced_value = coerce_input_value(
        value,
        type_,
        lambda error, path: report(
            GraphQLError(
                f'Variable "${name}" has invalid value{print_path_list(path)}: {error.message}',
                definition,
                original_error=error,
            )
        ),
    )
    if coerced_value is not Undefined:
        coerced[name] = coerced_value


def _nested_too_deeply(value: Any, type_: GraphQLType) -> bool:
    """Whether coercing ``value`` to ``type_`` would go more than MAX_INPUT_DEPTH levels deep.

    Only the nesting the type follows counts (a deep value of a custom scalar is fine).
    The walk is iterative, so it is safe at any depth.
    """
    stack: list[tuple[Any, GraphQLType, int]] = [(value, type_, 0)]
    while stack:
        value, type_, depth = stack.pop()
        if depth > MAX_INPUT_DEPTH:
            return True
        if isinstance(type_, GraphQLNonNull):
            type_ = type_.of_type
        if isinstance(type_, GraphQLList):
            if isinstance(value, Iterable) and not isinstance(value, (str, bytes, Mapping)):
                stack.extend((item, type_.of_type, depth + 1) for item in value)
            else:
                stack.append((value, type_.of_type, depth + 1))
        elif isinstance(type_, GraphQLInputObjectType) and isinstance(value, Mapping):
            fields = type_.fields
            stack.extend(
                (item, fields[key].type, depth + 1) for key, item in value.items() if key in fields
            )
    return False


def get_argument_values(
    definition: GraphQLField | GraphQLDirective,
    node: FieldNode | DirectiveNode,
    variable_values: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The coerced arguments of a field or directive (section 6.4.1 CoerceArgumentValues).

    An argument that is not given (or is given a variable that has no value) takes
    its default value, or is left out when it has none.

    Args:
        definition: The field or directive definition, with its arguments.
        node: The field or directive in the document.
        variable_values: The coerced variable values.

    Returns:
        The argument values by name.

    Raises:
        GraphQLError: A required argument is missing or a value is invalid (the
            validation rules catch both in a validated document).
    """
    coerced: dict[str, Any] = {}
    arg_definitions = definition.args
    if not arg_definitions:
        return coerced
    arg_nodes = {arg.name.value: arg for arg in node.arguments}
    for name, arg in arg_definitions.items():
        arg_node = arg_nodes.get(name)
        if arg_node is None:
            if is_required_argument(arg):
                raise GraphQLError(
                    f'Argument "{name}" of required type "{arg.type}" was not provided.', node
                )
            _use_default(coerced, name, arg)
            continue
        value_node = arg_node.value
        if (
            isinstance(value_node, VariableNode)
            and (variable_values is None or value_node.name.value not in variable_values)
            and not is_required_argument(arg)
        ):
            _use_default(coerced, name, arg)
            continue
        value = coerce_input_literal(value_node, arg.type, variable_values)
        if value is Undefined:
            raise _invalid_argument(name, arg, value_node, variable_values)
        coerced[name] = value
    return coerced


def _use_default(coerced: dict[str, Any], name: str, arg: GraphQLArgument) -> None:
    if arg.default_value is not Undefined:
        coerced[name] = arg.default_value


def _invalid_argument(
    name: str, arg: GraphQLArgument, value_node: Node, variable_values: Mapping[str, Any] | None
) -> GraphQLError:
    """The first reason an argument's literal is invalid, worded as graphql-js words it."""
    reasons: list[GraphQLError] = []
    validate_input_literal(
        value_node,  # type: ignore[arg-type]
        arg.type,
        lambda error, path: reasons.append(
            GraphQLError(
                f'Argument "{name}" has invalid value{print_path_list(path)}: {error.message}',
                error.nodes or value_node,
                original_error=error.original_error,
            )
        ),
        variable_values if variable_values is not None else {},
    )
    if reasons:
        return reasons[0]
    # The coercion failed but the validator found nothing to say (a custom scalar
    # that answers differently when asked twice).
    return GraphQLError(
        f'Argument "{name}" has invalid value: {print_ast(value_node)}.', value_node
    )


def get_directive_values(
    directive: GraphQLDirective,
    node: Any,
    variable_values: Mapping[str, Any] | None = None,
) -> dict[str, Any] | None:
    """The coerced arguments of ``directive`` on ``node``, or ``None`` when it is absent.

    Args:
        directive: The directive definition, e.g. ``GraphQLSkipDirective``.
        node: Any AST node with ``directives``.
        variable_values: The coerced variable values.

    Returns:
        The argument values by name, or ``None`` when ``node`` does not carry the
        directive.

    Raises:
        GraphQLError: An argument is missing or invalid.
    """
    name = directive.name
    for directive_node in node.directives:
        if directive_node.name.value == name:
            return get_argument_values(directive, directive_node, variable_values)
    return None
