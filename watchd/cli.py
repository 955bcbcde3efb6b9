"""The command line: the only module that prints and exits.

Exit codes: 0 ok (for `match`, whether or not anything matched), 1 a problem was found
(invalid rule, failed example, unreadable input), 2 a usage error.
"""

from __future__ import annotations

import difflib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import click
import yaml

from watchd import __version__
from watchd.check import run_examples, unknown_channels
from watchd.config import Config, find_config, load_config
from watchd.documents import Document, read_inputs
from watchd.errors import ConfigErrors, DocumentError, InputErrors, RuleErrors
from watchd.matcher import Hit, Matcher, TermHit
from watchd.matcher.explain import describe, diagnose
from watchd.rules import RuleSet, load_rules

DEFAULT_RULES = Path("rules")
rules_option = click.option(
    "--rules",
    "rule_paths",
    multiple=True,
    required=True,
    type=click.Path(path_type=Path),
    help="Rule file or folder (repeatable).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="watchd")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    help="The configuration file (default: ./watchd.yaml, then /etc/watchd/watchd.yaml).",
)
@click.pass_context
def main(context: click.Context, config_path: Path | None) -> None:
    """watchd: watch rules written like headlines, matched against documents."""
    context.obj = config_path


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.pass_obj
def check(config_path: Path | None, paths: tuple[Path, ...]) -> None:
    """Validate rule and lexicon files and run every rule's examples.

    PATHS are YAML files or folders of them. Without one, the configuration file and the
    rules it names are checked (and the channels rules notify); without a configuration,
    ./rules.
    """
    config = None if paths else _config(config_path)
    targets = list(paths) or (config.rule_paths if config else _default_rules())
    ruleset = _load(targets)
    for notice in ruleset.notices:
        click.echo(f"note: {notice}")
    failures = unknown_channels(config, ruleset) if config else []
    report = run_examples(ruleset)
    failures += report.failures
    for failure in failures:
        click.echo(str(failure), err=True)
    if failures:
        count = len(failures)
        plural = "s" if count != 1 else ""
        click.echo(f"{count} problem{plural} found ({report.examples} examples run)", err=True)
        sys.exit(1)
    count = len(config.sources) if config else 0
    sources = f"{count} source{'s' if count != 1 else ''}, " if config else ""
    click.echo(f"ok: {sources}{len(ruleset.rules)} rules, {report.examples} examples pass")


@main.command()
@rules_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per hit per line.")
@click.argument("inputs", nargs=-1, required=True)
def match(rule_paths: tuple[Path, ...], as_json: bool, inputs: tuple[str, ...]) -> None:
    """Match documents against rules and print each hit with its evidence.

    INPUTS are files, folders (every file in them), http(s) URLs, or - for stdin.
    """
    matcher = Matcher(_load(list(rule_paths)))
    failed = False
    for item in read_inputs(inputs):
        if isinstance(item, DocumentError):
            click.echo(f"watchd: {item}", err=True)
            failed = True
            continue
        _warn(item)
        for hit in matcher.match(item):
            click.echo(json.dumps(hit.to_json(), ensure_ascii=False) if as_json else _render(hit))
    sys.exit(1 if failed else 0)


@main.command()
@rules_option
@click.argument("rule_id")
@click.argument("inputs", nargs=-1)
def explain(rule_paths: tuple[Path, ...], rule_id: str, inputs: tuple[str, ...]) -> None:
    """Show what RULE_ID compiled to; with documents, why it fired or did not."""
    ruleset = _load(list(rule_paths))
    rule = ruleset.rule(rule_id)
    if rule is None:
        known = ", ".join(r.id for r in ruleset.rules[:20])
        raise click.UsageError(
            f"no rule {rule_id!r} in {', '.join(map(str, rule_paths))}; rules: {known}"
        )
    click.echo("\n".join(describe(rule, ruleset)))
    matcher = Matcher(ruleset) if inputs else None
    for item in read_inputs(inputs):
        if isinstance(item, DocumentError):
            click.echo(f"watchd: {item}", err=True)
            continue
        assert matcher is not None
        click.echo("\n" + "\n".join(diagnose(rule, matcher, item)))


@main.command()
@click.option(
    "--rules",
    "rule_paths",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Rule files or folders whose lexicon entries count too (default: ./rules).",
)
@click.option("--entity", "entity_id", help="Show the whole entry of this entity.")
@click.option("--verb", "verb_id", help="Show the whole entry of this verb class.")
@click.argument("words", nargs=-1)
def lexicon(
    rule_paths: tuple[Path, ...], entity_id: str | None, verb_id: str | None, words: tuple[str, ...]
) -> None:
    """Look up what WORDS (a word or a quoted phrase each) mean to a headline rule.

    Shows the entities, roles, verb classes and lists a word belongs to; --entity ID and
    --verb ID show a whole entry with every name or form it matches.
    """
    if not (words or entity_id or verb_id):
        raise click.UsageError("give a word, --entity ID or --verb ID")
    paths = list(rule_paths) or ([DEFAULT_RULES] if DEFAULT_RULES.is_dir() else [])
    ruleset = _load(paths)
    for word in words:
        click.echo(_meaning(ruleset, word))
    if entity_id:
        click.echo(_entry(ruleset, "entities", entity_id))
    if verb_id:
        click.echo(_entry(ruleset, "verbs", verb_id))


def _meaning(ruleset: RuleSet, word: str) -> str:
    meanings = ruleset.lexicon.meanings(word)
    if not meanings:
        reading = "a name, as written" if word[:1].isupper() else "a word, with its inflections"
        return f"{word}: not in the lexicon; a headline reads it as {reading}"
    return "\n".join(f"{word}: {kind} {ident}" for kind, ident in meanings)


def _entry(ruleset: RuleSet, section: str, ident: str) -> str:
    lexicon = ruleset.lexicon
    table: dict[str, Any] = lexicon.entities if section == "entities" else lexicon.verbs
    if ident not in table:
        hint = difflib.get_close_matches(ident, list(table), n=1)
        fix = f" (did you mean {hint[0]!r}?)" if hint else ""
        raise click.UsageError(
            f"no {section[:-1] if section == 'verbs' else 'entity'} {ident!r}{fix}"
        )
    entry = table[ident].model_dump(exclude_defaults=True, mode="json")
    text = yaml.safe_dump(
        {section: [entry]}, allow_unicode=True, sort_keys=False, default_flow_style=None, width=88
    ).rstrip()
    term = lexicon.entity_term(ident) if section == "entities" else lexicon.verb_term(ident)
    forms = sorted({" ".join(p.words) for p in term.patterns})
    return f"{text}\n# matches {len(forms)} forms: {', '.join(forms)}"


def _config(given: Path | None) -> Config | None:
    """The configuration file, loaded, or None when there is none (and none was given)."""
    path = find_config(given)
    if path is None:
        return None
    try:
        return load_config(path)
    except ConfigErrors as errors:
        _fail(errors)


def _fail(errors: InputErrors) -> NoReturn:
    for error in errors:
        click.echo(str(error), err=True)
    count = len(errors)
    click.echo(f"{count} problem{'s' if count != 1 else ''} found; nothing was loaded", err=True)
    sys.exit(1)


def _default_rules() -> list[Path]:
    if DEFAULT_RULES.is_dir():
        return [DEFAULT_RULES]
    raise click.UsageError("give the rule files or folders to check (no ./rules here)")


def _load(paths: Sequence[Path]) -> RuleSet:
    try:
        return load_rules(paths)
    except RuleErrors as errors:
        for error in errors:
            click.echo(str(error), err=True)
        count = len(errors)
        click.echo(
            f"{count} problem{'s' if count != 1 else ''} found; nothing was loaded", err=True
        )
        sys.exit(1)


def _warn(document: Document) -> None:
    for warning in document.warnings:
        click.echo(f"watchd: {document.source}: {warning}", err=True)


def _render(hit: Hit) -> str:
    lines = [f"{hit.document}: {hit.title}  [{hit.rule}]"]
    for evidence in hit.evidence:
        lines.append(f"  {_marked(evidence.sentence, evidence.start, evidence.terms)}")
        slots = "  ".join(f"{t.slot}: {t.text}" for t in evidence.terms)
        lines.append(f"    {slots}")
    return "\n".join(lines)


def _marked(sentence: str, offset: int, terms: Sequence[TermHit]) -> str:
    """The sentence with each matched word set in bold on a terminal, *like this* elsewhere."""
    spans = sorted({(t.start - offset, t.end - offset) for t in terms})
    tty = sys.stdout.isatty()
    out, last = [], 0
    for start, end in spans:
        if start < last:
            continue
        word = sentence[start:end]
        out += [sentence[last:start], click.style(word, bold=True) if tty else f"*{word}*"]
        last = end
    out.append(sentence[last:])
    return " ".join("".join(out).split())
