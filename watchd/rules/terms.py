"""Terms: what a rule looks for in text, compiled to word patterns for the automaton.

A term is written `@entity`, `%verbclass`, `$list`, `re:<regex>` or as a literal with
modifiers: `resolution|forms` (with inflections), `WHO|cased` (case-sensitive), `russ*`
(a prefix). Every term becomes a set of `Pattern`s: sequences of folded tokens.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

import regex

from watchd.rules.inflect import noun_forms, phrase_forms, word_forms
from watchd.text import STOP_WORDS, surface_tokens, tokens

TermKind = Literal["entity", "verb", "list", "literal", "regex"]
MODIFIERS = ("forms", "cased")
REGEX_FLAGS = regex.VERSION1 | regex.IGNORECASE


class TermSyntaxError(ValueError):
    """A term that cannot be compiled; the message says how to fix it."""


@dataclass(frozen=True, slots=True)
class Pattern:
    """A sequence of folded tokens; `cased` holds the surface tokens when case matters."""

    words: tuple[str, ...]
    cased: tuple[str, ...] | None = None
    prefix: bool = False
    role_start: date | None = None
    role_end: date | None = None
    role: bool = False

    @property
    def key(self) -> str:
        """The automaton key: space-delimited so that it matches whole tokens only."""
        tail = "" if self.prefix else " "
        return " " + " ".join(self.words) + tail


@dataclass(frozen=True, slots=True)
class Term:
    key: str
    kind: TermKind
    patterns: tuple[Pattern, ...]
    regex: str | None = None
    blockers: tuple[Pattern, ...] = ()


def literal_patterns(text: str) -> tuple[Pattern, ...]:
    """The patterns of a literal such as `resolution|forms`, `WHO|cased` or `russ*`."""
    base, *mods = text.split("|")
    unknown = [m for m in mods if m not in MODIFIERS]
    if unknown:
        raise TermSyntaxError(f"unknown modifier {unknown[0]!r} in {text!r} (use |forms or |cased)")
    prefix = base.endswith("*")
    base = base.rstrip("*").strip()
    if not tokens(base):
        raise TermSyntaxError(f"{text!r} has no words to match")
    cased = "cased" in mods or is_acronym(base)
    forms = inflected(base) if "forms" in mods else (base,)
    return tuple(_pattern(form, cased=cased, prefix=prefix) for form in forms)


def name_patterns(names: Iterable[str]) -> tuple[Pattern, ...]:
    """Patterns for names or list items: exact words, case-insensitive unless an acronym or
    `|cased`. A name that does not compile is left out: the loader reports it where it is
    written."""
    return tuple(p for name in names for p in _patterns_or_none(name))


def _patterns_or_none(text: str) -> tuple[Pattern, ...]:
    try:
        return literal_patterns(text)
    except TermSyntaxError:
        return ()


def is_acronym(text: str) -> bool:
    """All capitals that fold to a common word ("US", "WHO") must keep their case."""
    return text.isupper() and text.lower() in STOP_WORDS


def inflected(phrase: str) -> tuple[str, ...]:
    """A phrase with its inflections: one word in all forms, else the first or last inflected."""
    words = phrase.split()
    if len(words) == 1:
        return word_forms(phrase.lower())
    head = " ".join(words[:-1])
    plurals = tuple(f"{head} {form}" for form in noun_forms(words[-1].lower()))
    return tuple(dict.fromkeys((*plurals, *phrase_forms(phrase.lower()))))


def _pattern(text: str, *, cased: bool, prefix: bool = False) -> Pattern:
    surface = tuple(surface_tokens(text)) if cased else None
    return Pattern(words=tuple(tokens(text)), cased=surface, prefix=prefix)


def role_pattern(name: str, start: date | None, end: date | None) -> Pattern:
    words = tuple(tokens(name))
    return Pattern(words=words, role=True, role_start=start, role_end=end)


def compile_regex(pattern: str) -> regex.Pattern[str]:
    """Compile a `re:` term, refusing patterns that can take exponential time."""
    try:
        compiled = regex.compile(pattern, REGEX_FLAGS)
    except regex.error as error:
        raise TermSyntaxError(f"invalid regular expression {pattern!r}: {error}") from None
    if _NESTED_QUANTIFIER.search(pattern) or _is_slow(compiled):
        raise TermSyntaxError(
            f"regular expression {pattern!r} can take exponential time "
            "(a repeated group that itself repeats); rewrite it without nested repetition"
        )
    return compiled


_NESTED_QUANTIFIER = regex.compile(r"\((?:[^()\\]|\\.)*[+*}]\)(?:[+*]|\{\d*,)")
_PROBES = ("a" * 40 + "!", " " * 40 + "!", "ab" * 40 + "!")


def _is_slow(compiled: regex.Pattern[str]) -> bool:
    try:
        for probe in _PROBES:
            compiled.search(probe, timeout=0.05)
    except TimeoutError:
        return True
    return False
