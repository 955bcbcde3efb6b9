"""Every verb class of the default lexicon, tried on sentences written as news reports them.

For each class an `A <verb> B` headline must fire on the ways a wire story reports that
kind of event (active, passive, nominal, indirect; with capitals and adjectives as
actors) and must not fire on the near misses (the wrong direction, negated, another
class, the two actors in different sentences). The sentences are written for these tests.
A case the matcher cannot handle yet is a strict xfail whose reason names the gap.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from _pytest.mark import ParameterSet

from watchd.rules import RuleSet, load_rules
from watchd.rules.headline import pieces
from watchd.rules.inflect import phrase_forms, verb_forms
from watchd.rules.lexicon import Lexicon

Fired = Callable[..., list[str]]

AND_SUBJECTS = (
    "matcher: coordinated parties before the verb ('A and B clashed') are read as actor and "
    "target only for symmetric classes (meet, cooperate), and fight is not one"
)
SYMPATHY = (
    "matcher: the target is checked only for position, so in 'A condemned the attack on B' "
    "B counts as the one condemned, though B is the victim"
)
HYPHENATED = "text: a hyphenated compound is one word, so 'British-flagged' does not name Britain"
NOUN_BEFORE_ACTOR = (
    "matcher: an actor after an event noun without 'by' ('protesters in Baghdad') is not read "
    "as the actor"
)

# class: (headline, [must fire], [must not fire])
CASES: dict[str, tuple[str, list[object], list[object]]] = {
    "criticize": (
        "Kenya criticizes Ethiopia",
        [
            "Kenya on Tuesday condemned Ethiopia's decision to close the border crossing at "
            "Moyale, calling it a breach of regional trade rules.",
            "Kenyan officials accused Ethiopia of stoking tensions along their shared frontier.",
            "Nairobi sharply criticised Addis Ababa over the detention of dozens of truck drivers.",
            "Ethiopia was accused by Kenya of harbouring armed groups near the border town.",
            "Ethiopia's handling of the refugee crisis was criticized on Monday by Kenyan "
            "lawmakers.",
            "Kenya's condemnation of Ethiopia came hours after the crossing was shut.",
            "Kenyan criticism of Ethiopia has grown louder since the talks stalled.",
            "Nairobi summoned Ethiopia's ambassador on Monday to complain about the treatment "
            "of Kenyan traders.",
            "Kenya lodged a formal protest with Ethiopia over the shooting of two herders.",
            "Kenya slams Ethiopia over border killings",
            "Kenya's foreign minister hit out at Ethiopia on Wednesday, saying the closure "
            "hurt ordinary people on both sides.",
            "Kenya blamed Ethiopian militias for the raid on the cattle market.",
            "Kenya expressed outrage at Ethiopia's treatment of Kenyan truck drivers.",
            "Kenyan diplomats took issue with Ethiopia's account of the shooting.",
        ],
        [
            "Ethiopia condemned Kenya's decision to close the border crossing.",
            "Kenya did not condemn Ethiopia's decision, saying it respected its neighbour's "
            "sovereignty.",
            "Kenya refused to criticise Ethiopia over the border closure.",
            "Kenya praised Ethiopia for reopening the border crossing.",
            "Kenya held talks with Somalia on Monday. Separately, rights groups condemned "
            "Ethiopia's decision to close the border.",
            pytest.param(
                "Kenya condemned the attack on Ethiopian peacekeepers in Somalia.",
                marks=pytest.mark.xfail(strict=True, reason=SYMPATHY),
            ),
        ],
    ),
    "reject": (
        "Egypt rejects Ethiopia",
        [
            "Egypt rejected Ethiopia's proposal to fill the dam's reservoir over three years.",
            "Egyptian officials dismissed Ethiopia's claims that the dam would not reduce "
            "downstream flows.",
            "Cairo rebuffed Addis Ababa's offer of a new round of talks.",
            "Ethiopia's plan was rejected by Egypt as a violation of international law.",
            "Egypt's rejection of Ethiopia's timetable deepened the crisis over the Nile.",
            "Egypt turned down Ethiopia's request for more time to reach a deal.",
            "Cairo ruled out any deal with Ethiopia that did not guarantee its share of the water.",
            "Egypt spurned Ethiopian overtures on Thursday, calling them a stalling tactic.",
            "Egypt balked at Ethiopia's demand for a share of the Nile's waters.",
        ],
        [
            "Ethiopia rejected Egypt's proposal for binding arbitration.",
            "Egypt has not rejected Ethiopia's latest offer, a foreign ministry spokesman said.",
            "Egypt welcomed Ethiopia's offer to resume talks on the dam.",
            "Egypt's president spoke about water security on Monday. Sudan rejected "
            "Ethiopia's plan a day later.",
        ],
    ),
    "threaten": (
        "Iran threatens Israel",
        [
            "Iran threatened Israel with a crushing response if it struck Iranian nuclear sites.",
            "Iranian commanders warned Israel on Sunday against any attack on the country's "
            "nuclear facilities.",
            "Tehran issued a stark warning to Israel after the strike on its consulate.",
            "Israel was warned by Iran that it would pay a heavy price for the assassination.",
            "Iran's threats against Israel have grown more explicit in recent weeks.",
            "Tehran vowed revenge against Israel for the killing of a senior commander.",
            "Iran vowed to retaliate against Israel for the strike on its consulate.",
            "Iran's foreign minister cautioned Israel against widening the war.",
            "An Iranian ultimatum to Israel expired at midnight without a response.",
        ],
        [
            "Israel threatened Iran with strikes on its oil terminals.",
            "Iran did not threaten Israel, its envoy to the United Nations insisted.",
            "Iran accused Israel of sabotage at the Natanz enrichment site.",
            "Iran held air defence drills on Monday. Hezbollah warned Israel against escalation.",
        ],
    ),
    "protest": (
        "Iraqis protest Turkey",
        [
            "Thousands of Iraqis protested outside the Turkish embassy on Friday over the "
            "air strikes in the north.",
            "Iraqi demonstrators rallied against Turkey's military operations in Kurdistan.",
            "Iraqi Kurds took to the streets against Turkey's incursion.",
            "Iraqi students staged a protest against Turkish dams on the Tigris.",
            "Iraqi protests against Turkey spread to Basra and Najaf on Saturday.",
            "Iraqi truck drivers went on strike over Turkey's new border fees.",
            "The Turkish consulate in Mosul was picketed by Iraqi activists for a third day.",
            "Iraqi farmers demonstrated against Turkey's water policy in front of parliament.",
            pytest.param(
                "Protesters in Baghdad burned Turkish flags outside the embassy.",
                marks=pytest.mark.xfail(strict=True, reason=NOUN_BEFORE_ACTOR),
            ),
        ],
        [
            "Turks protested outside the Iraqi consulate in Istanbul.",
            "Iraqi unions said they would not protest against Turkey's dam policy.",
            "Iraqi officials condemned Turkey's air strikes in the north.",
            "Iraqis voted in provincial elections on Monday. In Ankara, crowds rallied "
            "against Turkey's government.",
        ],
    ),
    "demand": (
        "Ukraine demands Russia",
        [
            "Ukraine demanded that Russia withdraw its forces from the Zaporizhzhia nuclear plant.",
            "Kyiv insisted on Russia's full withdrawal as a condition for any talks.",
            "Ukrainian officials pressed for Russia to return deported children.",
            "Russia is being pressured by Ukraine and its allies to free the detained sailors.",
            "Ukraine's demand that Russia pay reparations was dismissed in Moscow.",
            "Kyiv called for Russia to be held accountable for the strike on the hospital.",
            "Ukraine pushed for Russia's suspension from the UN Human Rights Council.",
            "Ukraine's foreign minister demanded Moscow hand back the captured ships.",
        ],
        [
            "Russia demanded that Ukraine abandon its bid to join NATO.",
            "Ukraine will not demand that Russia return Crimea first, an adviser said.",
            "Ukraine accused Russia of deporting thousands of children.",
            "Ukraine's president spoke to reporters in Kyiv. Poland called for Russia's "
            "assets to be seized.",
        ],
    ),
    "appeal": (
        "Iraq urges Turkey",
        [
            "Iraq urged Turkey on Monday to release more water from its dams on the Tigris "
            "and Euphrates.",
            "Iraqi officials appealed to Turkey to halt its air strikes in the Kurdistan region.",
            "Baghdad asked Ankara to pull its troops out of the Bashiqa camp.",
            "Turkey was urged by Iraq to respect its sovereignty.",
            "Iraq's plea to Turkey for more water went unanswered.",
            "Baghdad called on Ankara to stop military operations on Iraqi soil.",
            "Iraq requested Turkish help in tracking down the smugglers.",
            "Iraq's foreign minister sought Turkey's support for a regional water conference.",
        ],
        [
            "Turkey urged Iraq to crack down on PKK fighters in the north.",
            "Iraq has not asked Turkey for help, a government spokesman said.",
            "Iraq demanded that Turkey withdraw its troops immediately.",
            "Iraq urged restraint after Turkish jets struck the Qandil mountains.",
            "Iraq's premier flew to Tehran on Sunday. Syria asked Turkey to stop the shelling.",
        ],
    ),
    "meet": (
        "India meets China",
        [
            "India's foreign minister met his Chinese counterpart on the sidelines of the summit.",
            "China's premier visited New Delhi on Tuesday for the first time in five years.",
            "India's prime minister was hosted by China at a banquet in the Great Hall.",
            "India's talks with China on the border dispute resumed in Beijing.",
            "New Delhi hosted a Chinese trade delegation on Wednesday.",
            "Indian officials spoke by phone with Beijing's top diplomat.",
            "The Indian foreign minister telephoned his Chinese counterpart after the clash.",
            "India held talks with China on easing the standoff in Ladakh.",
            "India's foreign minister held a video call with Chinese officials on Friday.",
            "Indian and Chinese commanders held talks at the Chushul-Moldo border point.",
            "A summit between India and China is planned for October.",
        ],
        [
            "India has not held talks with China since the clash in the Galwan valley.",
            "India accused China of building villages along the disputed border.",
            "India's foreign minister arrived in Moscow on Monday. China's defence minister "
            "is expected there next week.",
            "India's prime minister met Japanese leaders in Tokyo while China held naval "
            "drills nearby.",
        ],
    ),
    "praise": (
        "Egypt praises Qatar",
        [
            "Egypt praised Qatar's role in brokering the ceasefire in Gaza.",
            "Egyptian officials welcomed Qatar's decision to resume flights to Cairo.",
            "Cairo hailed Doha's mediation efforts on Tuesday.",
            "Qatar was commended by Egypt for its humanitarian work in Gaza.",
            "Egypt's praise for Qatar marked a thaw after years of feuding.",
            "Egypt thanked Qatar for its support during the currency crisis.",
            "Egypt's president congratulated Qatar's emir on the anniversary of his accession.",
            "Egypt voiced support for Qatar's bid to host the Olympic Games.",
            "Egypt paid tribute to Qatari mediators after the hostages were freed.",
        ],
        [
            "Qatar praised Egypt's role in the talks.",
            "Egypt did not welcome Qatar's proposal, diplomats said.",
            "Egypt criticized Qatar's television coverage of the protests.",
            "Egypt's foreign minister flew to Paris on Monday. The Emirates hailed Qatar's "
            "mediation.",
        ],
    ),
    "agree": (
        "Egypt agrees with Sudan",
        [
            "Egypt signed a defence pact with Sudan on Tuesday.",
            "Egyptian officials agreed with Sudan to coordinate their positions on the dam.",
            "Cairo reached an agreement with Khartoum on sharing the Nile's waters.",
            "Sudan was assured by Egypt that the new canal would not cut its water share.",
            "Egypt's agreement with Sudan on electricity trade takes effect next month.",
            "Egypt struck a deal with Sudan to rebuild the railway to Wadi Halfa.",
            "Egypt ratified a treaty with Sudan on the demarcation of their border.",
            "Egypt accepted Sudan's offer to host the next round of negotiations.",
            "Egypt pledged to Sudan that it would keep its border open to refugees.",
            "Egypt inked a deal with Sudan to link their power grids.",
        ],
        [
            "Sudan accepted Egypt's proposal to hold the talks in Cairo.",
            "Egypt refused to sign the water deal with Sudan.",
            "Egypt rejected Sudan's proposal for a joint border force.",
            "Egypt's cabinet met on Sunday. Sudan signed a separate accord with Ethiopia.",
        ],
    ),
    "cooperate": (
        "Turkey cooperates with Iraq",
        [
            "Turkey will cooperate with Iraq on water management, the two governments said.",
            "Ankara extradited two Iraqi suspects to Baghdad on Thursday.",
            "Iraq's Kurdish region has been heavily invested in by Turkish companies.",
            "Turkey's cooperation with Iraq against the PKK has deepened this year.",
            "Ankara joined forces with Baghdad to secure the oil pipeline.",
            "Turkish investment in Iraq rose by a fifth last year.",
            "Turkey agreed to share intelligence with Iraq on Islamic State cells.",
            "Turkey strengthened ties with Iraq with a new development road project.",
            "Turkish and Iraqi forces coordinated their operations along the border.",
        ],
        [
            "Turkey has refused to cooperate with Iraq on the release of water.",
            "Turkey attacked PKK positions in northern Iraq.",
            "Turkey's president flew to Qatar on Monday. Iraq's collaboration with Iran was "
            "on the agenda in Baghdad.",
            "Turkey works closely with Azerbaijan, but Iraq remains wary of its plans.",
        ],
    ),
    "aid": (
        "Saudi Arabia aids Yemen",
        [
            "Saudi Arabia deposited funds and donated $500 million to Yemen's central bank.",
            "Saudi officials sent aid to Yemen by ship and by air.",
            "Riyadh airlifted medical supplies to Aden on Wednesday.",
            "Yemen's government has been bankrolled by Saudi Arabia since 2015.",
            "Saudi assistance to Yemen reached a record last year.",
            "Saudi Arabia helped Yemen pay public sector salaries for three months.",
            "Saudi Arabia provided humanitarian aid to Yemen's flood victims.",
            "Saudi Arabia granted Yemen a $1 billion fuel grant.",
        ],
        [
            "Yemen's coast guard helped Saudi Arabia rescue fishermen in the Red Sea.",
            "Saudi Arabia has not delivered the aid it promised Yemen.",
            "Saudi jets struck Houthi positions in Yemen.",
            "Yemen asked Saudi Arabia for aid after the floods.",
            "Saudi Arabia sent aid to Sudan on Monday. Yemen's needs were not addressed.",
        ],
    ),
    "yield": (
        "Russia yields to Ukraine",
        [
            "Russia released 95 Ukrainian prisoners of war on Saturday in an exchange "
            "brokered by the UAE.",
            "Russian forces pulled back from positions near Kyiv.",
            "Ukrainian sailors were released by Russia after nine months in detention.",
            "Russia's withdrawal from Ukraine's Kharkiv region stunned military analysts.",
            "Moscow handed over the bodies of 500 Ukrainian soldiers.",
            "Moscow eased its blockade of Ukraine's Black Sea ports.",
            "Russia freed a Ukrainian journalist held for two years.",
            "Russia withdrew its troops from Ukraine's Snake Island.",
            "Russia set free 20 Ukrainian civilians detained in Kherson.",
        ],
        [
            "Ukraine released 50 Russian prisoners in the swap.",
            "Russia has refused to withdraw from Ukraine's occupied regions.",
            "Russian forces captured Ukrainian positions near Avdiivka.",
            "Russia released its grain export figures on Monday. Ukraine's harvest was smaller.",
        ],
    ),
    "investigate": (
        "IAEA investigates Iran",
        [
            "The IAEA is investigating Iran's failure to explain uranium traces at "
            "undeclared sites.",
            "The UN nuclear watchdog inspected Iran's Fordow enrichment plant on Tuesday.",
            "Iran's nuclear programme has been scrutinized by the IAEA for two decades.",
            "The IAEA's investigation into Iran's past nuclear work is still open.",
            "The International Atomic Energy Agency launched a probe into Iran's missing "
            "centrifuge parts.",
            "IAEA inspectors examined samples from Iran's Natanz site.",
            "The IAEA opened an inquiry into Iran's undeclared uranium.",
            "The IAEA will verify Iran's compliance with the new agreement.",
        ],
        [
            "Iran probed the IAEA's handling of leaked documents.",
            "The IAEA has not inspected Iran's Fordow site since February.",
            "The IAEA criticized Iran for barring its inspectors.",
            "The IAEA said Iran had opened its own investigation into the blast.",
            "The IAEA board met in Vienna on Monday. Iran's parliament launched an inquiry "
            "into the sabotage.",
        ],
    ),
    "sanction": (
        "United States sanctions Iran",
        [
            "The United States imposed sanctions on Iran's oil ministry on Thursday.",
            "Washington blacklisted Iranian shipping companies accused of smuggling oil.",
            "Iranian shipping firms were sanctioned by the U.S. Treasury.",
            "U.S. sanctions on Iran have cut its oil exports by half.",
            "The US expelled two Iranian diplomats accused of spying.",
            "America banned imports of Iranian steel and aluminium.",
            "Washington slapped sanctions on Tehran's drone makers.",
            "The United States tightened sanctions against Iran over its nuclear programme.",
            "The US froze Iranian assets held in American banks.",
        ],
        [
            "Iran sanctioned U.S. officials over the killing of its general.",
            "The United States did not sanction Iran's central bank.",
            "The United States condemned Iran for its missile tests.",
            "The United States sanctioned Venezuela on Friday. Iran's oil minister visited "
            "Caracas.",
            "The United States lifted sanctions on Iran's civil aviation sector.",
        ],
    ),
    "coerce": (
        "Iran arrests Britons",
        [
            "Iran arrested two British nationals at Tehran airport on spying charges.",
            "Iranian authorities detained a Briton on charges of collaborating with the enemy.",
            "A British couple was detained by Iran while travelling through the country.",
            "Iran's detention of British citizens has strained relations with London.",
            "Tehran jailed a British aid worker for five years.",
            "Iran sentenced a Briton to ten years in prison for espionage.",
            "Iran's Revolutionary Guards seized the British tanker Stena Impero.",
            "Iran took into custody a British journalist covering the protests.",
            pytest.param(
                "Iran seized a British-flagged tanker in the Strait of Hormuz.",
                marks=pytest.mark.xfail(strict=True, reason=HYPHENATED),
            ),
        ],
        [
            "Britain arrested an Iranian man suspected of planning an attack.",
            "Iran denied detaining any British nationals.",
            "Iran summoned the British ambassador over the remarks.",
            "Iran released a British aid worker after six years.",
            "Iran arrested dozens of protesters on Monday. Britain called for their release.",
        ],
    ),
    "attack": (
        "Israel attacks Lebanon",
        [
            "Israeli jets struck targets in southern Lebanon overnight.",
            "Israel bombed Lebanon's Bekaa valley for the third day.",
            "A village in Lebanon was shelled by Israeli artillery on Sunday.",
            "Israel's air strikes on Lebanon killed at least twelve people.",
            "An Israeli drone strike on Lebanon's south killed two men on a motorbike.",
            "Israel launched an attack on Lebanese territory after rocket fire.",
            "Israeli troops opened fire on Lebanese soldiers at the border.",
            "An Israeli strike killed three people in Lebanon, officials said.",
            "Israeli warplanes pounded southern Lebanon through the night.",
        ],
        [
            "Rockets fired from Lebanon struck northern Israel.",
            "Israel did not strike Lebanon overnight, the military said.",
            "Israel threatened Lebanon with a wider war.",
            "Israel struck targets in Gaza on Monday. Lebanon's army reported calm in the south.",
        ],
    ),
    "fight": (
        "Russia fights Ukraine",
        [
            "Russia invaded Ukraine in February 2022.",
            "Ukrainian positions near Bakhmut were overrun by Russian troops.",
            "Russia's war in Ukraine is nearing its fourth year.",
            "Russian forces captured the Ukrainian town of Avdiivka.",
            "Russia's invasion of Ukraine upended the European security order.",
            "Russian troops battled Ukrainian defenders in the streets of Pokrovsk.",
            "Moscow launched a new offensive against Kyiv's forces in the north-east.",
            "Russia is waging war on Ukraine with North Korean help.",
            pytest.param(
                "Russian and Ukrainian forces clashed near the Dnipro river.",
                marks=pytest.mark.xfail(strict=True, reason=AND_SUBJECTS),
            ),
        ],
        [
            "Ukrainian forces recaptured villages from Russia in the south.",
            "Russia has not invaded Ukraine, the Kremlin insisted in January 2022.",
            "Russia threatened Ukraine with strikes on decision-making centres.",
            "Russia fought a war in Chechnya in the 1990s. Ukraine was then at peace.",
        ],
    ),
    "mobilize": (
        "China mobilizes against Taiwan",
        [
            "China deployed warships and fighter jets around Taiwan on Monday.",
            "Chinese forces staged drills near Taiwan after the inauguration.",
            "Beijing massed troops on the coast facing Taiwan.",
            "The waters around Taiwan were patrolled by Chinese coast guard ships.",
            "China's military buildup near Taiwan alarmed Washington.",
            "Chinese military exercises around Taiwan entered a second day.",
            "China held military exercises around Taiwan in April.",
            "China test-fired missiles into waters near Taiwan.",
            "Beijing's show of force around Taiwan drew condemnation from Tokyo.",
            "China dispatched 30 warplanes toward Taiwan on Sunday.",
            "China sent warships into the waters off Taiwan.",
        ],
        [
            "Taiwan deployed missile launchers on islands facing China.",
            "China did not deploy additional ships near Taiwan, the ministry said.",
            "China threatened Taiwan with punishment for the president's transit.",
            "China held drills in the South China Sea on Monday. Taiwan's president visited "
            "Paraguay.",
        ],
    ),
}


def _rules(headline: str) -> str:
    return f"rules:\n  - id: r\n    watch: {headline}\n"


def _cases(which: int) -> list[object]:
    out: list[object] = []
    for verb_id, case in CASES.items():
        headline = case[0]
        for n, text in enumerate(case[which]):
            if isinstance(text, str):
                out.append(pytest.param(headline, text, id=f"{verb_id}-{n}"))
            else:
                assert isinstance(text, ParameterSet)
                (sentence,) = text.values
                out.append(pytest.param(headline, sentence, marks=text.marks, id=f"{verb_id}-{n}"))
    return out


def test_every_class_has_enough_cases() -> None:
    assert set(CASES) == set(_lexicon().verbs)
    for verb_id, (_, good, bad) in CASES.items():
        assert sum(isinstance(text, str) for text in good) >= 8, verb_id
        assert sum(isinstance(text, str) for text in bad) >= 4, verb_id


@pytest.mark.parametrize(("headline", "text"), _cases(1))
def test_headline_fires_on_news_phrasing(fired: Fired, headline: str, text: str) -> None:
    assert fired(_rules(headline), text) == ["r"]


@pytest.mark.parametrize(("headline", "text"), _cases(2))
def test_headline_does_not_fire_on_near_miss(fired: Fired, headline: str, text: str) -> None:
    assert fired(_rules(headline), text) == []


_LEXICON: list[Lexicon] = []


def _lexicon() -> Lexicon:
    if not _LEXICON:
        with tempfile.TemporaryDirectory() as folder:
            empty = Path(folder) / "rules.yaml"
            empty.write_text("rules: []\n", encoding="utf-8")
            ruleset: RuleSet = load_rules([empty])
        _LEXICON.append(ruleset.lexicon)
    return _LEXICON[0]


def _all_forms() -> list[object]:
    lexicon = _lexicon()
    out: list[object] = []
    for verb_id, verb in lexicon.verbs.items():
        irregular = verb.irregular
        forms = {f for lemma in verb.lemmas for f in verb_forms(lemma, irregular.get(lemma, []))}
        forms |= {f for phrase in verb.phrases for f in phrase_forms(phrase)}
        out += [pytest.param(form, verb_id, id=f"{verb_id}-{form}") for form in sorted(forms)]
    return out


@pytest.mark.parametrize(("form", "verb_id"), _all_forms())
def test_any_inflection_in_a_headline_resolves_to_its_class(form: str, verb_id: str) -> None:
    """A form that is also a noun of the class ("warning") is read as the noun."""
    found = pieces(f"Kenya {form} Ethiopia", _lexicon())
    assert [p.term for p in found if p.kind in ("verb", "noun")] == [f"%{verb_id}"]


@pytest.mark.parametrize(
    ("headline", "verb_id"),
    [
        ("Kenya accuses Ethiopia", "criticize"),
        ("India met China", "meet"),
        ("Egypt rebuffs Ethiopia", "reject"),
        ("Iran warns Israel", "threaten"),
        ("Israel shelled Lebanon", "attack"),
        ("Russia fought Ukraine", "fight"),
        ("United States sanctioned Iran", "sanction"),
        ("Egypt signs with Sudan", "agree"),
    ],
)
def test_explain_shows_the_chosen_class(tmp_path: Path, headline: str, verb_id: str) -> None:
    (tmp_path / "rules.yaml").write_text(_rules(headline), encoding="utf-8")
    result = subprocess.run(
        [str(Path(sys.executable).parent / "watchd"), "explain", "--rules", str(tmp_path), "r"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert f"verb: %{verb_id}" in result.stdout
