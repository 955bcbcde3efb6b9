"""The Document every source produces and the matcher reads, and reading them from inputs."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from watchd.errors import DocumentError, SourceError

if TYPE_CHECKING:
    from watchd.sources.http import Http


@dataclass(frozen=True, slots=True)
class Document:
    """One text to match: `source` names where it came from (a path, a URL, `-`).

    `warnings` says what went wrong short of failing, e.g. a guessed text encoding.
    """

    source: str
    text: str
    title: str = ""
    url: str | None = None
    published: datetime | None = None
    warnings: tuple[str, ...] = ()


def read_inputs(
    args: Sequence[str], *, timeout: float = 20.0
) -> Iterator[Document | DocumentError]:
    """The Documents in each file, directory, http(s) URL or `-` (stdin) of `args`.

    A bad input yields a DocumentError and reading goes on with the next one. An HTTP
    client (the one sources use, without their delay between requests to a host) is only
    set up when there is a URL to fetch.
    """
    from watchd.sources.http import Http  # sources import this module

    urls = any(is_url(arg) for arg in args)
    with Http(timeout=timeout, delay=0) if urls else contextlib.nullcontext() as client:
        for arg in args:
            yield from read_input(arg, client)


def is_url(arg: str) -> bool:
    return arg.startswith(("http://", "https://"))


def read_input(arg: str, client: Http | None) -> Iterator[Document | DocumentError]:
    if arg == "-":
        return parsed("-", lambda limit: Raw(sys.stdin.buffer.read(limit + 1)))
    if is_url(arg) and client is not None:
        return parsed(arg, lambda limit: fetch(client, arg, limit))
    path = Path(arg)
    if path.is_dir():
        return read_directory(path)
    if not path.exists():
        return iter([DocumentError(arg, "no such file or directory")])
    return read_file(path)


def read_directory(root: Path) -> Iterator[Document | DocumentError]:
    """Every regular file under `root`, sorted, skipping hidden files and directories."""
    errors: list[OSError] = []
    paths = []
    for folder, dirnames, filenames in os.walk(root, onerror=errors.append):
        dirnames[:] = [name for name in dirnames if not name.startswith(".")]
        paths += [Path(folder, name) for name in filenames if not name.startswith(".")]
    for error in errors:
        yield DocumentError(str(error.filename), error.strerror or str(error))
    for path in sorted(paths):
        if path.is_file():
            yield from read_file(path)


def read_file(path: Path) -> Iterator[Document | DocumentError]:
    return parsed(str(path), lambda limit: Raw(read_limited(path, limit)))


def read_limited(path: Path, limit: int) -> bytes:
    """At most `limit` + 1 bytes of the file, enough to tell that it is too big."""
    try:
        with path.open("rb") as file:
            return file.read(limit + 1)
    except OSError as error:
        raise DocumentError(str(path), error.strerror or str(error)) from None


@dataclass(frozen=True, slots=True)
class Raw:
    """Bytes as read, with what the server said about them."""

    data: bytes
    content_type: str | None = None
    url: str | None = None


def parsed(source: str, read: Callable[[int], Raw]) -> Iterator[Document | DocumentError]:
    """The Documents in what `read` returns, or the DocumentError reading or parsing raised."""
    from watchd.formats import MAX_DOCUMENT_BYTES, parse_bytes  # formats imports this module

    try:
        raw = read(MAX_DOCUMENT_BYTES)
        docs: list[Document | DocumentError] = [
            *parse_bytes(raw.data, source, content_type=raw.content_type, url=raw.url)
        ]
    except DocumentError as error:
        docs = [error]
    return iter(docs)


# HTTP


def fetch(client: Http, url: str, limit: int) -> Raw:
    """The body of `url`, cut off with a DocumentError past `limit` decoded bytes."""
    try:
        response = client.get(url, limit=limit)
    except SourceError as error:
        raise DocumentError(url, error.reason) from None
    return Raw(response.data, response.content_type, response.url)
