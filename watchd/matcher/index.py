"""Candidate selection: each rule indexed by the terms it cannot match without.

Like Lucene Monitor's presearcher: a rule's condition gives clauses of terms (at least one
term of each clause must occur). The rule is filed under every term of its rarest clause,
its anchor; a document's hits pull out the rules anchored on them, and those whose other
clauses are also met are the candidates. Rules that require nothing are always checked.
`re:` terms are run on every document by the automaton's scan, so they can anchor too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from watchd.rules.conditions import required
from watchd.rules.loader import CompiledRule
from watchd.rules.terms import Term

# How often a term of each kind is expected to occur, per pattern: verbs are everywhere.
KIND_WEIGHT = {"literal": 1.0, "list": 1.0, "entity": 4.0, "verb": 10.0, "regex": 1.0}


@dataclass
class Index:
    anchors: dict[str, list[int]] = field(default_factory=dict)
    # Per rule: the terms that must all occur, and the clauses of several terms.
    needs: list[frozenset[str]] = field(default_factory=list)
    choices: list[list[frozenset[str]]] = field(default_factory=list)
    anchor: list[frozenset[str]] = field(default_factory=list)
    always: list[int] = field(default_factory=list)

    @classmethod
    def build(cls, rules: list[CompiledRule], terms: dict[str, Term]) -> Index:
        index = cls()
        for number, rule in enumerate(rules):
            clauses = required(rule.condition)
            index.needs.append(frozenset(k for c in clauses if len(c) == 1 for k in c))
            index.choices.append([c for c in clauses if len(c) > 1])
            anchor = min(clauses, key=lambda c: _cost(c, terms), default=frozenset[str]())
            index.anchor.append(anchor)
            if not anchor:
                index.always.append(number)
            for key in anchor:
                index.anchors.setdefault(key, []).append(number)
        return index

    def candidates(self, found: set[str]) -> list[int]:
        """Rules whose every clause has a hit, plus the always-checked ones, in rule order."""
        pulled: set[int] = set()
        anchors = self.anchors
        for key in found:
            if key in anchors:
                pulled.update(anchors[key])
        needs, choices = self.needs, self.choices
        ready = [n for n in pulled if needs[n] <= found and _chosen(choices[n], found)]
        return sorted(ready + self.always)


def _chosen(clauses: list[frozenset[str]], found: set[str]) -> bool:
    return all(not clause.isdisjoint(found) for clause in clauses)


def _cost(clause: frozenset[str], terms: dict[str, Term]) -> float:
    return sum(KIND_WEIGHT[terms[k].kind] * max(len(terms[k].patterns), 1) for k in clause)
