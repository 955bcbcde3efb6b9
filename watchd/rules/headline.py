"""Headline rules: "Shamkhani criticizes Russia" compiled with the lexicon.

Known entities are found by longest match, a word of a verb class becomes the class,
other capitalized runs are literal names (in a headline without a verb, a lone
capitalized first word also gets its inflections), other content words literals with
their inflections; stop words are dropped. A verb between terms makes an event (actor before,
target after; "X criticized by Y" swaps them); without a verb every term must occur.
"""

from __future__ import annotations

from dataclasses import dataclass

from watchd.rules.conditions import All, Condition, Event, MakeTerm, TermRef
from watchd.rules.lexicon import Lexicon
from watchd.rules.terms import TermSyntaxError
from watchd.text import STOP_WORDS, surface_tokens, tokens
from watchd.yamlpos import YamlPath

LONGEST_NAME = 8


@dataclass(frozen=True, slots=True)
class Piece:
    """One meaningful part of a headline: kind is entity, verb, noun, name or word."""

    kind: str
    term: str
    text: str


def pieces(headline: str, lexicon: Lexicon) -> list[Piece]:
    """The headline cut into known entities, verb classes, names and words."""
    surface = [w for w in surface_tokens(headline) if w[0].isalnum()]
    folded = [tokens(w)[0] for w in surface]
    found: list[Piece] = []
    i = 0
    while i < len(surface):
        size, piece = _known(folded, i, lexicon, surface)
        if piece is None:
            size, piece = _unknown(surface, folded, i)
        if piece is not None:
            found.append(piece)
        i += size
    return found


def _known(
    folded: list[str], start: int, lexicon: Lexicon, surface: list[str]
) -> tuple[int, Piece | None]:
    index = lexicon.headline_index
    for size in range(min(LONGEST_NAME, len(folded) - start), 0, -1):
        hit = index.get(tuple(folded[start : start + size]))
        if hit:
            kind, ident = hit
            sigil = "@" if kind == "entity" else "%"
            return size, Piece(kind, f"{sigil}{ident}", " ".join(surface[start : start + size]))
    return 1, None


def _unknown(surface: list[str], folded: list[str], start: int) -> tuple[int, Piece | None]:
    if _is_name(surface[start], folded[start]):
        end = start + 1
        while end < len(surface) and _is_name(surface[end], folded[end]):
            end += 1
        name = " ".join(surface[start:end])
        return end - start, Piece("name", name, name)
    if folded[start] in STOP_WORDS:
        return 1, None
    word = surface[start]
    return 1, Piece("word", f"{folded[start]}|forms", word)


def _is_name(word: str, folded: str) -> bool:
    return word[0].isupper() and folded not in STOP_WORDS


def compile_headline(
    headline: str, lexicon: Lexicon, make_term: MakeTerm, where: YamlPath
) -> Condition:
    """The condition a headline means; raises TermSyntaxError when nothing is left."""
    found = pieces(headline, lexicon)
    if not found:
        raise TermSyntaxError(f"watch: {headline!r} has no words to match (only stop words)")
    verb = next((i for i, p in enumerate(found) if p.kind == "verb"), None)
    if verb is None:
        found = _first_word_inflected(headline, found)
    refs = [make_term(p.term, p.text, where) for p in found]
    if verb is None:
        return refs[0] if len(refs) == 1 else All(tuple(refs))
    symmetric = lexicon.verbs[found[verb].term[1:]].symmetric
    return _event(refs, verb, _is_passive(headline, found[verb]), symmetric)


def _first_word_inflected(headline: str, found: list[Piece]) -> list[Piece]:
    """Without a verb, a lone capitalized first word may just start the headline ("Floods
    in Pakistan") rather than be a name: its inflections cover both."""
    first = found[0]
    words = surface_tokens(headline)
    alone = first.kind == "name" and " " not in first.text and not first.text.isupper()
    if alone and words and words[0] == first.text:
        return [Piece("word", f"{tokens(first.text)[0]}|forms", first.text), *found[1:]]
    return found


def _event(refs: list[TermRef], verb: int, passive: bool, symmetric: bool) -> Condition:
    before, after = refs[:verb], refs[verb + 1 :]
    actor = _slot(before[-1], "actor") if before else None
    target = _slot(after[0], "target") if after else None
    if passive:
        actor, target = _slot(target, "actor"), _slot(actor, "target")
    event = Event(TermRef(refs[verb].key, "verb"), actor, target, symmetric)
    rest = before[:-1] + after[1:]
    return All((event, *rest)) if rest else event


def _slot(ref: TermRef | None, slot: str) -> TermRef | None:
    return TermRef(ref.key, slot) if ref else None


def _is_passive(headline: str, verb: Piece) -> bool:
    """ "Russia criticized by Shamkhani": the verb is followed by "by"."""
    words = tokens(headline)
    verb_words = tokens(verb.text)
    for i in range(len(words) - len(verb_words)):
        if words[i : i + len(verb_words)] == verb_words:
            return words[i + len(verb_words)] == "by"
    return False
