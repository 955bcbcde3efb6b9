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
from watchd.matcher import Hit
from watchd.matcher.automaton import Span, in_office, inside_longer, same_case
from watchd.matcher.matcher import Field, rule_evidence
from watchd.rules.conditions import required, term_refs
from watchd.rules.loader import CompiledRule, RuleSet
from watchd.rules.terms import Pattern, Term
from watchd.text import Analysis, strip_possessive

REGEX_TIMEOUT = 0.2


class Naive:
    """The per-rule loop. With `shared`, each term is looked for once per document and
    reused by every rule that names it: not the baseline, but a quicker check of the hits
    that can cover more documents in the same time."""

    def __init__(self, ruleset: RuleSet, *, shared: bool = False) -> None:
        self.shared = shared
        self.rules = ruleset.rules
        self.terms = ruleset.terms
        self.regexes = ruleset.regexes
        self.names = ruleset.lexicon.one_word_names
        self.keys = [_keys(rule) for rule in self.rules]
        self.scopes = [_scope(rule) for rule in self.rules]

    def match(self, document: Document) -> list[Hit]:
        published = document.published.date() if document.published else None
        analyses = {"text": Analysis(document.text)}
        if document.title.strip():
            analyses["title"] = Analysis(document.title)
        hits = []
        memos: dict[str, dict[str, list[Span]]] = {name: {} for name in analyses}
        for number, rule in enumerate(self.rules):
            fields = {
                name: Field(name, analysis, self.found(number, analysis, published, memo), set())
                for (name, analysis), memo in zip(analyses.items(), memos.values(), strict=True)
            }
            evidence = list(rule_evidence(rule, fields, self.scopes[number]))
            if evidence:
                hit = Hit(rule.id, rule.title, document.source, rule.version, tuple(evidence))
                hits.append(hit)
        return hits

    def found(
        self, number: int, analysis: Analysis, published: date | None, memo: dict[str, list[Span]]
    ) -> dict[str, list[Span]]:
        """The occurrences of the terms of one rule, found afresh for this rule (unless
        `shared`: then found once per document and kept in `memo`)."""
        found: dict[str, list[Span]] = {}
        for key in self.keys[number]:
            spans = memo.get(key) if self.shared else None
            if spans is None:
                spans = self._spans(key, analysis, published)
                if self.shared:
                    memo[key] = spans
            if spans:
                found[key] = spans
        return found

    def _spans(self, key: str, analysis: Analysis, published: date | None) -> list[Span]:
        term = self.terms[key]
        if term.kind == "regex":
            return sorted(_regex_spans(self.regexes[key], analysis))
        spans = _term_spans(term, analysis, published)
        if term.kind == "entity" and "-" in analysis.joined:
            spans += _compound_spans(term, analysis, self.names)
        return sorted(spans)


def _scope(rule: CompiledRule) -> frozenset[str]:
    """What `windows` looks around: every term of the rule (the matcher passes only the
    index's anchor clause), or nothing, meaning everywhere, for a rule that requires no term."""
    if not required(rule.condition):
        return frozenset()
    return frozenset(ref.key for ref in term_refs(rule.condition))


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
                if in_office(pattern, published):
                    roles.append(span)
            elif pattern.cased is None or same_case(analysis, pattern, span):
                spans.append(span)
    longer = [span for blocker in term.blockers for span in _occurrences(blocker, analysis)]
    if longer:
        spans = [s for s in spans if not inside_longer(s, longer)]
    if spans:
        first = min(s[0] for s in spans)
        spans += [r for r in roles if r[0] > first]
    return spans


def _compound_spans(term: Term, analysis: Analysis, names: frozenset[str]) -> list[Span]:
    """ "US-China": a hyphenated token made only of one-word entity names counts as each
    of them (as the automaton's compound scan has it)."""
    ours = [p for p in term.patterns if len(p.words) == 1 and not p.role and not p.prefix]
    spans = []
    for token, word in enumerate(analysis.norms):
        if "-" not in word:
            continue
        parts = [strip_possessive(part) for part in word.split("-")]
        if not all(part in names for part in parts):
            continue
        surface = analysis.words[token].split("-")
        if any(_names(p, f, s) for f, s in zip(parts, surface, strict=False) for p in ours):
            spans.append((token, token + 1))
    return spans


def _names(pattern: Pattern, folded: str, surface: str) -> bool:
    if pattern.words[0] != folded:
        return False
    return pattern.cased is None or pattern.cased[0] == strip_possessive(surface)


def _occurrences(pattern: Pattern, analysis: Analysis) -> Iterator[Span]:
    """Every place `pattern.key` occurs in `joined`, overlapping ones too."""
    key, joined, words = pattern.key, analysis.joined, len(pattern.words)
    at = joined.find(key)
    while at != -1:
        first = analysis.token_at(at + 1)
        yield first, first + words
        at = joined.find(key, at + 1)


def _regex_spans(compiled: regex.Pattern[str], analysis: Analysis) -> list[Span]:
    try:
        matches = [m for m in compiled.finditer(analysis.text, timeout=REGEX_TIMEOUT)]
    except TimeoutError:
        return []
    starts = analysis.char_starts
    spans = []
    for match in (m for m in matches if m.end() > m.start()):
        first = max(bisect_right(starts, match.start()) - 1, 0)
        last = max(bisect_right(starts, match.end() - 1) - 1, first)
        spans.append((first, last + 1))
    return spans
