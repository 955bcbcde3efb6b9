"""Running `watchd run` as a subprocess, as systemd would, and reading what it stored."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parent.parent.parent
WATCHD = Path(sys.executable).parent / "watchd"
RULES = ROOT / "rules"
EXAMPLE = ROOT / "examples" / "iran-russia-aleppo.txt"
MISSION = {"shamkhani-criticizes-russia", "unsc-aleppo"}


def write_config(folder: Path, sources: str, rules: Path = RULES, extra: str = "") -> Path:
    """A watchd.yaml in `folder` with the given `sources:` block (YAML, dedented) and
    `extra` top-level YAML."""
    head = f"database: ./watchd.db\nrules: [{rules}]\nnotify: [console]\n"
    body = textwrap.indent(textwrap.dedent(sources).strip(), "  ")
    path = folder / "watchd.yaml"
    path.write_text(f"{head}{textwrap.dedent(extra)}\nsources:\n{body}\n", encoding="utf-8")
    return path


def drop(folder: Path, name: str, text: str) -> Path:
    """Write a file the way a careful producer does: to a hidden name, then rename."""
    folder.mkdir(parents=True, exist_ok=True)
    hidden = folder / f".{name}.part"
    hidden.write_text(text, encoding="utf-8")
    final = folder / name
    hidden.rename(final)
    return final


class Daemon:
    """`watchd run` in a subprocess; its stdout and stderr collected by threads."""

    def __init__(self, config: Path, environment: dict[str, str] | None = None) -> None:
        self.config = config
        self.out: list[str] = []
        self.err: list[str] = []
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **(environment or {})}
        self.process = subprocess.Popen(
            [str(WATCHD), "--config", str(config), "run", "-v"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=config.parent,
            env=env,
        )
        for stream, lines in ((self.process.stdout, self.out), (self.process.stderr, self.err)):
            threading.Thread(target=collect, args=(stream, lines), daemon=True).start()

    @property
    def stdout(self) -> str:
        return "".join(self.out)

    @property
    def stderr(self) -> str:
        return "".join(self.err)

    def wait_for(self, condition: Callable[[], bool], timeout: float = 30.0) -> None:
        """Wait until `condition()` holds; fail with the daemon's output if it does not."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(
            f"gave up waiting (exit {self.process.poll()})\n"
            f"stdout:\n{self.stdout}\nstderr:\n{self.stderr}"
        )

    def signal(self, number: int) -> None:
        self.process.send_signal(number)

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM, and the exit code; fails if it takes longer than `timeout` seconds."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)


def collect(stream: Any, lines: list[str]) -> None:
    for line in stream:
        lines.append(line)


def rows(database: Path, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    """Rows read from the daemon's database by a separate connection, as an operator would."""
    if not database.exists():
        return []
    with sqlite3.connect(database, timeout=10) as db:
        db.row_factory = sqlite3.Row
        try:
            return [dict(row) for row in db.execute(sql, params)]
        except sqlite3.OperationalError:  # not created yet
            return []
