"""Rules and the lexicon: models, YAML loading with positions, and compilation."""

from __future__ import annotations

from watchd.rules.loader import CompiledRule, RuleSet, load_rules

__all__ = ["CompiledRule", "RuleSet", "load_rules"]
