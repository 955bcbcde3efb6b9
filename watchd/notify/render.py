"""Alerts as text: the rule, the document, and each evidence sentence with its words marked."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

Mark = Callable[[str], str]


def starred(word: str) -> str:
    return f"*{word}*"


def emphasized(sentence: str, offset: int, terms: Sequence[Mapping[str, Any]], mark: Mark) -> str:
    """`sentence` (starting at `offset` in its field) with each term's words passed to
    `mark`, on one line."""
    spans = sorted({(t["start"] - offset, t["end"] - offset) for t in terms})
    out, last = [], 0
    for start, end in spans:
        if start < last:
            continue
        out += [sentence[last:start], mark(sentence[start:end])]
        last = end
    out.append(sentence[last:])
    return " ".join("".join(out).split())


def evidence_lines(evidence: Sequence[Mapping[str, Any]], mark: Mark = starred) -> list[str]:
    """Two lines per evidence sentence: the sentence, then which words filled which slot."""
    lines = []
    for item in evidence:
        lines.append(f"  {emphasized(item['sentence'], item['start'], item['terms'], mark)}")
        lines.append("    " + "  ".join(f"{t['slot']}: {t['text']}" for t in item["terms"]))
    return lines
