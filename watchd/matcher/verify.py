"""Verification: a candidate rule's condition evaluated on token spans in one window.

A window is a token range [lo, hi): a sentence, a paragraph, the whole text or a run of
N words. `evaluate` returns the slots that satisfied the condition, or None.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice, permutations

from watchd.matcher.automaton import Found, Span
from watchd.rules.conditions import All, AnyOf, Condition, Event, Near, NOf, Not, TermRef
from watchd.text import Analysis

Slot = tuple[str, Span]
NEGATORS = frozenset(
    "not never neither nor cannot without refuse refuses refused refusing decline declines "
    "declined declining deny denies denied denying fail fails failed failing".split()
)
# Words that start another clause: actor, verb and target of an event may not be split by one
# ("Iran met Turkey while Russia watched" is not "Iran meets Russia").
CLAUSE_BREAKERS = frozenset(
    "while whereas but although though because when after before since unless until if "
    "however meanwhile".split()
)
# Verbs of saying: between the actor and the verb they make the actor a speaker.
REPORTING = frozenset(
    "said say says saying told tell tells telling added adds stated states claimed claims "
    "reported reports according".split()
)
# Verbs that undo or stop an event: "lifted sanctions", "suspended aid", "halt the fighting"
# report no sanction, aid or fight ("drop" is left out: "dropped bombs" is an attack).
REVERSERS = frozenset(
    "lift lifts lifted lifting ease eases eased easing suspend suspends suspended suspending "
    "end ends ended ending halt halts halted halting waive waives waived waiving remove "
    "removes removed removing loosen loosens loosened loosening relax relaxes relaxed "
    "relaxing stop stops stopped stopping cease ceases ceased ceasing scrap scraps scrapped "
    "scrapping cut cuts cutting reduce reduces reduced reducing".split()
)
# Words that end the reach of a reversing verb ("lifted the ban and imposed sanctions").
REVERSAL_STOPS = CLAUSE_BREAKERS | {"and", "or", "then"}
BE = frozenset("is are was were be been being".split())
NEGATION_REACH = 3  # a negator this many words before the verb negates it
COORDINATED_REACH = 4  # "India and China on Monday held talks": pair to verb at most this
REVERSAL_REACH = 4  # "lifted all remaining economic sanctions", "sanctions on Iran were lifted"
PASSIVE_REACH = 4  # "criticized on Monday by": at most this many words from verb to "by"
NEAREST = 4  # parties looked at on each side of a verb
MAX_VERBS = 64  # verbs looked at in one window


@dataclass(frozen=True, slots=True)
class Window:
    lo: int
    hi: int


def evaluate(
    condition: Condition, found: Found, analysis: Analysis, window: Window
) -> list[Slot] | None:
    """The slots that make `condition` true inside `window`, or None."""
    if isinstance(condition, TermRef):
        span = first_in(found, condition.key, window)
        return [(condition.slot, span)] if span else None
    if isinstance(condition, All):
        return _all(condition.children, found, analysis, window)
    if isinstance(condition, AnyOf):
        return _count(condition.children, 1, found, analysis, window)
    if isinstance(condition, NOf):
        return _count(condition.children, condition.n, found, analysis, window)
    if isinstance(condition, Not):
        return None if evaluate(condition.child, found, analysis, window) is not None else []
    if isinstance(condition, Near):
        return _near(condition, found, window)
    return _event(condition, found, analysis, window)


def first_in(found: Found, key: str, window: Window) -> Span | None:
    """The first span of `key` inside `window`."""
    spans = found.get(key)
    if spans:
        for i in range(bisect_left(spans, (window.lo, -1)), len(spans)):
            span = spans[i]
            if span[0] >= window.hi:
                return None
            if span[1] <= window.hi:
                return span
    return None


def spans_in(found: Found, key: str, window: Window) -> Iterator[Span]:
    spans = found.get(key)
    if not spans:
        return
    for i in range(bisect_left(spans, (window.lo, -1)), len(spans)):
        span = spans[i]
        if span[0] >= window.hi:
            return
        if span[1] <= window.hi:
            yield span


def _all(
    children: tuple[Condition, ...], found: Found, analysis: Analysis, window: Window
) -> list[Slot] | None:
    slots: list[Slot] = []
    for child in children:
        result = evaluate(child, found, analysis, window)
        if result is None:
            return None
        slots += result
    return slots


def _count(
    children: tuple[Condition, ...], n: int, found: Found, analysis: Analysis, window: Window
) -> list[Slot] | None:
    slots: list[Slot] = []
    held = 0
    for child in children:
        result = evaluate(child, found, analysis, window)
        if result is not None:
            held += 1
            slots += result
    return slots if held >= n else None


def _near(near: Near, found: Found, window: Window) -> list[Slot] | None:
    lists = [list(spans_in(found, t.key, window)) for t in near.terms]
    if not all(lists):
        return None
    orders = [tuple(range(len(lists)))] if near.ordered else permutations(range(len(lists)))
    for order in orders:
        chain = _chain([lists[i] for i in order], near.gap)
        if chain:
            return [(near.terms[i].slot, span) for i, span in zip(order, chain, strict=True)]
    return None


def _chain(lists: list[list[Span]], gap: int) -> list[Span] | None:
    """One span from each list, in this order, each at most `gap` words after the last."""
    for first in lists[0]:
        chain = [first]
        for spans in lists[1:]:
            end = chain[-1][1]
            at = bisect_left(spans, (end, -1))  # the first span starting at or after `end`
            if at == len(spans) or spans[at][0] - end > gap:
                break
            chain.append(spans[at])
        else:
            return chain
    return None


def _event(event: Event, found: Found, analysis: Analysis, window: Window) -> list[Slot] | None:
    actors = _optional(found, event.actor, window)
    targets = _optional(found, event.target, window)
    for verb in islice(spans_in(found, event.verb.key, window), MAX_VERBS):
        if _negated(analysis, verb, window) or _reversed(analysis, verb, window):
            continue
        for actor in _nearest(actors, verb):
            for target in _nearest(targets, verb):
                if _arranged(analysis, actor, verb, target):
                    return _event_slots(event, actor, verb, target)
                if event.symmetric and (
                    _symmetric(analysis, actor, verb, target)
                    or _coordinated(analysis, actor, verb, target)
                ):
                    return _event_slots(event, actor, verb, target)
    return None


def _symmetric(analysis: Analysis, actor: Span | None, verb: Span, target: Span | None) -> bool:
    """A reciprocal verb ("met", "clashed with"): either party may come first, and a lone
    party may stand on either side of the verb."""
    if target is None:
        return actor is not None and not _overlap(actor, verb) and _by_either(analysis, actor, verb)
    return _arranged(analysis, target, verb, actor)


def _coordinated(analysis: Analysis, actor: Span | None, verb: Span, target: Span | None) -> bool:
    """Two parties joined by "and" next to a reciprocal verb or noun, in either order: "India
    and China held talks", "Indian and Chinese commanders met", "a summit between India and
    China"."""
    if actor is None or target is None or _overlap(actor, target):
        return False
    first, second = sorted((actor, target))
    if analysis.folded(first[1], second[0]) not in (["and"], ["and", "the"]):
        return False
    if second[1] <= verb[0]:
        return _pair_before(analysis, first, second, verb)
    return first[0] >= verb[1] and _pair_after(analysis, verb, first)


def _pair_before(analysis: Analysis, first: Span, second: Span, verb: Span) -> bool:
    """ "(India and) China('s ministers) met", but not "... held talks with Japan" nor "the
    border between India and China" (the pair of another noun)."""
    if first[0] > 0 and analysis.norm(first[0] - 1) == "between":
        return False
    between = analysis.folded(second[1], verb[0])
    if len(between) > COORDINATED_REACH or not REVERSAL_STOPS.isdisjoint(between):
        return False
    return REPORTING.isdisjoint(between) and analysis.folded(verb[1], verb[1] + 1) != ["with"]


def _pair_after(analysis: Analysis, verb: Span, first: Span) -> bool:
    """ "talks between (the) India and China"."""
    between = analysis.folded(verb[1], first[0])
    return between in (["between"], ["between", "the"])


def _by_either(analysis: Analysis, party: Span, verb: Span) -> bool:
    if party[1] <= verb[0]:
        return _one_clause(analysis, party, verb, None)
    return CLAUSE_BREAKERS.isdisjoint(analysis.folded(verb[1], party[0]))


def _nearest(spans: list[Span] | None, verb: Span) -> list[Span | None]:
    """The NEAREST parties on each side of the verb (the ones an event can be about), or
    [None] for a slot the event does not have. The bound keeps a long run-on text from
    costing the cube of its mentions."""
    if spans is None:
        return [None]
    at = bisect_left(spans, verb)
    return list(spans[max(at - NEAREST, 0) : at + NEAREST])


def _optional(found: Found, term: TermRef | None, window: Window) -> list[Span] | None:
    if term is None:
        return None
    return list(spans_in(found, term.key, window))


def _event_slots(event: Event, actor: Span | None, verb: Span, target: Span | None) -> list[Slot]:
    slots: list[Slot] = []
    if event.actor and actor:
        slots.append(("actor", actor))
    slots.append(("verb", verb))
    if event.target and target:
        slots.append(("target", target))
    return slots


def _arranged(analysis: Analysis, actor: Span | None, verb: Span, target: Span | None) -> bool:
    """Actor, verb, target in active order, or passive: target ... verb "by" actor."""
    if _overlap(actor, verb) or _overlap(target, verb) or _overlap(actor, target):
        return False
    if actor is None:
        return True
    if actor[1] <= verb[0]:
        after = target is None or target[0] >= verb[1]
        return after and _one_clause(analysis, actor, verb, target)
    return _by_actor(analysis, verb, actor)


def _one_clause(analysis: Analysis, actor: Span, verb: Span, target: Span | None) -> bool:
    """No other clause between the parts, and the actor is not just the one who reports
    ("Shamkhani said Iran criticized Russia" is not Shamkhani criticizing)."""
    end = target[0] if target else verb[0]
    between = analysis.folded(actor[1], end)
    if not CLAUSE_BREAKERS.isdisjoint(between):
        return False
    return REPORTING.isdisjoint(between[: max(verb[0] - actor[1], 0)])


def _by_actor(analysis: Analysis, verb: Span, actor: Span) -> bool:
    """ "criticized (on Monday) by (Iran's) Shamkhani": a "by" close after the verb."""
    for i in range(verb[1], min(verb[1] + PASSIVE_REACH + 1, actor[0])):
        if analysis.norm(i) == "by":
            return actor[0] - i <= PASSIVE_REACH
    return False


def _overlap(a: Span | None, b: Span | None) -> bool:
    return a is not None and b is not None and a[0] < b[1] and b[0] < a[1]


def _negated(analysis: Analysis, verb: Span, window: Window) -> bool:
    """ "did not criticize", "refused to condemn", "no criticism"."""
    before = analysis.folded(max(window.lo, verb[0] - NEGATION_REACH), verb[0])
    if before and before[-1] == "no":
        return True
    return any(word in NEGATORS or word.endswith("n't") for word in before)


def _reversed(analysis: Analysis, verb: Span, window: Window) -> bool:
    """ "lifted sanctions on", "suspended its aid to", "ending the fighting", "sanctions on
    Iran were lifted": the event is undone, not done."""
    before = analysis.folded(max(window.lo, verb[0] - REVERSAL_REACH), verb[0])
    for i in range(len(before) - 1, -1, -1):
        word = before[i]
        if word in REVERSAL_STOPS:
            break
        if word in REVERSERS and _reverser_verb(before, i):
            return True
    after = analysis.folded(verb[1], min(window.hi, verb[1] + REVERSAL_REACH + 1))
    return _undone_after(after)


def _reverser_verb(words: list[str], at: int) -> bool:
    """A reversing word used as a verb: not "the end of", not "ended up"."""
    if at > 0 and words[at - 1] in ("the", "a", "an"):
        return False
    return at + 1 == len(words) or words[at + 1] != "up"


def _undone_after(after: list[str]) -> bool:
    """ "(sanctions) against Iran were lifted": a passive reversing verb close after."""
    for i, word in enumerate(after[:-1]):
        if word in REVERSAL_STOPS:
            return False
        if word in BE and after[i + 1] in REVERSERS:
            return True
    return False
