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
NEGATION_REACH = 3  # a negator this many words before the verb negates it
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
        if _negated(analysis, verb, window):
            continue
        for actor in _nearest(actors, verb):
            for target in _nearest(targets, verb):
                if _arranged(analysis, actor, verb, target):
                    return _event_slots(event, actor, verb, target)
                if event.symmetric and _symmetric(analysis, actor, verb, target):
                    return _event_slots(event, actor, verb, target)
    return None


def _symmetric(analysis: Analysis, actor: Span | None, verb: Span, target: Span | None) -> bool:
    """A reciprocal verb ("met", "clashed with"): either party may come first, and a lone
    party may stand on either side of the verb."""
    if target is None:
        return actor is not None and not _overlap(actor, verb) and _by_either(analysis, actor, verb)
    return _arranged(analysis, target, verb, actor)


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
