"""The schema and helpers the validation rule tests share.

The schema is graphql-js's validation test schema (``src/validation/__tests__/
harness.ts``), built with our ``build_schema``, plus a subscription root for the
subscription rules. Every rule test checks our errors against the expected
messages and locations written in the test, and then against graphql-core 3.3
(the Python port of graphql-js) running the rule of the same name on the same
document: the two must agree, graphql-core's single quotes read as graphql-js's
double quotes.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any

from tests.peers import require_module

from wire.graphql import parse
from wire.graphql._build import build_schema
from wire.graphql._rules_base import ValidationRule
from wire.graphql._schema import GraphQLSchema
from wire.graphql._validation import validate

#: The schema of graphql-js's validation tests, with a subscription root added.
TEST_SDL = """
interface Mammal {
  mother: Mammal
  father: Mammal
}

interface Pet {
  name(surname: Boolean): String
}

interface Canine implements Mammal {
  name(surname: Boolean): String
  mother: Canine
  father: Canine
}

enum DogCommand {
  SIT
  HEEL
  DOWN
}

type Dog implements Pet & Mammal & Canine {
  name(surname: Boolean): String
  nickname: String
  barkVolume: Int
  barks: Boolean
  doesKnowCommand(dogCommand: DogCommand): Boolean
  isHouseTrained(atOtherHomes: Boolean = true): Boolean
  isAtLocation(x: Int, y: Int): Boolean
  mother: Dog
  father: Dog
}

type Cat implements Pet {
  name(surname: Boolean): String
  nickname: String
  meows: Boolean
  meowsVolume: Int
  furColor: FurColor
}

union CatOrDog = Cat | Dog

type Human {
  name(surname: Boolean): String
  pets: [Pet]
  relatives: [Human]!
}

enum FurColor {
  BROWN
  BLACK
  TAN
  SPOTTED
  NO_FUR
  UNKNOWN
}

input ComplexInput {
  requiredField: Boolean!
  nonNullField: Boolean! = false
  intField: Int
  stringField: String
  booleanField: Boolean
  stringListField: [String]
}

input OneOfInput @oneOf {
  stringField: String
  intField: Int
}

type ComplicatedArgs {
  intArgField(intArg: Int): String
  nonNullIntArgField(nonNullIntArg: Int!): String
  stringArgField(stringArg: String): String
  booleanArgField(booleanArg: Boolean): String
  enumArgField(enumArg: FurColor): String
  floatArgField(floatArg: Float): String
  idArgField(idArg: ID): String
  stringListArgField(stringListArg: [String]): String
  stringListNonNullArgField(stringListNonNullArg: [String!]): String
  complexArgField(complexArg: ComplexInput): String
  oneOfArgField(oneOfArg: OneOfInput): String
  multipleReqs(req1: Int!, req2: Int!): String
  nonNullFieldWithDefault(arg: Int! = 0): String
  multipleOpts(opt1: Int = 0, opt2: Int = 0): String
  multipleOptAndReq(req1: Int!, req2: Int!, opt1: Int = 0, opt2: Int = 0): String
}

type QueryRoot {
  human(id: ID): Human
  dog: Dog
  cat: Cat
  pet: Pet
  catOrDog: CatOrDog
  complicatedArgs: ComplicatedArgs
}

type SubscriptionRoot {
  importantEmails: [String]
  notImportantEmails: [String]
  moreImportantEmails: [String]
  spamEmails: [String]
  deletedEmails: [String]
  newMessage: Message
}

type Message {
  body: String
  sender: String
}

schema {
  query: QueryRoot
  subscription: SubscriptionRoot
}

directive @onField on FIELD
"""

#: An error as the tests write it: the message and the (line, column) of each location.
Expected = tuple[str, list[tuple[int, int]]]


@functools.cache
def schema_from(sdl: str) -> GraphQLSchema:
    """Our schema for an SDL text, built once."""
    return build_schema(sdl)


@functools.cache
def _oracle_schema(sdl: str) -> Any:
    import graphql

    return graphql.build_schema(sdl)


def run(
    rules: Sequence[type[ValidationRule]] | None, query: str, sdl: str = TEST_SDL
) -> list[Expected]:
    """Our errors for a document, as (message, locations) pairs."""
    errors = validate(schema_from(sdl), parse(query), rules, source=query)
    return [
        (error.message, [(location.line, location.column) for location in error.locations or ()])
        for error in errors
    ]


def js_quotes(message: str) -> str:
    """graphql-core's message in graphql-js's words.

    graphql-core quotes names with single quotes, writes ``None`` where JavaScript
    has ``null``, and names directive locations in words ("field definition")
    where graphql-js gives the enum value ("FIELD_DEFINITION").
    """
    message = re.sub(r"'([^'\"]*)'", r'"\1"', message)
    message = message.replace("not to be None.", "not to be null.")
    return re.sub(
        r"(may not be used on )([a-z ]+)\.$",
        lambda match: match.group(1) + match.group(2).upper().replace(" ", "_") + ".",
        message,
    )


def oracle(rule_name: str | None, query: str, sdl: str = TEST_SDL) -> list[Expected]:
    """graphql-core's errors for a document, with the rule named ``rule_name`` (or all)."""
    require_module("graphql")
    import graphql
    from graphql.validation import specified_rules

    rules = None
    if rule_name is not None:
        rules = [rule for rule in specified_rules if rule.__name__ == rule_name]
        assert rules, f"graphql-core has no rule named {rule_name}"
    errors = graphql.validate(_oracle_schema(sdl), graphql.parse(query), rules)
    return [
        (js_quotes(error.message), [(loc.line, loc.column) for loc in error.locations or ()])
        for error in errors
    ]


def expect_errors(
    rule: type[ValidationRule],
    query: str,
    expected: list[Expected],
    *,
    sdl: str = TEST_SDL,
    ordered: bool = True,
    oracle_locations: bool = True,
) -> None:
    """Assert that ``rule`` alone reports exactly ``expected``, and that graphql-core agrees.

    Args:
        rule: The rule under test.
        query: The document.
        expected: The errors, in order.
        sdl: The schema; the shared test schema by default.
        ordered: Whether graphql-core must report them in the same order too.
        oracle_locations: Whether graphql-core must give the same locations too
            (it omits some that graphql-js gives).
    """
    found = run([rule], query, sdl)
    assert found == expected
    theirs = oracle(rule.__name__, query, sdl)
    if not oracle_locations:
        theirs = [(message, []) for message, _ in theirs]
        found = [(message, []) for message, _ in found]
    if ordered:
        assert theirs == found
    else:
        assert sorted(theirs) == sorted(found)


def expect_valid(rule: type[ValidationRule], query: str, *, sdl: str = TEST_SDL) -> None:
    """Assert that ``rule`` finds nothing wrong, and that graphql-core agrees."""
    expect_errors(rule, query, [], sdl=sdl)
