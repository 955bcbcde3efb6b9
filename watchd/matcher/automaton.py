"""The presearch pass: every pattern of every term in one Aho-Corasick automaton.

pyahocorasick runs over `Analysis.joined`, the folded tokens joined by single spaces; a
pattern key " w1 w2 " can only match whole tokens, so one pass finds every occurrence of
every pattern. The pass only records where each pattern ended; which terms occur follows
from the distinct patterns found, and token spans are worked out per term, on demand, for
the few terms that candidate rules look at. Patterns that need more than their words (a
case, a role's dates and antecedent, a longer name that swallows them) are checked at once.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any, Protocol

import ahocorasick
import regex

from watchd.rules.terms import Pattern, Term
from watchd.text import Analysis, strip_possessive

Span = tuple[int, int]
REGEX_TIMEOUT = 0.2


class Found(Protocol):
    """Where each term occurs: sorted token spans, or None for a term that does not."""

    def get(self, key: str, /) -> list[Span] | None: ...


@dataclass(frozen=True, slots=True)
class Entry:
    """One distinct pattern key: how many words it has, and the terms it belongs to."""

    words: int
    plain: tuple[str, ...]
    special: tuple[tuple[str, Pattern], ...]
    blocks: tuple[str, ...]


class Automaton:
    """All patterns of a rule set's terms; `scan` finds which terms occur, and where."""

    def __init__(
        self,
        terms: dict[str, Term],
        regexes: dict[str, regex.Pattern[str]],
        names: frozenset[str] = frozenset(),
    ) -> None:
        self.regexes = regexes
        self.names = names
        self.parts = _one_word_names(terms)
        self.entries: list[Entry] = []
        self.special_ids: set[int] = set()
        self.blocking_ids: set[int] = set()
        self._automaton: Any = ahocorasick.Automaton(ahocorasick.STORE_INTS)
        for key, owners in _table(terms).items():
            self._add(key, owners)
        if self.entries:
            self._automaton.make_automaton()

    @property
    def size(self) -> int:
        return len(self.entries)

    def _add(self, key: str, owners: list[tuple[str, str, Pattern]]) -> None:
        number = len(self.entries)
        plain = tuple(term for term, kind, _ in owners if kind == "")
        special = tuple((term, p) for term, kind, p in owners if kind in (CASED, ROLE))
        blocks = tuple(term for term, kind, _ in owners if kind == BLOCKER)
        words = len(owners[0][2].words)
        self.entries.append(Entry(words, plain, special, blocks))
        if special:
            self.special_ids.add(number)
        if blocks:
            self.blocking_ids.add(number)
        self._automaton.add_word(key, number)

    def scan(self, analysis: Analysis, published: date | None = None) -> Occurrences:
        """Which terms occur in the analysed text; their spans follow on demand."""
        ends: dict[int, list[int]] = defaultdict(list)
        if self.entries:
            # As Analysis.tokens_before, inline: the token after each match is the number
            # of spaces before the match's last character (the pass is the hot loop).
            joined = analysis.joined
            count, last, spaces = joined.count, 0, 0
            for end, number in self._automaton.iter(joined):
                spaces += count(" ", last, end)
                last = end
                ends[number].append(spaces)
        found = Occurrences(self, analysis, ends)
        found.resolve(published)
        return found


CASED, ROLE, BLOCKER = "cased", "role", "blocker"


class Occurrences:
    """The terms found in one text, and each one's sorted token spans [start, end)."""

    def __init__(self, automaton: Automaton, analysis: Analysis, ends: dict[int, list[int]]):
        """`ends` maps each pattern found to the tokens that follow its occurrences."""
        self.automaton = automaton
        self.analysis = analysis
        self.ends = ends
        entries = automaton.entries
        self.keys: set[str] = set().union(*(entries[number].plain for number in ends))
        self._spans: dict[str, list[Span]] = {}

    def get(self, key: str) -> list[Span] | None:
        """The sorted spans of term `key`, or None when it does not occur."""
        spans = self._spans.get(key)
        if spans is None:
            if key not in self.keys:
                return None
            spans = self._spans[key] = sorted(self._plain(key))
        return spans

    def _plain(self, key: str) -> Iterator[Span]:
        for number in self._found_by_key.get(key, ()):
            yield from self._entry_spans(number)

    @cached_property
    def _found_by_key(self) -> dict[str, list[int]]:
        """The patterns found, by the terms they are plain patterns of."""
        table: dict[str, list[int]] = defaultdict(list)
        entries = self.automaton.entries
        for number in self.ends:
            for term in entries[number].plain:
                table[term].append(number)
        return table

    def _entry_spans(self, number: int) -> Iterator[Span]:
        """Each place the pattern ended (the token after its last word) as a span."""
        words = self.automaton.entries[number].words
        for after in self.ends[number]:
            yield after - words, after

    def add(self, key: str, spans: list[Span]) -> None:
        """Spans found outside the plain patterns (cased names, roles, compounds, regexes)."""
        if spans:
            merged = set(self.get(key) or ()) | set(spans)
            self._spans[key] = sorted(merged)
            self.keys.add(key)

    def replace(self, key: str, spans: list[Span]) -> None:
        if spans:
            self._spans[key] = sorted(spans)
        else:
            self._spans.pop(key, None)
            self.keys.discard(key)

    def resolve(self, published: date | None) -> None:
        """Apply what plain patterns cannot say: case, roles, longer names, compounds, regexes."""
        special = sorted(self.ends.keys() & self.automaton.special_ids)
        blocking = sorted(self.ends.keys() & self.automaton.blocking_ids)
        if special:
            self._special(special, published)
        if blocking:
            self._block(blocking)
        if self.automaton.parts and "-" in self.analysis.joined:
            self._compounds()
        for key, compiled in self.automaton.regexes.items():
            self.add(
                key,
                [
                    _token_span(self.analysis, *m.span())
                    for m in _matches(compiled, self.analysis.text)
                ],
            )

    def _special(self, numbers: list[int], published: date | None) -> None:
        cased: dict[str, list[Span]] = defaultdict(list)
        roles: dict[str, list[Span]] = defaultdict(list)
        for number in numbers:
            for term, pattern in self.automaton.entries[number].special:
                for span in self._entry_spans(number):
                    if pattern.role and in_office(pattern, published):
                        roles[term].append(span)
                    elif pattern.cased and same_case(self.analysis, pattern, span):
                        cased[term].append(span)
        for term, spans in cased.items():
            self.add(term, spans)
        for term, spans in roles.items():
            named = self.get(term) or []
            self.add(term, [s for s in spans if any(n[0] < s[0] for n in named)])

    def _block(self, numbers: list[int]) -> None:
        """A name inside a longer name of another entity does not count."""
        longer: dict[str, list[Span]] = defaultdict(list)
        for number in numbers:
            for term in self.automaton.entries[number].blocks:
                longer[term] += self._entry_spans(number)
        for term, blocks in longer.items():
            spans = self.get(term)
            if spans:
                self.replace(term, [s for s in spans if not inside_longer(s, blocks)])

    def _compounds(self) -> None:
        """ "US-China talks", "Russia-Ukraine war": a compound of names counts as each name.
        A compound with any other part ("pro-Assad", "Secretary-General") stays one word."""
        analysis, automaton = self.analysis, self.automaton
        for start, compound in _hyphenated(analysis.joined):
            folded = [strip_possessive(part) for part in compound.split("-")]
            if not all(part in automaton.names for part in folded):
                continue
            token = analysis.token_at(start)
            surface = analysis.words[token].split("-")
            for part, written in zip(folded, surface, strict=False):
                for key, cased in automaton.parts.get(part, ()):
                    if cased is None or cased == strip_possessive(written):
                        self.add(key, [(token, token + 1)])


def _hyphenated(joined: str) -> Iterator[tuple[int, str]]:
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


def same_case(analysis: Analysis, pattern: Pattern, span: Span) -> bool:
    surface = tuple(strip_possessive(w) for w in analysis.words[span[0] : span[1]])
    return surface == pattern.cased


def in_office(pattern: Pattern, published: date | None) -> bool:
    if published is None:
        return True
    after_start = pattern.role_start is None or pattern.role_start <= published
    return after_start and (pattern.role_end is None or published <= pattern.role_end)


def inside_longer(span: Span, longer: list[Span]) -> bool:
    size = span[1] - span[0]
    return any(s[0] <= span[0] and span[1] <= s[1] and s[1] - s[0] > size for s in longer)


def _matches(compiled: regex.Pattern[str], text: str) -> list[regex.Match[str]]:
    try:
        return [m for m in compiled.finditer(text, timeout=REGEX_TIMEOUT) if m.end() > m.start()]
    except TimeoutError:
        return []


def _token_span(analysis: Analysis, start: int, end: int) -> Span:
    starts = analysis.char_starts
    first = max(bisect_right(starts, start) - 1, 0)
    last = max(bisect_right(starts, end - 1) - 1, first)
    return first, last + 1
