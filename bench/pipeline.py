"""The whole pipeline of one folder poll against the matcher alone, in the same run.

    .venv/bin/python bench/pipeline.py [--rules 1000] [--docs 500] [--passes 5]

The parent writes the generated rules, an inbox of .txt documents and a watchd.yaml into a
temporary folder; a subprocess (so that peak memory is the pipeline's own) then times
`Matcher.match` over the documents, `Engine.poll` of the folder into a fresh store, and a
second poll that finds nothing new. See bench/README.md for what is measured and how.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import corpus  # noqa: E402
import rulegen  # noqa: E402
import run  # noqa: E402

from watchd.config import Config, Source, load_config  # noqa: E402
from watchd.documents import Document  # noqa: E402
from watchd.engine import Engine, Report  # noqa: E402
from watchd.matcher import Matcher  # noqa: E402
from watchd.rules import load_rules  # noqa: E402
from watchd.sources.base import Context  # noqa: E402
from watchd.sources.dir import DirSource  # noqa: E402
from watchd.store import Store  # noqa: E402

RESULT = BENCH / "results" / "pipeline-latest.json"
RULES = 1000
DOCS = 500
PASSES = 5
AGE_SECONDS = 60  # the inbox files' mtimes are this old, so the dir source reads them at once
CONFIG = "watchd.yaml"
SOURCE = "inbox"
T = TypeVar("T")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.worker:
        json.dump(worker(Path(args.worker), args.passes), sys.stdout)
        return 0
    return parent(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rules", type=int, default=RULES, help="generated rules")
    parser.add_argument("--docs", type=int, default=DOCS, help="documents of about 5 KB")
    parser.add_argument("--passes", type=int, default=PASSES, help="timed repetitions (median)")
    parser.add_argument(
        "--live",
        type=float,
        default=rulegen.LIVE_SHARE,
        help="share of rules drawn from the corpus",
    )
    parser.add_argument("--tmp", type=Path, help="where the temporary folder goes (its disk)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    return parser


# --- the parent: rules, inbox and configuration, one worker, the report ---


def parent(args: argparse.Namespace) -> int:
    try:
        docs, lexicon, vocab = run.inputs(args.docs)
    except corpus.CorpusError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="watchd-pipeline-", dir=args.tmp) as tmp:
        folder = Path(tmp)
        rulegen.generate(args.rules, folder / "rules", lexicon, vocab, args.live)
        write_inbox(folder / SOURCE, docs)
        write_config(folder)
        print(f"bench: {args.rules:,} rules, {len(docs)} documents in {folder}", file=sys.stderr)
        result = spawn(folder, args.passes)
        disk = filesystem(folder)
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {**run.machine(), "temp_filesystem": disk},
        "settings": settings(args, docs),
        "results": result,
    }
    print(table(result))
    write(report)
    return 0


def write_inbox(inbox: Path, docs: list[corpus.Doc]) -> None:
    """One .txt file per document, its mtime AGE_SECONDS in the past (settled)."""
    inbox.mkdir(parents=True)
    past = time.time() - AGE_SECONDS
    for doc in docs:
        path = inbox / f"{doc.source}.txt"
        path.write_text(doc.text, encoding="utf-8")
        os.utime(path, (past, past))


def write_config(folder: Path) -> None:
    """A configuration with the rules, one dir source and the console channel; paths relative
    to it, as an operator writes them (the database path is not used: each run opens its own)."""
    text = (
        "database: ./unused.db\n"
        "rules: [./rules]\n"
        "notify: [console]\n"
        "sources:\n"
        f"  - {{name: {SOURCE}, dir: ./{SOURCE}}}\n"
    )
    (folder / CONFIG).write_text(text, encoding="utf-8")


def spawn(folder: Path, passes: int) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", str(folder)]
    command += ["--passes", str(passes)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"bench: worker failed ({' '.join(command)}):\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def filesystem(path: Path) -> str:
    """The type and mount point of the filesystem holding `path` (tmpfs makes fsync free)."""
    best, kind = "", "?"
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return kind
    resolved = str(path.resolve())
    for line in mounts:
        parts = line.split()
        if len(parts) > 2 and _under(resolved, parts[1]) and len(parts[1]) >= len(best):
            best, kind = parts[1], parts[2]
    return f"{kind} on {best}"


def _under(path: str, mount: str) -> bool:
    return path == mount or path.startswith(mount.rstrip("/") + "/")


def settings(args: argparse.Namespace, docs: list[corpus.Doc]) -> dict[str, Any]:
    sizes = [len(doc.text.encode()) for doc in docs]
    return {
        "rules": args.rules,
        "documents": len(docs),
        "mean_document_bytes": round(statistics.mean(sizes)),
        "passes": args.passes,
        "live_share": args.live,
        "corpus": "Lee corpus (gensim test data: lee_background.cor, lee.cor)",
        "store": "SQLite, WAL, synchronous=FULL, one transaction per document",
    }


def write(report: dict[str, Any]) -> None:
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nbench: wrote {RESULT.relative_to(BENCH.parent)}", file=sys.stderr)


# --- the report ---


def table(result: dict[str, Any]) -> str:
    matcher, engine, idle = result["matcher"], result["engine"], result["second_poll"]
    lines = [
        "| measured | docs/s | docs/s (CPU) | ms/doc | ms/doc (CPU) |",
        "|---|---:|---:|---:|---:|",
        _row("matcher alone", matcher),
        _row("engine poll (read, match, store)", engine),
        _row("second poll, nothing new (per file)", idle),
        "",
        f"engine/matcher: {result['ratio']:.2f} by the wall clock, "
        f"{result['ratio_cpu']:.2f} by CPU time",
        f"store overhead: {result['overhead_ms_per_doc']:.2f} ms/doc "
        f"({result['overhead_cpu_ms_per_doc']:.2f} ms of it CPU)",
        f"database: {result['db_kb_per_doc']:.1f} KB/doc for {result['text_kb_per_doc']:.1f} KB "
        f"of text; {result['hits_per_doc']:.2f} hits/doc, "
        f"{result['outbox_per_doc']:.2f} outbox rows/doc",
        f"matcher build {result['build_s']:.2f} s; RSS {result['rss_built_mb']:.0f} MB after "
        f"it, peak {result['peak_rss_mb']:.0f} MB",
        "",
        "| stage of the engine poll (one instrumented run) | ms/doc | share |",
        "|---|---:|---:|",
    ]
    stages = result["stages_ms_per_doc"]
    total = stages["total"]
    for name, ms in stages.items():
        share = f"{100 * ms / total:.0f}%" if total else "-"
        lines.append(f"| {name} | {ms:.3f} | {share} |")
    return "\n".join(lines)


def _row(title: str, timing: dict[str, float]) -> str:
    rate, cpu = timing["per_s"], timing["cpu_per_s"]
    return f"| {title} | {rate:,.0f} | {cpu:,.0f} | {1000 / rate:.3f} | {1000 / cpu:.3f} |"


# --- the worker: everything timed, in its own process ---


@dataclass(frozen=True, slots=True)
class Timing:
    wall: float
    cpu: float


def timed(call: Callable[[], T]) -> tuple[T, Timing]:
    """What `call` returns, and the seconds it took by the wall clock and by CPU time."""
    started, cpu = time.perf_counter(), time.process_time()
    value = call()
    return value, Timing(time.perf_counter() - started, time.process_time() - cpu)


def worker(folder: Path, passes: int) -> dict[str, Any]:
    config = load_config(folder / CONFIG)
    source = config.sources[0]
    rss_before = run._rss_mb()
    matcher, build = timed(lambda: Matcher(load_rules(config.rule_paths)))
    rss_built = run._rss_mb()
    documents = read_documents(source)
    matching = [timed(lambda: match_all(matcher, documents))[1] for _ in range(passes + 1)][1:]
    warm_up = engine_run(folder / "db-warm-up", config, matcher, source)
    runs = [engine_run(folder / f"db-{n}", config, matcher, source) for n in range(passes)]
    stages = staged_run(folder / "db-stages", config, matcher, source, len(documents))
    for report, _ in [warm_up, *runs]:
        check(report, len(documents))
    return summary(documents, matching, runs, stages) | {
        "build_s": build.wall,
        "rss_before_mb": rss_before,
        "rss_built_mb": rss_built,
        "peak_rss_mb": run._maxrss_mb(),
    }


def read_documents(source: Source) -> list[Document]:
    """The Documents the dir source makes of the inbox (the ones the engine matches)."""
    poll = DirSource(source, Context()).poll({})
    if poll.problems or not poll.items:
        raise SystemExit(f"bench: the inbox read badly: {poll.problems[:3]}")
    return [item.document for item in poll.items]


def match_all(matcher: Matcher, documents: list[Document]) -> int:
    return sum(len(matcher.match(document)) for document in documents)


@dataclass(frozen=True, slots=True)
class EngineRun:
    full: Timing  # the first poll: every document read, matched and stored
    idle: Timing  # the second poll: nothing new
    db_bytes: int
    hits: int
    outbox: int


def engine_run(
    db: Path, config: Config, matcher: Matcher, source: Source
) -> tuple[Report, EngineRun]:
    """Two polls of the folder into a fresh store at `db`; the store is removed after."""
    store = Store(db / "watchd.db")
    engine = Engine(store, config, matcher)
    try:
        report, full = timed(lambda: engine.poll(source))
        again, idle = timed(lambda: engine.poll(source))
        counts = store.counts()
    finally:
        engine.close()
        store.close()
    if again.documents:
        raise SystemExit(f"bench: the second poll found {again.documents} documents")
    size = sum(path.stat().st_size for path in db.iterdir())
    shutil.rmtree(db)
    return report, EngineRun(full, idle, size, counts["hits"], counts.get("outbox pending", 0))


def check(report: Report, documents: int) -> None:
    if not report.ok or report.documents != documents or report.problems:
        raise SystemExit(f"bench: the poll stored {report.documents} of {documents}: {report}")


class Clocks:
    """Seconds spent in chosen methods of chosen objects, by label."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.wrapped: list[tuple[object, str]] = []

    def wrap(self, owner: object, name: str, label: str, only: str | None = None) -> None:
        """Time `owner.name` (shadowed by an instance attribute); with `only`, just the calls
        whose first argument is `only`."""
        inner = getattr(owner, name)
        seconds = self.seconds

        def clocked(*args: Any, **kwargs: Any) -> Any:
            if only is not None and (not args or args[0] != only):
                return inner(*args, **kwargs)
            started = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                seconds[label] += time.perf_counter() - started

        seconds[label] = 0.0
        setattr(owner, name, clocked)
        self.wrapped.append((owner, name))

    @contextmanager
    def installed(self) -> Iterator[Clocks]:
        try:
            yield self
        finally:
            for owner, name in reversed(self.wrapped):
                delattr(owner, name)


def staged_run(
    db: Path, config: Config, matcher: Matcher, source: Source, count: int
) -> dict[str, float]:
    """One more first poll, with clocks on its parts: ms per document in each."""
    store = Store(db / "watchd.db")
    engine = Engine(store, config, matcher)
    clocks = Clocks()
    clocks.wrap(engine.kind(source), "poll", "source poll: list, stat, read, hash, parse")
    clocks.wrap(store, "known", "Store.known")
    clocks.wrap(matcher, "match", "Matcher.match")
    clocks.wrap(store, "add", "Store.add (a transaction per document)")
    clocks.wrap(store.db, "execute", "  of which COMMIT", only="COMMIT")
    clocks.wrap(store, "poll_succeeded", "Store.poll_succeeded (saving the state)")
    try:
        with clocks.installed():
            report, full = timed(lambda: engine.poll(source))
    finally:
        engine.close()
        store.close()
    shutil.rmtree(db)
    check(report, count)
    parts = dict(clocks.seconds)
    top = sum(seconds for label, seconds in parts.items() if not label.startswith(" "))
    parts["other (fingerprint, records, logging)"] = full.wall - top
    parts["total"] = full.wall
    return {label: 1000 * seconds / count for label, seconds in parts.items()}


def summary(
    documents: list[Document],
    matching: list[Timing],
    runs: list[tuple[Report, EngineRun]],
    stages: dict[str, float],
) -> dict[str, Any]:
    count = len(documents)
    matcher = rates(matching, count)
    engine = rates([r.full for _, r in runs], count)
    idle = rates([r.idle for _, r in runs], count)
    text_bytes = sum(len(document.text.encode()) for document in documents)
    last = runs[-1][1]
    return {
        "documents": count,
        "matcher": matcher,
        "engine": engine,
        "second_poll": idle,
        "ratio": engine["per_s"] / matcher["per_s"],
        "ratio_cpu": engine["cpu_per_s"] / matcher["cpu_per_s"],
        "overhead_ms_per_doc": 1000 / engine["per_s"] - 1000 / matcher["per_s"],
        "overhead_cpu_ms_per_doc": 1000 / engine["cpu_per_s"] - 1000 / matcher["cpu_per_s"],
        "db_kb_per_doc": statistics.median(r.db_bytes for _, r in runs) / count / 1024,
        "text_kb_per_doc": text_bytes / count / 1024,
        "hits_per_doc": last.hits / count,
        "outbox_per_doc": last.outbox / count,
        "stages_ms_per_doc": stages,
    }


def rates(timings: list[Timing], count: int) -> dict[str, Any]:
    """Median items per second by the wall clock and by CPU time, and every pass's."""
    walls = [count / t.wall for t in timings]
    cpus = [count / max(t.cpu, 1e-9) for t in timings]
    return {
        "per_s": statistics.median(walls),
        "cpu_per_s": statistics.median(cpus),
        "pass_per_s": walls,
        "pass_cpu_per_s": cpus,
    }


if __name__ == "__main__":
    raise SystemExit(main())
