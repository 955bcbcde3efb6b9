from __future__ import annotations

import re
from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest
import yaml

from watchd.rules.inflect import noun_forms, phrase_forms, verb_forms
from watchd.rules.models import Entity, RuleFile, Verb
from watchd.text import STOP_WORDS, tokens

FOLDER = Path(__file__).parents[2] / "watchd" / "default_lexicon"
FILES = ("countries.yaml", "organizations.yaml", "verbs.yaml")


@cache
def load(name: str) -> RuleFile:
    return RuleFile.model_validate(yaml.safe_load((FOLDER / name).read_text(encoding="utf-8")))


def entities() -> list[Entity]:
    return [e for name in FILES for e in load(name).entities]


def verbs() -> dict[str, Verb]:
    return {v.id: v for v in load("verbs.yaml").verbs}


def entity(entity_id: str) -> Entity:
    return next(e for e in entities() if e.id == entity_id)


def words(verb: Verb) -> list[str]:
    return [*verb.lemmas, *verb.phrases, *verb.nouns]


def surface_forms(verb: Verb) -> set[tuple[str, ...]]:
    forms = [f for lemma in verb.lemmas for f in verb_forms(lemma, verb.irregular.get(lemma, []))]
    forms += [f for phrase in verb.phrases for f in phrase_forms(phrase)]
    forms += [f for noun in verb.nouns for f in noun_forms(noun)]
    return {tuple(tokens(form)) for form in forms}


@pytest.mark.parametrize("name", FILES)
def test_file_validates_and_is_not_empty(name: str) -> None:
    data = load(name)
    assert data.entities or data.verbs
    assert not data.rules


@pytest.mark.parametrize("name", FILES)
def test_file_credits_petrarch2_under_mit(name: str) -> None:
    header = (FOLDER / name).read_text(encoding="utf-8").split("\n\n")[0]
    assert "Open Event Data Alliance" in header
    assert "MIT" in header
    assert "github.com/openeventdata/petrarch2" in header
    assert "watchd team" in (FOLDER / name).read_text(encoding="utf-8")


def test_ids_are_unique_across_files() -> None:
    ids = [e.id for e in entities()] + [v.id for v in load("verbs.yaml").verbs]
    assert len(ids) == len(set(ids)), [i for i in set(ids) if ids.count(i) > 1]


def test_a_name_belongs_to_one_entity() -> None:
    owners: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for e in entities():
        for name in [*e.names, *e.spellings, *e.scripts, *e.adjectives]:
            owners[tuple(tokens(name))].add(e.id)
    assert {name: ids for name, ids in owners.items() if len(ids) > 1} == {}


def test_members_are_known_entities() -> None:
    known = {e.id for e in entities()}
    assert {m for e in entities() for m in e.members} - known == set()


def test_every_country_has_iso3_and_cameo_codes() -> None:
    countries = [e for e in entities() if e.kind == "country"]
    assert len(countries) >= 40
    for country in countries:
        assert re.fullmatch("[A-Z]{3}", country.codes.get("iso3", "")), country.id
        assert re.fullmatch("[A-Z]{3}", country.codes.get("cameo", "")), country.id


@pytest.mark.parametrize(
    ("entity_id", "name"),
    [
        ("united-states", "U.S."),
        ("united-states", "US"),
        ("russia", "Kremlin"),
        ("iran", "Tehran"),
        ("turkey", "Ankara"),
        ("un", "UN"),
        ("unsc", "Security Council"),
        ("snsc", "Supreme National Security Council"),
        ("who", "WHO"),
    ],
)
def test_entity_has_name(entity_id: str, name: str) -> None:
    assert name in entity(entity_id).names


def test_national_security_councils_stay_apart_from_the_un_security_council() -> None:
    assert "snsc" in entity("iran").members
    assert "snsc" not in entity("un").members
    for council in ("snsc", "russia-security-council", "national-security-council"):
        assert any("Security Council" in name for name in entity(council).names)


def test_no_word_in_two_verb_classes() -> None:
    owners: dict[str, set[str]] = defaultdict(set)
    for verb in verbs().values():
        for word in words(verb):
            owners[word].add(verb.id)
    assert {word: ids for word, ids in owners.items() if len(ids) > 1} == {}


def test_no_inflected_form_in_two_verb_classes() -> None:
    owners: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for verb in verbs().values():
        for form in surface_forms(verb):
            owners[form].add(verb.id)
    assert {form: ids for form, ids in owners.items() if len(ids) > 1} == {}


@pytest.mark.parametrize(
    ("word", "verb_id"),
    [
        ("challenge", "criticize"),
        ("denounce", "criticize"),
        ("slam", "criticize"),
        ("reject", "reject"),
        ("praise", "praise"),
        ("meet", "meet"),
        ("strike", "attack"),
    ],
)
def test_lemma_is_in_class(word: str, verb_id: str) -> None:
    assert word in verbs()[verb_id].lemmas


def test_praise_is_not_criticism() -> None:
    assert "praise" not in words(verbs()["criticize"])


def test_lemmas_are_bare_lower_case_content_words() -> None:
    for verb in verbs().values():
        for lemma in verb.lemmas:
            assert re.fullmatch("[a-z]+(?:-[a-z]+)?", lemma), (verb.id, lemma)
            assert lemma not in STOP_WORDS, (verb.id, lemma)


@pytest.mark.parametrize("verb_id", sorted(verbs()))
def test_verb_class_size_and_codes(verb_id: str) -> None:
    verb = verbs()[verb_id]
    assert 10 <= len(verb.lemmas) <= 40
    assert verb.codes["cameo"]
    assert all(re.fullmatch("[0-2][0-9]{2}", code) for code in verb.codes["cameo"])
