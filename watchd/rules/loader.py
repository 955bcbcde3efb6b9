"""Loading a rule set: YAML files -> validated models -> lexicon -> compiled rules.

Every problem in every file is collected first; then `RuleErrors` is raised once.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import regex

from watchd.errors import InputError, Location, RuleError, RuleErrors
from watchd.rules.conditions import Condition, Parser, TermRef
from watchd.rules.headline import compile_headline
from watchd.rules.lexicon import Lexicon
from watchd.rules.models import Entity, Examples, Model, Rule, Verb, WordList
from watchd.rules.terms import Term, TermSyntaxError, compile_regex, literal_patterns
from watchd.yamlpos import Positions, YamlPath, load_yaml, validate

SECTIONS: dict[str, type[Model]] = {
    "rules": Rule,
    "entities": Entity,
    "verbs": Verb,
    "lists": WordList,
}
RULE_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class CompiledRule:
    id: str
    title: str
    condition: Condition
    unless: Condition | None
    within: str | int
    fields: tuple[str, ...]
    location: Location
    version: str
    model: Rule
    example_locations: dict[tuple[str, int], Location] = field(default_factory=dict)

    @property
    def examples(self) -> Examples:
        return self.model.examples


@dataclass
class RuleSet:
    rules: list[CompiledRule]
    terms: dict[str, Term]
    regexes: dict[str, regex.Pattern[str]]
    lexicon: Lexicon
    notices: list[str] = field(default_factory=list)

    def rule(self, rule_id: str) -> CompiledRule | None:
        return next((r for r in self.rules if r.id == rule_id), None)


@dataclass(frozen=True, slots=True)
class Item:
    """One validated entry of a file, with where it was written."""

    model: Any
    where: YamlPath
    positions: Positions
    default: bool

    @property
    def location(self) -> Location:
        return self.positions.at(self.where)


def default_lexicon_files() -> list[Path]:
    folder = resources.files("watchd") / "default_lexicon"
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(RULE_SUFFIXES))


def rule_files(paths: Iterable[Path]) -> tuple[list[Path], list[InputError]]:
    """The YAML files under `paths` (a folder means every YAML file in it, recursively)."""
    files: list[Path] = []
    errors: list[InputError] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.suffix in RULE_SUFFIXES)
        elif path.is_file():
            files.append(path)
        else:
            errors.append(RuleError(Location(str(path)), "no such file or directory"))
    return files, errors


def load_rules(paths: Sequence[Path], *, defaults: bool = True) -> RuleSet:
    """Load, validate and compile every rule under `paths`; raises RuleErrors."""
    files, errors = rule_files(paths)
    items: list[Item] = []
    for path in default_lexicon_files() if defaults else []:
        items += _read_file(path, errors, default=True)
    for path in files:
        items += _read_file(path, errors, default=False)
    builder = Builder(errors)
    ruleset = builder.build(items)
    if errors:
        raise RuleErrors(errors)
    return ruleset


def _read_file(path: Path, errors: list[InputError], *, default: bool) -> list[Item]:
    try:
        data, positions = load_yaml(path, path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        errors.append(RuleError(Location(str(path)), "not UTF-8 text; save the file as UTF-8"))
        return []
    except InputError as error:
        errors.append(error)
        return []
    errors += positions.errors
    if data is None:
        return []
    if not isinstance(data, dict):
        message = "expected a mapping with rules:, entities:, verbs: or lists:"
        errors.append(RuleError(positions.at(()), message))
        return []
    return _read_sections(data, positions, errors, default)


def _read_sections(
    data: dict[str, Any], positions: Positions, errors: list[InputError], default: bool
) -> list[Item]:
    items: list[Item] = []
    for key, value in data.items():
        if key not in SECTIONS:
            hint = difflib.get_close_matches(str(key), list(SECTIONS), n=1)
            fix = f"did you mean {hint[0]!r}?" if hint else "use rules, entities, verbs or lists"
            errors.append(RuleError(positions.at((key,), key=True), f"unknown key {key!r} ({fix})"))
        elif not isinstance(value, list):
            errors.append(RuleError(positions.at((key,)), f"{key!r} must be a list of entries"))
        else:
            items += _read_items(SECTIONS[key], key, value, positions, errors, default)
    return items


def _read_items(
    model: type[Model],
    key: str,
    values: list[Any],
    positions: Positions,
    errors: list[InputError],
    default: bool,
) -> list[Item]:
    items = []
    for i, value in enumerate(values):
        valid, problems = validate(model, value, (key, i), positions)
        errors += problems
        if valid is not None:
            items.append(Item(valid, (key, i), positions, default))
    return items


class Builder:
    """Merges lexicon entries and compiles rules, appending problems to `errors`."""

    def __init__(self, errors: list[InputError]) -> None:
        self.errors = errors
        self.notices: list[str] = []
        self.lexicon = Lexicon()
        self.terms: dict[str, Term] = {}
        self.regexes: dict[str, regex.Pattern[str]] = {}
        self.positions = Positions("")
        self.term_errors: list[InputError] = []

    def build(self, items: list[Item]) -> RuleSet:
        self._merge(items, Entity, self.lexicon.entities)
        self._merge(items, Verb, self.lexicon.verbs)
        self._merge(items, WordList, self.lexicon.lists)
        self._check_members(items)
        self._check_items(items)
        rules = self._compile_rules([i for i in items if isinstance(i.model, Rule)])
        return RuleSet(rules, self.terms, self.regexes, self.lexicon, self.notices)

    def _merge(self, items: list[Item], kind: type[Model], table: dict[str, Any]) -> None:
        seen: dict[str, Item] = {}
        for item in (i for i in items if isinstance(i.model, kind)):
            ident = item.model.id
            first = seen.get(ident)
            if first is not None and not first.default:
                self._error(item, f"{_kind(kind)} id {ident!r} already defined at {first.location}")
                continue
            if first is not None:
                self.notices.append(
                    f"{item.location}: {_kind(kind)} {ident!r} overrides the default lexicon"
                )
            seen[ident] = item
            table[ident] = item.model

    def _check_members(self, items: list[Item]) -> None:
        entities = self.lexicon.entities
        for item in (i for i in items if isinstance(i.model, Entity) and not i.default):
            for n, member in enumerate(item.model.members):
                where = (*item.where, "members", n)
                if member not in entities:
                    hint = _hint(member, entities) or " (define it under entities:)"
                    message = f"unknown member {member!r}{hint}"
                    self.errors.append(RuleError(item.positions.at(where), message))
                elif item.model.id in self.lexicon.closure(member):
                    message = f"member {member!r} leads back to {item.model.id!r}; remove the cycle"
                    self.errors.append(RuleError(item.positions.at(where), message))

    def _check_items(self, items: list[Item]) -> None:
        """Every list item and entity name of the user's files must compile as a literal."""
        for item in (i for i in items if not i.default):
            for key in ("items", "names", "spellings", "scripts", "adjectives"):
                for n, text in enumerate(getattr(item.model, key, ())):
                    try:
                        literal_patterns(text)
                    except TermSyntaxError as error:
                        where = item.positions.at((*item.where, key, n))
                        self.errors.append(RuleError(where, str(error)))

    def _compile_rules(self, items: list[Item]) -> list[CompiledRule]:
        rules: list[CompiledRule] = []
        seen: dict[str, Item] = {}
        for item in items:
            ident = item.model.id
            if ident in seen:
                self._error(item, f"rule id {ident!r} already used at {seen[ident].location}")
                continue
            seen[ident] = item
            try:
                rules.append(self._compile(item))
            except RuleError as error:
                self.errors.append(error)
        return rules

    def _compile(self, item: Item) -> CompiledRule:
        rule: Rule = item.model
        self.positions = item.positions
        self.term_errors = []
        parser = Parser(item.positions, self.term, self._symmetric)
        condition = self._condition(rule, item, parser)
        unless = None
        if rule.unless is not None:
            unless = parser.parse(rule.unless, (*item.where, "unless"))
        if self.term_errors:
            self.errors += self.term_errors[1:]
            raise self.term_errors[0]
        version = hashlib.sha256(rule.model_dump_json().encode()).hexdigest()[:12]
        return CompiledRule(
            id=rule.id,
            title=rule.title or rule.watch or rule.id,
            condition=condition,
            unless=unless,
            within=rule.within,
            fields=tuple(dict.fromkeys(rule.fields)),
            location=item.location,
            version=version,
            model=rule,
            example_locations=_example_locations(rule, item),
        )

    def _condition(self, rule: Rule, item: Item, parser: Parser) -> Condition:
        if (rule.watch is None) == (rule.when is None):
            raise RuleError(item.location, f"rule {rule.id!r} needs exactly one of watch: or when:")
        if rule.when is not None:
            return parser.parse(rule.when, (*item.where, "when"))
        where = (*item.where, "watch")
        try:
            return compile_headline(rule.watch or "", self.lexicon, self.term, where)
        except TermSyntaxError as error:
            raise RuleError(item.positions.at(where), str(error)) from None

    def term(self, text: str, slot: str, where: YamlPath) -> TermRef:
        """The term written as `text`, compiled once per rule set."""
        key = text.strip()
        if key not in self.terms:
            try:
                self.terms[key] = self._new_term(key, where)
            except RuleError as error:
                self.term_errors.append(error)
        return TermRef(key, slot)

    def _new_term(self, key: str, where: YamlPath) -> Term:
        sigil, name = key[:1], key[1:]
        tables: dict[str, dict[str, Any]] = {
            "@": self.lexicon.entities,
            "%": self.lexicon.verbs,
            "$": self.lexicon.lists,
        }
        if sigil in tables and name not in tables[sigil]:
            raise RuleError(self.positions.at(where), _undefined(sigil, name, tables[sigil]))
        try:
            return self._build_term(key)
        except TermSyntaxError as error:
            raise RuleError(self.positions.at(where), str(error)) from None

    def _build_term(self, key: str) -> Term:
        sigil, name = key[:1], key[1:]
        if sigil == "@":
            return self.lexicon.entity_term(name)
        if sigil == "%":
            return self.lexicon.verb_term(name)
        if sigil == "$":
            return self.lexicon.list_term(name)
        if key.startswith("re:"):
            self.regexes[key] = compile_regex(key[3:])
            return Term(key, "regex", (), regex=key[3:])
        return Term(key, "literal", literal_patterns(key))

    def _symmetric(self, key: str) -> bool:
        verb = self.lexicon.verbs.get(key[1:]) if key.startswith("%") else None
        return verb is not None and verb.symmetric

    def _error(self, item: Item, message: str) -> None:
        self.errors.append(RuleError(item.location, message))


def _example_locations(rule: Rule, item: Item) -> dict[tuple[str, int], Location]:
    where = (*item.where, "examples")
    cases = {"match": rule.examples.match, "no_match": rule.examples.no_match}
    return {
        (kind, n): item.positions.at((*where, kind, n))
        for kind, texts in cases.items()
        for n in range(len(texts))
    }


def _kind(model: type[Model]) -> str:
    return {Entity: "entity", Verb: "verb class", WordList: "list", Rule: "rule"}[model]


def _hint(word: str, table: dict[str, Any]) -> str:
    match = difflib.get_close_matches(word, list(table), n=1)
    return f" (did you mean {match[0]!r}?)" if match else ""


def _undefined(sigil: str, name: str, table: dict[str, Any]) -> str:
    section = {"@": "entities", "%": "verbs", "$": "lists"}[sigil]
    match = difflib.get_close_matches(name, list(table), n=1)
    hint = f"did you mean {sigil}{match[0]}? " if match else ""
    return f"undefined {sigil}{name} ({hint}define it under {section}:)"
