"""`watchd explain`: what a rule compiled to, and why it did or did not fire on a document.

Returns lines of text; the CLI prints them.
"""

from __future__ import annotations

from watchd.documents import Document
from watchd.matcher.matcher import Field, Matcher, fire, windows
from watchd.matcher.verify import Window, evaluate, first_in, spans_in
from watchd.rules.conditions import (
    All,
    AnyOf,
    Condition,
    Event,
    Near,
    NOf,
    Not,
    TermRef,
    required,
    term_refs,
)
from watchd.rules.loader import CompiledRule, RuleSet
from watchd.rules.terms import Term

SAMPLES = 8
INDENT = "  "


def describe(rule: CompiledRule, ruleset: RuleSet) -> list[str]:
    """The compiled form of a rule: its condition tree and what each term stands for."""
    lines = [f"rule {rule.id}  ({rule.location})", f"{INDENT}title: {rule.title}"]
    if rule.model.watch:
        lines.append(f"{INDENT}watch: {rule.model.watch}")
    lines.append(f"{INDENT}within: {_within(rule)}; fields: {', '.join(rule.fields)}")
    lines.append(f"{INDENT}condition:")
    lines += _tree(rule.condition, 2)
    if rule.unless is not None:
        lines.append(f"{INDENT}unless (in the same scope):")
        lines += _tree(rule.unless, 2)
    clauses = [" or ".join(sorted(c)) for c in required(rule.condition)]
    lines.append(f"{INDENT}required: {' AND '.join(f'({c})' for c in clauses) or 'nothing'}")
    lines.append(f"{INDENT}terms:")
    for ref in dict.fromkeys(term_refs(rule.condition) + _unless_refs(rule)):
        lines.append(f"{INDENT * 2}{ref.key}: {_term_summary(ruleset.terms[ref.key])}")
    return lines


def _unless_refs(rule: CompiledRule) -> list[TermRef]:
    return term_refs(rule.unless) if rule.unless is not None else []


def _within(rule: CompiledRule) -> str:
    return f"{rule.within} words" if isinstance(rule.within, int) else f"one {rule.within}"


def _tree(condition: Condition, depth: int) -> list[str]:
    pad = INDENT * depth
    if isinstance(condition, TermRef):
        label = (
            condition.key
            if condition.slot == condition.key
            else f"{condition.slot}: {condition.key}"
        )
        return [f"{pad}{label}"]
    if isinstance(condition, Event):
        head = f"{pad}event: actor VERB target, active or passive (by ...), not negated"
        if condition.symmetric:
            head += ", either way round"
        slots = [condition.actor, condition.verb, condition.target]
        return [head] + [f"{pad}{INDENT}{s.slot}: {s.key}" for s in slots if s]
    if isinstance(condition, Near):
        order = "in this order" if condition.ordered else "in any order"
        head = f"{pad}near: at most {condition.gap} words apart, {order}"
        return [head] + [f"{pad}{INDENT}{t.key}" for t in condition.terms]
    if isinstance(condition, Not):
        return [f"{pad}not:", *_tree(condition.child, depth + 1)]
    label = {All: "all of", AnyOf: "any of"}.get(type(condition), "")
    if isinstance(condition, NOf):
        label = f"at least {condition.n} of"
    return [f"{pad}{label}:"] + [line for c in condition.children for line in _tree(c, depth + 1)]


def _term_summary(term: Term) -> str:
    if term.kind == "regex":
        return f"regular expression {term.regex!r}"
    names = [" ".join(p.words) + ("*" if p.prefix else "") for p in term.patterns if not p.role]
    roles = [" ".join(p.words) for p in term.patterns if p.role]
    shown = ", ".join(dict.fromkeys(names[:SAMPLES]))
    more = f" ... ({len(names)} forms)" if len(names) > SAMPLES else ""
    cased = " [case-sensitive]" if any(p.cased for p in term.patterns) else ""
    role_text = f"; roles, after a name: {', '.join(roles)}" if roles else ""
    return f"{term.kind}: {shown}{more}{cased}{role_text}"


def diagnose(rule: CompiledRule, matcher: Matcher, document: Document) -> list[str]:
    """Which terms were found where in `document`, and why the rule did or did not fire."""
    number = matcher.rules.index(rule)
    fields = matcher.fields(document)
    lines = [f"document {document.source}"]
    fired = False
    for name, field in fields.items():
        if name == "title" and "title" not in rule.fields:
            continue
        lines.append(f"{INDENT}{name}:")
        lines += _found(rule, field)
        fired |= _verdicts(rule, number, field, matcher, lines)
    lines.append(f"result: {'FIRES' if fired else 'does not fire'}")
    return lines


def _found(rule: CompiledRule, field: Field) -> list[str]:
    lines = []
    everything = Window(0, len(field.analysis))
    for ref in dict.fromkeys(term_refs(rule.condition) + _unless_refs(rule)):
        spans = list(spans_in(field.found, ref.key, everything))
        words = [_quote(field, s) for s in spans[:SAMPLES]]
        where = f"{len(spans)} times: {', '.join(words)}" if spans else "not found"
        lines.append(f"{INDENT * 2}{ref.key}: {where}")
    return lines


def _verdicts(
    rule: CompiledRule, number: int, field: Field, matcher: Matcher, lines: list[str]
) -> bool:
    if number not in field.candidates:
        lines.append(f"{INDENT * 2}not a candidate: a required term is missing")
        return False
    lead = "lead" in rule.fields and "text" not in rule.fields
    # Every sentence with any of the rule's terms, not just those the matcher would try.
    anchor = (
        frozenset(r.key for r in term_refs(rule.condition))
        if matcher.index.anchor[number]
        else frozenset()
    )
    fired = False
    for window in windows(rule, field, anchor, lead=lead):
        verdict = _verdict(rule, field, window)
        fired |= verdict.startswith("FIRES")
        lines.append(f"{INDENT * 2}{_scope_text(field, window)}: {verdict}")
    return fired


def _verdict(rule: CompiledRule, field: Field, window: Window) -> str:
    slots = fire(rule, field, window)
    if slots is not None:
        filled = ", ".join(f"{slot} {_quote(field, span)}" for slot, span in slots)
        return f"FIRES ({filled})" if filled else "FIRES"
    if evaluate(rule.condition, field.found, field.analysis, window) is not None:
        return "no: the unless: condition holds here"
    missing = [
        r.key for r in term_refs(rule.condition) if first_in(field.found, r.key, window) is None
    ]
    if missing:
        return f"no: missing {', '.join(dict.fromkeys(missing))}"
    if _has_event(rule.condition):
        return (
            "no: the terms occur, but not as actor-verb-target (active or passive)"
            " in one clause, or the verb is negated"
        )
    return "no: the terms occur, but not as the condition requires"


def _has_event(condition: Condition) -> bool:
    if isinstance(condition, Event):
        return True
    if isinstance(condition, All | AnyOf | NOf):
        return any(_has_event(c) for c in condition.children)
    return False


def _scope_text(field: Field, window: Window) -> str:
    start, end = field.analysis.char_span(window.lo, max(window.hi, window.lo + 1))
    text = " ".join(field.analysis.text[start:end].split())
    return f"'{text[:100]}{'...' if len(text) > 100 else ''}'"


def _quote(field: Field, span: tuple[int, int]) -> str:
    analysis = field.analysis
    start, end = analysis.char_start(span[0]), analysis.char_end(span[1] - 1)
    sentence = analysis.sentence_of(span[0]) + 1
    return f"{analysis.text[start:end]!r} (sentence {sentence})"
