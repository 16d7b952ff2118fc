"""The validation entry point: all rules together, limits, custom rules, TypeInfo.

Documents run through every specified rule must give the errors graphql-core
gives (in any order: the rules run in one walk, and rules that need the whole
document report at its end); the limits cut a validation short with graphql-js's
messages; custom rules see the schema's view of each node through TypeInfo.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from tests.wire.graphql.validation_harness import (
    TEST_SDL,
    js_quotes,
    oracle,
    run,
    schema_from,
)

from wire.graphql import parse
from wire.graphql._ast import (
    ArgumentNode,
    DirectiveNode,
    FieldNode,
    ListValueNode,
    NameNode,
    Node,
    ObjectFieldNode,
    OperationDefinitionNode,
    VariableNode,
)
from wire.graphql._definition import (
    GraphQLArgument,
    GraphQLField,
    GraphQLObjectType,
    GraphQLScalarType,
    Undefined,
)
from wire.graphql._errors import GraphQLError
from wire.graphql._rules_base import ValidationRule
from wire.graphql._rules_document import NoUndefinedVariablesRule, NoUnusedVariablesRule
from wire.graphql._schema import GraphQLSchema
from wire.graphql._validation import specified_rules, validate

TOO_MANY = "Too many validation errors, error limit reached. Validation aborted."
ABORTED = "Validation aborted."

# Documents with mistakes for many rules at once, and valid ones using every feature.
ALL_RULES_DOCUMENTS = [
    """
    query Q($id: ID, $unused: Int, $dog: Dog) @onField {
      human(id: $id) { name pets { ... on Dog { name: nickname } name } relatives }
      dog @include(if: $missing) { ...DogFields ...Nope isHouseTrained(atOtherHomes: 1) }
      cat { furColor(x: 1) meowsVolume { a } }
      catOrDog { ... on Human { name } __typename }
      __typo
    }
    query Q { dog { name } }
    { dog { name } }
    fragment DogFields on Dog { name(surname: "yes") barkVolume: name ...Cycle }
    fragment Cycle on Dog { ...DogFields }
    fragment Unused on Int { x }
    subscription S { importantEmails spamEmails @skip(if: true) }
    mutation { dog }
    type Extra { f: Strin }
    """,
    """
    query Q($id: ID = 4, $b: Boolean!, $c: ComplexInput = {requiredField: true}) {
      human(id: $id) { name(surname: $b) ...H }
      dog @skip(if: $b) { ... on Pet { name } ...D doesKnowCommand(dogCommand: SIT) }
      complicatedArgs {
        complexArgField(complexArg: $c)
        multipleReqs(req1: 1, req2: 2)
        oneOfArgField(oneOfArg: {intField: 4})
        stringListNonNullArgField(stringListNonNullArg: ["a", "b"])
      }
      __schema { types { fields { name } } }
      __type(name: "Dog") { name }
      catOrDog { __typename ... on Cat { meows } ... on Dog { barks } }
    }
    subscription S { newMessage { body sender } }
    fragment H on Human { relatives { name } pets { ...P } }
    fragment P on Pet { name ... on Dog { mother { ...D } } }
    fragment D on Dog { name nickname }
    """,
    """
    query A($v: Int) { complicatedArgs { ...F } }
    query B($v: Int!) { complicatedArgs { ...F nonNullIntArgField(nonNullIntArg: $v) } }
    query C { complicatedArgs { ...F } }
    fragment F on ComplicatedArgs { intArgField(intArg: $v) nonNullIntArgField(nonNullIntArg: $v) }
    """,
    """
    { dog { ...A ...B } dog { ...B ...A } __typo }
    fragment A on Dog { x: name ...C } fragment B on Dog { x: nickname ...A }
    fragment C on Dog { y: barks ...A }
    """,
]


@pytest.mark.parametrize("document", ALL_RULES_DOCUMENTS)
def test_all_specified_rules_agree_with_graphql_core(document: str) -> None:
    ours = run(None, document)
    assert sorted(ours) == sorted(oracle(None, document))


def test_specified_rules_are_graphql_js_rules_in_graphql_js_order() -> None:
    from graphql.validation import specified_rules as core_rules

    names = [rule.__name__ for rule in specified_rules]
    # graphql-core 3.3 adds the @defer/@stream rules, which this engine leaves out.
    assert names == [rule.__name__ for rule in core_rules if "Stream" not in rule.__name__]
    assert len(names) == 28


def test_max_errors_stops_validation_with_a_last_error() -> None:
    document = "{ a b c d }"
    errors = validate(schema_from(TEST_SDL), parse(document), max_errors=2)
    assert [error.message for error in errors] == [
        'Cannot query field "a" on type "QueryRoot".',
        'Cannot query field "b" on type "QueryRoot".',
        TOO_MANY,
    ]
    import graphql

    theirs = graphql.validate(graphql.build_schema(TEST_SDL), graphql.parse(document), max_errors=2)
    assert [js_quotes(error.message) for error in theirs] == [error.message for error in errors]


def test_default_max_errors_is_one_hundred() -> None:
    document = "{ " + " ".join(f"f{index}" for index in range(150)) + " }"
    errors = validate(schema_from(TEST_SDL), parse(document))
    assert len(errors) == 101
    assert errors[-1].message == TOO_MANY


def test_fragment_work_budget_aborts_validation() -> None:
    document = (
        "{ dog { ...A } } fragment A on Dog { ...B name } fragment B on Dog { ...C name } "
        "fragment C on Dog { name }"
    )
    assert validate(schema_from(TEST_SDL), parse(document)) == []
    errors = validate(schema_from(TEST_SDL), parse(document), max_fragment_work=2)
    assert [error.message for error in errors] == [ABORTED]


def test_overlap_work_budget_aborts_validation_keeping_earlier_errors() -> None:
    document = "{ unknown dog { name name name } }"
    errors = validate(schema_from(TEST_SDL), parse(document), max_overlap_work=3)
    assert [error.message for error in errors] == [
        'Cannot query field "unknown" on type "QueryRoot".',
        ABORTED,
    ]


def test_a_fragment_chain_past_the_recursion_limit_aborts_validation() -> None:
    depth = 3000
    chain = " ".join(
        f"fragment F{index} on QueryRoot {{ ...F{index + 1} }}" for index in range(depth)
    )
    document = (
        f"{{ dog {{ name }} ...F0 }} {chain} fragment F{depth} on QueryRoot {{ dog {{ name }} }}"
    )
    errors = validate(schema_from(TEST_SDL), parse(document, max_tokens=100_000))
    assert [error.message for error in errors] == [ABORTED]


def test_errors_have_locations_only_when_the_source_is_given() -> None:
    document = "{\n  nope\n}"
    (error,) = validate(schema_from(TEST_SDL), parse(document))
    assert error.locations is None
    assert error.formatted == {"message": 'Cannot query field "nope" on type "QueryRoot".'}
    (error,) = validate(schema_from(TEST_SDL), parse(document), source=document)
    assert error.formatted["locations"] == [{"line": 2, "column": 3}]


class _Recorder(ValidationRule):
    """A custom rule that records what TypeInfo and the context say."""

    seen: list[tuple[str, Any]]

    def enter_document(self, node: Node) -> None:
        self.seen = []
        context = self.context
        operation = context.document.definitions[0]
        assert isinstance(operation, OperationDefinitionNode)
        fragment = context.get_fragment("F")
        assert fragment is not None
        self.seen.append(("fragment", fragment.type_condition.name.value))
        self.seen.append(("missing", context.get_fragment("Nope")))
        reached = context.get_recursively_referenced_fragments(operation)
        self.seen.append(("reached", [found.name.value for found in reached]))

    def enter_field(self, node: FieldNode) -> None:
        info = self.context.type_info
        field_type = info.type
        self.seen.append((f"field {node.name.value}", (str(info.parent_type), str(field_type))))

    def enter_argument(self, node: ArgumentNode) -> None:
        info = self.context.type_info
        argument = info.argument
        self.seen.append(
            (
                f"argument {node.name.value}",
                (
                    str(info.input_type),
                    info.default_value,
                    argument is not None,
                    info.directive.name if info.directive is not None else None,
                ),
            )
        )

    def enter_list_value(self, node: ListValueNode) -> None:
        info = self.context.type_info
        self.seen.append(("list", (str(info.input_type), str(info.parent_input_type))))

    def enter_object_field(self, node: ObjectFieldNode) -> None:
        info = self.context.type_info
        self.seen.append(
            (f"object field {node.name.value}", (str(info.input_type), info.default_value))
        )

    def enter_enum_value(self, node: Node) -> None:
        info = self.context.type_info
        value = info.enum_value
        self.seen.append(("enum value", value is not None))

    def leave_directive(self, node: DirectiveNode) -> None:
        self.seen.append(("left directive", node.name.value))

    def leave_document(self, node: Node) -> None:
        operation = self.context.document.definitions[0]
        assert isinstance(operation, OperationDefinitionNode)
        usages = self.context.get_recursive_variable_usages(operation)
        self.seen.append(
            (
                "usages",
                [(usage.node.name.value, str(usage.type), usage.default_value) for usage in usages],
            )
        )
        self.seen.append(("no usages", self.context.get_variable_usages(operation.selection_set)))  # type: ignore[arg-type]
        _recorded.append(self.seen)


_recorded: list[list[tuple[str, Any]]] = []


def test_custom_rules_see_type_info_and_the_context() -> None:
    document = """
    query Q($b: Boolean, $s: String) {
      dog @include(if: $b) { isHouseTrained(atOtherHomes: $b) doesKnowCommand(dogCommand: SIT) }
      complicatedArgs {
        stringListArgField(stringListArg: ["a", $s])
        complexArgField(complexArg: {requiredField: true, nonNullField: $b, nope: 1})
        enumArgField(enumArg: PURPLE)
        ...F
      }
    }
    fragment F on ComplicatedArgs { multipleOpts(opt1: 1) }
    """
    _recorded.clear()
    assert validate(schema_from(TEST_SDL), parse(document), [_Recorder]) == []
    (seen,) = _recorded
    assert seen == [
        ("fragment", "ComplicatedArgs"),
        ("missing", None),
        ("reached", ["F"]),
        ("field dog", ("QueryRoot", "Dog")),
        ("argument if", ("Boolean!", Undefined, True, "include")),
        ("left directive", "include"),
        ("field isHouseTrained", ("Dog", "Boolean")),
        ("argument atOtherHomes", ("Boolean", True, True, None)),
        ("field doesKnowCommand", ("Dog", "Boolean")),
        ("argument dogCommand", ("DogCommand", Undefined, True, None)),
        ("enum value", True),
        ("field complicatedArgs", ("QueryRoot", "ComplicatedArgs")),
        ("field stringListArgField", ("ComplicatedArgs", "String")),
        ("argument stringListArg", ("[String]", Undefined, True, None)),
        ("list", ("String", "[String]")),
        ("field complexArgField", ("ComplicatedArgs", "String")),
        ("argument complexArg", ("ComplexInput", Undefined, True, None)),
        ("object field requiredField", ("Boolean!", Undefined)),
        ("object field nonNullField", ("Boolean!", False)),
        ("object field nope", ("None", Undefined)),
        ("field enumArgField", ("ComplicatedArgs", "String")),
        ("argument enumArg", ("FurColor", Undefined, True, None)),
        ("enum value", False),
        ("field multipleOpts", ("ComplicatedArgs", "String")),
        ("argument opt1", ("Int", 0, True, None)),
        (
            "usages",
            [
                ("b", "Boolean!", Undefined),
                ("b", "Boolean", True),
                ("s", "String", Undefined),
                ("b", "Boolean!", False),
            ],
        ),
        ("no usages", []),
    ]


def test_a_variable_inside_a_variable_definition_is_no_usage() -> None:
    # The parser keeps variables out of default values; a hand-built AST may not.
    document = parse("query ($a: Int = 1) { complicatedArgs { intArgField(intArg: $a) } }")
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    definition = dataclasses.replace(
        operation.variable_definitions[0], default_value=VariableNode(NameNode("b"))
    )
    operation = dataclasses.replace(operation, variable_definitions=(definition,))
    document = dataclasses.replace(document, definitions=(operation,))
    rules = [NoUndefinedVariablesRule, NoUnusedVariablesRule]
    assert validate(schema_from(TEST_SDL), document, rules) == []


def _scalar_schema() -> GraphQLSchema:
    def refuse(node: Any, variables: Any) -> Any:
        raise ValueError("no literals here")

    def undefined(node: Any, variables: Any) -> Any:
        return Undefined

    def unlocated(node: Any, variables: Any) -> Any:
        raise GraphQLError("Bad literal.")

    def located(node: Any, variables: Any) -> Any:
        raise GraphQLError("Bad literal here.", node)

    scalars = {
        name: GraphQLScalarType(name.title(), parse_literal=function)
        for name, function in [
            ("refuse", refuse),
            ("undefined", undefined),
            ("unlocated", unlocated),
            ("located", located),
        ]
    }
    query = GraphQLObjectType(
        "Query",
        {
            name: GraphQLField(scalar, {"value": GraphQLArgument(scalar)})
            for name, scalar in scalars.items()
        },
    )
    return GraphQLSchema(query)


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        (
            "refuse",
            'Expected value of type "Refuse", but encountered error "no literals here"; found: 1.',
        ),
        ("undefined", 'Expected value of type "Undefined", found: 1.'),
        ("unlocated", "Bad literal."),
        ("located", "Bad literal here."),
    ],
)
def test_values_of_correct_type_rule_reports_custom_scalar_failures(
    field: str, expected: str
) -> None:
    from wire.graphql._rules_arguments import ValuesOfCorrectTypeRule

    document = f"{{ {field}(value: 1) }}"
    errors = validate(_scalar_schema(), parse(document), [ValuesOfCorrectTypeRule], source=document)
    found = [
        (error.message, [(loc.line, loc.column) for loc in error.locations or ()])
        for error in errors
    ]
    # Every error is located at the literal.
    assert found == [(expected, [(1, document.index("1)") + 1)])]
    if field == "refuse":
        assert isinstance(errors[0].original_error, ValueError)


NON_NULL_LIST_SDL = """
type Query { f(a: [Int]!, b: [[Int!]!]): Int g(i: In): Int }
input In { l: [Int]! = [1] }
"""


@pytest.mark.parametrize(
    "document",
    [
        '{ f(a: [1, "x"]) }',
        "query ($v: Int, $w: [Int!]) { f(a: [$v], b: [$w, [$v]]) }",
        "query ($v: [Int]) { g(i: {l: $v}) f(a: $v) }",
        '{ g(i: {l: [null, "x"]}) f(a: null) }',
    ],
)
def test_non_null_list_positions_agree_with_graphql_core(document: str) -> None:
    assert sorted(run(None, document, NON_NULL_LIST_SDL)) == sorted(
        oracle(None, document, NON_NULL_LIST_SDL)
    )


@pytest.mark.parametrize(
    "document",
    [
        "{ __typo __type(name: 1) { name } __schema { __schema { a } } }",
        '{ dog { __type(name: "Dog") { name } } }',
    ],
)
def test_meta_fields_agree_with_graphql_core(document: str) -> None:
    assert sorted(run(None, document)) == sorted(oracle(None, document))


def test_experimental_fragment_arguments_are_not_validated_as_field_arguments() -> None:
    # The rules of the fragment-arguments RFC are not implemented: the arguments of
    # a spread and the variables of a fragment are left out of the walk, so they
    # never pass for field arguments; a fragment's own variable reads as undefined.
    document = (
        "query ($v: Int) { dog { ...F(a: $v) } } "
        "fragment F($a: Int) on Dog { name isAtLocation(x: $a) }"
    )
    errors = validate(
        schema_from(TEST_SDL),
        parse(document, experimental_fragment_arguments=True),
        source=document,
    )
    assert [error.message for error in errors] == [
        'Variable "$a" is not defined.',
        'Variable "$v" is never used.',
    ]


def test_validation_refuses_an_invalid_schema() -> None:
    from wire.graphql._errors import InvalidSchemaError

    invalid = GraphQLSchema(GraphQLObjectType("Query", {}))
    with pytest.raises(InvalidSchemaError, match=r"Type Query must define one or more fields\."):
        validate(invalid, parse("{ a }"))
