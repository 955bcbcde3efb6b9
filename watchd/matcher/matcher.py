"""The matcher: a rule set compiled once, then documents matched one by one. Pure."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from watchd.documents import Document
from watchd.matcher.automaton import Automaton, Found
from watchd.matcher.evidence import Evidence, Hit, TermHit
from watchd.matcher.index import Index
from watchd.matcher.verify import Slot, Window, evaluate, spans_in
from watchd.rules.conditions import term_refs
from watchd.rules.loader import CompiledRule, RuleSet
from watchd.text import Analysis

MAX_EVIDENCE = 3
LONG_SENTENCE = 120  # tokens; longer "sentences" are cut to CONTEXT words around the match
CONTEXT = 30


@dataclass
class Field:
    """One field of a document (title or text), analysed and scanned once."""

    name: str
    analysis: Analysis
    found: Found
    candidates: set[int]
    units: dict[tuple[str, str], list[int]] = dataclasses.field(default_factory=dict)

    def units_of(self, key: str, within: str) -> list[int]:
        """The sentences (or paragraphs) in which term `key` occurs, shared by all rules."""
        units = self.units.get((key, within))
        if units is None:
            analysis = self.analysis
            unit = analysis.sentence_of if within == "sentence" else analysis.paragraph_of
            units = sorted({unit(span[0]) for span in self.found.get(key) or ()})
            self.units[(key, within)] = units
        return units


class Matcher:
    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        self.rules = ruleset.rules
        names = ruleset.lexicon.one_word_names
        self.automaton = Automaton(ruleset.terms, ruleset.regexes, names)
        self.index = Index.build(self.rules, ruleset.terms)

    def match(self, document: Document) -> list[Hit]:
        """Every rule that fires on `document`, with its evidence, in rule order."""
        fields = self.fields(document)
        numbers = sorted(set().union(*(f.candidates for f in fields.values())))
        hits = []
        for number in numbers:
            rule = self.rules[number]
            evidence = list(self._evidence(rule, number, fields))
            if evidence:
                hits.append(_hit(rule, document, evidence))
        return hits

    def fields(self, document: Document) -> dict[str, Field]:
        published = document.published.date() if document.published else None
        fields = {"text": self._field("text", document.text, published)}
        if document.title.strip():
            fields["title"] = self._field("title", document.title, published)
        return fields

    def _field(self, name: str, text: str, published: date | None) -> Field:
        analysis = Analysis(text)
        found = self.automaton.scan(analysis, published)
        return Field(name, analysis, found, set(self.index.candidates(found.keys)))

    def _evidence(
        self, rule: CompiledRule, number: int, fields: dict[str, Field]
    ) -> Iterator[Evidence]:
        candidate = {name: f for name, f in fields.items() if number in f.candidates}
        return rule_evidence(rule, candidate, self.index.anchor[number])


def rule_evidence(
    rule: CompiledRule, fields: dict[str, Field], anchor: frozenset[str]
) -> Iterator[Evidence]:
    """Up to MAX_EVIDENCE sentences where `rule` fires, over the fields it looks at."""
    seen: set[tuple[str, int]] = set()
    for name in rule.fields:
        field = fields.get("title" if name == "title" else "text")
        if field is None:
            continue
        for window in windows(rule, field, anchor, lead=name == "lead"):
            slots = fire(rule, field, window)
            if slots is None:
                continue
            evidence = to_evidence(field, slots, window)
            if (field.name, evidence.start) not in seen:
                seen.add((field.name, evidence.start))
                yield evidence
            if len(seen) >= MAX_EVIDENCE:
                return


def fire(rule: CompiledRule, field: Field, window: Window) -> list[Slot] | None:
    """The slots of `rule` in `window`, unless its `unless:` holds there too."""
    slots = evaluate(rule.condition, field.found, field.analysis, window)
    if slots is None or rule.unless is None:
        return slots
    blocked = evaluate(rule.unless, field.found, field.analysis, window)
    return slots if blocked is None else None


def windows(
    rule: CompiledRule, field: Field, anchor: frozenset[str], *, lead: bool = False
) -> Iterator[Window]:
    """The token ranges the rule's `within:` asks to look at, where it can hold: those that
    hold a term of its `anchor` clause (every term, for N words), or all of them when the
    rule requires nothing (`not: ...`)."""
    analysis = field.analysis
    limit = analysis.paragraph_range(0)[1] if lead and len(analysis) else len(analysis)
    within = rule.within
    if within == "document":
        yield Window(0, limit)
    elif isinstance(within, int):
        for start in _word_starts(rule, field, anchor, limit):
            yield Window(start, min(start + within, limit))
    else:
        span = analysis.sentence_range if within == "sentence" else analysis.paragraph_range
        for number in _units(field, anchor, within):
            lo, hi = span(number)
            if lo >= limit:
                return
            yield Window(lo, min(hi, limit))


def _units(field: Field, anchor: frozenset[str], within: str) -> Iterable[int]:
    if not anchor:
        starts = field.analysis.sentence_starts
        return range(len(starts if within == "sentence" else field.analysis.paragraph_starts))
    if len(anchor) == 1:
        return field.units_of(next(iter(anchor)), within)
    return sorted(set().union(*(field.units_of(key, within) for key in anchor)))


def _word_starts(rule: CompiledRule, field: Field, anchor: frozenset[str], limit: int) -> list[int]:
    """Where a run of N words may begin: at any term of the rule (or anywhere)."""
    if not anchor:
        return list(range(limit))
    everything = Window(0, limit)
    keys = {ref.key for ref in term_refs(rule.condition)}
    spans = (span for key in keys for span in spans_in(field.found, key, everything))
    return sorted({span[0] for span in spans})


def to_evidence(field: Field, slots: list[Slot], window: Window) -> Evidence:
    """The sentence of the first slot, and every slot's words with character offsets."""
    analysis = field.analysis
    first = min((span[0] for _, span in slots), default=window.lo)
    lo, hi = analysis.sentence_range(analysis.sentence_of(first))
    if hi - lo > LONG_SENTENCE:  # a run-on text: keep the words around the match
        last = max((span[1] for _, span in slots), default=first + 1)
        lo, hi = max(lo, first - CONTEXT), min(hi, max(last, first + 1) + CONTEXT)
    start, end = analysis.char_span(lo, hi)
    terms = tuple(_term_hit(analysis, slot, span) for slot, span in slots)
    text = analysis.text
    return Evidence(field.name, text[start:end], start, end, terms)


def _term_hit(analysis: Analysis, slot: str, span: tuple[int, int]) -> TermHit:
    start, end = analysis.char_start(span[0]), analysis.char_end(span[1] - 1)
    return TermHit(slot, analysis.text[start:end], start, end)


def _hit(rule: CompiledRule, document: Document, evidence: list[Evidence]) -> Hit:
    return Hit(rule.id, rule.title, document.source, rule.version, tuple(evidence))
