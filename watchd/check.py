"""`watchd check`: a rule set's own examples, run through the matcher."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from watchd.documents import Document
from watchd.errors import InputError, RuleError
from watchd.matcher import Matcher
from watchd.rules.loader import CompiledRule, RuleSet
from watchd.rules.models import Example


@dataclass(frozen=True, slots=True)
class ExampleReport:
    examples: int
    failures: list[RuleError]


def run_examples(ruleset: RuleSet, matcher: Matcher | None = None) -> ExampleReport:
    """Every `examples:` sentence of every rule; a failure is located at its example."""
    matcher = matcher or Matcher(ruleset)
    failures: list[RuleError] = []
    count = 0
    for rule in ruleset.rules:
        for expected, texts in (
            ("match", rule.examples.match),
            ("no_match", rule.examples.no_match),
        ):
            for n, text in enumerate(texts):
                count += 1
                failure = _check(matcher, rule, text, expected == "match")
                if failure:
                    where = rule.example_locations.get((expected, n), rule.location)
                    failures.append(RuleError(where, failure))
    return ExampleReport(count, failures)


def unknown_channels(channels: Collection[str], ruleset: RuleSet) -> list[InputError]:
    """Every channel a rule's `notify:` names that is not among `channels`."""
    known = ", ".join(sorted(channels))
    return [
        InputError(
            rule.location,
            f"rule {rule.id!r} notifies {name!r}, which no channel is; define it under "
            f"channels: in the configuration (known: {known})",
        )
        for rule in ruleset.rules
        for name in rule.model.notify
        if name not in channels
    ]


def _check(matcher: Matcher, rule: CompiledRule, example: Example, should: bool) -> str | None:
    document = _document(rule, example)
    fired = any(hit.rule == rule.id for hit in matcher.match(document))
    if fired == should:
        return None
    shown = example if isinstance(example, str) else document.title or document.text
    if should:
        return f"rule {rule.id!r} should match this example but does not: {shown!r}"
    return f"rule {rule.id!r} should not match this example but does: {shown!r}"


def _document(rule: CompiledRule, example: Example) -> Document:
    source = f"example of {rule.id}"
    if isinstance(example, str):
        return Document(source=source, text=example)
    return Document(source=source, text=example.text, title=example.title)
