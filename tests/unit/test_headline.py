"""Headlines compiled with the lexicon."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from watchd.rules import RuleSet
from watchd.rules.conditions import All, Event, TermRef

Build = Callable[[str], RuleSet]


def compiled(ruleset: Build, headline: str) -> object:
    rules = ruleset(f"rules:\n  - id: r\n    watch: {headline}\n")
    return rules.rules[0].condition


def test_actor_verb_target_is_an_event(ruleset: Build) -> None:
    condition = compiled(ruleset, "Shamkhani criticizes Russia")
    assert condition == Event(
        verb=TermRef("%criticize", "verb"),
        actor=TermRef("Shamkhani", "actor"),
        target=TermRef("@russia", "target"),
    )


@pytest.mark.parametrize("verb", ["condemns", "denounced", "accusing", "slams", "rebuked"])
def test_any_inflection_of_any_lemma_picks_the_class(ruleset: Build, verb: str) -> None:
    condition = compiled(ruleset, f"Iran {verb} Israel")
    assert isinstance(condition, Event) and condition.verb.key == "%criticize"


def test_passive_headline_swaps_actor_and_target(ruleset: Build) -> None:
    condition = compiled(ruleset, "Russia criticized by Shamkhani")
    assert isinstance(condition, Event)
    assert (condition.actor, condition.target) == (
        TermRef("Shamkhani", "actor"),
        TermRef("@russia", "target"),
    )


def test_without_a_verb_all_terms_in_one_sentence(ruleset: Build) -> None:
    condition = compiled(ruleset, "Security Council resolution on Aleppo")
    assert condition == All(
        (
            TermRef("@unsc", "Security Council"),
            TermRef("resolution|forms", "resolution"),
            TermRef("Aleppo", "Aleppo"),
        )
    )


def test_longest_entity_name_wins(ruleset: Build) -> None:
    condition = compiled(ruleset, "Supreme National Security Council")
    assert condition == TermRef("@snsc", "Supreme National Security Council")


def test_unknown_capitalized_run_is_one_name(ruleset: Build) -> None:
    condition = compiled(ruleset, "Ali Akbar Velayati praises Turkey")
    assert isinstance(condition, Event) and condition.actor == TermRef(
        "Ali Akbar Velayati", "actor"
    )


def test_extra_terms_join_the_event(ruleset: Build) -> None:
    condition = compiled(ruleset, "Russia vetoes resolution on Syria")
    assert isinstance(condition, All)
    event, extra = condition.children
    assert isinstance(event, Event) and event.target == TermRef("resolution|forms", "target")
    assert extra == TermRef("@syria", "Syria")


def test_reciprocal_verb_class_makes_a_symmetric_event(ruleset: Build) -> None:
    condition = compiled(ruleset, "Iran and Russia meet")
    assert isinstance(condition, All)
    event = condition.children[0]
    assert isinstance(event, Event) and event.symmetric
    assert event.actor == TermRef("@russia", "actor")
    assert condition.children[1] == TermRef("@iran", "Iran")


def test_lone_capitalized_first_word_gets_its_inflections(ruleset: Build) -> None:
    condition = compiled(ruleset, "Floods in Pakistan")
    assert condition == All((TermRef("floods|forms", "Floods"), TermRef("@pakistan", "Pakistan")))
    named = compiled(ruleset, "Ali Larijani visits Pakistan")
    assert isinstance(named, Event) and named.actor == TermRef("Ali Larijani", "actor")
