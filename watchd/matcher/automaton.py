"""The presearch pass: every pattern of every term in one Aho-Corasick automaton.

pyahocorasick runs over `Analysis.joined`, the folded tokens joined by single spaces; a
pattern key " w1 w2 " can only match whole tokens, so one pass yields every occurrence
of every term with its token span. Patterns that need more than their words (a case, a
role's dates and antecedent, a longer name that swallows them) are checked afterwards.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from typing import Any

import ahocorasick
import regex

from watchd.rules.terms import Pattern, Term
from watchd.text import Analysis, strip_possessive

Span = tuple[int, int]
Occurrences = dict[str, list[Span]]
CASED, ROLE, BLOCKER = "cased", "role", "blocker"
REGEX_TIMEOUT = 0.2


class Automaton:
    """All patterns of a rule set's terms; `scan` finds each term's token spans."""

    def __init__(
        self,
        terms: dict[str, Term],
        regexes: dict[str, regex.Pattern[str]],
        names: frozenset[str] = frozenset(),
    ) -> None:
        self.regexes = regexes
        self.names = names
        self.parts = _one_word_names(terms)
        self.size = 0
        self._automaton: Any = ahocorasick.Automaton()
        for key, entries in _table(terms).items():
            self._add(key, entries)
        if self.size:
            self._automaton.make_automaton()

    def _add(self, key: str, entries: list[tuple[str, str, Pattern]]) -> None:
        plain = tuple(term for term, kind, _ in entries if not kind)
        special = tuple((t, k, p) for t, k, p in entries if k)
        words = len(entries[0][2].words)
        self._automaton.add_word(key, (len(key), words, plain, special))
        self.size += 1

    def scan(self, analysis: Analysis, published: date | None = None) -> Occurrences:
        """Every term's occurrences, as sorted token spans [start, end)."""
        found: Occurrences = defaultdict(list)
        special: list[tuple[str, str, Pattern, Span]] = []
        if self.size:
            for end, (size, words, plain, extra) in self._automaton.iter(analysis.joined):
                first = analysis.token_at(end - size + 2)
                span = (first, first + words)
                for term in plain:
                    found[term].append(span)
                for term, kind, pattern in extra:
                    special.append((term, kind, pattern, span))
        if special:
            _resolve(found, special, analysis, published)
        if self.parts and "-" in analysis.joined:
            self._scan_pairs(found, analysis)
        self._scan_regexes(found, analysis)
        for spans in found.values():
            spans.sort()
        return found

    def _scan_pairs(self, found: Occurrences, analysis: Analysis) -> None:
        """ "US-China talks", "Russia-Ukraine war": a compound of names counts as each name.
        A compound with any other part ("pro-Assad", "Secretary-General") stays one word."""
        for start, compound in _compounds(analysis.joined):
            folded = [strip_possessive(part) for part in compound.split("-")]
            if not all(part in self.names for part in folded):
                continue
            token = analysis.token_at(start)
            surface = analysis.words[token].split("-")
            keys = {
                k for pair in zip(folded, surface, strict=False) for k in self._part_keys(*pair)
            }
            for key in keys:
                found[key].append((token, token + 1))

    def _part_keys(self, folded: str, surface: str) -> list[str]:
        names = self.parts.get(folded, ())
        return [key for key, cased in names if cased is None or cased == strip_possessive(surface)]

    def _scan_regexes(self, found: Occurrences, analysis: Analysis) -> None:
        for key, compiled in self.regexes.items():
            for match in _regex_matches(compiled, analysis.text):
                found[key].append(_token_span(analysis, match.start(), match.end()))


def _compounds(joined: str) -> Iterator[tuple[int, str]]:
    """Each hyphenated token of a joined string, with its position."""
    hyphen = joined.find("-")
    while hyphen != -1:
        start = joined.rfind(" ", 0, hyphen) + 1
        end = joined.find(" ", hyphen)
        yield start, joined[start:end]
        hyphen = joined.find("-", end)


def _one_word_names(terms: dict[str, Term]) -> dict[str, list[tuple[str, str | None]]]:
    """One-word entity names, folded, to (term, surface when case matters)."""
    table: dict[str, list[tuple[str, str | None]]] = defaultdict(list)
    for key, term in terms.items():
        if term.kind != "entity":
            continue
        for pattern in term.patterns:
            if len(pattern.words) == 1 and not pattern.role and not pattern.prefix:
                table[pattern.words[0]].append((key, pattern.cased[0] if pattern.cased else None))
    return table


def _table(terms: dict[str, Term]) -> dict[str, list[tuple[str, str, Pattern]]]:
    table: dict[str, list[tuple[str, str, Pattern]]] = defaultdict(list)
    for key, term in terms.items():
        for pattern in term.patterns:
            kind = ROLE if pattern.role else CASED if pattern.cased else ""
            table[pattern.key].append((key, kind, pattern))
        for pattern in term.blockers:
            table[pattern.key].append((key, BLOCKER, pattern))
    return table


def _resolve(
    found: Occurrences,
    special: list[tuple[str, str, Pattern, Span]],
    analysis: Analysis,
    published: date | None,
) -> None:
    """Add cased and role occurrences that qualify; drop names inside longer names."""
    blocked: dict[str, list[Span]] = defaultdict(list)
    roles: list[tuple[str, Span]] = []
    for term, kind, pattern, span in special:
        if kind == CASED and _same_case(analysis, pattern, span):
            found[term].append(span)
        elif kind == ROLE and _in_office(pattern, published):
            roles.append((term, span))
        elif kind == BLOCKER:
            blocked[term].append(span)
    for term, spans in blocked.items():
        found[term] = [s for s in found[term] if not _inside_longer(s, spans)]
    for term, span in roles:
        if any(s[0] < span[0] for s in found.get(term, ())):
            found[term].append(span)


def _same_case(analysis: Analysis, pattern: Pattern, span: Span) -> bool:
    surface = tuple(strip_possessive(w) for w in analysis.words[span[0] : span[1]])
    return surface == pattern.cased


def _in_office(pattern: Pattern, published: date | None) -> bool:
    if published is None:
        return True
    after_start = pattern.role_start is None or pattern.role_start <= published
    return after_start and (pattern.role_end is None or published <= pattern.role_end)


def _inside_longer(span: Span, longer: list[Span]) -> bool:
    size = span[1] - span[0]
    return any(s[0] <= span[0] and span[1] <= s[1] and s[1] - s[0] > size for s in longer)


def _regex_matches(compiled: regex.Pattern[str], text: str) -> list[regex.Match[str]]:
    try:
        return [m for m in compiled.finditer(text, timeout=REGEX_TIMEOUT) if m.end() > m.start()]
    except TimeoutError:
        return []


def _token_span(analysis: Analysis, start: int, end: int) -> Span:
    starts = [s for s, _ in analysis.spans]
    first = max(bisect_right(starts, start) - 1, 0)
    last = max(bisect_right(starts, end - 1) - 1, first)
    return first, last + 1
