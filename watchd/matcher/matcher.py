"""The matcher: a rule set compiled once, then documents matched one by one. Pure."""

from __future__ import annotations

from collections.abc import Iterator
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


@dataclass
class Field:
    """One field of a document (title or text), analysed and scanned once."""

    name: str
    analysis: Analysis
    found: Found
    candidates: set[int]


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
        seen: set[tuple[str, int]] = set()
        for name in rule.fields:
            field = fields.get("title" if name == "title" else "text")
            if field is None or number not in field.candidates:
                continue
            anchor = self.index.anchor[number]
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
    if rule.within == "document":
        yield Window(0, limit)
        return
    starts = sorted({s[0] for s in _starts(rule, field, anchor, limit) if s[0] < limit})
    if isinstance(rule.within, int):
        for start in starts:
            yield Window(start, min(start + rule.within, limit))
        return
    unit = analysis.sentence_of if rule.within == "sentence" else analysis.paragraph_of
    span = analysis.sentence_range if rule.within == "sentence" else analysis.paragraph_range
    for number in sorted({unit(start) for start in starts}):
        lo, hi = span(number)
        yield Window(lo, min(hi, limit))


def _starts(
    rule: CompiledRule, field: Field, anchor: frozenset[str], limit: int
) -> Iterator[tuple[int, int]]:
    if not anchor:
        return ((i, i + 1) for i in range(limit))
    keys = anchor if isinstance(rule.within, str) else {r.key for r in term_refs(rule.condition)}
    everything = Window(0, limit)
    return (span for key in keys for span in spans_in(field.found, key, everything))


def to_evidence(field: Field, slots: list[Slot], window: Window) -> Evidence:
    """The sentence of the first slot, and every slot's words with character offsets."""
    analysis = field.analysis
    first = min((span[0] for _, span in slots), default=window.lo)
    sentence = analysis.sentence_of(first)
    start, end = analysis.char_span(*analysis.sentence_range(sentence))
    terms = tuple(_term_hit(analysis, slot, span) for slot, span in slots)
    text = analysis.text
    return Evidence(field.name, text[start:end], start, end, terms)


def _term_hit(analysis: Analysis, slot: str, span: tuple[int, int]) -> TermHit:
    start, end = analysis.char_start(span[0]), analysis.char_end(span[1] - 1)
    return TermHit(slot, analysis.text[start:end], start, end)


def _hit(rule: CompiledRule, document: Document, evidence: list[Evidence]) -> Hit:
    return Hit(rule.id, rule.title, document.source, rule.version, tuple(evidence))
