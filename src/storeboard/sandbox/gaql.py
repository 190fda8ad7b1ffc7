"""A parser for the subset of the Google Ads Query Language the sandbox serves.

``SELECT f1, f2 FROM resource [WHERE cond AND cond …] [ORDER BY f [ASC|DESC], …] [LIMIT n]``, where a
condition is ``field op value`` with ``=``, ``!=``, ``>``, ``>=``, ``<``, ``<=``, ``IN (…)``,
``NOT IN (…)``, ``LIKE '…'``, ``BETWEEN 'a' AND 'b'`` or ``DURING LAST_30_DAYS`` (and friends).
Keywords are case-insensitive; fields are snake_case paths. Errors carry the ``QueryError`` enum
name Google would return, so the imitation can render a faithful ``GoogleAdsFailure``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<op>!=|>=|<=|=|>|<)
      | (?P<punct>[(),])
      | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    )""",
    re.VERBOSE,
)
DURING_RANGES = {
    "TODAY", "YESTERDAY", "LAST_7_DAYS", "LAST_14_DAYS", "LAST_30_DAYS", "LAST_BUSINESS_WEEK", "THIS_MONTH",
    "LAST_MONTH", "THIS_WEEK_SUN_TODAY", "THIS_WEEK_MON_TODAY", "LAST_WEEK_SUN_SAT", "LAST_WEEK_MON_SUN",
}


class GaqlError(ValueError):
    """A query the API rejects; ``code`` is a ``QueryErrorEnum.QueryError`` name."""

    def __init__(self, code: str, message: str, trigger: str | None = None):
        super().__init__(message)
        self.code, self.message, self.trigger = code, message, trigger


@dataclass
class Condition:
    field: str
    op: str  # =, !=, >, >=, <, <=, IN, NOT IN, LIKE, BETWEEN, DURING
    value: Any  # str | float | list | tuple(low, high)


@dataclass
class Query:
    select: list[str]
    resource: str
    where: list[Condition] = field(default_factory=list)
    order_by: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)
    limit: int | None = None


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise GaqlError("BAD_SYMBOL", f"Error in query: unexpected input {text[pos:pos + 20]!r}.", text[pos:pos + 20])
        kind = match.lastgroup
        out.append((kind, match.group(kind)))
        pos = match.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


class _Parser:
    def __init__(self, text: str):
        if "\n" in text and re.search(r"'[^']*\n[^']*'", text):
            raise GaqlError("PROHIBITED_NEWLINE_IN_STRING", "Error in query: newlines are not allowed in strings.")
        self.tokens = _tokens(text)
        self.pos = 0

    def peek(self, offset: int = 0) -> tuple[str, str] | None:
        i = self.pos + offset
        return self.tokens[i] if i < len(self.tokens) else None

    def keyword(self, *words: str) -> bool:
        for i, word in enumerate(words):
            tok = self.peek(i)
            if tok is None or tok[0] != "word" or tok[1].upper() != word:
                return False
        self.pos += len(words)
        return True

    def expect_keyword(self, word: str, code: str) -> None:
        if not self.keyword(word):
            got = self.peek()
            raise GaqlError(code, f"Error in query: expected {word}, got {got[1] if got else 'end of query'}.",
                            got[1] if got else None)

    def field_name(self, code: str = "BAD_FIELD_NAME") -> str:
        tok = self.peek()
        if tok is None or tok[0] != "word":
            raise GaqlError(code if tok else "UNEXPECTED_END_OF_QUERY",
                            f"Error in query: expected a field name, got {tok[1] if tok else 'end of query'}.",
                            tok[1] if tok else None)
        self.pos += 1
        return tok[1]

    def value(self) -> Any:
        tok = self.peek()
        if tok is None:
            raise GaqlError("UNEXPECTED_END_OF_QUERY", "Error in query: expected a value.")
        self.pos += 1
        kind, text = tok
        if kind == "string":
            return bytes(text[1:-1], "utf-8").decode("unicode_escape")
        if kind == "number":
            return float(text) if "." in text else int(text)
        if kind == "word":
            return text  # enum constant
        raise GaqlError("BAD_VALUE", f"Error in query: unexpected {text!r} where a value was expected.", text)

    def value_list(self) -> list[Any]:
        tok = self.peek()
        if tok != ("punct", "("):
            raise GaqlError("EXPECTED_LIST", "Error in query: expected a list in parentheses.", tok[1] if tok else None)
        self.pos += 1
        values = []
        while True:
            values.append(self.value())
            tok = self.peek()
            self.pos += 1
            if tok == ("punct", ")"):
                break
            if tok != ("punct", ","):
                raise GaqlError("EXPECTED_LIST", "Error in query: malformed list.", tok[1] if tok else None)
        if not values:
            raise GaqlError("PROHIBITED_EMPTY_LIST_IN_CONDITION", "Error in query: empty list.")
        return values

    def condition(self) -> Condition:
        name = self.field_name()
        tok = self.peek()
        if tok is None:
            raise GaqlError("UNEXPECTED_END_OF_QUERY", f"Error in query: expected an operator after {name}.")
        if tok[0] == "op":
            self.pos += 1
            return Condition(name, tok[1], self.value())
        if self.keyword("NOT", "IN"):
            return Condition(name, "NOT IN", self.value_list())
        if self.keyword("IN"):
            return Condition(name, "IN", self.value_list())
        if self.keyword("LIKE"):
            return Condition(name, "LIKE", self.value())
        if self.keyword("BETWEEN"):
            low = self.value()
            self.expect_keyword("AND", "EXPECTED_AND")
            return Condition(name, "BETWEEN", (low, self.value()))
        if self.keyword("DURING"):
            constant = self.value()
            if constant not in DURING_RANGES:
                raise GaqlError("INVALID_VALUE_WITH_DURING_OPERATOR",
                                f"Error in query: {constant} is not a valid date range for DURING.", str(constant))
            return Condition(name, "DURING", constant)
        raise GaqlError("BAD_OPERATOR", f"Error in query: unexpected operator {tok[1]!r}.", tok[1])

    def parse(self) -> Query:
        self.expect_keyword("SELECT", "EXPECTED_SELECT")
        select = [self.field_name()]
        while self.peek() == ("punct", ","):
            self.pos += 1
            select.append(self.field_name())
        self.expect_keyword("FROM", "EXPECTED_FROM")
        resource = self.field_name("BAD_RESOURCE_TYPE_IN_FROM_CLAUSE")
        query = Query(select, resource)
        if self.keyword("WHERE"):
            query.where.append(self.condition())
            while self.keyword("AND"):
                query.where.append(self.condition())
        if self.keyword("ORDER"):
            self.expect_keyword("BY", "EXPECTED_BY")
            while True:
                name = self.field_name()
                descending = self.keyword("DESC")
                if not descending:
                    self.keyword("ASC")
                query.order_by.append((name, descending))
                if self.peek() != ("punct", ","):
                    break
                self.pos += 1
        if self.keyword("LIMIT"):
            tok = self.peek()
            if tok is None or tok[0] != "number" or "." in tok[1] or int(tok[1]) <= 0:
                raise GaqlError("BAD_LIMIT_VALUE", "Error in query: LIMIT must be a positive integer.",
                                tok[1] if tok else None)
            self.pos += 1
            query.limit = int(tok[1])
        if self.peek() is not None:
            tok = self.peek()
            raise GaqlError("UNEXPECTED_INPUT", f"Error in query: unexpected input {tok[1]}.", tok[1])
        duplicates = {f for f in select if select.count(f) > 1}
        if duplicates:
            raise GaqlError("QUERY_ERROR",
                            f"Error in query: fields selected twice: {', '.join(sorted(duplicates))}.")
        return query


def parse_gaql(text: str) -> Query:
    """Parse one GAQL query.

    Raises:
        GaqlError: the query is not valid GAQL (``code`` names the ``QueryError``).
    """
    if not text or not text.strip():
        raise GaqlError("QUERY_ERROR", "Error in query: the query is empty.")
    return _Parser(text).parse()
