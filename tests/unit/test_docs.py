"""The documentation tells the truth: every command has help and is in the README."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from watchd.cli import main

README = (Path(__file__).parent.parent.parent / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(main.commands)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert len(result.output.splitlines()) > 3


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_in_the_readme(command: str) -> None:
    assert f"watchd {command}" in README


def test_quick_start_is_make_run_and_make_test() -> None:
    assert "make run" in README and "make test" in README
