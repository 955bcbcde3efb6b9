"""The daemon: one APScheduler job per source, the outbox worker, signals, reloads, sd_notify.

`Daemon.run()` stays in the foreground until SIGTERM or SIGINT. SIGHUP, or a change to a
YAML file under the rule paths, reloads the rules; a rule set with errors is refused,
its errors logged, and the old one kept. On stop, polls in flight are asked to finish
early, and the scheduler waits for them.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from watchd import sdnotify
from watchd.check import unknown_channels
from watchd.config import Config, Source, load_config
from watchd.cron import crontab
from watchd.engine import Engine
from watchd.errors import ConfigErrors, RuleError, RuleErrors
from watchd.matcher import Matcher
from watchd.metrics import Metrics, MetricsServer, serve
from watchd.notify.dispatch import Dispatcher
from watchd.notify.outbox import Outbox
from watchd.notify.policy import Policy
from watchd.rules import RuleSet, load_rules
from watchd.sources.base import Context
from watchd.store import Store

log = logging.getLogger(__name__)

TICK = 1.0  # seconds between checks of the main loop
RULES_CHECK = 2.0  # seconds between looks at the rule files
DELIVERY_EVERY = 1.0
MAX_WORKERS = 4
STALL = 60.0  # seconds without a main-loop tick before /healthz says unhealthy

Snapshot = dict[str, tuple[int, int]]


class Daemon:
    def __init__(
        self, config: Config, ruleset: RuleSet, out: TextIO, config_path: Path | None = None
    ) -> None:
        self.config = config
        self.config_path = config_path
        self.out = out
        self.context = Context(contact=config.contact)
        self.metrics = Metrics()
        self.dispatcher = Dispatcher.build(config, ruleset, out)
        refuse_unknown_channels(self.dispatcher, ruleset)
        self.store = Store(config.path(config.database))
        self.store.take_writer_lock()
        self.engine = Engine(
            self.store,
            config,
            Matcher(ruleset),
            self.context,
            self.metrics,
            self.dispatcher.channels.targets,
        )
        self.outbox = Outbox(
            self.store,
            self.dispatcher.senders(),
            self.context.now,
            self.metrics,
            Policy.of(config, ruleset),
            self.dispatcher.group_senders(),
        )
        self.wake = threading.Event()
        self.reload_asked = False
        self.rules_seen = snapshot(config.rule_paths)
        self.last_tick = time.monotonic()
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(MAX_WORKERS)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=UTC,
        )

    # Running

    def run(self) -> None:
        """Poll, deliver and reload until asked to stop; then finish what is in flight."""
        self._handle_signals()
        recovered = self.outbox.recover()
        if recovered:
            log.warning(
                "%d deliveries were in flight when watchd last died; sending again", recovered
            )
        self._schedule()
        server = self._serve_metrics()
        self.scheduler.start()
        count, rules = len(self.config.sources), len(self.engine.matcher.rules)
        log.info("watchd started: %d sources, %d rules", count, rules)
        sdnotify.ready(f"watching {count} sources with {rules} rules")
        try:
            self._loop()
        finally:
            self._shutdown(server)

    def _loop(self) -> None:
        watchdog = sdnotify.watchdog_interval()
        last_rules_check = time.monotonic()
        while not self.context.stop.is_set():
            self.wake.wait(min(TICK, watchdog or TICK))
            self.wake.clear()
            self.last_tick = time.monotonic()
            if watchdog:
                sdnotify.watchdog()
            if self.context.stop.is_set():
                break
            if self.last_tick - last_rules_check >= RULES_CHECK:
                last_rules_check = self.last_tick
                self._check_rule_files()
            if self.reload_asked:
                self.reload_asked = False
                self.reload()

    def _shutdown(self, server: MetricsServer | None) -> None:
        log.info("watchd stopping: finishing the polls in flight")
        sdnotify.stopping()
        self.context.stop.set()
        self.scheduler.shutdown(wait=True)
        self.outbox.deliver()
        self.engine.close()
        self.store.close()
        if server:
            server.close()
        log.info("watchd stopped")

    def stop(self) -> None:
        self.context.stop.set()
        self.wake.set()

    # Signals

    def _handle_signals(self) -> None:
        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGINT, self._on_stop)
        signal.signal(signal.SIGHUP, self._on_reload)

    def _on_stop(self, number: int, frame: FrameType | None) -> None:
        self.stop()

    def _on_reload(self, number: int, frame: FrameType | None) -> None:
        self.reload_asked = True
        self.wake.set()

    # Reloading

    def _check_rule_files(self) -> None:
        seen = snapshot(self.config.rule_paths)
        if seen != self.rules_seen:
            self.rules_seen = seen
            log.info("rule files changed")
            self.reload()

    def reload(self) -> bool:
        """Read the configuration and the rules again and apply them, or, if either has
        errors, log them and keep running as before."""
        sdnotify.reloading()
        try:
            config = self._new_config()
            ruleset = load_rules(config.rule_paths)
            dispatcher = Dispatcher.build(config, ruleset, self.out)
            refuse_unknown_channels(dispatcher, ruleset)
        except (ConfigErrors, RuleErrors) as errors:
            for error in errors:
                log.error("%s", error)
            log.error("reload refused: %d problems; still running as before", len(errors))
            sdnotify.ready("reload refused; running as before")
            return False
        self._apply(config)
        self.dispatcher = dispatcher
        self.engine.targets = dispatcher.channels.targets
        self.outbox.senders = dispatcher.senders()
        self.outbox.group_senders = dispatcher.group_senders()
        self.outbox.policy = Policy.of(config, ruleset)
        self.engine.matcher = Matcher(ruleset)
        self.rules_seen = snapshot(config.rule_paths)
        log.info("rules reloaded: %d rules", len(ruleset.rules))
        sdnotify.ready(f"running {len(ruleset.rules)} rules")
        return True

    def _new_config(self) -> Config:
        return load_config(self.config_path) if self.config_path else self.config

    def _apply(self, config: Config) -> None:
        """Reschedule the sources that were added, changed or removed."""
        for key in ("database", "metrics"):
            if getattr(config, key) != getattr(self.config, key):
                log.warning("%s: changed; it takes effect when watchd is restarted", key)
        old = {source.name: source for source in self.config.sources}
        new = {source.name: source for source in config.sources}
        for name in old.keys() - new.keys():
            self._unschedule(name)
            log.info("source %s removed", name)
        for name, source in new.items():
            if old.get(name) != source:
                self._unschedule(name)
                self._schedule_source(source, datetime.now(UTC))
                log.info("source %s %s", name, "changed" if name in old else "added")
        self.config = self.engine.config = config

    def _unschedule(self, name: str) -> None:
        if self.scheduler.get_job(f"source:{name}"):
            self.scheduler.remove_job(f"source:{name}")
        self.engine.forget(name)

    # Jobs

    def _schedule(self) -> None:
        now = datetime.now(UTC)
        for source in self.config.sources:
            self._schedule_source(source, now)
        self.scheduler.add_job(
            guarded(self.outbox.deliver),
            IntervalTrigger(seconds=DELIVERY_EVERY),
            id="outbox",
            next_run_time=now,
        )

    def _schedule_source(self, source: Source, now: datetime) -> None:
        """One job for `source`: polled at once and then every interval, or on its cron."""
        self.scheduler.add_job(
            guarded(self._poll, source),
            trigger(source),
            id=f"source:{source.name}",
            name=source.name,
            next_run_time=now if source.cron is None else None,
        )

    def _poll(self, source: Source) -> None:
        self.engine.poll(source)
        self.wake.set()

    # Metrics

    def _serve_metrics(self) -> MetricsServer | None:
        if not self.config.metrics:
            return None
        server = serve(self.config.metrics, self.metrics, self._health)
        log.info("metrics on http://%s:%d/metrics", server.host, server.port)
        return server

    def _health(self) -> tuple[bool, str]:
        stalled = time.monotonic() - self.last_tick > STALL
        if stalled or not self.scheduler.running:
            return False, "the main loop or the scheduler has stopped"
        return True, "ok"


def refuse_unknown_channels(dispatcher: Dispatcher, ruleset: RuleSet) -> None:
    """Raises RuleErrors if a rule notifies a channel the configuration does not define."""
    problems = unknown_channels(dispatcher.channels.services, ruleset)
    if problems:
        raise RuleErrors(RuleError(p.location, p.message) for p in problems)


def trigger(source: Source) -> IntervalTrigger | CronTrigger:
    jitter = int(source.jitter.total_seconds()) if source.jitter else None
    if source.cron is not None:
        return crontab(source.cron, timezone=UTC, jitter=jitter)
    assert source.interval is not None
    return IntervalTrigger(seconds=source.interval.total_seconds(), jitter=jitter)


def guarded(job: Callable[..., Any], *args: Any) -> Callable[[], None]:
    """`job(*args)`, logging instead of raising: one failing poll must not stop the others."""

    def run() -> None:
        try:
            job(*args)
        except Exception:
            log.exception("%s failed; the daemon goes on", getattr(job, "__name__", "a job"))

    return run


def snapshot(paths: Iterable[Path]) -> Snapshot:
    """The size and modification time of every YAML file under `paths`."""
    seen: Snapshot = {}
    for path in paths:
        files = [path] if path.is_file() else [*path.rglob("*.yaml"), *path.rglob("*.yml")]
        for file in files:
            try:
                stat = file.stat()
            except OSError:
                continue
            seen[str(file)] = (stat.st_mtime_ns, stat.st_size)
    return seen
