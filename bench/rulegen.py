"""Rule sets of realistic shapes, generated deterministically from the lexicon and corpus.

One seeded stream of rules; a rule set of N rules is its first N, so the smaller sets are
prefixes of the larger ones. Shapes, by share of the stream:

- 40% headline events: "<actor> <verb> <target>", the actor and target a lexicon entity's
  name, an invented surname or a proper noun of the corpus, the verb a lemma of a verb
  class in its third person ("criticizes");
- 20% watchlists: a `lists:` entry of 5 to 50 invented names and organisations, in 15% of
  the lists one or two proper nouns of the corpus, and a rule `when: $list`;
- 20% topic phrases: a headline of two or three content words or names of the corpus and
  no verb, a quarter of them taken from one sentence of the corpus;
- 20% structured rules: `all`, `any` and `near` of entities and literals, some with
  `unless:`.

Half of the rules look `within: sentence`; the rest a paragraph, the document or N words.
A share of the rules (LIVE_SHARE) draws its words from the corpus; the rest, quiet rules,
have the same shapes over invented names and words, and never fire.
"""

from __future__ import annotations

import random
import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import yaml

from watchd.rules.inflect import third_person
from watchd.rules.lexicon import Lexicon
from watchd.rules.terms import literal_patterns
from watchd.text import STOP_WORDS, tokens

SEED = 7
RULES_PER_FILE = 1000
SENTENCE_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'])")
WORD_RE = re.compile(r"[A-Za-z][A-Za-z'-]*")
NAME_RE = re.compile(r"^[A-Z][a-z]{2,}$")
CONTENT_RE = re.compile(r"^[a-z]{4,}$")
MAX_SHARE = 0.01  # a drawn word occurs in at most this share of the articles
ONSETS = "b br ch d dr f g gr h k kr l m n p r s sh st t v z zh".split()
VOWELS = "a e i o u ai ei ou ia".split()
CODAS = "n r l s k v m nd rt sk".split()
ENDINGS = "ov enko ski ani ez son berg ovic escu idis ata oglu man".split()
ORG_WORDS = "Holdings Group Foundation Institute Front Brigade Council Partners Movement".split()
WITHIN_OTHER: list[str | int] = ["paragraph", "document", 10, 20, 30, 50]
# The share of rules about what the corpus talks of. The rest are "quiet": about people and
# topics these few hundred articles never mention, as most of a newsroom's watch rules are on
# any given day. With 1.0 every rule is drawn from the corpus itself (a stress test).
LIVE_SHARE = 0.1


@dataclass
class Vocabulary:
    """What the generator draws from the corpus: names, content words, their sentences."""

    names: list[str]
    words: list[str]
    sentences: list[tuple[list[str], list[str]]]
    phrases: list[str] = field(default_factory=list)
    entities: list[str] = field(default_factory=list)
    articles: int = 0
    postings: dict[str, set[int]] = field(default_factory=dict)
    sorted_tokens: list[str] = field(default_factory=list)

    def spread(self, literal: str) -> int:
        """In how many articles the literal (with its forms or as a prefix) occurs, at most."""
        found: set[int] = set()
        for pattern in literal_patterns(literal):
            lists = [self._postings(w, prefix=pattern.prefix) for w in pattern.words]
            found |= set.intersection(*lists)
        return len(found)

    def _postings(self, word: str, *, prefix: bool) -> set[int]:
        if not prefix:
            return self.postings.get(word, set())
        found: set[int] = set()
        at = bisect_left(self.sorted_tokens, word)
        while at < len(self.sorted_tokens) and self.sorted_tokens[at].startswith(word):
            found |= self.postings[self.sorted_tokens[at]]
            at += 1
        return found


def vocabulary(articles: list[str], lexicon: Lexicon) -> Vocabulary:
    """Topical words of the corpus: in a few articles only, as a rule writer would pick them.

    Names are capitalized mid-sentence and never written in lower case; content words are
    lower case. Both must occur in at most MAX_SHARE of the articles (no "state", "three").
    """
    lower: Counter[str] = Counter()
    capital: Counter[str] = Counter()
    spread: Counter[str] = Counter()
    parsed = [[_words(s) for s in SENTENCE_RE.split(a)] for a in articles]
    for article in parsed:
        spread.update({w for words in article for w in words})
        for words in article:
            lower.update(w for w in words if w.islower())
            capital.update(w for w in words[1:] if NAME_RE.match(w))
    known = lexicon.headline_index
    most = max(2, int(len(articles) * MAX_SHARE))
    names = sorted(
        w for w in capital if w.lower() not in lower and spread[w] <= most and _free(w, known)
    )
    words = sorted(
        w for w in lower if CONTENT_RE.match(w) and 2 <= spread[w] <= most and _free(w, known)
    )
    vocab = _with_sentences(parsed, names, words)
    vocab.entities = _named_entities(" ".join(articles), lexicon)
    for number, text in enumerate(articles):
        for token in set(tokens(text)):
            vocab.postings.setdefault(token, set()).add(number)
    vocab.sorted_tokens = sorted(vocab.postings)
    vocab.articles = len(articles)
    return vocab


def _with_sentences(
    parsed: list[list[list[str]]], names: list[str], words: list[str]
) -> Vocabulary:
    """The sentences that hold three of the chosen words, and pairs of them in a row."""
    name_set, word_set = set(names), set(words)
    sentences = []
    phrases: dict[str, None] = {}
    for ws in (words for article in parsed for words in article):
        found_names = list(dict.fromkeys(w for w in ws if w in name_set))
        found_words = list(dict.fromkeys(w for w in ws if w in word_set))
        if len(found_names) + len(found_words) >= 3:
            sentences.append((found_names, found_words))
        for a, b in pairwise(ws):
            if a in word_set and b in word_set:
                phrases[f"{a} {b}"] = None
    return Vocabulary(names, words, sentences, sorted(phrases))


def _named_entities(text: str, lexicon: Lexicon) -> list[str]:
    """The lexicon's entities that the corpus names (so that some rules about them fire)."""
    found = []
    for entity_id in sorted(lexicon.entities):
        names = "|".join(re.escape(n) for n in lexicon.names(entity_id))
        if re.search(rf"\b(?:{names})\b", text):
            found.append(entity_id)
    return found


def _words(sentence: str) -> list[str]:
    return WORD_RE.findall(sentence)


def _free(word: str, known: dict[tuple[str, ...], tuple[str, str]]) -> bool:
    """Not a stop word, verb, event noun or entity name of the lexicon."""
    folded = word.lower()
    return folded not in STOP_WORDS and (folded,) not in known


@dataclass
class Generator:
    lexicon: Lexicon
    vocab: Vocabulary
    live_share: float = LIVE_SHARE
    rng: random.Random = field(default_factory=lambda: random.Random(SEED))
    count: int = 0
    live: bool = True

    def __post_init__(self) -> None:
        self.entities = sorted(self.lexicon.entities)
        self.verbs = self._verb_forms()
        self.surnames = self._invented(400, taken=set(self.vocab.words) | set(STOP_WORDS))
        self.given = self._invented(150, taken=set(self.surnames) | set(self.vocab.words))
        taken = set(self.surnames) | set(self.given) | set(self.vocab.words)
        self.quiet_words = [w.lower() for w in self._invented(600, taken=taken)]

    def _verb_forms(self) -> list[str]:
        """Third persons of single-word lemmas that a headline reads as their class."""
        index = self.lexicon.headline_index
        forms = []
        for verb_id in sorted(self.lexicon.verbs):
            for lemma in self.lexicon.verbs[verb_id].lemmas:
                form = third_person(lemma)
                if " " not in lemma and index.get(tuple(tokens(form))) == ("verb", verb_id):
                    forms.append(form)
        return forms

    def _invented(self, count: int, taken: set[str]) -> list[str]:
        rng = random.Random(SEED + count)
        found: dict[str, None] = {}
        while len(found) < count:
            syllables = rng.randint(1, 2)
            stem = "".join(rng.choice(ONSETS) + rng.choice(VOWELS) for _ in range(syllables))
            word = (stem + rng.choice(CODAS + ENDINGS)).capitalize()
            if word.lower() not in taken:
                found[word] = None
        return list(found)

    def stream(self) -> Iterator[tuple[dict[str, Any], dict[str, Any] | None]]:
        """(rule, list or None) forever: the first N make the rule set of N rules."""
        kinds = ["event"] * 4 + ["watchlist"] * 2 + ["topic"] * 2 + ["structured"] * 2
        while True:
            kind = self.rng.choice(kinds)
            self.live = self.rng.random() < self.live_share
            self.count += 1
            ident = f"r{self.count:06d}-{kind}"
            within = "sentence" if self.rng.random() < 0.5 else self.rng.choice(WITHIN_OTHER)
            rule: dict[str, Any] = {"id": ident}
            listed = None
            if kind == "event":
                rule["watch"] = self.event()
            elif kind == "topic":
                rule["watch"] = self.topic()
            elif kind == "watchlist":
                listed = {"id": f"l{self.count:06d}", "items": self.watchlist()}
                rule["when"] = f"${listed['id']}"
            else:
                rule.update(self.structured())
            rule["within"] = within
            yield rule, listed

    # --- the four shapes ---

    def event(self) -> str:
        actor = self.party()
        target = self.party()
        while target == actor:
            target = self.party()
        return f"{actor} {self.rng.choice(self.verbs)} {target}"

    def party(self) -> str:
        if not self.live:
            return self.rng.choice(self.surnames)
        roll = self.rng.random()
        if roll < 0.5:
            name: str = self.lexicon.entities[self.entity()[1:]].names[0]
            return name
        if roll < 0.75:
            return self.rng.choice(self.surnames)
        return self.rng.choice(self.vocab.names)

    def watchlist(self) -> list[str]:
        size = self.rng.randint(5, 50)
        items: dict[str, None] = {}
        if self.live and self.rng.random() < 0.15:
            for _ in range(self.rng.randint(1, 2)):
                items[self.rng.choice(self.vocab.names)] = None
        while len(items) < size:
            items[self.invented_name()] = None
        listed = list(items)
        self.rng.shuffle(listed)
        return listed

    def invented_name(self) -> str:
        surname = self.rng.choice(self.surnames)
        if self.rng.random() < 0.15:
            return f"{surname} {self.rng.choice(ORG_WORDS)}"
        return f"{self.rng.choice(self.given)} {surname}"

    def topic(self) -> str:
        size = self.rng.choice((2, 2, 3))
        if not self.live:
            chosen = self.rng.sample(self.quiet_words, size)
        elif self.rng.random() < 0.25:
            pool = self._sentence_pool()
            chosen = self.rng.sample(pool, min(size, len(pool)))
        else:
            chosen = [self._any_word() for _ in range(size)]
        return _headline(list(dict.fromkeys(chosen)))

    def _sentence_pool(self) -> list[str]:
        names, words = self.rng.choice(self.vocab.sentences)
        return names + words

    def _any_word(self) -> str:
        if self.rng.random() < 0.3:
            return self.rng.choice(self.vocab.names)
        return self.rng.choice(self.vocab.words)

    def structured(self) -> dict[str, Any]:
        shape = self.rng.choice(("all", "all-any", "any", "near"))
        if shape == "all":
            when: Any = {"all": [self.entity(), self.literal()]}
        elif shape == "all-any":
            when = {"all": [self.entity(), {"any": [self.literal() for _ in range(3)]}]}
        elif shape == "any":
            when = {"any": [self.literal() for _ in range(self.rng.randint(2, 3))]}
        else:
            when = {"near": [self.entity(), self.literal()], "gap": self.rng.randint(3, 10)}
        rule: dict[str, Any] = {"when": when}
        if self.rng.random() < 0.1:
            rule["unless"] = self.literal()
        return rule

    def entity(self) -> str:
        """Half the time one the corpus names, else any entity of the lexicon."""
        named = self.vocab.entities
        if named and self.rng.random() < 0.5:
            return f"@{self.rng.choice(named)}"
        return f"@{self.rng.choice(self.entities)}"

    def literal(self) -> str:
        """A name or word of the corpus in at most MAX_SHARE of the articles (with its forms),
        or, as often, an invented name the corpus never mentions (always, for a quiet rule)."""
        if not self.live or self.rng.random() < 0.5:
            invented = self.rng.random() < 0.5
            return self.invented_name() if invented else self.rng.choice(self.surnames)
        most = max(2, int(self.vocab.articles * MAX_SHARE))
        for _ in range(20):
            literal = self._corpus_literal()
            if self.vocab.spread(literal) <= most:
                return literal
        return literal

    def _corpus_literal(self) -> str:
        roll = self.rng.random()
        if roll < 0.15:
            return self.rng.choice(self.vocab.phrases)
        if roll < 0.3:
            return self.rng.choice(self.vocab.names)
        word = self.rng.choice(self.vocab.words)
        if roll < 0.35 and len(word) >= 8:
            return f"{word[: max(6, len(word) - 4)]}*"
        if roll < 0.7 and not word.endswith(("ed", "ing", "s")):
            return f"{word}|forms"
        return word


def _headline(parts: list[str]) -> str:
    """Words joined by spaces; "and" between two names, which would otherwise merge."""
    out: list[str] = []
    for part in parts:
        if out and out[-1][:1].isupper() and part[:1].isupper():
            out.append("and")
        out.append(part)
    return " ".join(out)


def generate(
    size: int, folder: Path, lexicon: Lexicon, vocab: Vocabulary, live_share: float = LIVE_SHARE
) -> list[Path]:
    """The first `size` rules of the stream, as YAML files of RULES_PER_FILE rules."""
    folder.mkdir(parents=True, exist_ok=True)
    stream = Generator(lexicon, vocab, live_share).stream()
    paths = []
    for start in range(0, size, RULES_PER_FILE):
        rules, lists = [], []
        for _ in range(min(RULES_PER_FILE, size - start)):
            rule, listed = next(stream)
            rules.append(rule)
            if listed is not None:
                lists.append(listed)
        path = folder / f"rules-{start // RULES_PER_FILE:04d}.yaml"
        data = {"lists": lists, "rules": rules} if lists else {"rules": rules}
        path.write_text(_dump(data), encoding="utf-8")
        paths.append(path)
    return paths


def _dump(data: dict[str, Any]) -> str:
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text: str = yaml.dump(
        data, Dumper=dumper, sort_keys=False, default_flow_style=None, width=100, allow_unicode=True
    )
    return text
