"""The benchmark corpus: news articles of the Lee corpus, grouped into ~5 KB documents.

The text comes from gensim's test data (`gensim/test/test_data/lee_background.cor` and
`lee.cor`): the Lee corpus (Lee, Pincombe and Welsh, 2005), articles of the Australian
Broadcasting Corporation's news mail service, one article per line. The gensim wheel is
fetched from PyPI with `pip download` into `bench/cache/`; only the two data files are
read from it, gensim is never installed.

A document is consecutive articles joined as paragraphs (a blank line between) until it
holds about 5 KB. More documents than one pass over the articles gives are made from
further passes over the articles in a seeded shuffled order: the same real text, grouped
differently.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
CACHE = BENCH / "cache"
DATA_FILES = (
    "gensim/test/test_data/lee_background.cor",
    "gensim/test/test_data/lee.cor",
)
TARGET_BYTES = 5000
SEED = 20240601
DOWNLOAD_SECONDS = 300


class CorpusError(RuntimeError):
    """The corpus could not be fetched or read; the message says what to do."""


@dataclass(frozen=True, slots=True)
class Doc:
    source: str
    text: str


def articles(cache: Path = CACHE) -> list[str]:
    """The Lee corpus articles, fetched once and kept in `cache/lee_articles.json`."""
    stored = cache / "lee_articles.json"
    if stored.exists():
        loaded: list[str] = json.loads(stored.read_text(encoding="utf-8"))
        return loaded
    wheel = _wheel(cache)
    found = _read_articles(wheel)
    stored.write_text(json.dumps(found, ensure_ascii=False), encoding="utf-8")
    return found


def _wheel(cache: Path) -> Path:
    cache.mkdir(parents=True, exist_ok=True)
    wheels = sorted(cache.glob("gensim-*.whl"))
    if wheels:
        return wheels[-1]
    command = [sys.executable, "-m", "pip", "download", "gensim", "--no-deps"]
    command += ["--only-binary", ":all:", "--quiet", "-d", str(cache)]
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, check=False, timeout=DOWNLOAD_SECONDS
        )
    except subprocess.TimeoutExpired:
        raise CorpusError(
            f"pip download gensim took more than {DOWNLOAD_SECONDS} s; check that PyPI is "
            f"reachable, or put a gensim-*.whl into {cache}"
        ) from None
    wheels = sorted(cache.glob("gensim-*.whl"))
    if result.returncode != 0 or not wheels:
        raise CorpusError(
            "could not download the gensim wheel from PyPI, which carries the Lee news "
            f"corpus the benchmark reads ({' '.join(command)} said: "
            f"{(result.stderr or result.stdout).strip()[-500:]!r}); check that PyPI is "
            f"reachable, or put a gensim-*.whl into {cache}"
        )
    return wheels[-1]


def _read_articles(wheel: Path) -> list[str]:
    found: list[str] = []
    try:
        with zipfile.ZipFile(wheel) as archive:
            for name in DATA_FILES:
                text = _decode(archive.read(name))
                found += [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    except (KeyError, zipfile.BadZipFile) as error:
        raise CorpusError(f"{wheel} does not hold the Lee corpus files: {error}") from None
    if len(found) < 100:
        raise CorpusError(f"{wheel}: expected about 350 articles, found {len(found)}")
    return found


def _decode(data: bytes) -> str:
    """UTF-8, else Latin-1: `lee.cor` has one pound sign written as the byte 0xA3."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def documents(count: int | None = None, cache: Path = CACHE) -> list[Doc]:
    """`count` documents of about 5 KB (all of one pass over the articles when None)."""
    name = f"corpus-{count if count is not None else 'all'}-{TARGET_BYTES}.json"
    stored = cache / name
    if stored.exists():
        rows = json.loads(stored.read_text(encoding="utf-8"))
        return [Doc(row["source"], row["text"]) for row in rows]
    docs = build(articles(cache), count)
    rows = [{"source": d.source, "text": d.text} for d in docs]
    stored.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    return docs


def build(texts: list[str], count: int | None) -> list[Doc]:
    docs: list[Doc] = []
    order = list(range(len(texts)))
    rounds = 0
    rng = random.Random(SEED)
    while True:
        for group in _groups([texts[i] for i in order]):
            docs.append(Doc(f"lee-{len(docs):04d}", "\n\n".join(group)))
            if count is not None and len(docs) >= count:
                return docs
        if count is None:
            return docs
        rounds += 1
        rng.shuffle(order)


def _groups(texts: list[str]) -> list[list[str]]:
    """Consecutive articles grouped into about TARGET_BYTES each (the last may be short)."""
    groups: list[list[str]] = []
    current: list[str] = []
    size = 0
    for text in texts:
        if current and size + len(text) / 2 > TARGET_BYTES:
            groups.append(current)
            current, size = [], 0
        current.append(text)
        size += len(text) + 2
    if current and size > TARGET_BYTES / 2:
        groups.append(current)
    return groups
