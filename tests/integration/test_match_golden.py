"""`watchd match --json` on the bundled example: the exact evidence, kept as a golden file.

Rewrite it after a deliberate change with `pytest --update-golden`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from watchd.cli import main

ROOT = Path(__file__).parent.parent.parent
GOLDEN = ROOT / "tests" / "golden" / "match" / "iran-russia-aleppo.jsonl"


def test_match_evidence(update_golden: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    args = ["match", "--rules", "rules/", "--json", "examples/iran-russia-aleppo.txt"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    if update_golden:
        GOLDEN.write_text(result.output, encoding="utf-8")
    assert result.output == GOLDEN.read_text(encoding="utf-8")
