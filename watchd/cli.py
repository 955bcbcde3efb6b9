"""The command line: the only module that prints and exits.

Exit codes: 0 ok (for `match`, whether or not anything matched), 1 a problem was found
(invalid rule, failed example, unreadable input), 2 a usage error.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import logging
import os
import sys
import uuid
from collections.abc import Callable, Collection, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click
import yaml

from watchd import __version__
from watchd.check import run_examples, unknown_channels
from watchd.config import CONSOLE, Channel, Config, find_config, load_config, parse_duration
from watchd.documents import Document, read_inputs
from watchd.errors import (
    ConfigErrors,
    DocumentError,
    InputError,
    InputErrors,
    Location,
    RuleError,
    RuleErrors,
    StoreError,
)
from watchd.matcher import Hit, Matcher
from watchd.matcher.explain import describe, diagnose
from watchd.notify.channels import load_channels
from watchd.notify.render import evidence_lines
from watchd.rules import RuleSet, load_rules
from watchd.store import SourceRecord, Store, StoredHit

if TYPE_CHECKING:
    from watchd.notify.dispatch import Dispatcher

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
    failures: list[InputError] = []
    if config:
        try:
            known: Collection[str] = load_channels(config).services
        except ConfigErrors as errors:
            failures += errors.errors
            known = {*config.channels, CONSOLE} if config.apprise is None else set()
        if known:
            failures += unknown_channels(known, ruleset)
        failures += _template_problems(config, ruleset)
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
    rules = f"{len(ruleset.rules)} rule{'s' if len(ruleset.rules) != 1 else ''}"
    click.echo(f"ok: {sources}{rules}, {report.examples} examples pass")


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
    head = f"{hit.document}: {hit.title}  [{hit.rule}]"
    return "\n".join([head, *evidence_lines(hit.to_json()["evidence"], _emphasis())])


def _emphasis() -> Callable[[str], str]:
    """Matched words in bold on a terminal, *like this* elsewhere."""
    if sys.stdout.isatty():
        return lambda word: click.style(word, bold=True)
    return lambda word: f"*{word}*"


# The daemon and its store


verbose_option = click.option(
    "-v", "--verbose", count=True, help="Say more: -v for each poll, -vv for debugging."
)


@main.command()
@verbose_option
@click.pass_obj
def run(config_path: Path | None, verbose: int) -> None:
    """Run the daemon in the foreground: poll every source on its schedule, match, store
    and deliver, until SIGTERM or Ctrl-C. SIGHUP or an edited rule file reloads the rules.
    """
    from watchd.daemon import Daemon  # APScheduler is only loaded for the daemon

    _logging(verbose)
    config = _required_config(config_path)
    ruleset = _load(config.rule_paths)
    try:
        daemon = Daemon(config, ruleset, sys.stdout, find_config(config_path))
    except InputErrors as errors:
        _fail(errors)
    except StoreError as error:
        _die(error)
    for source in config.sources:
        click.echo(f"watching {source.name}: {source.kind} {source.target}", err=True)
    daemon.run()


@main.command()
@verbose_option
@click.pass_obj
def once(config_path: Path | None, verbose: int) -> None:
    """Poll every source once, match, store and deliver, then exit (for cron and tests).

    Exits 1 if a source could not be polled, or is still waiting after failures.
    """
    from watchd.engine import Engine
    from watchd.notify.outbox import Outbox
    from watchd.notify.policy import Policy

    _logging(verbose)
    config = _required_config(config_path)
    ruleset = _load(config.rule_paths)
    dispatcher = _dispatcher(config, ruleset)
    with _store(config) as store:
        try:
            store.take_writer_lock()
        except StoreError as error:
            _die(error)
        targets = dispatcher.channels.targets
        engine = Engine(store, config, Matcher(ruleset), targets=targets)
        reports = engine.poll_all()
        engine.close()
        policy = Policy.of(config, ruleset)
        groups = dispatcher.group_senders()
        Outbox(store, dispatcher.senders(), _now, None, policy, groups).deliver()
    for report in reports:
        click.echo(report.summary(), err=True)
    sys.exit(0 if all(report.ok and not report.waiting for report in reports) else 1)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object per source.")
@click.pass_obj
def sources(config_path: Path | None, as_json: bool) -> None:
    """Show each source's health: last success, failures in a row, documents, last error."""
    config = _required_config(config_path)
    with _store(config) as store:
        records = {record.name: record for record in store.sources()}
    now = _now()
    for source in config.sources:
        record = records.get(source.name)
        if as_json:
            click.echo(json.dumps(_source_json(source.name, record)))
        else:
            click.echo(_source_line(source.name, source.kind, source.target, record, now))


def _source_line(
    name: str, kind: str, target: str, record: SourceRecord | None, now: datetime
) -> str:
    head = f"{name}  {kind} {target}"
    if record is None:
        return f"{head}\n  never polled"
    state = "ok" if record.failures == 0 else f"FAILING ({record.failures} in a row)"
    success = _ago(record.last_success, now) if record.last_success else "never"
    lines = [
        f"{head}\n  {state}; last success {success}; {record.documents} documents, "
        f"{record.problems} unreadable"
    ]
    if record.last_error:
        lines.append(f"  last error: {record.last_error}")
    if record.failures and record.retry_at:
        lines.append(f"  next try {_ago(record.retry_at, now)}")
    return "\n".join(lines)


def _source_json(name: str, record: SourceRecord | None) -> dict[str, Any]:
    if record is None:
        return {"name": name, "polls": 0}
    return {
        "name": name,
        "kind": record.kind,
        "target": record.target,
        "polls": record.polls,
        "last_success": record.last_success.isoformat() if record.last_success else None,
        "failures": record.failures,
        "last_error": record.last_error,
        "documents": record.documents,
        "problems": record.problems,
    }


@main.command()
@click.option("--rule", "rule_id", help="Only this rule's hits.")
@click.option("--since", help="Only hits of this recent period, e.g. 2d or 12h.")
@click.option("--limit", default=100, show_default=True, help="At most this many hits.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per hit per line.")
@click.pass_obj
def matches(
    config_path: Path | None, rule_id: str | None, since: str | None, limit: int, as_json: bool
) -> None:
    """List stored hits, newest first, with their evidence and whether they alerted."""
    config = _required_config(config_path)
    start = _since(since)
    with _store(config) as store:
        found = store.hits(rule_id, start, limit)
    for hit in found:
        click.echo(json.dumps(hit.to_json(), ensure_ascii=False) if as_json else _stored(hit))


def _stored(hit: StoredHit) -> str:
    when = hit.created.astimezone().strftime("%Y-%m-%d %H:%M")
    status = "" if hit.alert else f"  (no alert: {hit.reason})"
    head = f"{when}  #{hit.id}  {hit.rule}: {hit.title}{status}"
    where = f"  {hit.source}: {hit.url or hit.origin}"
    if hit.document_title:
        where += f" ({hit.document_title})"
    return "\n".join([head, where, *evidence_lines(hit.evidence, _emphasis())])


@main.command()
@click.argument("query")
@click.option("--limit", default=20, show_default=True, help="At most this many documents.")
@click.pass_obj
def search(config_path: Path | None, query: str, limit: int) -> None:
    """Full-text search over the stored documents (SQLite FTS5: words, "a phrase", AND,
    OR, NOT, prefix*), best matches first."""
    config = _required_config(config_path)
    with _store(config) as store:
        try:
            found = store.search(query, limit)
        except StoreError as error:
            raise click.UsageError(str(error)) from None
    for item in found:
        when = item.fetched.astimezone().strftime("%Y-%m-%d %H:%M")
        click.echo(f"{when}  {item.source}: {item.url or item.origin}  {item.title}".rstrip())
        click.echo(f"  {' '.join(item.snippet.split())}")
    if not found:
        click.echo(f"no stored document matches {query!r}", err=True)


@main.command()
@click.argument("rule_paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--since", default="30d", show_default=True, help="Documents of this period.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per hit per line.")
@click.pass_obj
def backtest(
    config_path: Path | None, rule_paths: tuple[Path, ...], since: str, as_json: bool
) -> None:
    """Run RULE_PATHS over the stored documents and print what would have fired.

    Nothing is stored and nothing is sent: try a rule on the archive before deploying it.
    """
    config = _required_config(config_path)
    matcher = Matcher(_load(list(rule_paths)))
    documents = fired = 0
    with _store(config) as store:
        for _, document in store.documents(_since(since)):
            documents += 1
            for hit in matcher.match(document):
                fired += 1
                click.echo(
                    json.dumps(hit.to_json(), ensure_ascii=False) if as_json else _render(hit)
                )
    hits = f"{fired} hit{'s' if fired != 1 else ''}"
    click.echo(f"{hits} in {documents} stored document{'s' if documents != 1 else ''}", err=True)


def _template_problems(config: Config, ruleset: RuleSet) -> list[InputError]:
    """Every template the rules would use that does not compile or render, located."""
    from watchd.notify.dispatch import templates
    from watchd.notify.messages import Renderer

    folders = [config.path(config.templates)] if config.templates else []
    names = set(templates(ruleset).values())
    names |= {c.template for c in config.channels.values() if isinstance(c, Channel) and c.template}
    return [
        InputError(Location(error.template, error.line, 1 if error.line else 0), error.message)
        for error in Renderer(folders).check(names)
    ]


def _dispatcher(config: Config, ruleset: RuleSet) -> Dispatcher:
    """The channels and renderer of `config`; fails with every channel that cannot load
    or that a rule names but the configuration does not define."""
    from watchd.notify.dispatch import Dispatcher

    try:
        dispatcher = Dispatcher.build(config, ruleset, sys.stdout)
    except ConfigErrors as errors:
        _fail(errors)
    problems = unknown_channels(dispatcher.channels.services, ruleset)
    if problems:
        _fail(RuleErrors(RuleError(p.location, p.message) for p in problems))
    return dispatcher


def _required_config(given: Path | None) -> Config:
    config = _config(given)
    if config is None:
        raise click.UsageError(
            "no configuration: give --config FILE, or create ./watchd.yaml (see the README)"
        )
    return config


@contextlib.contextmanager
def _store(config: Config) -> Iterator[Store]:
    try:
        store = Store(config.path(config.database))
    except StoreError as error:
        _die(error)
    try:
        yield store
    finally:
        store.close()


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return _now() - parse_duration(value)
    except ValueError as error:
        raise click.BadParameter(f"{value!r} {error}", param_hint="--since") from None


def _now() -> datetime:
    return datetime.now(UTC)


def _ago(when: datetime, now: datetime) -> str:
    seconds = int((now - when).total_seconds())
    future = seconds < 0
    seconds = abs(seconds)
    amount = (
        f"{seconds} s"
        if seconds < 120
        else f"{seconds // 60} min"
        if seconds < 7200
        else f"{seconds // 3600} h"
        if seconds < 172800
        else f"{seconds // 86400} days"
    )
    return f"in {amount}" if future else f"{amount} ago"


def _die(error: Exception) -> NoReturn:
    click.echo(f"watchd: {error}", err=True)
    sys.exit(1)


def _logging(verbose: int) -> None:
    """Log to stderr; under systemd without timestamps (journald adds them)."""
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    plain = "JOURNAL_STREAM" in os.environ
    form = (
        "%(levelname)s %(name)s: %(message)s" if plain else "%(asctime)s %(levelname)s %(message)s"
    )
    logging.basicConfig(level=level, format=form, datefmt="%H:%M:%S", stream=sys.stderr)
    if verbose < 2:  # the scheduler's lines on each run (and on runs skipped while one is slow)
        logging.getLogger("apscheduler").setLevel(logging.ERROR)


# Delivery


@main.command(name="notify-test")
@click.option("--channel", "channel_name", help="Only this channel (default: every channel).")
@click.pass_obj
def notify_test(config_path: Path | None, channel_name: str | None) -> None:
    """Send a test message to each service of each channel and say what happened.

    Exits 1 if a send failed. Nothing is stored.
    """
    from watchd.notify.outbox import DeliveryError
    from watchd.notify.send import send

    config = _required_config(config_path)
    dispatcher = _dispatcher(config, _load(config.rule_paths))
    services = dispatcher.channels.services
    if channel_name is not None and channel_name not in services:
        raise click.UsageError(f"no channel {channel_name!r}; {dispatcher.channels.hint()}")
    failed = False
    for name in [channel_name] if channel_name else sorted(services):
        for service in services[name]:
            if service.kind == "console":
                click.echo(f"{name}: console: prints alerts on the daemon's output")
                continue
            message = dispatcher.renderer.test(name, service.kind)
            try:
                send(service, message, f"watchd-test-{uuid.uuid4().hex}")
            except DeliveryError as error:
                failed = True
                kind = "permanent" if error.permanent else "may pass later"
                click.echo(f"{name}: {service.masked}: FAILED ({kind}): {error.reason}")
                continue
            click.echo(f"{name}: {service.masked}: sent")
    sys.exit(1 if failed else 0)


STATES = ("pending", "held", "sending", "sent", "suppressed", "dead")  # as `status` lists them
SOMETIMES = frozenset({"held", "suppressed"})  # listed only when there are some


@main.command()
@click.pass_obj
def status(config_path: Path | None) -> None:
    """Show the outbox: deliveries pending, held (throttle, digest, quiet hours), being
    sent, sent, suppressed (silence, ack) and dead, per channel; the dead ones with their
    reason; and the last failed attempts."""
    config = _required_config(config_path)
    with _store(config) as store:
        counts, dead, failures = store.outbox_counts(), store.dead(), store.failures()
    totals: dict[str, int] = {}
    per_channel: dict[str, list[str]] = {}
    for row in counts:
        totals[row["state"]] = totals.get(row["state"], 0) + row["n"]
        per_channel.setdefault(row["channel"], []).append(f"{row['n']} {row['state']}")
    states = [state for state in STATES if state in totals or state not in SOMETIMES]
    states += sorted(set(totals) - set(STATES))
    click.echo("outbox: " + ", ".join(f"{totals.get(state, 0)} {state}" for state in states))
    for channel, parts in per_channel.items():
        click.echo(f"  {channel}: {', '.join(parts)}")
    if dead:
        click.echo("dead deliveries (`watchd resend ID` tries one again):")
    for row in dead:
        click.echo(
            f"  {row['id']}  {row['channel']}  {row['rule']} (hit {row['hit']})  "
            f"{row['attempts']} attempts: {row['last_error']}"
        )
    if failures:
        click.echo("last failed attempts:")
    for row in failures:
        when = datetime.fromisoformat(row["at"]).astimezone().strftime("%Y-%m-%d %H:%M:%S")
        click.echo(f"  {when}  {row['channel']}  delivery {row['outbox']}: {row['error']}")


@main.command()
@click.argument("delivery", type=int)
@click.pass_obj
def resend(config_path: Path | None, delivery: int) -> None:
    """Try a dead DELIVERY (its id in `watchd status`) again, from its first attempt.

    The running daemon sends it within seconds; `watchd once` sends it too.
    """
    config = _required_config(config_path)
    with _store(config) as store:
        if not store.requeue(delivery, _now()):
            raise click.UsageError(
                f"no dead delivery {delivery}; `watchd status` lists the dead ones"
            )
    click.echo(f"delivery {delivery} is due again")


@main.command()
@click.argument("rule_id", required=False)
@click.option(
    "--for", "period", default="6h", show_default=True, help="How long, e.g. 30m, 6h, 2d."
)
@click.option("--reason", default="", help="Why; kept with the record.")
@click.option("--list", "listing", is_flag=True, help="List the silences and acks in force.")
@click.pass_obj
def silence(
    config_path: Path | None, rule_id: str | None, period: str, reason: str, listing: bool
) -> None:
    """Stop the alerts of RULE_ID for a while, without editing the rule.

    Hits are still stored; their deliveries are dropped until the silence ends, on its
    own. Every silence is recorded (`--list` shows those in force).
    """
    config = _required_config(config_path)
    if listing:
        with _store(config) as store:
            entries = store.silences(_now())
        for entry in entries:
            what = (
                f"rule {entry['rule']}" if entry["kind"] == "silence" else f"story {entry['story']}"
            )
            ends = datetime.fromisoformat(entry["until"]).astimezone().strftime("%Y-%m-%d %H:%M")
            click.echo(f"{entry['id']}  {entry['kind']}  {what}  until {ends}  {entry['reason']}")
        return
    if rule_id is None:
        raise click.UsageError("give the RULE_ID to silence, or --list")
    ruleset = _load(config.rule_paths)
    if ruleset.rule(rule_id) is None:
        hint = difflib.get_close_matches(rule_id, [r.id for r in ruleset.rules], n=1)
        fix = f" (did you mean {hint[0]!r}?)" if hint else ""
        raise click.UsageError(f"no rule {rule_id!r} in the configured rules{fix}")
    until = _now() + _duration(period, "--for")
    with _store(config) as store:
        ident = store.silence("silence", until, _now(), rule_id, None, reason)
    local = until.astimezone().strftime("%Y-%m-%d %H:%M")
    click.echo(f"rule {rule_id} silenced until {local} (silence {ident})")


@main.command()
@click.argument("hit_id", type=int)
@click.option("--for", "period", default="24h", show_default=True, help="How long, e.g. 6h, 2d.")
@click.option("--reason", default="", help="Why; kept with the record.")
@click.pass_obj
def ack(config_path: Path | None, hit_id: int, period: str, reason: str) -> None:
    """Acknowledge the story of HIT_ID (its id in `watchd matches`): its alerts not yet
    sent are dropped, and new hits on the same story do not alert, until it expires."""
    config = _required_config(config_path)
    until = _now() + _duration(period, "--for")
    with _store(config) as store:
        found = store.rows("select story from hits where id = ?", [hit_id])
        if not found:
            raise click.UsageError(f"no hit {hit_id}; `watchd matches` lists them with their ids")
        story = int(found[0]["story"])
        ident = store.silence("ack", until, _now(), None, story, reason)
    local = until.astimezone().strftime("%Y-%m-%d %H:%M")
    click.echo(f"story of hit {hit_id} acknowledged until {local} (ack {ident})")


def _duration(value: str, option: str) -> timedelta:
    try:
        return parse_duration(value)
    except ValueError as error:
        raise click.BadParameter(f"{value!r} {error}", param_hint=option) from None
