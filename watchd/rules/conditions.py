"""Conditions: the tree a rule's `when:` (or its headline) compiles to.

Structured syntax, each node a term string or a mapping with one operator key::

    all: [...]          every child holds
    any: [...]          at least one child holds
    not: <condition>    the child does not hold
    n_of: [...], n: 2   at least n children hold
    near: [...], gap: 5, ordered: false    terms within `gap` words of each other
    event: {actor: <term>, verb: <term>, target: <term>}
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Union

from watchd.errors import RuleError
from watchd.yamlpos import Positions, YamlPath


@dataclass(frozen=True, slots=True)
class TermRef:
    """A term in a condition; `slot` names it in evidence ("actor", "@russia")."""

    key: str
    slot: str


@dataclass(frozen=True, slots=True)
class All:
    children: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    children: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Not:
    child: Condition


@dataclass(frozen=True, slots=True)
class NOf:
    n: int
    children: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Near:
    terms: tuple[TermRef, ...]
    gap: int = 5
    ordered: bool = False


@dataclass(frozen=True, slots=True)
class Event:
    """Actor, verb and target in one scope: active, passive or nominal, not negated."""

    verb: TermRef
    actor: TermRef | None = None
    target: TermRef | None = None
    symmetric: bool = False  # "Iran met Russia" is also "Russia met Iran"


Condition = Union[TermRef, All, AnyOf, Not, NOf, Near, Event]  # noqa: UP007
MakeTerm = Callable[[str, str, YamlPath], TermRef]
OPERATORS: dict[str, tuple[str, ...]] = {
    "all": (),
    "any": (),
    "not": (),
    "n_of": ("n",),
    "near": ("gap", "ordered"),
    "event": (),
}
EVENT_SLOTS = ("actor", "verb", "target")


def required(condition: Condition) -> list[frozenset[str]]:
    """Clauses of term keys a match needs: from each clause, at least one term must occur.

    The presearch index uses them: a rule is a candidate only when every clause has a hit.
    """
    if isinstance(condition, TermRef):
        return [frozenset([condition.key])]
    if isinstance(condition, All):
        return [clause for child in condition.children for clause in required(child)]
    if isinstance(condition, Near):
        return [frozenset([t.key]) for t in condition.terms]
    if isinstance(condition, Event):
        slots = (condition.actor, condition.verb, condition.target)
        return [frozenset([t.key]) for t in slots if t is not None]
    if isinstance(condition, AnyOf | NOf):
        return _either(condition.children)
    return []


def _either(children: tuple[Condition, ...]) -> list[frozenset[str]]:
    """One clause: a term of any child, when every child requires something."""
    firsts = [required(child) for child in children]
    if not all(firsts):
        return []
    return [frozenset().union(*(min(c, key=len) for c in firsts))]


def term_refs(condition: Condition) -> list[TermRef]:
    """Every term the condition mentions, in order."""
    if isinstance(condition, TermRef):
        return [condition]
    if isinstance(condition, Not):
        return term_refs(condition.child)
    if isinstance(condition, Near):
        return list(condition.terms)
    if isinstance(condition, Event):
        return [t for t in (condition.actor, condition.verb, condition.target) if t]
    return [t for child in condition.children for t in term_refs(child)]


@dataclass
class Parser:
    """Builds a condition from YAML data, reporting problems at their position."""

    positions: Positions
    make_term: MakeTerm
    is_symmetric: Callable[[str], bool] = lambda key: False

    def parse(self, data: Any, where: YamlPath) -> Condition:
        if isinstance(data, str):
            return self.make_term(data, data, where)
        if not isinstance(data, dict) or not data:
            raise self._error(
                where, f"expected a term or a mapping like {{all: [...]}}, got {data!r}"
            )
        operator = self._operator(data, where)
        self._check_options(data, operator, where)
        return self._build(operator, data, where)

    def _operator(self, data: dict[str, Any], where: YamlPath) -> str:
        found = [key for key in data if key in OPERATORS]
        if len(found) == 1:
            return found[0]
        if found:
            raise self._error(where, f"one operator per mapping, found {', '.join(found)}")
        key = next(iter(data))
        raise self._error(
            (*where, key), f"unknown operator {key!r}{_hint(key, OPERATORS)}", key=True
        )

    def _check_options(self, data: dict[str, Any], operator: str, where: YamlPath) -> None:
        allowed = OPERATORS[operator]
        for key in data:
            if key != operator and key not in allowed:
                hint = _hint(key, allowed) or f" ({operator!r} takes no options)"
                raise self._error((*where, key), f"unknown option {key!r}{hint}", key=True)

    def _build(self, operator: str, data: dict[str, Any], where: YamlPath) -> Condition:
        here = (*where, operator)
        value = data[operator]
        if operator == "not":
            return Not(self.parse(value, here))
        if operator == "event":
            return self._event(value, here)
        children = self._children(value, here)
        if operator == "all":
            return All(children)
        if operator == "any":
            return AnyOf(children)
        if operator == "n_of":
            return NOf(self._count(data, where, len(children)), children)
        return self._near(children, data, where)

    def _children(self, value: Any, where: YamlPath) -> tuple[Condition, ...]:
        if not isinstance(value, list) or not value:
            raise self._error(where, f"expected a non-empty list of conditions, got {value!r}")
        return tuple(self.parse(item, (*where, i)) for i, item in enumerate(value))

    def _count(self, data: dict[str, Any], where: YamlPath, size: int) -> int:
        n = data.get("n")
        if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= size:
            raise self._error(
                (*where, "n"), f"'n' must be a whole number from 1 to {size}, got {n!r}"
            )
        return n

    def _near(self, children: tuple[Condition, ...], data: dict[str, Any], where: YamlPath) -> Near:
        terms = tuple(c for c in children if isinstance(c, TermRef))
        if len(terms) != len(children) or len(terms) < 2:
            raise self._error((*where, "near"), "'near' takes a list of two or more terms")
        gap, ordered = data.get("gap", 5), data.get("ordered", False)
        if not isinstance(gap, int) or isinstance(gap, bool) or not 0 <= gap <= 100:
            raise self._error(
                (*where, "gap"), f"'gap' must be a number of words, 0 to 100, got {gap!r}"
            )
        if not isinstance(ordered, bool):
            raise self._error(
                (*where, "ordered"), f"'ordered' must be true or false, got {ordered!r}"
            )
        return Near(terms, gap, ordered)

    def _event(self, value: Any, where: YamlPath) -> Event:
        if not isinstance(value, dict) or "verb" not in value:
            raise self._error(where, "'event' needs a mapping with 'verb' and 'actor' or 'target'")
        for key in value:
            if key not in EVENT_SLOTS:
                raise self._error(
                    (*where, key), f"unknown slot {key!r}{_hint(key, EVENT_SLOTS)}", key=True
                )
        slots = {k: self._slot(v, k, (*where, k)) for k, v in value.items()}
        if "actor" not in slots and "target" not in slots:
            raise self._error(where, "'event' needs an 'actor' or a 'target' besides its 'verb'")
        symmetric = self.is_symmetric(slots["verb"].key)
        return Event(slots["verb"], slots.get("actor"), slots.get("target"), symmetric)

    def _slot(self, value: Any, slot: str, where: YamlPath) -> TermRef:
        if not isinstance(value, str):
            raise self._error(where, f"{slot!r} must be one term, got {value!r}")
        return self.make_term(value, slot, where)

    def _error(self, where: YamlPath, message: str, *, key: bool = False) -> RuleError:
        return RuleError(self.positions.at(where, key=key), message)


def _hint(word: str, choices: Any) -> str:
    match = difflib.get_close_matches(str(word), list(choices), n=1)
    return f" (did you mean {match[0]!r}?)" if match else ""
