"""The baseline the benchmark compares the matcher with: a naive loop over every rule.

One `Analysis` per document, as in the matcher. Then, for every rule and every term the
rule names, every pattern of the term is looked for with `str.find` in `Analysis.joined`
(no automaton, no candidate index, nothing shared between rules), its occurrences are
checked for case, role and longer names as the automaton does, and the rule is verified
with the matcher's own `windows` and `fire`. It is also an independent check of the
presearch: the hits must be the same as the matcher's.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from datetime import date

import regex

from watchd.documents import Document
from watchd.matcher import Evidence, Hit
from watchd.matcher.automaton import Occurrences, Span
from watchd.matcher.matcher import MAX_EVIDENCE, Field, fire, to_evidence, windows
from watchd.rules.conditions import required, term_refs
from watchd.rules.loader import CompiledRule, RuleSet
from watchd.rules.terms import Pattern, Term
from watchd.text import Analysis, strip_possessive

REGEX_TIMEOUT = 0.2


class Naive:
    def __init__(self, ruleset: RuleSet) -> None:
        self.rules = ruleset.rules
        self.terms = ruleset.terms
        self.regexes = ruleset.regexes
        self.keys = [_keys(rule) for rule in self.rules]
        self.everywhere = [not required(rule.condition) for rule in self.rules]

    def match(self, document: Document) -> list[Hit]:
        published = document.published.date() if document.published else None
        analyses = {"text": Analysis(document.text)}
        if document.title.strip():
            analyses["title"] = Analysis(document.title)
        hits = []
        for number, rule in enumerate(self.rules):
            fields = {
                name: Field(name, analysis, self.found(number, analysis, published), set())
                for name, analysis in analyses.items()
            }
            evidence = list(self._evidence(rule, self.everywhere[number], fields))
            if evidence:
                hits.append(Hit(rule.id, rule.title, document.source, rule.version, tuple(evidence)))
        return hits

    def found(self, number: int, analysis: Analysis, published: date | None) -> Occurrences:
        """The occurrences of the terms of one rule, found afresh for this rule."""
        found: Occurrences = {}
        for key in self.keys[number]:
            term = self.terms[key]
            if term.kind == "regex":
                spans = _regex_spans(self.regexes[key], analysis)
            else:
                spans = _term_spans(term, analysis, published)
            if spans:
                found[key] = sorted(spans)
        return found

    def _evidence(
        self, rule: CompiledRule, everywhere: bool, fields: dict[str, Field]
    ) -> Iterator[Evidence]:
        """As `Matcher._evidence`, without the candidate check."""
        seen: set[tuple[str, int]] = set()
        for name in rule.fields:
            field = fields.get("title" if name == "title" else "text")
            if field is None:
                continue
            for window in windows(rule, field, lead=name == "lead", everywhere=everywhere):
                slots = fire(rule, field, window)
                if slots is None:
                    continue
                evidence = to_evidence(field, slots, window)
                if (field.name, evidence.start) not in seen:
                    seen.add((field.name, evidence.start))
                    yield evidence
                if len(seen) >= MAX_EVIDENCE:
                    return


def _keys(rule: CompiledRule) -> tuple[str, ...]:
    refs = term_refs(rule.condition)
    if rule.unless is not None:
        refs += term_refs(rule.unless)
    return tuple(dict.fromkeys(ref.key for ref in refs))


def _term_spans(term: Term, analysis: Analysis, published: date | None) -> list[Span]:
    spans: list[Span] = []
    roles: list[Span] = []
    for pattern in term.patterns:
        for span in _occurrences(pattern, analysis):
            if pattern.role:
                if _in_office(pattern, published):
                    roles.append(span)
            elif pattern.cased is None or _same_case(analysis, pattern, span):
                spans.append(span)
    longer = [span for blocker in term.blockers for span in _occurrences(blocker, analysis)]
    if longer:
        spans = [s for s in spans if not _inside(s, longer)]
    if spans:
        first = min(s[0] for s in spans)
        spans += [r for r in roles if r[0] > first]
    return spans


def _occurrences(pattern: Pattern, analysis: Analysis) -> Iterator[Span]:
    """Every place `pattern.key` occurs in `joined`, overlapping ones too."""
    key, joined, words = pattern.key, analysis.joined, len(pattern.words)
    at = joined.find(key)
    while at != -1:
        first = analysis.token_at(at + 1)
        yield first, first + words
        at = joined.find(key, at + 1)


def _same_case(analysis: Analysis, pattern: Pattern, span: Span) -> bool:
    surface = tuple(strip_possessive(w) for w in analysis.words[span[0] : span[1]])
    return surface == pattern.cased


def _in_office(pattern: Pattern, published: date | None) -> bool:
    if published is None:
        return True
    started = pattern.role_start is None or pattern.role_start <= published
    return started and (pattern.role_end is None or published <= pattern.role_end)


def _inside(span: Span, longer: list[Span]) -> bool:
    size = span[1] - span[0]
    return any(s[0] <= span[0] and span[1] <= s[1] and s[1] - s[0] > size for s in longer)


def _regex_spans(compiled: regex.Pattern[str], analysis: Analysis) -> list[Span]:
    try:
        matches = [m for m in compiled.finditer(analysis.text, timeout=REGEX_TIMEOUT)]
    except TimeoutError:
        return []
    starts = [s for s, _ in analysis.spans]
    spans = []
    for match in (m for m in matches if m.end() > m.start()):
        first = max(bisect_right(starts, match.start()) - 1, 0)
        last = max(bisect_right(starts, match.end() - 1) - 1, first)
        spans.append((first, last + 1))
    return spans
