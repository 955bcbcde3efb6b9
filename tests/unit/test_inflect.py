from __future__ import annotations

import pytest

from watchd.rules.inflect import noun_forms, phrase_forms, verb_forms, word_forms


@pytest.mark.parametrize(
    ("lemma", "expected"),
    [
        ("criticize", ("criticize", "criticizes", "criticized", "criticizing")),
        ("criticise", ("criticise", "criticises", "criticised", "criticising")),
        ("challenge", ("challenge", "challenges", "challenged", "challenging")),
        ("denounce", ("denounce", "denounces", "denounced", "denouncing")),
        ("accuse", ("accuse", "accuses", "accused", "accusing")),
        ("condemn", ("condemn", "condemns", "condemned", "condemning")),
        ("reject", ("reject", "rejects", "rejected", "rejecting")),
        ("appeal", ("appeal", "appeals", "appealed", "appealing")),
        ("try", ("try", "tries", "tried", "trying")),
        ("deploy", ("deploy", "deploys", "deployed", "deploying")),
        ("stop", ("stop", "stops", "stopped", "stopping")),
        ("ban", ("ban", "bans", "banned", "banning")),
        ("slam", ("slam", "slams", "slammed", "slamming")),
        ("visit", ("visit", "visits", "visited", "visiting")),
        ("open", ("open", "opens", "opened", "opening")),
        ("threaten", ("threaten", "threatens", "threatened", "threatening")),
        ("admit", ("admit", "admits", "admitted", "admitting")),
        ("patrol", ("patrol", "patrols", "patrolled", "patrolling")),
        ("cancel", ("cancel", "cancels", "cancelled", "canceled", "cancelling", "canceling")),
        ("push", ("push", "pushes", "pushed", "pushing")),
        ("veto", ("veto", "vetoes", "vetoed", "vetoing")),
        ("flee", ("flee", "flees", "fled", "fleeing")),
        ("die", ("die", "dies", "died", "dying")),
        ("panic", ("panic", "panics", "panicked", "panicking")),
        ("meet", ("meet", "meets", "met", "meeting")),
        ("hold", ("hold", "holds", "held", "holding")),
        ("fight", ("fight", "fights", "fought", "fighting")),
        ("strike", ("strike", "strikes", "struck", "stricken", "striking")),
        ("speak", ("speak", "speaks", "spoke", "spoken", "speaking")),
        ("withdraw", ("withdraw", "withdraws", "withdrew", "withdrawn", "withdrawing")),
        ("undertake", ("undertake", "undertakes", "undertook", "undertaken", "undertaking")),
        ("forbid", ("forbid", "forbids", "forbade", "forbidden", "forbidding")),
        ("overrun", ("overrun", "overruns", "overran", "overrunning")),
        ("misunderstand", ("misunderstand", "misunderstands", "misunderstood", "misunderstanding")),
        ("go", ("go", "goes", "went", "gone", "going")),
        ("have", ("have", "has", "had", "having")),
        ("hit", ("hit", "hits", "hitting")),
        ("relay", ("relay", "relays", "relayed", "relaying")),
        ("test-fire", ("test-fire", "test-fires", "test-fired", "test-firing")),
        ("Condemn ", ("condemn", "condemns", "condemned", "condemning")),
    ],
)
def test_verb_forms(lemma: str, expected: tuple[str, ...]) -> None:
    assert verb_forms(lemma) == expected


@pytest.mark.parametrize(
    ("lemma", "absent"),
    [
        ("visit", "visitted"),
        ("open", "openned"),
        ("threaten", "threatenned"),
        ("appeal", "appealled"),
        ("criticise", "criticized"),
        ("meet", "meeted"),
        ("withdraw", "withdrawed"),
    ],
)
def test_verb_forms_do_not_invent(lemma: str, absent: str) -> None:
    assert absent not in verb_forms(lemma)


def test_extra_forms_are_added_once_in_lower_case() -> None:
    assert verb_forms("smite", ["Smote", "smitten", "smote"])[-2:] == ("smote", "smitten")


@pytest.mark.parametrize(
    ("noun", "expected"),
    [
        ("resolution", ("resolution", "resolutions")),
        ("crisis", ("crisis", "crises")),
        ("protest", ("protest", "protests")),
        ("country", ("country", "countries")),
        ("sanction", ("sanction", "sanctions")),
        ("attorney", ("attorney", "attorneys")),
        ("embargo", ("embargo", "embargoes")),
        ("speech", ("speech", "speeches")),
        ("oligarch", ("oligarch", "oligarchs")),
        ("woman", ("woman", "women")),
        ("gunman", ("gunman", "gunmen")),
        ("german", ("german", "germans")),
        ("leaf", ("leaf", "leaves")),
        ("chief", ("chief", "chiefs")),
        ("news", ("news",)),
        ("air strike", ("air strike", "air strikes")),
        ("state of emergency", ("state of emergency", "states of emergency")),
    ],
)
def test_noun_forms(noun: str, expected: tuple[str, ...]) -> None:
    assert noun_forms(noun) == expected


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("sanction", ("sanction", "sanctions", "sanctioned", "sanctioning")),
        ("protest", ("protest", "protests", "protested", "protesting")),
        ("leaf", ("leaf", "leaves", "leafs", "leafed", "leafing")),
    ],
)
def test_word_forms(word: str, expected: tuple[str, ...]) -> None:
    assert word_forms(word) == expected


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        (
            "lodge a protest",
            ("lodge a protest", "lodges a protest", "lodged a protest", "lodging a protest"),
        ),
        ("hold talks", ("hold talks", "holds talks", "held talks", "holding talks")),
        ("call  on", ("call on", "calls on", "called on", "calling on")),
        ("rule out", ("rule out", "rules out", "ruled out", "ruling out")),
        ("condemn", ("condemn", "condemns", "condemned", "condemning")),
        (
            "speak out against",
            (
                "speak out against",
                "speaks out against",
                "spoke out against",
                "spoken out against",
                "speaking out against",
            ),
        ),
        ("", ()),
    ],
)
def test_phrase_forms(phrase: str, expected: tuple[str, ...]) -> None:
    assert phrase_forms(phrase) == expected


@pytest.mark.parametrize(
    "function", [verb_forms, noun_forms, word_forms, phrase_forms], ids=lambda f: f.__name__
)
@pytest.mark.parametrize("word", ["Withdraw", "sanction", "Lodge a protest", "crisis", "forbid"])
def test_forms_are_unique_lower_case_and_start_with_the_input(function: object, word: str) -> None:
    assert callable(function)
    forms = function(word)
    assert forms[0] == word.lower()
    assert len(set(forms)) == len(forms)
    assert all(form == form.lower() for form in forms)
