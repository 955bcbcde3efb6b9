"""Each construct of the rule language, matched against short texts."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from datetime import datetime

import pytest

from watchd.documents import Document
from watchd.matcher import Matcher
from watchd.rules import RuleSet

Fired = Callable[..., list[str]]


def one_rule(body: str, extra: str = "") -> str:
    """A rule file with one rule `r` whose keys are `body`, plus other top-level `extra`."""
    return "rules:\n  - id: r\n" + textwrap.indent(textwrap.dedent(body), "    ") + extra


HEADLINE = "watch: Shamkhani criticizes Russia"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Shamkhani implicitly challenged Russia over its approach.", True),
        ("Shamkhani criticized Russia.", True),
        ("Shamkhani criticizes Russia.", True),
        ("Shamkhani has been criticizing Russia for weeks.", True),
        ("Shamkhani denounced the Kremlin.", True),
        ("Shamkhani's condemnation of Moscow was sharp.", True),
        ("Russia was criticized by Shamkhani.", True),
        ("Russia was criticized on Monday by Shamkhani.", True),
        ("SHAMKHANI CRITICIZES RUSSIA", True),
        ("Shamkhani praised Russia.", False),
        ("Russia criticized Shamkhani.", False),
        ("Shamkhani did not criticize Russia.", False),
        ("Shamkhani didn't criticize Russia.", False),
        ("Shamkhani didn’t criticize Russia.", False),
        ("Mr. Shamkhani criticized Russia.", True),
        ("Shamkhani refused to condemn Russia.", False),
        ("Shamkhani criticized Iran. Russia stayed silent.", False),
        ("Shamkhani criticized Iran while Russia watched.", False),
        ("Shamkhani said Iran had criticized Russia.", False),
        ("Shamkhani, who spoke on Monday, criticized Russia.", True),
        ("Shamkhani spoke. Later Russia was criticized by the press.", False),
    ],
)
def test_headline_event(fired: Fired, text: str, expected: bool) -> None:
    assert fired(one_rule(HEADLINE), text) == (["r"] if expected else [])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the Secretary denounced Monday's UN Security Council resolution on Aleppo.", True),
        ("The Security Council passed two resolutions about Aleppo.", True),
        ("The U.N. Security Council's resolution mentioned Aleppo.", True),
        ("The Security Council met on Monday. Fighting continued in Aleppo.", False),
        ("Iran's Supreme National Security Council passed a resolution on Aleppo.", False),
        ("The Security Council resolution on Homs.", False),
    ],
)
def test_headline_without_verb(fired: Fired, text: str, expected: bool) -> None:
    rule = one_rule("watch: Security Council resolution on Aleppo")
    assert fired(rule, text) == (["r"] if expected else [])


@pytest.mark.parametrize(
    ("headline", "text", "expected"),
    [
        # a verb that undoes or stops the event, shortly before it or passive after it
        ("US sanctions Iran", "The US lifted sanctions on Iran.", False),
        ("US sanctions Iran", "The US eased some sanctions on Iran.", False),
        ("US sanctions Iran", "The US waived all remaining economic sanctions on Iran.", False),
        ("US sanctions Iran", "US sanctions against Iran were lifted in January.", False),
        ("US aids Yemen", "The US suspended its aid to Yemen.", False),
        ("US aids Yemen", "The US cut aid to Yemen.", False),
        ("Russia fights Ukraine", "Russia agreed to halt the fighting in Ukraine.", False),
        ("Russia fights Ukraine", "Russia signed a ceasefire ending the war in Ukraine.", False),
        # not undoing: lifting and stopping as nouns or elsewhere in the sentence
        ("US sanctions Iran", "The US imposed sanctions on Iran after lifting others.", True),
        ("US sanctions Iran", "The US lifted the ban and imposed sanctions on Iran.", True),
        ("US sanctions Iran", "The US tightened sanctions on Iran.", True),
        ("Russia fights Ukraine", "Russia fought Ukraine until the end of the war.", True),
        ("Russia attacks Ukraine", "Russia ended up attacking Ukraine.", True),
        ("Russia attacks Ukraine", "Russian jets dropped bombs on Ukraine.", True),
        # neither a new sanction: kept out, as a refusal is not an act of sanctioning
        ("US sanctions Iran", "The US did not lift sanctions on Iran.", False),
    ],
)
def test_reversed_event(fired: Fired, headline: str, text: str, expected: bool) -> None:
    assert fired(one_rule(f"watch: {headline}"), text) == (["r"] if expected else [])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # parties joined by "and" next to a reciprocal verb or noun, in either order
        ("India and China held talks on Monday.", True),
        ("China and India held talks on Monday.", True),
        ("Indian and Chinese commanders met at the border.", True),
        ("India and China on Monday held talks.", True),
        ("A summit between India and China is planned.", True),
        ("Talks between China and India resumed.", True),
        ("Cooperation between India and China has grown.", False),  # not the meet class
        # near misses: a third party, a pair far from the verb, another clause, negation
        ("India and China held talks with Japan.", False),
        ("India and China were at odds for years before officials met.", False),
        ("India and China quarrelled, while Japan hosted a summit.", False),
        ("India and China did not hold talks.", False),
        ("India and Pakistan held talks. China watched.", False),
        ("India said China and Japan held talks.", False),
        ("The border between India and China is long; Japan hosted a summit.", False),
    ],
)
def test_coordinated_parties(fired: Fired, text: str, expected: bool) -> None:
    assert fired(one_rule("watch: India meets China"), text) == (["r"] if expected else [])


def test_coordinated_parties_only_for_symmetric_classes(fired: Fired) -> None:
    rule = one_rule("watch: Russia attacks Ukraine")
    assert fired(rule, "Russian and Ukrainian forces attacked the town.") == []


IRAN_MEETS_RUSSIA = 'when: {event: {actor: "@iran", verb: "%meet", target: "@russia"}}'
IRAN_CRITICIZES_RUSSIA = 'when: {event: {actor: "@iran", verb: "%criticize", target: "@russia"}}'

CONSTRUCTS = [
    # all / any / not / n_of
    ('when: {all: ["@iran", "@russia"]}', "Iran and Russia met.", True),
    ('when: {all: ["@iran", "@russia"]}', "Iran met. Russia did not.", False),
    ('when: {any: ["@iran", "@turkey"]}', "Turkey spoke.", True),
    ('when: {any: ["@iran", "@turkey"]}', "France spoke.", False),
    ('when: {all: ["@iran", {not: "@russia"}]}', "Iran spoke.", True),
    ('when: {all: ["@iran", {not: "@russia"}]}', "Iran and Russia spoke.", False),
    ("when: {n_of: [Aleppo, Homs, Idlib], n: 2}", "Aleppo and Idlib were shelled.", True),
    ("when: {n_of: [Aleppo, Homs, Idlib], n: 2}", "Aleppo was shelled.", False),
    # near: gap and order
    ("when: {near: [ceasefire, Aleppo], gap: 3}", "a ceasefire in eastern Aleppo", True),
    ("when: {near: [ceasefire, Aleppo], gap: 1}", "a ceasefire in eastern Aleppo", False),
    ("when: {near: [ceasefire, Aleppo], gap: 3}", "Aleppo needs a ceasefire", True),
    ("when: {near: [ceasefire, Aleppo], gap: 3, ordered: true}", "Aleppo needs a ceasefire", False),
    # event
    (
        'when: {event: {actor: "@iran", verb: "%threaten", target: "@israel"}}',
        "Tehran warned Israel.",
        True,
    ),
    (
        'when: {event: {actor: "@iran", verb: "%threaten", target: "@israel"}}',
        "Israel warned Tehran.",
        False,
    ),
    ('when: {event: {actor: "@iran", verb: "%threaten"}}', "Iran threatened to retaliate.", True),
    ('when: {event: {verb: "%attack", target: "@syria"}}', "Jets bombed Syria.", True),
    # a reciprocal verb class (symmetric: true) reads either way round
    (IRAN_MEETS_RUSSIA, "Russia's envoy met Iran's minister.", True),
    (IRAN_CRITICIZES_RUSSIA, "Russia criticized Iran.", False),
    # literals and modifiers
    ("when: resolution", "two resolutions", False),
    ('when: "resolution|forms"', "two resolutions", True),
    ('when: "WHO|cased"', "the WHO said", True),
    ('when: "WHO|cased"', "those who said", False),
    ('when: "russ*"', "the Russians said", True),
    ('when: "russ*"', "a brusque reply", False),
    ('when: "re:\\\\b[0-9]{4} resolution"', "the 2334 resolution", True),
    ('when: "re:\\\\b[0-9]{4} resolution"', "the resolution", False),
    ("when: Shamkhani", "Shamkhani's remarks", True),
    # entities: names, adjectives, capitals, acronyms that are common words
    ('when: "@russia"', "Russian officials spoke.", True),
    ('when: "@russia"', "The Kremlin spoke.", True),
    ('when: "@russia"', "A pro-Russian party won.", False),
    ('when: "@united-states"', "The US said no.", True),
    ('when: "@united-states"', "Let us go.", False),
    ('when: "@united-states"', "US-China talks resumed.", True),
    ('when: "@unsc"', "The Secretary-General spoke to the Security Council.", True),
    # verb classes: inflections, irregular forms, phrases; a phrase of another class blocks
    ('when: "%meet"', "They met in Geneva.", True),
    ('when: "%meet"', "They held talks in Geneva.", True),
    ('when: "%attack"', "The union went on strike.", False),
    ('when: "%attack"', "Jets struck the town.", True),
]


@pytest.mark.parametrize(("body", "text", "expected"), CONSTRUCTS)
def test_construct(fired: Fired, body: str, text: str, expected: bool) -> None:
    assert fired(one_rule(body), text) == (["r"] if expected else [])


@pytest.mark.parametrize(
    ("within", "text", "expected"),
    [
        ("sentence", "Iran spoke. Russia answered.", False),
        ("paragraph", "Iran spoke. Russia answered.", True),
        ("paragraph", "Iran spoke.\n\nRussia answered.", False),
        ("document", "Iran spoke.\n\nRussia answered.", True),
        ("4", "Iran and then Russia", True),
        ("2", "Iran and then Russia", False),
    ],
)
def test_within(fired: Fired, within: str, text: str, expected: bool) -> None:
    rule = one_rule(f'when: {{all: ["@iran", "@russia"]}}\nwithin: {within}')
    assert fired(rule, text) == (["r"] if expected else [])


def test_unless_is_checked_in_the_same_scope(fired: Fired) -> None:
    rule = one_rule('when: {all: [convoy, "@syria"]}\nunless: "%attack"')
    assert fired(rule, "A convoy reached Syria.") == ["r"]
    assert fired(rule, "A convoy was attacked in Syria.") == []
    assert fired(rule, "A convoy reached Syria. Jets attacked Idlib.") == ["r"]


@pytest.mark.parametrize(
    ("fields", "title", "text", "expected"),
    [
        ("[title]", "Aleppo falls", "Nothing here.", True),
        ("[title]", "Nothing here", "Aleppo falls.", False),
        ("[text]", "Aleppo falls", "Nothing here.", False),
        ("[lead]", "", "Aleppo falls.\n\nMore.", True),
        ("[lead]", "", "Intro.\n\nAleppo falls.", False),
    ],
)
def test_fields(fired: Fired, fields: str, title: str, text: str, expected: bool) -> None:
    rule = one_rule(f"when: Aleppo\nfields: {fields}")
    assert fired(rule, text, title) == (["r"] if expected else [])


ROLE_ENTITY = """
entities:
  - id: shamkhani
    names: [Shamkhani]
    roles: [{name: the Secretary, start: 2013-09-10, end: 2023-05-22}]
"""


@pytest.mark.parametrize(
    ("text", "published", "expected"),
    [
        ("Shamkhani spoke. Later the Secretary denounced Russia.", None, True),
        ("The Secretary denounced Russia. Shamkhani spoke.", None, False),
        ("Shamkhani spoke. Later the Secretary denounced Russia.", datetime(2016, 12, 23), True),
        ("Shamkhani spoke. Later the Secretary denounced Russia.", datetime(2024, 1, 1), False),
        ("Shamkhani spoke. The Secretary-General denounced Russia.", None, False),
    ],
)
def test_role_counts_after_the_name_and_while_held(
    fired: Fired, text: str, published: datetime | None, expected: bool
) -> None:
    rule = one_rule('when: {event: {actor: "@shamkhani", verb: "%criticize", target: "@russia"}}')
    assert fired(rule + ROLE_ENTITY, text, published=published) == (["r"] if expected else [])


def test_entity_members_count_as_the_entity(fired: Fired) -> None:
    lexicon = """
entities:
  - id: alliance
    names: [The Alliance]
    members: [ankara-group]
  - id: ankara-group
    names: [Ankara Group]
"""
    assert fired(one_rule('when: "@alliance"', lexicon), "The Ankara Group met.") == ["r"]


def test_watchlist(fired: Fired) -> None:
    lists = "\nlists:\n  - id: people\n    items: [Zarif, Velayati, Ali Larijani]\n"
    rule = one_rule("when: $people\nwithin: document", lists)
    assert fired(rule, "Ali Larijani arrived.") == ["r"]
    assert fired(rule, "Larijani arrived.") == []


def test_evidence_offsets_point_into_the_text(ruleset: Callable[[str], RuleSet]) -> None:
    text = "Intro.\n\nHowever, Shamkhani implicitly challenged Russia's approach."
    hits = Matcher(ruleset(one_rule(HEADLINE))).match(Document("doc", text))
    (evidence,) = hits[0].evidence
    assert text[evidence.start : evidence.end] == evidence.sentence
    assert evidence.sentence.startswith("However") and evidence.sentence.endswith("approach.")
    slots = {t.slot: text[t.start : t.end] for t in evidence.terms}
    assert slots == {"actor": "Shamkhani", "verb": "challenged", "target": "Russia's"}


def test_title_evidence_has_title_offsets(ruleset: Callable[[str], RuleSet]) -> None:
    hits = Matcher(ruleset(one_rule("when: Aleppo"))).match(Document("d", "x.", title="In Aleppo"))
    (evidence,) = hits[0].evidence
    assert (evidence.field, evidence.start, evidence.terms[0].start) == ("title", 0, 3)


def test_presearch_only_verifies_candidates(ruleset: Callable[[str], RuleSet]) -> None:
    rules = "rules:\n" + "".join(
        f"  - id: r{i}\n    watch: Name{i} meets Russia\n" for i in range(50)
    )
    matcher = Matcher(ruleset(rules))
    fields = matcher.fields(Document("d", "Name7 met Russian officials."))
    assert fields["text"].candidates == {7}
    fields = matcher.fields(Document("d", "Name8 stayed home. Name9 met friends."))
    assert fields["text"].candidates == set()


def test_run_on_text_is_bounded_and_its_evidence_clipped(ruleset: Callable[[str], RuleSet]) -> None:
    """Thousands of mentions in one "sentence": only the nearest parties of a verb are
    tried, and the evidence keeps the words around the match, not the whole text."""
    matcher = Matcher(ruleset(one_rule(HEADLINE)))
    quiet = "Russia " * 2000 + "criticized " * 2000 + "Shamkhani " * 2000
    assert matcher.match(Document("d", quiet)) == []
    loud = "Russia criticized Shamkhani and " * 2000
    (hit,) = matcher.match(Document("d", loud))
    (evidence,) = hit.evidence
    assert len(evidence.sentence) < 1000
    assert loud[evidence.start : evidence.end] == evidence.sentence
