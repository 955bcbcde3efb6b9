"""The lexicon: entities, verb classes and lists, and the terms they compile to."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

from watchd.rules.inflect import noun_forms, phrase_forms, verb_forms
from watchd.rules.models import Entity, Verb, WordList
from watchd.rules.terms import Pattern, Term, name_patterns, role_pattern
from watchd.text import tokens

Words = tuple[str, ...]


@dataclass
class Lexicon:
    entities: dict[str, Entity] = field(default_factory=dict)
    verbs: dict[str, Verb] = field(default_factory=dict)
    lists: dict[str, WordList] = field(default_factory=dict)

    def closure(self, entity_id: str) -> list[str]:
        """The entity and, recursively, its members; each once, cycles cut."""
        seen: dict[str, None] = {}
        stack = [entity_id]
        while stack:
            current = stack.pop()
            if current in seen or current not in self.entities:
                continue
            seen[current] = None
            stack.extend(reversed(self.entities[current].members))
        return list(seen)

    def names(self, entity_id: str) -> list[str]:
        """Every written form of one entity, without its members."""
        entity = self.entities[entity_id]
        return [*entity.names, *entity.spellings, *entity.scripts, *entity.adjectives]

    def entity_term(self, entity_id: str) -> Term:
        family = self.closure(entity_id)
        patterns = [p for member in family for p in name_patterns(self.names(member))]
        roles = [role_pattern(r.name, r.start, r.end) for r in self.entities[entity_id].roles]
        blockers = _longer(patterns, self._names_by_word, set(family))
        return Term(f"@{entity_id}", "entity", _unique([*patterns, *roles]), blockers=blockers)

    def verb_term(self, verb_id: str) -> Term:
        patterns = list(_unique(_pattern(f) for f in self.verb_forms(verb_id)))
        blockers = _longer(patterns, self._verb_forms_by_word, {verb_id})
        return Term(f"%{verb_id}", "verb", tuple(patterns), blockers=blockers)

    def verb_forms(self, verb_id: str) -> list[str]:
        verb = self.verbs[verb_id]
        forms = [
            f for lemma in verb.lemmas for f in verb_forms(lemma, verb.irregular.get(lemma, []))
        ]
        forms += [f for phrase in verb.phrases for f in phrase_forms(phrase)]
        forms += [f for noun in verb.nouns for f in noun_forms(noun)]
        return forms

    def list_term(self, list_id: str) -> Term:
        """Every item of a list, as a literal; items that do not compile are left out (the
        loader reports them where they are written)."""
        patterns = name_patterns(self.lists[list_id].items)
        return Term(f"${list_id}", "list", _unique(iter(patterns)))

    @cached_property
    def headline_index(self) -> dict[Words, tuple[str, str]]:
        """Folded word sequences a headline may use, to ("entity" | "verb" | "noun", id)."""
        index: dict[Words, tuple[str, str]] = {}
        for verb_id, verb in self.verbs.items():
            for noun in verb.nouns:
                for form in noun_forms(noun):
                    index.setdefault(tuple(tokens(form)), ("noun", verb_id))
            for form in self.verb_forms(verb_id):
                index.setdefault(tuple(tokens(form)), ("verb", verb_id))
        for entity_id in self.entities:
            for name in self.names(entity_id):
                index[tuple(tokens(name.split("|")[0]))] = ("entity", entity_id)
        return index

    def meanings(self, phrase: str) -> list[tuple[str, str]]:
        """Everything a word or phrase stands for: ("entity" | "role" | "verb class" |
        "list" | "part of", id), in the lexicon's order."""
        found = list(self._meanings.get(tuple(tokens(phrase)), []))
        entities = [ident for kind, ident in found if kind in ("entity", "role")]
        found += [("part of", owner) for owner in self._owners(entities)]
        return list(dict.fromkeys(found))

    @cached_property
    def _meanings(self) -> dict[Words, list[tuple[str, str]]]:
        table: dict[Words, list[tuple[str, str]]] = defaultdict(list)
        for verb_id in self.verbs:
            for form in self.verb_forms(verb_id):
                table[tuple(tokens(form))].append(("verb class", verb_id))
        for entity_id, entity in self.entities.items():
            for name in self.names(entity_id):
                table[tuple(tokens(name.split("|")[0]))].append(("entity", entity_id))
            for role in entity.roles:
                table[tuple(tokens(role.name))].append(("role", entity_id))
        for list_id, listed in self.lists.items():
            for item in listed.items:
                table[tuple(tokens(item.split("|")[0].rstrip("*")))].append(("list", list_id))
        return table

    def _owners(self, entity_ids: list[str]) -> list[str]:
        """The entities that hold any of these as a member, directly or not."""
        wanted = set(entity_ids)
        return [e for e in self.entities if e not in wanted and wanted & set(self.closure(e))]

    @cached_property
    def one_word_names(self) -> frozenset[str]:
        """Entity names of one word, folded: the parts a compound like "US-China" may have."""
        return frozenset(w for w, entries in self._names_by_word.items() if (w,) in dict(entries))

    @cached_property
    def _names_by_word(self) -> dict[str, list[tuple[Words, str]]]:
        """Every entity name, indexed by each of its words, for finding longer names."""
        named = ((e, n.split("|")[0]) for e in self.entities for n in self.names(e))
        return _by_word((tokens(name), entity_id) for entity_id, name in named)

    @cached_property
    def _verb_forms_by_word(self) -> dict[str, list[tuple[Words, str]]]:
        """Every form of every verb class, indexed by each of its words."""
        forms = ((v, f) for v in self.verbs for f in self.verb_forms(v))
        return _by_word((tokens(form), verb_id) for verb_id, form in forms)


def _by_word(entries: Iterator[tuple[list[str], str]]) -> dict[str, list[tuple[Words, str]]]:
    table: dict[str, list[tuple[Words, str]]] = defaultdict(list)
    for words, owner in entries:
        for word in set(words):
            table[word].append((tuple(words), owner))
    return table


def _longer(
    patterns: list[Pattern], table: dict[str, list[tuple[Words, str]]], family: set[str]
) -> tuple[Pattern, ...]:
    """Longer phrases of other entries that contain one of these patterns: "Supreme National
    Security Council" holds "Security Council", "went on strike" holds "strike". Inside
    them, ours does not count."""
    found: dict[Words, None] = {}
    for pattern in patterns:
        for words, owner in table.get(pattern.words[0], []):
            longer = len(words) > len(pattern.words)
            if longer and owner not in family and _contains(words, pattern.words):
                found[words] = None
    return tuple(Pattern(words) for words in found)


def _contains(longer: Words, shorter: Words) -> bool:
    size = len(shorter)
    return any(longer[i : i + size] == shorter for i in range(len(longer) - size + 1))


def _pattern(form: str) -> Pattern:
    return Pattern(tuple(tokens(form)))


def _unique(patterns: Iterator[Pattern] | list[Pattern]) -> tuple[Pattern, ...]:
    return tuple(dict.fromkeys(p for p in patterns if p.words))
