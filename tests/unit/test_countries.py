"""The countries of the default lexicon: every UN member and observer, and the hard cases
(a country's name inside another's, a name that is also a person or a US state)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest
import yaml

from watchd.rules.models import Entity, RuleFile

FILE = Path(__file__).parents[2] / "watchd" / "default_lexicon" / "countries.yaml"

UN_MEMBERS = """
AFG ALB DZA AND AGO ATG ARG ARM AUS AUT AZE BHS BHR BGD BRB BLR BEL BLZ BEN BTN BOL BIH BWA
BRA BRN BGR BFA BDI CPV KHM CMR CAN CAF TCD CHL CHN COL COM COG CRI CIV HRV CUB CYP CZE PRK
COD DNK DJI DMA DOM ECU EGY SLV GNQ ERI EST SWZ ETH FJI FIN FRA GAB GMB GEO DEU GHA GRC GRD
GTM GIN GNB GUY HTI HND HUN ISL IND IDN IRN IRQ IRL ISR ITA JAM JPN JOR KAZ KEN KIR KWT KGZ
LAO LVA LBN LSO LBR LBY LIE LTU LUX MDG MWI MYS MDV MLI MLT MHL MRT MUS MEX FSM MCO MNG MNE
MAR MOZ MMR NAM NRU NPL NLD NZL NIC NER NGA MKD NOR OMN PAK PLW PAN PNG PRY PER PHL POL PRT
QAT KOR MDA ROU RUS RWA KNA LCA VCT WSM SMR STP SAU SEN SRB SYC SLE SGP SVK SVN SLB SOM ZAF
SSD ESP LKA SDN SUR SWE CHE SYR TJK THA TLS TGO TON TTO TUN TUR TKM TUV UGA UKR ARE GBR TZA
USA URY UZB VUT VEN VNM YEM ZMB ZWE
""".split()
UN_OBSERVERS = ["VAT", "PSE"]


@cache
def countries() -> tuple[Entity, ...]:
    data = RuleFile.model_validate(yaml.safe_load(FILE.read_text(encoding="utf-8")))
    return tuple(data.entities)


def by_iso3() -> dict[str, Entity]:
    return {e.codes["iso3"]: e for e in countries() if "iso3" in e.codes}


def entity(entity_id: str) -> Entity:
    return next(e for e in countries() if e.id == entity_id)


def test_the_un_list_is_complete() -> None:
    assert len(set(UN_MEMBERS)) == 193


@pytest.mark.parametrize("iso3", UN_MEMBERS + UN_OBSERVERS)
def test_every_un_member_and_observer_is_a_country(iso3: str) -> None:
    country = by_iso3().get(iso3)
    assert country is not None, iso3
    assert country.kind == "country"
    assert country.codes.get("cameo") == iso3


def test_iso3_codes_are_unique() -> None:
    codes = [e.codes["iso3"] for e in countries() if "iso3" in e.codes]
    assert len(codes) == len(set(codes))


@pytest.mark.parametrize(
    ("entity_id", "kind"),
    [
        ("taiwan", "country"),
        ("kosovo", "country"),
        ("western-sahara", "territory"),
        ("hong-kong", "territory"),
        ("macau", "territory"),
        ("puerto-rico", "territory"),
        ("greenland", "territory"),
        ("gaza", "territory"),
        ("west-bank", "territory"),
    ],
)
def test_territories_news_names(entity_id: str, kind: str) -> None:
    assert entity(entity_id).kind == kind


@pytest.mark.parametrize(
    ("entity_id", "name"),
    [
        ("united-kingdom", "Downing Street"),
        ("united-states", "White House"),
        ("china", "Beijing"),
        ("france", "Elysee"),
        ("turkey", "Türkiye"),
        ("ivory-coast", "Côte d'Ivoire"),
        ("ivory-coast", "Ivory Coast"),
        ("myanmar", "Burma"),
        ("myanmar", "Myanmar"),
        ("czechia", "Czechia"),
        ("nigeria", "Nigerian"),
        ("nigeria", "Nigerians"),
        ("niger", "Nigerien"),
        ("eswatini", "Swaziland"),
        ("north-korea", "Pyongyang"),
        ("south-korea", "Seoul"),
        ("georgia", "Tbilisi"),
        ("georgia", "Georgian"),
    ],
)
def test_country_has_name(entity_id: str, name: str) -> None:
    country = entity(entity_id)
    assert name in [*country.names, *country.spellings, *country.adjectives]


@pytest.mark.parametrize("word", ["Male", "Sofia", "Victoria", "Santiago", "Georgetown", "PNG"])
def test_capitals_and_codes_that_are_common_words_are_left_out(word: str) -> None:
    names = {n.split("|")[0] for e in countries() for n in [*e.names, *e.spellings]}
    assert word not in names


Fired = Callable[..., list[str]]


def when(entity_id: str) -> str:
    return f'rules:\n  - id: r\n    when: "@{entity_id}"\n'


def watch(headline: str) -> str:
    return f"rules:\n  - id: r\n    watch: {headline}\n"


HARD_CASES = [
    # Georgia: "Georgia" alone only after the country was named (a role); US state apart.
    ("georgia", "Georgian officials summoned the Russian envoy.", True),
    ("georgia", "Tbilisi recalled its ambassador; Georgia blamed Moscow.", True),
    ("georgia", "Protesters filled the streets of Tbilisi.", True),
    ("georgia", "Georgia's governor signed the bill in Atlanta.", False),
    ("georgia", "Georgia's election results were certified in Fulton County.", False),
    # Jordan: the country, not the river, the valley or people so named.
    ("jordan", "Jordan recalled its ambassador to Israel.", True),
    ("jordan", "Amman criticized Israel.", True),
    ("jordan", "Settlers moved into the Jordan Valley.", False),
    ("jordan", "Pilgrims were baptized in the Jordan River.", False),
    ("jordan", "Jordan Bardella led the National Rally to victory.", False),
    ("jordan", "Michael Jordan's shoes sold at auction.", False),
    # Chad and Niger; Nigeria apart.
    ("chad", "Chad closed its border with Sudan.", True),
    ("chad", "N'Djamena expelled the French ambassador.", True),
    ("chad", "Chadian troops withdrew.", True),
    ("chad", "Officials counted every hanging chad in Florida.", False),
    ("chad", "Fishermen on Lake Chad were attacked by militants.", False),
    ("niger", "Niger expelled the French ambassador.", True),
    ("niger", "Niamey ordered the troops out.", True),
    ("niger", "Nigerien soldiers were killed.", True),
    ("niger", "Nigeria expelled the French ambassador.", False),
    ("niger", "Nigerian troops crossed the border.", False),
    ("niger", "Militants attacked oil pipelines in the Niger Delta.", False),
    ("niger", "Floods hit Niger State.", False),
    ("nigeria", "Nigerien troops crossed the border.", False),
    ("nigeria", "Niger expelled the French ambassador.", False),
    # The two Congos.
    ("dr-congo", "Kinshasa accused Kigali of backing the M23.", True),
    ("dr-congo", "The DRC and Rwanda signed a deal.", True),
    ("dr-congo", "The Democratic Republic of the Congo held elections.", True),
    ("dr-congo", "The Republic of the Congo held elections.", False),
    ("dr-congo", "Brazzaville held elections.", False),
    ("republic-of-the-congo", "Brazzaville held elections.", True),
    ("republic-of-the-congo", "The Republic of Congo held elections.", True),
    ("republic-of-the-congo", "The Democratic Republic of the Congo held elections.", False),
    ("republic-of-the-congo", "Kinshasa accused Kigali.", False),
    ("congo", "Congolese troops advanced on Goma.", True),
    ("congo", "Kinshasa accused Kigali.", True),
    ("congo", "Brazzaville held elections.", True),
    ("congo", "Barges sailed down the Congo River.", False),
    # The Guineas.
    ("guinea", "Guinea's junta dissolved the government.", True),
    ("guinea", "Conakry recalled its ambassador.", True),
    ("guinea", "Equatorial Guinea's president spoke in Malabo.", False),
    ("guinea", "Papua New Guinea signed a defence pact with Australia.", False),
    ("guinea", "Guinea-Bissau held elections.", False),
    ("guinea", "Pirates attacked a tanker in the Gulf of Guinea.", False),
    ("guinea", "Scientists tested the drug on a guinea pig.", False),
    ("guinea", "Equatorial Guinean officials denied it.", False),
    ("guinea-bissau", "Guinea-Bissau held elections.", True),
    ("guinea-bissau", "Guinea's junta dissolved the government.", False),
    ("equatorial-guinea", "Equatorial Guinea's president spoke.", True),
    ("papua-new-guinea", "Papua New Guinea signed a defence pact.", True),
    ("papua-new-guinea", "Guinea's junta dissolved the government.", False),
    # Sudan and South Sudan.
    ("sudan", "Sudan's army clashed with the RSF.", True),
    ("sudan", "South Sudan's army clashed with rebels.", False),
    ("sudan", "South Sudanese refugees fled.", False),
    ("south-sudan", "South Sudan's army clashed with rebels.", True),
    ("south-sudan", "Sudan's army clashed with the RSF.", False),
    # Korea.
    ("north-korea", "Pyongyang fired a missile.", True),
    ("north-korea", "South Korea fired a missile.", False),
    ("north-korea", "Korean cuisine is popular.", False),
    ("south-korea", "Seoul protested.", True),
    ("south-korea", "North Korea fired a missile.", False),
    ("south-korea", "Korean cuisine is popular.", False),
    ("korea", "Tension rose on the Korean Peninsula.", True),
    ("korea", "Pyongyang fired a missile.", True),
    ("korea", "Seoul protested.", True),
    # Dominica, Samoa, Ireland.
    ("dominican-republic", "The Dominican Republic closed its border with Haiti.", True),
    ("dominican-republic", "Dominica was hit by a hurricane.", False),
    ("dominica", "Dominica was hit by a hurricane.", True),
    ("dominica", "The Dominican Republic closed its border with Haiti.", False),
    ("samoa", "Samoa hosted the Commonwealth summit in Apia.", True),
    ("samoa", "American Samoa elected a delegate.", False),
    ("united-states", "American Samoa elected a delegate.", False),
    ("american-samoa", "American Samoa elected a delegate.", True),
    ("ireland", "Dublin protested to London.", True),
    ("ireland", "Northern Ireland's assembly met at Stormont.", False),
    ("ireland", "Northern Irish unionists objected.", False),
    ("northern-ireland", "Northern Ireland's assembly met at Stormont.", True),
    # Other names inside longer ones.
    ("cyprus", "Turkish Cypriot leaders met in Northern Cyprus.", False),
    ("turkey", "Turkish Cypriot leaders met in Northern Cyprus.", False),
    ("mongolia", "Inner Mongolia was hit by storms.", False),
    ("azerbaijan", "An earthquake struck East Azerbaijan province.", False),
    ("ivory-coast", "Côte d'Ivoire recalled its ambassador.", True),
    ("ivory-coast", "Cote d'Ivoire recalled its ambassador.", True),
    ("turkey", "Türkiye summoned the envoy.", True),
    ("myanmar", "Burma's junta released prisoners.", True),
    ("poland", "Polish officials protested.", True),
    ("poland", "Workers polish the floors of the palace.", False),
]


@pytest.mark.parametrize(("entity_id", "text", "expected"), HARD_CASES)
def test_hard_cases(fired: Fired, entity_id: str, text: str, expected: bool) -> None:
    assert (fired(when(entity_id), text) == ["r"]) is expected


HEADLINES = [
    ("Niger criticizes Chad", "Niamey on Tuesday accused N'Djamena of harbouring rebels.", True),
    ("Niger criticizes Chad", "Nigeria on Tuesday accused Chad of harbouring rebels.", False),
    ("Niger criticizes Chad", "Chad accused Niger of harbouring rebels.", False),
    ("Sudan accuses South Sudan", "Khartoum accused Juba of backing rebels.", True),
    ("Sudan accuses South Sudan", "South Sudan accused Sudan of backing rebels.", False),
    ("Tbilisi criticizes Moscow", "Georgian officials condemned the Kremlin.", True),
    ("Tbilisi criticizes Moscow", "Tbilisi summoned the envoy; Georgia condemned Moscow.", True),
    ("Guinea accuses Guinea-Bissau", "Conakry accused Guinea-Bissau of sheltering rebels.", True),
    ("Guinea accuses Guinea-Bissau", "Guinea-Bissau accused Guinea of sheltering rebels.", False),
    ("Kinshasa accuses Rwanda", "The DRC accused Kigali of backing the M23 rebels.", True),
    ("Kinshasa accuses Rwanda", "Brazzaville accused Kigali of backing the rebels.", False),
    ("Pyongyang threatens Seoul", "North Korea threatened South Korea with nuclear strikes.", True),
    ("Pyongyang threatens Seoul", "South Korea threatened North Korea with sanctions.", False),
    ("Jordan criticizes Israel", "Amman condemned Israel over the raid.", True),
    ("Jordan criticizes Israel", "Jordan Bardella condemned Israel over the raid.", False),
    ("Kenya criticizes Uganda", "Kenyan officials summoned Uganda's envoy to complain.", True),
]


@pytest.mark.parametrize(("headline", "text", "expected"), HEADLINES)
def test_headlines_with_hard_cases(fired: Fired, headline: str, text: str, expected: bool) -> None:
    assert (fired(watch(headline), text) == ["r"]) is expected
