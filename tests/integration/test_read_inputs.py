"""read_inputs against a real HTTP server in a thread, real files and a fake stdin."""

from __future__ import annotations

import gzip
import io
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import ClassVar

import pytest

from watchd import __version__
from watchd.documents import Document, read_inputs
from watchd.errors import DocumentError
from watchd.formats import MAX_DOCUMENT_BYTES

PAGE = b"""<!DOCTYPE html><html><head><title>UN press</title></head><body>
<article><p>The Security Council adopted a resolution on Aleppo on Monday.</p>
<p>Monitors will be deployed within days, the resolution says.</p></article>
</body></html>"""
SLOW_SECONDS = 1.0
SHORT_TIMEOUT = 0.2


class Handler(BaseHTTPRequestHandler):
    """One route per case; records the User-Agent it saw."""

    user_agents: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.user_agents.append(self.headers.get("User-Agent", ""))
        routes = {
            "/page.html": lambda: self.reply(200, PAGE, "text/html; charset=utf-8"),
            "/article": lambda: self.reply(200, PAGE, "text/html"),
            "/plain.txt": lambda: self.reply(200, b"Plain words.\n", "text/plain"),
            "/missing": lambda: self.reply(404, b"not here", "text/plain"),
            "/broken": lambda: self.reply(500, b"oops", "text/plain"),
            "/moved": lambda: self.redirect("/plain.txt"),
            "/loop": lambda: self.redirect("/loop"),
            "/big": self.big,
            "/bomb": lambda: self.reply(200, gzip_bomb(), "text/plain", encoding="gzip"),
            "/slow": self.slow,
        }
        routes.get(self.path, lambda: self.reply(404, b"", "text/plain"))()

    def reply(self, status: int, body: bytes, content_type: str, encoding: str = "") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def big(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        chunk = b"a" * 65536
        for _ in range(MAX_DOCUMENT_BYTES // len(chunk) + 16):
            self.wfile.write(chunk)

    def slow(self) -> None:
        time.sleep(SLOW_SECONDS)
        self.reply(200, b"too late", "text/plain")

    def log_message(self, format: str, *args: object) -> None:
        pass


class Server(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # the client cut us off
            super().handle_error(request, client_address)  # type: ignore[arg-type]


def gzip_bomb() -> bytes:
    """A few KiB that inflate to twice the size limit."""
    return gzip.compress(b"\0" * (2 * MAX_DOCUMENT_BYTES), compresslevel=9)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """The base URL of a real HTTP server running in a thread."""
    httpd = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def read_one(arg: str, timeout: float = 5.0) -> Document | DocumentError:
    results = list(read_inputs([arg], timeout=timeout))
    assert len(results) == 1
    return results[0]


def error_reason(arg: str, timeout: float = 5.0) -> str:
    result = read_one(arg, timeout)
    assert isinstance(result, DocumentError), result
    assert result.source == arg
    return result.reason


# HTTP


def test_html_page(server: str) -> None:
    doc = read_one(f"{server}/page.html")
    assert isinstance(doc, Document)
    assert "Security Council adopted a resolution on Aleppo" in doc.text
    assert doc.title == "UN press"
    assert doc.source == doc.url == f"{server}/page.html"


def test_html_by_content_type_without_extension(server: str) -> None:
    doc = read_one(f"{server}/article")
    assert isinstance(doc, Document)
    assert "<p>" not in doc.text
    assert doc.title == "UN press"


def test_plain_text_and_user_agent(server: str) -> None:
    doc = read_one(f"{server}/plain.txt")
    assert doc == Document(f"{server}/plain.txt", "Plain words.\n", url=f"{server}/plain.txt")
    assert Handler.user_agents[-1] == f"watchd/{__version__} (+https://github.com/watchd)"


def test_redirect_is_followed(server: str) -> None:
    doc = read_one(f"{server}/moved")
    assert isinstance(doc, Document)
    assert doc.source == f"{server}/moved"
    assert doc.url == f"{server}/plain.txt"


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/missing", "HTTP 404 Not Found"),
        ("/broken", "HTTP 500 Internal Server Error"),
        ("/loop", "more than 5 redirects"),
        ("/big", "response is larger than the 5 MiB limit"),
        ("/bomb", "response is larger than the 5 MiB limit"),
    ],
)
def test_http_failures(server: str, path: str, reason: str) -> None:
    assert error_reason(f"{server}{path}") == reason


def test_slow_response_times_out(server: str) -> None:
    started = time.monotonic()
    assert error_reason(f"{server}/slow", timeout=SHORT_TIMEOUT) == "timed out after 0.2 s"
    assert time.monotonic() - started < SLOW_SECONDS


def test_connection_refused() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert error_reason(f"http://127.0.0.1:{port}/").startswith("could not fetch: ")


def test_one_bad_url_does_not_stop_the_rest(server: str) -> None:
    results = list(read_inputs([f"{server}/missing", f"{server}/plain.txt"], timeout=5))
    assert [type(r) for r in results] == [DocumentError, Document]


# Files, directories and stdin


def test_directory_with_good_and_bad_files(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / ".git").mkdir()
    (tmp_path / "b.txt").write_bytes(b"Second file.\n")
    (tmp_path / "a.md").write_bytes(b"# Heading\nFirst file.\n")
    (tmp_path / "sub" / "items.jsonl").write_bytes(b'{"text": "one"}\n{"text": "two"}\n')
    (tmp_path / "sub" / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    (tmp_path / "sub" / "empty.txt").write_bytes(b"")
    (tmp_path / ".hidden.txt").write_bytes(b"never read")
    (tmp_path / ".git" / "config.txt").write_bytes(b"never read")
    results = list(read_inputs([str(tmp_path)]))
    assert [(r.source, getattr(r, "reason", None)) for r in results] == [
        (str(tmp_path / "a.md"), None),
        (str(tmp_path / "b.txt"), None),
        (str(tmp_path / "sub" / "empty.txt"), "empty document"),
        (
            str(tmp_path / "sub" / "image.png"),
            "binary file; watchd reads text, HTML, JSON and email",
        ),
        (str(tmp_path / "sub" / "items.jsonl") + ":1", None),
        (str(tmp_path / "sub" / "items.jsonl") + ":2", None),
    ]
    assert isinstance(results[0], Document)
    assert results[0].title == "Heading"


def test_files_missing_paths_and_too_large_files(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_bytes(b"Fine.")
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * (MAX_DOCUMENT_BYTES + 10))
    missing = str(tmp_path / "nope.txt")
    results = list(read_inputs([missing, str(big), str(good)]))
    assert isinstance(results[0], DocumentError)
    assert (results[0].source, results[0].reason) == (missing, "no such file or directory")
    assert isinstance(results[1], DocumentError)
    assert "5 MiB limit" in results[1].reason
    assert results[2] == Document(str(good), "Fine.")


def test_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    stdin = SimpleNamespace(buffer=io.BytesIO(b"From stdin,\r\nwith CRLF.\r\n"))
    monkeypatch.setattr(sys, "stdin", stdin)
    assert list(read_inputs(["-"])) == [Document("-", "From stdin,\nwith CRLF.\n")]


def test_stdin_html_is_sniffed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", SimpleNamespace(buffer=io.BytesIO(PAGE)))
    doc = read_one("-")
    assert isinstance(doc, Document)
    assert doc.title == "UN press"


def test_internet_is_blocked() -> None:
    with pytest.raises(RuntimeError, match="tests must not reach the internet"):
        list(read_inputs(["http://192.0.2.1/"]))


def test_watchd_match_reads_a_url(server: str) -> None:
    """The command as a user runs it, on a page served over HTTP."""
    root = Path(__file__).parent.parent.parent
    watchd = Path(sys.executable).parent / "watchd"
    url = f"{server}/page.html"
    result = subprocess.run(
        [str(watchd), "match", "--rules", str(root / "rules"), "--json", url, f"{server}/broken"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1  # the broken page is reported
    assert "/broken: HTTP 500" in result.stderr
    (hit,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert (hit["document"], hit["rule"]) == (url, "unsc-aleppo")
