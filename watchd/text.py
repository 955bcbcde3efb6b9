"""Text analysis: folded tokens with offsets, sentences and paragraphs.

A text is cut once into surface tokens; their folded forms are joined by single spaces
into `Analysis.joined`, the string the presearch automaton runs over, so a pattern
written as " w1 w2 " can only match whole tokens. Character offsets into the original
text, sentences and paragraphs are computed on first use: most documents never need them.

Folding: quotes and dashes to ASCII, Latin letters without their accents, lower case, a
possessive 's dropped ("Moscow's" -> "moscow"). Folding keeps every character in place, so
a folded token has the length of its surface token (before the possessive is dropped).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from functools import cached_property
from itertools import accumulate

TOKEN_RE = re.compile(  # possessive quantifiers: the same tokens, without backtracking
    r"\w++(?:[-‐‑'’&]\w++"  # words, hyphenated compounds, contractions, possessives
    r"|[.,:]\d++"  # decimals, thousands, times: 3.5, 10,000, 10:30
    r"|\.\w\b)*+"  # dotted acronyms: U.S (its last full stop is a token of its own)
    r"|[.!?]++"  # sentence punctuation
    r"|\n(?=[ \t\r]*\n)"  # a blank line: the end of a paragraph
)
_SPLIT_RE = re.compile(f"({TOKEN_RE.pattern})")
_SPLIT_ASCII = re.compile(_SPLIT_RE.pattern, re.ASCII)  # the same tokens, faster, on ASCII
PARAGRAPH = "\n"
SENTENCE_END = frozenset(".!?")
# After these, a full stop never ends a sentence.
TITLES = frozenset(
    "mr mrs ms dr prof gen col lt sgt capt cmdr adm gov sen rep rev st sr jr hon pres maj brig "
    "cpl pvt supt insp det amb vs approx cf ca".split()
)
# After these, a full stop followed by a number does not end a sentence ("No. 2", "Jan. 5").
NUMBERED = frozenset(
    "no nos vol art fig p pp ch sec para jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
CLOSERS = "\"'”’)]»"
OPENERS = "\"'“‘([«"


def _fold_table() -> dict[int, str]:
    table = {ord(c): "'" for c in "‘’‛ʼ`´′"}
    table.update({ord(c): '"' for c in "“”„‟″«»"})
    table.update({ord(c): "-" for c in "‐‑‒–—―−"})
    table.update({ord(c): " " for c in "\u00a0\u2007\u202f"})
    table[0x130] = "i"  # the one letter whose lower case has two characters
    for code in range(0xC0, 0x250):
        base = unicodedata.normalize("NFD", chr(code))[0]
        if base.isascii() and base.isalpha():
            table[code] = base
    return table


FOLD_TABLE = _fold_table()
_FOLDED_CHARS = re.compile("[" + re.escape("".join(map(chr, FOLD_TABLE))) + "]")


def _fold_char(match: re.Match[str]) -> str:
    return FOLD_TABLE[ord(match.group())]


def fold(text: str) -> str:
    """Quotes, dashes and accents folded, lower case; same length as `text`."""
    if not text.isascii():
        text = _FOLDED_CHARS.sub(_fold_char, text)
    return text.lower()


def strip_possessive(token: str) -> str:
    if len(token) > 2 and token[-2] in "'’" and token[-1] in "sS":
        return token[:-2]
    return token


def tokens(text: str) -> list[str]:
    """The folded word tokens of a phrase, as the automaton sees them."""
    return [strip_possessive(fold(t)) for t in TOKEN_RE.findall(text) if t[0] != PARAGRAPH]


def surface_tokens(text: str) -> list[str]:
    """The tokens of a phrase as written (possessive dropped), for case-sensitive names."""
    return [strip_possessive(t) for t in TOKEN_RE.findall(text) if t[0] != PARAGRAPH]


class Analysis:
    """One text, cut once and shared by every rule that looks at it."""

    def __init__(self, text: str) -> None:
        self.text = text
        split = _SPLIT_ASCII.split if text.isascii() else _SPLIT_RE.split
        self._parts = split(text)  # gap, token, gap, token, ..., gap
        self.words: list[str] = self._parts[1::2]
        folded = fold(" ".join(self.words)).replace("'s ", " ")
        if folded.endswith("'s") and self.words and len(self.words[-1]) > 2:
            folded = folded[:-2]
        self.joined = f" {folded} "

    def __len__(self) -> int:
        return len(self.words)

    @cached_property
    def norms(self) -> list[str]:
        """The folded tokens, as in `joined`."""
        return self.joined[1:-1].split(" ") if self.words else []

    def norm(self, index: int) -> str:
        """One folded token (cheaper than `norms` when only a few are looked at)."""
        return strip_possessive(fold(self.words[index]))

    def folded(self, first: int, end: int) -> list[str]:
        """The folded tokens [first, end), possessives kept (cheaper than `norms` for a
        short run)."""
        return fold(" ".join(self.words[first:end])).split(" ") if end > first else []

    @cached_property
    def starts(self) -> list[int]:
        """Where each token starts in `joined`."""
        starts = list(accumulate(map(_plus_one, map(len, self.norms)), initial=1))
        starts.pop()
        return starts

    def token_at(self, position: int) -> int:
        """The index of the token that holds `position` of `joined`."""
        return bisect_right(self.starts, position) - 1

    def tokens_before(self, positions: Iterable[int]) -> Iterator[int]:
        """For rising positions of `joined`, how many spaces come before each: the index of
        the token holding it, plus one. One pass over the string, with no table."""
        count, last, spaces = self.joined.count, 0, 0
        for position in positions:
            spaces += count(" ", last, position)
            last = position
            yield spaces

    @cached_property
    def _offsets(self) -> list[int]:
        """Where each gap and token of `_parts` ends: token i spans [2i, 2i + 1]."""
        return list(accumulate(map(len, self._parts)))

    def char_start(self, token: int) -> int:
        return self._offsets[2 * token]

    def char_end(self, token: int) -> int:
        return self._offsets[2 * token + 1]

    @cached_property
    def char_starts(self) -> list[int]:
        """The character offset of each token, in order."""
        return self._offsets[0 : 2 * len(self.words) : 2]

    @cached_property
    def sentence_starts(self) -> list[int]:
        """Token indices where sentences begin; the first is always 0."""
        words = self.words
        last = len(words) - 1
        starts = [0]
        for index in self._boundaries:
            following = words[index + 1] if index < last else PARAGRAPH
            if following == PARAGRAPH or following[0].islower():
                continue  # the paragraph mark ends it, or the sentence goes on
            if words[index] == ".":
                previous = words[index - 1].lower() if index else ""
                if previous in TITLES or "." in previous:  # "Mr. Smith", "U.S. President"
                    continue
                if previous in NUMBERED and following[0].isdigit():  # "No. 2", "Jan. 5"
                    continue
            starts.append(index + 1)
        return starts

    @cached_property
    def paragraph_starts(self) -> list[int]:
        words, last = self.words, len(self.words) - 1
        ends = (i for i in self._boundaries if words[i] == PARAGRAPH and i < last)
        return [0] + [i + 1 for i in ends if words[i + 1] != PARAGRAPH]

    @cached_property
    def _boundaries(self) -> list[int]:
        """Indices of the tokens that may end a sentence: . ! ? and paragraph ends."""
        found = (m.start() + 1 for m in _BOUNDARY_RE.finditer(self.joined))
        return [spaces - 1 for spaces in self.tokens_before(found)]

    def sentence_of(self, token: int) -> int:
        return bisect_right(self.sentence_starts, token) - 1

    def paragraph_of(self, token: int) -> int:
        return bisect_right(self.paragraph_starts, token) - 1

    def sentence_range(self, sentence: int) -> tuple[int, int]:
        """Token range [start, end) of a sentence."""
        return _range(self.sentence_starts, sentence, len(self.words))

    def paragraph_range(self, paragraph: int) -> tuple[int, int]:
        return _range(self.paragraph_starts, paragraph, len(self.words))

    def char_span(self, first: int, end: int) -> tuple[int, int]:
        """Character offsets covering tokens [first, end), closing quotes included."""
        while end > first + 1 and self.words[end - 1] == PARAGRAPH:
            end -= 1
        start, stop = self.char_start(first), self.char_end(end - 1)
        while start > 0 and self.text[start - 1] in OPENERS:
            start -= 1
        while stop < len(self.text) and self.text[stop] in CLOSERS:
            stop += 1
        return start, stop


_plus_one = (1).__add__


def _range(starts: list[int], index: int, total: int) -> tuple[int, int]:
    end = starts[index + 1] if index + 1 < len(starts) else total
    return starts[index], end


_BOUNDARY_RE = re.compile(r" [.!?\n]")  # only punctuation tokens start with these


# Words a headline drops; an all-capitals name that folds to one of these ("US", "WHO", "IT")
# is matched case-sensitively.
STOP_WORDS = frozenset(
    "a an the of on in at to for from by with about against over under into onto upon as "
    "and or but nor so yet if than then that this these those there here who whom whose which "
    "what when where why how is are was were be been being am do does did has have had will "
    "would shall should may might can could must it its it's he him his she her hers they them "
    "their theirs we us our ours you your yours i me my mine after before during since until "
    "while amid among between through via per not no new says said".split()
)
