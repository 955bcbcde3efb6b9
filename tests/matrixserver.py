"""A real Matrix homeserver on 127.0.0.1 (Synapse, SQLite, no TLS, no federation).

Synapse is not a dependency of watchd: it is installed once into its own virtualenv,
`.cache/synapse-venv` in the repository (git-ignored, reused by later runs; about half a
minute the first time), and started once per test session. Two users are registered
through the shared-secret admin API: `bot`, which watchd sends as, and `reader`, who
creates the public room `#alerts:localhost` and reads what arrives in it.

If Synapse cannot be installed or does not start, the fixture fails: it never skips.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from smtpserver import free_port

ROOT = Path(__file__).parent.parent
VENV = ROOT / ".cache" / "synapse-venv"
STAMP = VENV / ".installed"
REQUIREMENT = "matrix-synapse>=1.100,<2"
INSTALL_TIMEOUT = 900.0
START_TIMEOUT = 90.0
BOT = ("bot", "bot-password")
READER = ("reader", "reader-password")
ALIAS = "alerts"
RELAXED = {"per_second": 1000, "burst_count": 1000}


class MatrixServer:
    """Synapse for `localhost` on 127.0.0.1:`port`, with the bot, the reader and the room."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.secret = secrets.token_hex(16)
        self.process: subprocess.Popen[bytes] | None = None
        self.reader_token = ""
        self.room_id = ""

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, room: str = ALIAS) -> str:
        """The apprise URL that posts to `#room` as the bot, in plain HTTP."""
        user, password = BOT
        return f"matrix://{user}:{password}@127.0.0.1:{self.port}/%23{room}?discovery=no"

    def start(self) -> None:
        python = synapse_python()
        config = self.folder / "homeserver.yaml"
        config.write_text(json.dumps(self.config(), indent=2), encoding="utf-8")  # YAML ⊃ JSON
        log = self.folder / "synapse.log"
        keys = subprocess.run(
            [str(python), "-m", "synapse.app.homeserver", "-c", str(config), "--generate-keys"],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=self.folder,
        )
        if keys.returncode != 0:
            pytest.fail(f"synapse --generate-keys failed:\n{keys.stdout}{keys.stderr}")
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [str(python), "-m", "synapse.app.homeserver", "-c", str(config)],
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.folder,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"synapse exited with {self.process.returncode}:\n{tail(log)}")
            try:
                self.request("GET", "/_matrix/client/versions")
                break
            except OSError:
                time.sleep(0.2)
        else:
            self.stop()
            pytest.fail(f"synapse did not answer within {START_TIMEOUT:.0f} s:\n{tail(log)}")
        self.register(*BOT)
        self.register(*READER)
        self.reader_token = self.login(*READER)
        room = self.request(
            "POST",
            "/_matrix/client/v3/createRoom",
            {"room_alias_name": ALIAS, "preset": "public_chat", "name": "watchd alerts"},
            token=self.reader_token,
        )
        self.room_id = str(room["room_id"])

    def config(self) -> dict[str, Any]:
        data = self.folder
        return {
            "server_name": "localhost",
            "pid_file": str(data / "homeserver.pid"),
            "listeners": [
                {
                    "port": self.port,
                    "bind_addresses": ["127.0.0.1"],
                    "type": "http",
                    "tls": False,
                    "x_forwarded": False,
                    "resources": [{"names": ["client"], "compress": False}],
                }
            ],
            "database": {"name": "sqlite3", "args": {"database": str(data / "homeserver.db")}},
            "media_store_path": str(data / "media"),
            "signing_key_path": str(data / "localhost.signing.key"),
            "registration_shared_secret": self.secret,
            "macaroon_secret_key": secrets.token_hex(16),
            "form_secret": secrets.token_hex(16),
            "enable_registration": False,
            "report_stats": False,
            "suppress_key_server_warning": True,
            "trusted_key_servers": [],
            "federation_domain_whitelist": [],
            "url_preview_enabled": False,
            "enable_metrics": False,
            "presence": {"enabled": False},
            "rc_message": RELAXED,
            "rc_registration": RELAXED,
            "rc_login": {"address": RELAXED, "account": RELAXED, "failed_attempts": RELAXED},
            "rc_joins": {"local": RELAXED, "remote": RELAXED},
            "rc_joins_per_room": RELAXED,
            "rc_room_creation": RELAXED,
            "rc_invites": {"per_room": RELAXED, "per_user": RELAXED, "per_issuer": RELAXED},
            "rc_admin_redaction": RELAXED,
        }

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def request(
        self, method: str, path: str, body: dict[str, Any] | None = None, token: str = ""
    ) -> dict[str, Any]:
        """The JSON answer of the client-server API; raises OSError on failure."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(request, timeout=10) as response:
            answer = json.loads(response.read() or b"{}")
        assert isinstance(answer, dict)
        return answer

    def register(self, user: str, password: str) -> None:
        """A user made through the shared-secret admin registration API."""
        nonce = str(self.request("GET", "/_synapse/admin/v1/register")["nonce"])
        mac = hmac.new(self.secret.encode(), digestmod=hashlib.sha1)
        mac.update(b"\x00".join([nonce.encode(), user.encode(), password.encode(), b"notadmin"]))
        body = {
            "nonce": nonce,
            "username": user,
            "password": password,
            "admin": False,
            "mac": mac.hexdigest(),
        }
        self.request("POST", "/_synapse/admin/v1/register", body)

    def login(self, user: str, password: str) -> str:
        body = {
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": user},
            "password": password,
        }
        return str(self.request("POST", "/_matrix/client/v3/login", body)["access_token"])

    def messages(self) -> list[dict[str, Any]]:
        """The room's text messages sent by the bot, oldest first, read as the reader."""
        query = urllib.parse.urlencode({"dir": "b", "limit": "200"})
        room = urllib.parse.quote(self.room_id)
        path = f"/_matrix/client/v3/rooms/{room}/messages?{query}"
        chunk = self.request("GET", path, token=self.reader_token)["chunk"]
        events = [
            event
            for event in reversed(chunk)
            if event.get("type") == "m.room.message" and event.get("sender") == "@bot:localhost"
        ]
        return [dict(event["content"]) for event in events]

    def wait_for(self, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.messages()
            if len(found) >= count:
                return found
            time.sleep(0.2)
        raise AssertionError(f"expected {count} Matrix messages, got {len(self.messages())}")


def synapse_python() -> Path:
    """The Python of the Synapse virtualenv, created and installed on first use."""
    python = VENV / "bin" / "python"
    if STAMP.is_file() and python.exists():
        return python
    started = time.monotonic()
    steps = [
        [sys.executable, "-m", "venv", "--clear", str(VENV)],
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-input",
            REQUIREMENT,
        ],
    ]
    for step in steps:
        try:
            done = subprocess.run(
                step,
                capture_output=True,
                text=True,
                timeout=INSTALL_TIMEOUT,
                env={**os.environ, "PIP_NO_INPUT": "1"},
            )
        except subprocess.TimeoutExpired:
            pytest.fail(f"installing Synapse took over {INSTALL_TIMEOUT:.0f} s: {' '.join(step)}")
        if done.returncode != 0:
            errors = [line for line in done.stderr.splitlines() if "is ignored" not in line]
            pytest.fail(
                f"installing Synapse failed ({' '.join(step)}):\n"
                + "\n".join((done.stdout.splitlines() + errors)[-30:])
            )
    STAMP.write_text(f"{REQUIREMENT}\n{time.monotonic() - started:.0f} s\n", encoding="utf-8")
    return python


def tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


@pytest.fixture(scope="session")
def matrix_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MatrixServer]:
    server = MatrixServer(tmp_path_factory.mktemp("synapse"))
    try:
        server.start()
    except (OSError, urllib.error.URLError) as error:
        server.stop()
        pytest.fail(f"the Matrix homeserver could not be set up: {error}")
    yield server
    server.stop()
