"""Documents per second against rule count: the matcher, and the naive loop as baseline.

    .venv/bin/python bench/run.py [--sizes 100,1000,10000,100000] [--docs N] [--quick]

Each rule-set size runs in its own subprocess, so that its peak memory is its own. See
bench/README.md for what is measured and how.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import corpus  # noqa: E402
import rulegen  # noqa: E402

RESULTS = BENCH / "results"
SIZES = (100, 1000, 10_000, 100_000)
QUICK_SIZES = (100, 1000)
DOCS = 200
PASSES = 5
NAIVE_SECONDS = 15.0
QUICK_NAIVE_SECONDS = 4.0
CHECK_FACTOR = 2  # the check may run twice as long as the naive loop
MISMATCH_SAMPLES = 10
PROFILE_LINES = 20


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.worker:
        result = worker(Path(args.worker), args.docs, args.passes, args.naive_seconds)
        json.dump(result, sys.stdout)
        return 0
    if args.profile_worker:
        print(profile_worker(Path(args.profile_worker), args.docs))
        return 0
    return parent(args)


def inputs(count: int) -> tuple[list[Any], Any, Any]:
    """The documents, the default lexicon and the corpus vocabulary rule sets are drawn
    from; raises corpus.CorpusError when the corpus cannot be had."""
    from watchd.rules import load_rules

    docs = corpus.documents(count)
    lexicon = load_rules([]).lexicon
    return docs, lexicon, rulegen.vocabulary(corpus.articles(), lexicon)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=_sizes, help="rule counts, comma-separated")
    parser.add_argument("--docs", type=int, default=DOCS, help="documents of about 5 KB")
    parser.add_argument("--quick", action="store_true", help="100 and 1,000 rules only")
    parser.add_argument("--passes", type=int, default=PASSES, help="timed passes (median)")
    parser.add_argument("--naive-seconds", type=float, help="time cap of the naive loop")
    parser.add_argument(
        "--live",
        type=float,
        default=rulegen.LIVE_SHARE,
        help="share of rules drawn from the corpus (1.0: every rule, a stress test)",
    )
    parser.add_argument(
        "--profile", type=int, metavar="SIZE", help="also profile the matcher on SIZE rules"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--profile-worker", help=argparse.SUPPRESS)
    return parser


def _sizes(text: str) -> list[int]:
    return [int(part.replace("_", "")) for part in text.split(",") if part.strip()]


# --- the parent: corpus, rule files, one subprocess per size, the report ---


def parent(args: argparse.Namespace) -> int:
    sizes = args.sizes or (QUICK_SIZES if args.quick else SIZES)
    cap = args.naive_seconds or (QUICK_NAIVE_SECONDS if args.quick else NAIVE_SECONDS)
    if args.profile is not None and args.profile not in sizes:
        print(f"bench: --profile {args.profile} is not one of the sizes run", file=sys.stderr)
        return 2
    try:
        docs, lexicon, vocab = inputs(args.docs)
    except corpus.CorpusError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    print(_corpus_line(docs), file=sys.stderr)
    rows = []
    profile = None
    with tempfile.TemporaryDirectory(prefix="watchd-bench-") as tmp:
        for size in sizes:
            folder = Path(tmp, str(size))
            rulegen.generate(size, folder, lexicon, vocab, args.live)
            print(f"bench: {size:,} rules ...", file=sys.stderr, flush=True)
            rows.append(_spawn(["--worker", str(folder)], args.docs, args.passes, cap))
            _progress(rows[-1])
            if args.profile == size:
                profile = _profile(folder, args.docs, size)
    report = _report(rows, docs, args, cap, profile)
    print(_table(rows))
    print()
    print(_stage_table(rows))
    _write(report)
    return 0


def _corpus_line(docs: list[corpus.Doc]) -> str:
    sizes = [len(d.text.encode()) for d in docs]
    return f"bench: corpus of {len(docs)} documents, mean {statistics.mean(sizes):,.0f} bytes"


def _spawn(extra: list[str], docs: int, passes: int, cap: float) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), *extra]
    command += ["--docs", str(docs), "--passes", str(passes), "--naive-seconds", str(cap)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"bench: worker failed ({' '.join(command)}):\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _profile(folder: Path, docs: int, size: int) -> str:
    command = [sys.executable, str(Path(__file__).resolve()), "--profile-worker", str(folder)]
    command += ["--docs", str(docs)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"bench: profile failed:\n{done.stderr}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"profile-{size}.txt").write_text(done.stdout, encoding="utf-8")
    return done.stdout


def _progress(row: dict[str, Any]) -> None:
    line = (
        f"bench:   compile {row['load_s']:.2f} s + build {row['build_s']:.2f} s, "
        f"{row['matcher_docs_per_s']:,.0f} docs/s ({row['matcher_cpu_docs_per_s']:,.0f} by CPU "
        f"time; naive {row['naive_docs_per_s']:,.1f}), "
        f"peak {row['peak_rss_mb']:,.0f} MB, mismatches {row['mismatches']} "
        f"in {row['naive_documents_checked']} documents (naive), {row['check_mismatches']} "
        f"in {row['check_documents']} (check)"
    )
    print(line, file=sys.stderr, flush=True)


def _report(
    rows: list[dict[str, Any]],
    docs: list[corpus.Doc],
    args: argparse.Namespace,
    cap: float,
    profile: str | None,
) -> dict[str, Any]:
    sizes = [len(d.text.encode()) for d in docs]
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": {
            "documents": len(docs),
            "mean_document_bytes": round(statistics.mean(sizes)),
            "passes": args.passes,
            "naive_seconds_cap": cap,
            "live_share": args.live,
            "corpus": "Lee corpus (gensim test data: lee_background.cor, lee.cor)",
        },
        "results": rows,
        "profile": profile,
    }


def machine() -> dict[str, Any]:
    load = os.getloadavg()
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "cpu_model": _cpu_model(),
        "load_average": [round(x, 2) for x in load],
        "git": _git(),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _git() -> str:
    def run(*args: str) -> str:
        done = subprocess.run(["git", *args], capture_output=True, text=True, cwd=BENCH)
        return done.stdout.strip()

    head = run("rev-parse", "--short", "HEAD")
    dirty = run("status", "--porcelain", "--", "watchd")
    return f"{head}{' (watchd/ modified)' if dirty else ''}" if head else ""


COLUMNS = (
    ("rules", "rules", "{:,}"),
    ("compile s", "load_s", "{:.2f}"),
    ("matcher build s", "build_s", "{:.2f}"),
    ("docs/s matcher", "matcher_docs_per_s", "{:,.0f}"),
    ("docs/s matcher (CPU)", "matcher_cpu_docs_per_s", "{:,.0f}"),
    ("docs/s naive", "naive_docs_per_s", "{:,.2f}"),
    ("speed-up", "speedup", "{:,.0f}x"),
    ("candidates/doc", "candidates_per_doc", "{:,.1f}"),
    ("hits/doc", "hits_per_doc", "{:,.1f}"),
    ("RSS before MB", "rss_before_mb", "{:,.0f}"),
    ("peak RSS MB", "peak_rss_mb", "{:,.0f}"),
    ("docs checked", "checked", "{}"),
    ("mismatches", "mismatched", "{}"),
)


def _table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| " + " | ".join(title for title, _, _ in COLUMNS) + " |",
        "|" + "|".join("---:" for _ in COLUMNS) + "|",
    ]
    for row in rows:
        row = {
            **row,
            "checked": f"{row['naive_documents_checked']} / {row['check_documents']}",
            "mismatched": f"{row['mismatches']} / {row['check_mismatches']}",
        }
        cells = [form.format(row[key]) for _, key, form in COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _stage_table(rows: list[dict[str, Any]]) -> str:
    """Milliseconds per document by stage (medians of separate passes, so they only add up
    roughly)."""
    lines = [
        "| rules | analysis ms | scan + candidates ms | verify + evidence ms | match ms |",
        "|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        stage = row["stages_ms_per_doc"]
        cells = [f"{row['rules']:,}"] + [
            f"{stage[key]:.2f}"
            for key in ("analysis", "scan_and_candidates", "verify_and_evidence", "match")
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _write(report: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"latest-live{report['settings']['live_share']}.json"
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nbench: wrote {path.relative_to(BENCH.parent)}", file=sys.stderr)


# --- the worker: one rule-set size, in its own process ---


def worker(folder: Path, count: int, passes: int, cap: float) -> dict[str, Any]:
    from watchd.matcher import Matcher
    from watchd.rules import load_rules

    documents = _documents(count)
    rss_before, peak_before = _rss_mb(), _maxrss_mb()
    started = time.perf_counter()
    ruleset = load_rules([folder])
    loaded = time.perf_counter()
    rss_loaded = _rss_mb()
    matcher = Matcher(ruleset)
    built = time.perf_counter()
    rss_built, peak_built = _rss_mb(), _maxrss_mb()
    warm = warm_up(matcher, documents)
    timed = [_timed_pass(matcher, documents) for _ in range(passes)]
    rates = [wall for wall, _ in timed]
    cpu_rates = [cpu for _, cpu in timed]
    split = stages(matcher, documents, 1000 / statistics.median(rates))
    naive = naive_run(ruleset, documents, cap, warm["hits"])
    check = check_run(ruleset, documents, CHECK_FACTOR * cap, warm["hits"])
    median = statistics.median(rates)
    return {
        "rules": len(ruleset.rules),
        "files": len(list(folder.glob("*.yaml"))),
        "terms": len(ruleset.terms),
        "patterns": sum(len(t.patterns) for t in ruleset.terms.values()),
        "automaton_keys": getattr(matcher.automaton, "size", None),
        "always_checked": len(getattr(matcher.index, "always", ())),
        "load_s": loaded - started,
        "build_s": built - loaded,
        "rss_before_mb": rss_before,
        "peak_rss_before_mb": peak_before,
        "rss_after_load_mb": rss_loaded,
        "rss_after_build_mb": rss_built,
        "peak_rss_after_build_mb": peak_built,
        "documents": len(documents),
        "matcher_pass_docs_per_s": rates,
        "matcher_docs_per_s": median,
        "matcher_pass_cpu_docs_per_s": cpu_rates,
        "matcher_cpu_docs_per_s": statistics.median(cpu_rates),
        "candidates_per_doc": warm["candidates"] / len(documents),
        "hits_per_doc": warm["hit_count"] / len(documents),
        "rules_firing": warm["rules_firing"],
        "stages_ms_per_doc": split,
        **naive,
        **check,
        "speedup": median / naive["naive_docs_per_s"] if naive["naive_docs_per_s"] else None,
        "peak_rss_mb": _maxrss_mb(),
    }


def _documents(count: int) -> list[Any]:
    from watchd.documents import Document

    return [Document(source=d.source, text=d.text) for d in corpus.documents(count)]


def warm_up(matcher: Any, documents: list[Any]) -> dict[str, Any]:
    """One untimed pass: candidates per document (from `fields`) and the hits."""
    candidates = 0
    hits = []
    for document in documents:
        fields = matcher.fields(document)
        candidates += len(set().union(*(f.candidates for f in fields.values())))
        hits.append(matcher.match(document))
    firing = {hit.rule for found in hits for hit in found}
    count = sum(len(found) for found in hits)
    return {"candidates": candidates, "hits": hits, "hit_count": count, "rules_firing": len(firing)}


def _pass(matcher: Any, documents: list[Any]) -> float:
    """Documents per second of one pass of `matcher.match` (the matcher's or the naive)."""
    return _timed_pass(matcher, documents)[0]


def _timed_pass(matcher: Any, documents: list[Any]) -> tuple[float, float]:
    """Documents per second of one pass, by the wall clock and by the process's CPU time
    (which other tenants of a shared machine disturb less)."""
    match = matcher.match
    started, cpu = time.perf_counter(), time.process_time()
    for document in documents:
        match(document)
    wall, used = time.perf_counter() - started, time.process_time() - cpu
    return len(documents) / wall, len(documents) / max(used, 1e-9)


def stages(matcher: Any, documents: list[Any], match_ms: float) -> dict[str, float]:
    """Where a document's time goes, in ms: cutting the text (`Analysis`), the automaton
    pass and candidate selection (`fields` less the analysis), and verifying the candidates
    and building evidence (`match` less `fields`; it includes the sentence and character
    tables `Analysis` computes on first use)."""
    from watchd.text import Analysis

    texts = [document.text for document in documents]
    analysis = _median_ms(lambda: _each(Analysis, texts), len(texts))
    fields = _median_ms(lambda: _each(matcher.fields, documents), len(texts))
    return {
        "analysis": analysis,
        "scan_and_candidates": fields - analysis,
        "verify_and_evidence": match_ms - fields,
        "match": match_ms,
    }


def _each(function: Callable[[Any], object], items: list[Any]) -> None:
    """`function` on each item, keeping nothing (so that peak memory stays as it was)."""
    for item in items:
        function(item)


def _median_ms(run: Callable[[], None], count: int, passes: int = 3) -> float:
    times = []
    for _ in range(passes):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times) / count


def naive_run(
    ruleset: Any, documents: list[Any], cap: float, expected: list[list[Any]]
) -> dict[str, Any]:
    """The naive loop: one pass, compared with the matcher's hits, stopped after `cap`
    seconds; then up to two more passes while they fit in the time left."""
    from naive import Naive

    naive = Naive(ruleset)
    deadline = time.perf_counter() + cap
    spent, checked = 0.0, 0
    samples: list[dict[str, str]] = []
    count = 0
    for number, document in enumerate(documents):
        started = time.perf_counter()
        hits = naive.match(document)
        spent += time.perf_counter() - started
        checked += 1
        found = compare(expected[number], hits, document.source)
        count += len(found)
        samples += found[: MISMATCH_SAMPLES - len(samples)]
        if time.perf_counter() > deadline:
            break
    rates = [checked / spent]
    while len(rates) < 3 and checked == len(documents) and time.perf_counter() + spent < deadline:
        rates.append(_pass(naive, documents))
    return {
        "naive_docs_per_s": statistics.median(rates),
        "naive_pass_docs_per_s": rates,
        "naive_documents_checked": checked,
        "mismatches": count,
        "mismatch_samples": samples,
    }


def check_run(
    ruleset: Any, documents: list[Any], cap: float, expected: list[list[Any]]
) -> dict[str, Any]:
    """The naive loop with each term found once per document: more documents checked."""
    from naive import Naive

    naive = Naive(ruleset, shared=True)
    deadline = time.perf_counter() + cap
    checked, count = 0, 0
    samples: list[dict[str, str]] = []
    for number, document in enumerate(documents):
        found = compare(expected[number], naive.match(document), document.source)
        checked += 1
        count += len(found)
        samples += found[: MISMATCH_SAMPLES - len(samples)]
        if time.perf_counter() > deadline:
            break
    return {"check_documents": checked, "check_mismatches": count, "check_samples": samples}


def compare(matcher_hits: list[Any], naive_hits: list[Any], source: str) -> list[dict[str, str]]:
    """The rules on which the two disagree for one document, and how."""
    ours = {hit.rule: hit for hit in matcher_hits}
    theirs = {hit.rule: hit for hit in naive_hits}
    found = []
    for rule in sorted(ours.keys() | theirs.keys()):
        if rule not in theirs:
            found.append({"document": source, "rule": rule, "kind": "matcher only"})
        elif rule not in ours:
            found.append({"document": source, "rule": rule, "kind": "naive only"})
        elif ours[rule] != theirs[rule]:
            found.append({"document": source, "rule": rule, "kind": "evidence differs"})
    return found


def profile_worker(folder: Path, count: int) -> str:
    """cProfile over one pass of the matcher, after a warm-up: top functions, two ways."""
    from watchd.matcher import Matcher
    from watchd.rules import load_rules

    documents = _documents(count)
    matcher = Matcher(load_rules([folder]))
    for document in documents:
        matcher.match(document)
    profiler = cProfile.Profile()
    profiler.enable()
    for document in documents:
        matcher.match(document)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(PROFILE_LINES)
    stats.sort_stats("tottime").print_stats(PROFILE_LINES)
    return out.getvalue()


def _maxrss_mb() -> float:
    """Peak resident set size so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_mb() -> float | None:
    """Resident set size now, from /proc (None where there is no /proc)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


if __name__ == "__main__":
    raise SystemExit(main())
