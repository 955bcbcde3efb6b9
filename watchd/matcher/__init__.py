"""Matching documents against a rule set: presearch, candidates, verification, evidence."""

from __future__ import annotations

from watchd.matcher.evidence import Evidence, Hit, TermHit
from watchd.matcher.matcher import Matcher

__all__ = ["Evidence", "Hit", "Matcher", "TermHit"]
