"""English inflection for the lexicon: verb forms, noun plurals, verb phrases.

Pure functions over lower-case words; nothing here knows about rules or text. Regular
forms follow the spelling rules (criticize -> criticizes, criticized, criticizing;
stop -> stopped; try -> tried); irregular verbs and nouns come from built-in tables.
British and American lemmas are kept as written: "criticise" is not turned into
"criticize". Only a final -l after one vowel ("cancel", "signal", "fuel") gets both the
British and the American inflection ("cancelled", "canceled"), since both are in print.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Past tense and past participle forms, one verb a line: "lemma form form ...".
_IRREGULAR_VERBS = """
abide abode abided
arise arose arisen
awake awoke awoken
be am are was were been
bear bore borne born
beat beat beaten
begin began begun
bend bent
beseech besought beseeched
bet bet
bid bid bade bidden
bind bound
bite bit bitten
bleed bled
blow blew blown
break broke broken
breed bred
bring brought
broadcast broadcast
browbeat browbeat browbeaten
build built
burn burned burnt
burst burst
bust bust busted
buy bought
cast cast
catch caught
choose chose chosen
cling clung
clothe clothed clad
come came come
cost cost
creep crept
cut cut
deal dealt
dig dug
dive dived dove
do did done
draw drew drawn
dream dreamed dreamt
drink drank drunk
drive drove driven
dwell dwelt dwelled
eat ate eaten
fall fell fallen
feed fed
feel felt
fight fought
find found
flee fled
fling flung
fly flew flown
forsake forsook forsaken
freeze froze frozen
get got gotten
give gave given
go went gone
grind ground
grow grew grown
hang hung hanged
have had
hear heard
hew hewed hewn
hide hid hidden
hit hit
hold held
hurt hurt
keep kept
kneel knelt kneeled
knit knit knitted
know knew known
lay laid
lead led
lean leaned leant
leap leaped leapt
learn learned learnt
leave left
lend lent
let let
lie lay lain lied
light lit lighted
lose lost
make made
mean meant
meet met
mow mowed mown
partake partook partaken
pay paid
plead pleaded pled
prove proved proven
put put
quit quit quitted
read read
rid rid
ride rode ridden
ring rang rung
rise rose risen
run ran run
say said
see saw seen
seek sought
sell sold
send sent
set set
sew sewed sewn
shake shook shaken
shear sheared shorn
shed shed
shine shone shined
shoot shot
show showed shown
shrink shrank shrunk
shut shut
sing sang sung
sink sank sunk
sit sat
slay slew slain slayed
sleep slept
slide slid
sling slung
slit slit
smell smelled smelt
sneak sneaked snuck
sow sowed sown
speak spoke spoken
speed sped speeded
spell spelled spelt
spend spent
spill spilled spilt
spin spun
spit spat spit
split split
spoil spoiled spoilt
spread spread
spring sprang sprung
stand stood
steal stole stolen
stick stuck
sting stung
stink stank stunk
strew strewed strewn
stride strode stridden
strike struck stricken
string strung
strive strove striven strived
swear swore sworn
sweep swept
swell swelled swollen
swim swam swum
swing swung
take took taken
teach taught
tear tore torn
tell told
think thought
thrive thrived throve
throw threw thrown
thrust thrust
tread trod trodden
wake woke woken waked
wear wore worn
weave wove woven
wed wed wedded
weep wept
wet wet wetted
win won
wind wound
wring wrung
write wrote written
"""

# Irregular verbs are also recognized behind these prefixes: withdraw, uphold, undertake.
_PREFIXES = ("under", "with", "over", "fore", "out", "mis", "for", "up", "un", "re", "be")
# Verbs that look like prefix + irregular verb but are regular.
_NOT_COMPOUND = frozenset({"behave", "belay", "belie", "relay"})
# Third person forms the spelling rules cannot make.
_THIRD_PERSON = {"be": "is", "have": "has"}

# Verbs of more than one syllable that double their last consonant (stress on the end).
_DOUBLING = frozenset(
    """
    abet abhor acquit admit allot annul appal befit begin commit compel concur confer
    control defer deter dispel distil embed emit enrol enthral equip excel expel extol
    forget fulfil handicap incur infer instil kidnap occur omit outstrip outwit overlap
    overstep patrol permit prefer propel rebel rebut recap recur refer refit regret
    remit repel submit transmit unban underpin unpin unplug unwrap upset worship
    """.split()
)
# Verbs printed both doubled and not ("combatted", "combated").
_DOUBLING_OPTIONAL = frozenset({"benefit", "combat", "focus"})
# Verbs in -c that take a k before -ed and -ing: panicked.
_ADD_K = frozenset({"frolic", "mimic", "panic", "picnic", "traffic"})

_VOWELS = "aeiou"
_SIBILANT = re.compile(r"(?:s|sh|ch|x|z)$")
_CONSONANT_O = re.compile(r"[^aeiou]o$")
_CONSONANT_Y = re.compile(r"[^aeiou]y$")
# A final -l after a single vowel: British doubles it, American does not.
_FINAL_L = re.compile(r"(?:qu|[^aeiou]u|[^aeiouy])[aeio]l$")

_IRREGULAR_NOUNS = """
analysis analyses
axis axes
basis bases
belief beliefs
calf calves
chief chiefs
child children
criterion criteria
foot feet
goose geese
half halves
knife knives
leaf leaves
life lives
loaf loaves
man men
memorandum memoranda memorandums
mouse mice
nucleus nuclei
ox oxen
person people
phenomenon phenomena
proof proofs
radius radii
roof roofs
self selves
sheaf sheaves
shelf shelves
stimulus stimuli
thief thieves
tooth teeth
wife wives
wolf wolves
woman women
"""
# Nouns whose plural is the singular.
_INVARIANT_NOUNS = frozenset(
    "aircraft deer fish headquarters means news offspring personnel series sheep "
    "spacecraft species".split()
)
# Nouns in consonant + o that take -es.
_OES_NOUNS = frozenset(
    "cargo domino echo embargo hero mosquito potato tomato tornado torpedo veto volcano".split()
)
# Nouns in -ch said with a k: plural in -s.
_CH_AS_K = frozenset("epoch matriarch monarch oligarch patriarch stomach tech".split())
# Nouns in -man that are not compounds of "man": Germans, humans.
_MANS = frozenset("caiman german human ottoman roman shaman talisman".split())


def _table(text: str) -> dict[str, tuple[str, ...]]:
    rows = (line.split() for line in text.strip().splitlines())
    return {row[0]: tuple(row[1:]) for row in rows}


_IRREGULAR = _table(_IRREGULAR_VERBS)
_NOUN_PLURALS = _table(_IRREGULAR_NOUNS)


def _unique(forms: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(forms))


def verb_forms(lemma: str, extra: Iterable[str] = ()) -> tuple[str, ...]:
    """The lemma, its third person, past forms and gerund, then the `extra` forms.

    A lemma of several words is a phrase: its first word is inflected ("held talks").
    """
    words = lemma.lower().split()
    if not words:
        return ()
    head, hyphen, last = words[0].rpartition("-")
    prefix, base = _split_compound(last)
    tail = "".join(" " + word for word in words[1:])
    forms = [f"{head}{hyphen}{prefix}{form}{tail}" for form in _base_forms(base)]
    return _unique([" ".join(words), *forms, *(" ".join(f.lower().split()) for f in extra)])


def _split_compound(lemma: str) -> tuple[str, str]:
    """("with", "draw") for "withdraw": a prefix and an irregular verb, else ("", lemma)."""
    if lemma in _IRREGULAR or lemma in _NOT_COMPOUND:
        return "", lemma
    for prefix in _PREFIXES:
        rest = lemma.removeprefix(prefix)
        inner, base = _split_compound(rest) if rest != lemma else ("", "")
        if base in _IRREGULAR:
            return prefix + inner, base
    return "", lemma


def _base_forms(verb: str) -> list[str]:
    past = list(_IRREGULAR.get(verb, ())) or _regular_past(verb)
    return [verb, third_person(verb), *past, *gerunds(verb)]


def third_person(verb: str) -> str:
    """criticizes, tries, watches, vetoes, has."""
    if verb in _THIRD_PERSON:
        return _THIRD_PERSON[verb]
    if _CONSONANT_Y.search(verb):
        return verb[:-1] + "ies"
    if _SIBILANT.search(verb) or _CONSONANT_O.search(verb):
        return verb + "es"
    return verb + "s"


def _regular_past(verb: str) -> list[str]:
    if verb.endswith("e"):
        return [verb + "d"]
    if _CONSONANT_Y.search(verb):
        return [verb[:-1] + "ied"]
    return [stem + "ed" for stem in _stems(verb)]


def gerunds(verb: str) -> list[str]:
    """criticizing, fleeing, dying, stopping; cancelling and canceling."""
    if verb.endswith("ie"):
        return [verb[:-2] + "ying"]
    if verb.endswith("e") and len(verb) > 2 and not verb.endswith(("ee", "oe", "ye")):
        return [verb[:-1] + "ing"]
    return [stem + "ing" for stem in _stems(verb)]


def _stems(verb: str) -> list[str]:
    """What -ed and -ing attach to: "stopp" for stop, "cancell" and "cancel" for cancel."""
    if verb in _DOUBLING or _is_short_cvc(verb):
        return [verb + verb[-1]]
    if verb in _DOUBLING_OPTIONAL or _FINAL_L.search(verb):
        return [verb + verb[-1], verb]
    if verb in _ADD_K:
        return [verb + "k"]
    return [verb]


def _is_short_cvc(verb: str) -> bool:
    """One syllable ending consonant-vowel-consonant (not w, x, y): stop, ban, plan."""
    word = verb.replace("qu", "q")
    if len(word) < 3 or len(re.findall(f"[{_VOWELS}]+", word)) != 1:
        return False
    last, vowel, before = word[-1], word[-2], word[-3]
    return last not in _VOWELS + "wxy" and vowel in _VOWELS and before not in _VOWELS


def noun_forms(noun: str) -> tuple[str, ...]:
    """Singular and plural(s). In a phrase the head is inflected: "states of emergency"."""
    noun = " ".join(noun.lower().split())
    words = noun.split(" ")
    head = words.index("of") - 1 if "of" in words[1:] else len(words) - 1
    plurals = [_join(words, head, plural) for plural in plurals_of(words[head])]
    return _unique([noun, *plurals])


def _join(words: list[str], index: int, replacement: str) -> str:
    return " ".join([*words[:index], replacement, *words[index + 1 :]])


def plurals_of(noun: str) -> tuple[str, ...]:
    """countries, crises, sanctions, women; nothing new for "news"."""
    if noun in _NOUN_PLURALS:
        return _NOUN_PLURALS[noun]
    if noun in _INVARIANT_NOUNS:
        return (noun,)
    return (_regular_plural(noun),)


def _regular_plural(noun: str) -> str:
    if noun.endswith("man") and noun not in _MANS:
        return noun[:-3] + "men"
    if noun.endswith("sis"):
        return noun[:-3] + "ses"
    if _CONSONANT_Y.search(noun):
        return noun[:-1] + "ies"
    if noun in _OES_NOUNS or (_SIBILANT.search(noun) and noun not in _CH_AS_K):
        return noun + "es"
    return noun + "s"


def word_forms(word: str) -> tuple[str, ...]:
    """A content word of unknown part of speech: its noun forms and its verb forms."""
    return _unique([*noun_forms(word), *verb_forms(word)])


def phrase_forms(phrase: str) -> tuple[str, ...]:
    """A verb phrase with its first word inflected: "lodges a protest", "held talks"."""
    return verb_forms(phrase)
