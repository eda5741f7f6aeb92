"""The small condition language of ``show_if`` and ``prefill_if``: parsed, never eval'ed.

Grammar (see questionnaires/FORMAT.md)::

    expr    := or
    or      := and ("or" and)*
    and     := not ("and" not)*
    not     := "not" not | compare
    compare := value (("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in") value)?
    value   := NAME | STRING | INTEGER | "[" value ("," value)* "]" | "(" expr ")"

Unanswered or hidden questions are ``None``. Every comparison with ``None`` is false, so a
condition over a question nobody answered never shows a follow-up question by accident.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kindcheck.errors import ConditionError

MAX_CONDITION_LENGTH = 1000
MAX_NESTING = 32

Lookup = Callable[[str], Any]

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<string>"[^"\\\n]*"|'[^'\\\n]*')
  | (?P<int>-?\d+)
  | (?P<op>==|!=|<=|>=|<|>|\(|\)|\[|\]|,)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    """,
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "not", "in"}


@dataclass(frozen=True)
class Token:
    kind: str  # "string", "int", "op", "name", "keyword", "end"
    text: str
    position: int


def tokenize(source: str) -> list[Token]:
    """Split a condition into tokens; anything else is a ConditionError naming the spot."""
    if len(source) > MAX_CONDITION_LENGTH:
        raise ConditionError(f"condition is longer than {MAX_CONDITION_LENGTH} characters")
    tokens: list[Token] = []
    position = 0
    while position < len(source):
        match = _TOKEN.match(source, position)
        if match is None:
            raise ConditionError(
                f"unexpected character {source[position]!r} at position {position + 1}"
            )
        kind = match.lastgroup or ""
        text = match.group()
        if kind == "name" and text in _KEYWORDS:
            kind = "keyword"
        if kind != "space":
            tokens.append(Token(kind, text, position))
        position = match.end()
    tokens.append(Token("end", "", len(source)))
    return tokens


class Node:
    """A node of a parsed condition."""

    def evaluate(self, lookup: Lookup) -> Any:
        raise NotImplementedError

    def names(self) -> set[str]:
        return set()


@dataclass(frozen=True)
class Name(Node):
    name: str

    def evaluate(self, lookup: Lookup) -> Any:
        return lookup(self.name)

    def names(self) -> set[str]:
        return {self.name}


@dataclass(frozen=True)
class Literal(Node):
    value: Any

    def evaluate(self, lookup: Lookup) -> Any:
        return self.value


@dataclass(frozen=True)
class ListLiteral(Node):
    items: tuple[Node, ...]

    def evaluate(self, lookup: Lookup) -> Any:
        return [item.evaluate(lookup) for item in self.items]

    def names(self) -> set[str]:
        return set().union(*(item.names() for item in self.items))


@dataclass(frozen=True)
class Not(Node):
    operand: Node

    def evaluate(self, lookup: Lookup) -> bool:
        return not truthy(self.operand.evaluate(lookup))

    def names(self) -> set[str]:
        return self.operand.names()


@dataclass(frozen=True)
class BoolOp(Node):
    op: str  # "and" | "or"
    operands: tuple[Node, ...]

    def evaluate(self, lookup: Lookup) -> bool:
        if self.op == "and":
            return all(truthy(operand.evaluate(lookup)) for operand in self.operands)
        return any(truthy(operand.evaluate(lookup)) for operand in self.operands)

    def names(self) -> set[str]:
        return set().union(*(operand.names() for operand in self.operands))


@dataclass(frozen=True)
class Compare(Node):
    op: str
    left: Node
    right: Node

    def evaluate(self, lookup: Lookup) -> bool:
        return compare(self.op, self.left.evaluate(lookup), self.right.evaluate(lookup))

    def names(self) -> set[str]:
        return self.left.names() | self.right.names()


def truthy(value: Any) -> bool:
    """A bare name is true when it holds an answer other than "no", 0 or something empty."""
    if value is None or value == "no":
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | str | list):
        return bool(value)
    return True


def compare(op: str, left: Any, right: Any) -> bool:
    """Compare two values; null on either side, or values of different kinds, is false."""
    if left is None or right is None:
        return False
    if op in ("in", "not in"):
        if not isinstance(right, list):
            return False
        found = left in right if not isinstance(left, list) else all(v in right for v in left)
        return found if op == "in" else not found
    if op == "==":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    numeric = isinstance(left, int) and isinstance(right, int)
    textual = isinstance(left, str) and isinstance(right, str)
    if not (numeric or textual):
        return False
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    if op == ">":
        return bool(left > right)
    return bool(left >= right)


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = tokenize(source)
        self.index = 0
        self.depth = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def take(self) -> Token:
        token = self.tokens[self.index]
        if token.kind != "end":
            self.index += 1
        return token

    def expect(self, text: str) -> None:
        token = self.take()
        if token.text != text or token.kind not in ("op", "keyword"):
            raise self.error(f"expected {text!r}", token)

    def error(self, message: str, token: Token) -> ConditionError:
        found = "the end" if token.kind == "end" else repr(token.text)
        return ConditionError(f"{message}, found {found} at position {token.position + 1}")

    def parse(self) -> Node:
        if self.current.kind == "end":
            raise ConditionError("condition is empty")
        node = self.parse_or()
        if self.current.kind != "end":
            raise self.error("expected 'and', 'or' or the end", self.current)
        return node

    def nested(self) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise ConditionError(f"condition is nested deeper than {MAX_NESTING} levels")

    def parse_or(self) -> Node:
        operands = [self.parse_and()]
        while self.current.kind == "keyword" and self.current.text == "or":
            self.take()
            operands.append(self.parse_and())
        return operands[0] if len(operands) == 1 else BoolOp("or", tuple(operands))

    def parse_and(self) -> Node:
        operands = [self.parse_not()]
        while self.current.kind == "keyword" and self.current.text == "and":
            self.take()
            operands.append(self.parse_not())
        return operands[0] if len(operands) == 1 else BoolOp("and", tuple(operands))

    def parse_not(self) -> Node:
        if self.current.kind == "keyword" and self.current.text == "not":
            self.take()
            self.nested()
            operand = self.parse_not()
            self.depth -= 1
            return Not(operand)
        return self.parse_compare()

    def parse_compare(self) -> Node:
        left = self.parse_value()
        token = self.current
        op: str | None = None
        if token.kind == "op" and token.text in ("==", "!=", "<", "<=", ">", ">="):
            op = token.text
            self.take()
        elif token.kind == "keyword" and token.text == "in":
            op = "in"
            self.take()
        elif token.kind == "keyword" and token.text == "not":
            following = self.tokens[self.index + 1]
            if following.kind == "keyword" and following.text == "in":
                op = "not in"
                self.take()
                self.take()
        if op is None:
            return left
        return Compare(op, left, self.parse_value())

    def parse_value(self) -> Node:
        token = self.take()
        if token.kind == "name":
            return Name(token.text)
        if token.kind == "string":
            return Literal(token.text[1:-1])
        if token.kind == "int":
            return Literal(int(token.text))
        if token.kind == "op" and token.text == "(":
            self.nested()
            node = self.parse_or()
            self.expect(")")
            self.depth -= 1
            return node
        if token.kind == "op" and token.text == "[":
            items: list[Node] = []
            if not (self.current.kind == "op" and self.current.text == "]"):
                items.append(self.parse_value())
                while self.current.kind == "op" and self.current.text == ",":
                    self.take()
                    items.append(self.parse_value())
            self.expect("]")
            return ListLiteral(tuple(items))
        raise self.error("expected a name, a text in quotes, a number, '(' or '['", token)


def parse_condition(source: str) -> Node:
    """Parse a condition; a malformed one raises ConditionError with the position."""
    if not isinstance(source, str):
        raise ConditionError("condition must be a text")
    return _Parser(source).parse()
