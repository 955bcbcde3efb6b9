"""systemd/watchd.service passes `systemd-analyze verify` and rates "OK" or better for security.

These tests need `systemd-analyze` (Debian's `systemd` package; `.ci/run` installs it).
Without it they fail rather than skip, so a CI machine cannot pass them silently.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNIT = Path(__file__).parents[2] / "systemd" / "watchd.service"
INSTALLED_WATCHD = "/opt/watchd/bin/watchd"
# systemd's exposure scale: below 1.0 SAFE (0.0 PERFECT), below 5.0 OK, then MEDIUM and worse.
OK_LEVELS = {"PERFECT", "SAFE", "OK"}
OK_THRESHOLD = 4.9
OVERALL = re.compile(r"Overall exposure level for \S+: (\d+\.\d+) (\w+)")


def systemd_analyze() -> str:
    """The path of `systemd-analyze`; a test failure, not a skip, when it is missing."""
    path = shutil.which("systemd-analyze")
    if path is None:
        pytest.fail("systemd-analyze not found: install Debian's `systemd` package (.ci/run does)")
    return path


def venv_watchd() -> Path:
    """The `watchd` script installed beside the running interpreter."""
    beside = Path(sys.executable).parent / "watchd"
    found = beside if beside.exists() else Path(shutil.which("watchd") or beside)
    assert found.exists(), f"no `watchd` script next to {sys.executable}: pip install -e ."
    return found


@pytest.fixture
def unit(tmp_path: Path) -> Path:
    """A copy of the unit whose ExecStart runs this virtualenv's `watchd`.

    `systemd-analyze verify` checks that ExecStart's program exists and is executable,
    and /opt/watchd/bin/watchd (where the README installs watchd) does not exist here.
    """
    text = UNIT.read_text(encoding="utf-8")
    assert f"ExecStart={INSTALLED_WATCHD} " in text
    path = tmp_path / "watchd.service"
    path.write_text(text.replace(INSTALLED_WATCHD, str(venv_watchd())), encoding="utf-8")
    return path


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """`systemd-analyze ARGS`, its output captured."""
    command = [systemd_analyze(), "--no-pager", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def test_unit_passes_verify(unit: Path) -> None:
    result = run("verify", str(unit))
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_unit_exposure_is_ok_or_better(unit: Path) -> None:
    result = run("security", "--offline=yes", str(unit))
    assert result.returncode == 0, result.stderr
    found = OVERALL.search(result.stdout)
    assert found is not None, result.stdout
    level, word = float(found[1]), found[2]
    assert word in OK_LEVELS, result.stdout
    assert level <= OK_THRESHOLD, result.stdout


@pytest.mark.parametrize(
    "line",
    [
        "Type=notify",
        "ExecStart=/opt/watchd/bin/watchd --config /etc/watchd/watchd.yaml run",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "DynamicUser=yes",
        "StateDirectory=watchd",
        "ConfigurationDirectory=watchd",
        "EnvironmentFile=-/etc/watchd/env",
        "MemoryDenyWriteExecute=yes",
    ],
)
def test_unit_has(line: str) -> None:
    assert line in UNIT.read_text(encoding="utf-8").splitlines()


def test_watchdog_allows_the_stop_timeout() -> None:
    """WatchdogSec is set, and TimeoutStopSec leaves room for watchd's 10 second stop."""
    settings = dict(
        line.split("=", 1) for line in UNIT.read_text(encoding="utf-8").splitlines() if "=" in line
    )
    assert settings["WatchdogSec"] == "60s"
    assert 10 < int(settings["TimeoutStopSec"].removesuffix("s")) <= 20
