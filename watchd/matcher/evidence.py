"""What a match returns: the hit, and the evidence of why it fired."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class TermHit:
    """The words that filled one slot of a rule, with character offsets."""

    slot: str
    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Evidence:
    """One sentence (of the title or the text) and the words in it that matched."""

    field: str
    sentence: str
    start: int
    end: int
    terms: tuple[TermHit, ...]


@dataclass(frozen=True, slots=True)
class Hit:
    rule: str
    title: str
    document: str
    version: str
    evidence: tuple[Evidence, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "document": self.document,
            "rule": self.rule,
            "title": self.title,
            "evidence": [
                {
                    "field": e.field,
                    "sentence": e.sentence,
                    "start": e.start,
                    "end": e.end,
                    "terms": [
                        {"slot": t.slot, "text": t.text, "start": t.start, "end": t.end}
                        for t in e.terms
                    ],
                }
                for e in self.evidence
            ],
        }
