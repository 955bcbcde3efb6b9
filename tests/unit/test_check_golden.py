"""`watchd check` on broken rule files: the exact messages, kept as golden files.

Rewrite them after a deliberate change with `pytest --update-golden`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from watchd.cli import main

DATA = Path(__file__).parent.parent / "data"
GOLDEN = Path(__file__).parent.parent / "golden" / "check"
BAD = sorted((DATA / "bad").glob("*.yaml"))


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_check_messages(path: Path, update_golden: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DATA)
    result = CliRunner().invoke(main, ["check", str(path.relative_to(DATA))])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    golden = GOLDEN / f"{path.stem}.txt"
    if update_golden:
        golden.write_text(result.output, encoding="utf-8")
    assert result.output == golden.read_text(encoding="utf-8")


def test_every_bad_file_has_a_golden_file() -> None:
    assert {p.stem for p in BAD} == {p.stem for p in GOLDEN.glob("*.txt")}
