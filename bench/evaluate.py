"""Precision and recall of `A <verb> B` headline rules on hand-labeled news sentences.

    .venv/bin/python bench/evaluate.py [--split dev|test|all] [--show CLASS] [--data DIR]

For every labeled sentence whose source and target are lexicon entities, one headline rule
per verb class is built for the pair in each direction ("United States criticize Russia",
"Russia criticize United States"); the rules are matched against the sentence, and each
firing is compared with the label. See bench/eval/README.md for the labels and how the
figures are counted.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

from watchd.documents import Document  # noqa: E402
from watchd.errors import RuleErrors  # noqa: E402
from watchd.matcher import Matcher  # noqa: E402
from watchd.rules import load_rules  # noqa: E402
from watchd.rules.headline import pieces  # noqa: E402
from watchd.rules.lexicon import Lexicon  # noqa: E402

DATA = BENCH.parent.parent / "shared" / "data" / "news"
SENTENCES = "ConfliBERT_cameo_class_train.tsv"
LABELS = BENCH / "eval" / "labels.tsv"
RESULTS = BENCH / "results"
SPLITS = ("dev", "test")
NONE = "none"
DIRECTIONS = (">", "<>")
UNKNOWN = "-"


@dataclass(frozen=True, slots=True)
class Label:
    """One labeled sentence: its line in the data file, the hash of its text, the fine
    classes it reports between source and target (empty for `none`), whether the two act
    jointly ("A and B agreed": either may be the headline's actor), and the split."""

    line: int
    digest: str
    classes: frozenset[str]
    source: str
    target: str
    mutual: bool
    split: str


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether one rule (class, actor, target) should fire on one sentence, and whether it
    did. `reverse` marks the rule with the label's pair swapped."""

    line: int
    verb: str
    actor: str
    target: str
    reverse: bool
    gold: bool
    fired: bool


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    support: int = 0
    false_positives: list[Decision] = field(default_factory=list)
    false_negatives: list[Decision] = field(default_factory=list)

    def add(self, decision: Decision) -> None:
        self.support += decision.gold
        if decision.fired and decision.gold:
            self.tp += 1
        elif decision.fired:
            self.fp += 1
            self.false_positives.append(decision)
        elif decision.gold:
            self.fn += 1
            self.false_negatives.append(decision)

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    sentences_path = args.data / SENTENCES
    if not sentences_path.is_file():
        print(
            f"evaluate: {sentences_path} not found; the news sentences are not shipped with "
            "watchd (see bench/eval/README.md), pass --data DIR where they are",
            file=sys.stderr,
        )
        return 2
    started = time.perf_counter()
    sentences = read_sentences(sentences_path)
    labels = read_labels(args.labels)
    problems = check_labels(labels, sentences)
    for problem in problems:
        print(f"evaluate: {problem}", file=sys.stderr)
    if problems and not args.force:
        print("evaluate: the data file differs from the labeled one (--force to go on)")
        return 2
    try:
        lexicon = load_rules(args.lexicon, defaults=not args.lexicon).lexicon
    except RuleErrors as error:
        print(f"evaluate: the default lexicon does not load:\n{error}", file=sys.stderr)
        return 2
    if args.show and args.show not in lexicon.verbs:
        print(f"evaluate: no verb class {args.show!r}; one of {', '.join(lexicon.verbs)}")
        return 2
    usable, skipped = usable_labels(labels, lexicon)
    decisions = run(usable, sentences, lexicon, args.lexicon)
    splits = list(SPLITS) if args.split == "all" else [args.split]
    report = build_report(decisions, usable, skipped, splits, lexicon)
    report["seconds"] = round(time.perf_counter() - started, 2)
    print_report(report, splits)
    if args.show:
        show_errors(decisions, args.show, args.show_split or "dev", sentences, usable)
    write(report, args.output)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA, help="folder of the news sentences")
    parser.add_argument("--labels", type=Path, default=LABELS, help="the fine labels (TSV)")
    parser.add_argument("--split", choices=(*SPLITS, "all"), default="all")
    parser.add_argument("--show", metavar="CLASS", help="list false positives and negatives")
    parser.add_argument(
        "--show-split", choices=SPLITS, help="split whose errors --show lists (default dev)"
    )
    parser.add_argument("--output", type=Path, default=RESULTS / "evaluate-latest.json")
    parser.add_argument("--force", action="store_true", help="go on when hashes differ")
    parser.add_argument(
        "--lexicon",
        type=Path,
        action="append",
        default=[],
        metavar="PATH",
        help="lexicon YAML file or folder to use instead of the default lexicon (repeatable)",
    )
    return parser


# --- reading ---


def read_sentences(path: Path) -> dict[int, str]:
    """Line number (from 1) -> sentence text."""
    rows = path.read_text(encoding="utf-8").splitlines()
    return {n: row.rsplit("\t", 1)[0].strip() for n, row in enumerate(rows, 1)}


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]


def read_labels(path: Path) -> list[Label]:
    labels = []
    for row in path.read_text(encoding="utf-8").splitlines():
        if not row.strip() or row.startswith("#"):
            continue
        line, hashed, classes, source, target, direction, split = row.split("\t")
        if direction not in DIRECTIONS or split not in SPLITS:
            raise SystemExit(f"evaluate: {path}: line {line}: bad direction or split")
        found = frozenset(c for c in classes.split(",") if c != NONE)
        mutual = direction == "<>"
        labels.append(Label(int(line), hashed, found, source, target, mutual, split))
    return labels


def check_labels(labels: list[Label], sentences: dict[int, str]) -> list[str]:
    """Labels whose line is missing or whose text changed since labeling."""
    problems = []
    for label in labels:
        text = sentences.get(label.line)
        if text is None:
            problems.append(f"line {label.line}: not in the data file")
        elif digest(text) != label.digest:
            problems.append(f"line {label.line}: the sentence changed (hash {digest(text)})")
    return problems


def usable_labels(labels: list[Label], lexicon: Lexicon) -> tuple[list[Label], list[Label]]:
    """Labels whose source and target are both entities of the lexicon, and the others."""
    known = set(lexicon.entities)
    usable = [x for x in labels if x.source in known and x.target in known]
    return usable, [x for x in labels if x not in usable]


# --- rules and matching ---


def headline_name(lexicon: Lexicon, entity_id: str) -> str:
    """The first name of the entity that a headline resolves to the entity alone."""
    for name in lexicon.entities[entity_id].names:
        found = pieces(name, lexicon)
        if [(p.kind, p.term) for p in found] == [("entity", f"@{entity_id}")]:
            return name
    raise SystemExit(f"evaluate: no name of {entity_id!r} resolves to it in a headline")


def verb_word(lexicon: Lexicon, verb_id: str) -> str:
    """The class's own name, checked to resolve to the class in a headline."""
    found = pieces(f"Russia {verb_id} Iran", lexicon)
    if [(p.kind, p.term) for p in found][1:2] != [("verb", f"%{verb_id}")]:
        raise SystemExit(f"evaluate: {verb_id!r} does not resolve to its class in a headline")
    return verb_id


def rule_id(verb: str, actor: str, target: str) -> str:
    return f"{verb}--{actor}--{target}"


def write_rules(folder: Path, pairs: Iterable[tuple[str, str]], lexicon: Lexicon) -> None:
    """One headline rule per verb class and ordered pair, in one YAML file."""
    lines = ["rules:"]
    for actor, target in sorted(set(pairs)):
        a, b = headline_name(lexicon, actor), headline_name(lexicon, target)
        for verb in lexicon.verbs:
            lines.append(f"  - id: {rule_id(verb, actor, target)}")
            lines.append(f"    watch: {json.dumps(f'{a} {verb_word(lexicon, verb)} {b}')}")
    (folder / "evaluate.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def run(
    labels: list[Label], sentences: dict[int, str], lexicon: Lexicon, lexicon_files: list[Path]
) -> list[Decision]:
    """Every decision of every rule of every labeled sentence's pair, both directions.
    `lexicon_files` replace the default lexicon when given."""
    pairs = [p for x in labels for p in ((x.source, x.target), (x.target, x.source))]
    with tempfile.TemporaryDirectory() as tmp:
        write_rules(Path(tmp), pairs, lexicon)
        ruleset = load_rules([*lexicon_files, Path(tmp)], defaults=not lexicon_files)
    matcher = Matcher(ruleset)
    decisions = []
    for label in labels:
        document = Document(source=str(label.line), text=sentences[label.line])
        fired = {hit.rule for hit in matcher.match(document)}
        decisions += decide(label, fired, lexicon)
    return decisions


def decide(label: Label, fired: set[str], lexicon: Lexicon) -> list[Decision]:
    """A symmetric class (meet, cooperate) is one decision for the unordered pair; any
    other class two: the label's direction, which should fire when the label holds the
    class, and the reverse, which should too when the two act jointly and never else."""
    a, b = label.source, label.target
    decisions = []
    for verb, entry in lexicon.verbs.items():
        gold = verb in label.classes
        forward = rule_id(verb, a, b) in fired
        backward = rule_id(verb, b, a) in fired
        if entry.symmetric:
            decisions.append(Decision(label.line, verb, a, b, False, gold, forward or backward))
            continue
        decisions.append(Decision(label.line, verb, a, b, False, gold, forward))
        decisions.append(Decision(label.line, verb, b, a, True, gold and label.mutual, backward))
    return decisions


# --- figures ---


def tally(decisions: list[Decision], lines: set[int], verbs: Iterable[str]) -> dict[str, Counts]:
    counts = {verb: Counts() for verb in verbs}
    for decision in decisions:
        if decision.line in lines:
            counts[decision.verb].add(decision)
    return counts


def figures(counts: dict[str, Counts]) -> dict[str, Any]:
    per_class = {verb: _row(c) for verb, c in counts.items()}
    total = Counts(
        tp=sum(c.tp for c in counts.values()),
        fp=sum(c.fp for c in counts.values()),
        fn=sum(c.fn for c in counts.values()),
        support=sum(c.support for c in counts.values()),
    )
    precisions = [c.precision for c in counts.values() if c.support and c.precision is not None]
    recalls = [c.recall for c in counts.values() if c.support and c.recall is not None]
    supported = [c for c in counts.values() if c.support]
    return {
        "classes": per_class,
        "micro": _row(total),
        "macro": {
            "precision": _mean([c.precision or 0.0 for c in supported]),
            "recall": _mean([c.recall or 0.0 for c in supported]),
            "classes_with_support": len(supported),
            "note": "over classes with support; a class that never fires counts precision 0",
        },
        "macro_defined": {"precision": _mean(precisions), "recall": _mean(recalls)},
    }


def _row(counts: Counts) -> dict[str, Any]:
    return {
        "precision": counts.precision,
        "recall": counts.recall,
        "f1": _f1(counts.precision, counts.recall),
        "support": counts.support,
        "tp": counts.tp,
        "fp": counts.fp,
        "fn": counts.fn,
    }


def _f1(precision: float | None, recall: float | None) -> float | None:
    if precision is None or recall is None or precision + recall == 0:
        return None
    return 2 * precision * recall / (precision + recall)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def build_report(
    decisions: list[Decision],
    usable: list[Label],
    skipped: list[Label],
    splits: list[str],
    lexicon: Lexicon,
) -> dict[str, Any]:
    report: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "git": _git(),
        "labels_used": len(usable),
        "labels_skipped_unknown_entity": [
            {"line": x.line, "source": x.source, "target": x.target} for x in skipped
        ],
        "splits": {},
    }
    for split in splits:
        chosen = [x for x in usable if x.split == split]
        lines = {x.line for x in chosen}
        counts = tally(decisions, lines, lexicon.verbs)
        report["splits"][split] = {
            "sentences": len(chosen),
            "sentences_none": sum(1 for x in chosen if not x.classes),
            **figures(counts),
        }
    return report


def _git() -> str:
    import subprocess

    def run_git(*args: str) -> str:
        done = subprocess.run(["git", *args], capture_output=True, text=True, cwd=BENCH)
        return done.stdout.strip()

    head = run_git("rev-parse", "--short", "HEAD")
    dirty = run_git("status", "--porcelain", "--", "watchd")
    return f"{head}{' (watchd/ modified)' if dirty else ''}" if head else ""


# --- output ---


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def table(split: dict[str, Any]) -> str:
    lines = [
        "| class | support | TP | FP | FN | precision | recall | F1 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    rows = [*split["classes"].items(), ("micro", split["micro"])]
    for name, row in rows:
        cells = [name, str(row["support"]), str(row["tp"]), str(row["fp"]), str(row["fn"])]
        cells += [_cell(row["precision"]), _cell(row["recall"]), _cell(row["f1"])]
        lines.append("| " + " | ".join(cells) + " |")
    macro = split["macro"]
    lines.append(
        f"| macro ({macro['classes_with_support']} classes) | | | | | "
        f"{_cell(macro['precision'])} | {_cell(macro['recall'])} | |"
    )
    return "\n".join(lines)


def print_report(report: dict[str, Any], splits: list[str]) -> None:
    for split in splits:
        figures_ = report["splits"][split]
        print(
            f"\n## {split}: {figures_['sentences']} sentences "
            f"({figures_['sentences_none']} labeled none)\n"
        )
        print(table(figures_))
    skipped = len(report["labels_skipped_unknown_entity"])
    print(
        f"\n{report['labels_used']} labeled sentences used, {skipped} skipped (an actor the "
        f"lexicon does not know), {report['seconds']} s",
    )


def show_errors(
    decisions: list[Decision],
    verb: str,
    split: str,
    sentences: dict[int, str],
    labels: list[Label],
) -> None:
    lines = {x.line for x in labels if x.split == split}
    by_line = {x.line: x for x in labels}
    chosen = [d for d in decisions if d.verb == verb and d.line in lines]
    for title, wanted in (("false positives", True), ("false negatives", False)):
        errors = [d for d in chosen if d.fired == wanted and d.gold != wanted]
        print(f"\n### {verb}, {split}: {len(errors)} {title}\n")
        for d in errors:
            label = by_line[d.line]
            gold = ",".join(sorted(label.classes)) or NONE
            reverse = " (reversed)" if d.reverse else ""
            print(f"- line {d.line}: {d.actor} {verb} {d.target}{reverse}; label {gold}")
            print(f"  {sentences[d.line]}")


def write(report: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"evaluate: wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
