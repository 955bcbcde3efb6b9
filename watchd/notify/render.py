"""Alerts as text: the rule, the document, and each evidence sentence with its words marked."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

Mark = Callable[[str], str]


def starred(word: str) -> str:
    return f"*{word}*"


def emphasized(sentence: str, offset: int, terms: Sequence[Mapping[str, Any]], mark: Mark) -> str:
    """`sentence` (starting at `offset` in its field) with each term's words passed to
    `mark`, on one line."""
    out, last = [], 0
    for start, end in spans(offset, len(sentence), terms):
        out += [sentence[last:start], mark(sentence[start:end])]
        last = end
    out.append(sentence[last:])
    return " ".join("".join(out).split())


def spans(offset: int, size: int, terms: Iterable[Mapping[str, Any]]) -> list[tuple[int, int]]:
    """The terms' spans relative to a sentence at `offset`, clamped to it; overlapping or
    touching spans merged."""
    clamped = sorted(
        (max(0, t["start"] - offset), min(size, t["end"] - offset))
        for t in terms
        if t["end"] - offset > 0 and t["start"] - offset < size and t["end"] > t["start"]
    )
    merged: list[tuple[int, int]] = []
    for start, end in clamped:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def evidence_lines(evidence: Sequence[Mapping[str, Any]], mark: Mark = starred) -> list[str]:
    """Two lines per evidence sentence: the sentence, then which words filled which slot."""
    lines = []
    for item in evidence:
        lines.append(f"  {emphasized(item['sentence'], item['start'], item['terms'], mark)}")
        lines.append("    " + "  ".join(f"{t['slot']}: {t['text']}" for t in item["terms"]))
    return lines
