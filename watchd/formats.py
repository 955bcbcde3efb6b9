"""Turning bytes into Documents: plain text, Markdown, HTML, JSON, JSON Lines and email.

Pure: no I/O. The kind of input is chosen by its content type, else by the extension of
its source, else by sniffing the bytes. Text is decoded (UTF-8, else a declared charset,
else cp1252 with a warning on the Document), normalized to NFC with "\\n" line endings.
trafilatura (untyped) is used here and nowhere else.
"""

from __future__ import annotations

import codecs
import contextlib
import email.policy
import email.utils
import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from email.message import EmailMessage, MIMEPart
from email.parser import BytesParser
from html.parser import HTMLParser
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import trafilatura

from watchd.documents import Document
from watchd.errors import DocumentError

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024

SNIFF_BYTES = 8192
MAX_CONTROL_RATIO = 0.1
TEXT_FIELDS = ("text", "body", "content", "summary")
EMAIL_HEADERS = {"from", "to", "subject", "date", "message-id", "received", "mime-version"}
CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\r\f\b\x1b")
BINARY_REASON = "binary file; watchd reads text, HTML, JSON and email"

KIND_BY_TYPE = {
    "text/plain": "text",
    "text/markdown": "markdown",
    "text/x-markdown": "markdown",
    "text/html": "html",
    "application/xhtml+xml": "html",
    "application/json": "json",
    "application/jsonl": "jsonl",
    "application/x-jsonlines": "jsonl",
    "application/x-ndjson": "jsonl",
    "application/jsonlines": "jsonl",
    "message/rfc822": "email",
}
KIND_BY_EXTENSION = {
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".eml": "email",
}


def parse_bytes(
    data: bytes, source: str, *, content_type: str | None = None, url: str | None = None
) -> list[Document]:
    """The Documents in `data`; raises DocumentError saying why there are none."""
    check_size(data, source)
    check_binary(data, source)
    kind = declared_kind(content_type, source) or sniff_kind(data)
    if kind == "email":
        return [finish(doc) for doc in parse_email(data, source, url)]
    text, warnings = decode(data, declared_charset(content_type, data))
    docs = PARSERS[kind](text, source, url)
    return [finish(replace(doc, warnings=doc.warnings + warnings)) for doc in docs]


# Checks


def check_size(data: bytes, source: str) -> None:
    if len(data) > MAX_DOCUMENT_BYTES:
        limit = MAX_DOCUMENT_BYTES // (1024 * 1024)
        raise DocumentError(
            source, f"larger than the {limit} MiB limit; split it into smaller files"
        )


def check_binary(data: bytes, source: str) -> None:
    head = data[:SNIFF_BYTES]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return
    controls = len(head) - len(head.translate(None, CONTROL_BYTES))
    if b"\0" in head or controls > MAX_CONTROL_RATIO * len(head):
        raise DocumentError(source, BINARY_REASON)


def finish(doc: Document) -> Document:
    """`doc` in NFC with "\\n" line endings; raises DocumentError if it has no text."""
    doc = replace(doc, text=normalize(doc.text), title=normalize(doc.title).strip())
    if not doc.text.strip():
        raise DocumentError(doc.source, "empty document")
    return doc


def normalize(text: str) -> str:
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


# Choosing the kind


def declared_kind(content_type: str | None, source: str) -> str | None:
    """The kind named by the content type or the extension; text/plain defers to the latter."""
    by_type = KIND_BY_TYPE.get(media_type(content_type))
    if by_type not in (None, "text"):
        return by_type
    suffix = PurePosixPath(urlsplit(source).path if "://" in source else source).suffix
    return KIND_BY_EXTENSION.get(suffix.lower(), by_type)


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def sniff_kind(data: bytes) -> str:
    head = data[:SNIFF_BYTES].removeprefix(codecs.BOM_UTF8).lstrip()
    lower = head.lower()
    if lower.startswith(b"<") and (b"<html" in lower or b"<!doctype html" in lower):
        return "html"
    if head.startswith((b"{", b"[")):
        return sniff_json(data)
    return "email" if looks_like_email(head) else "text"


def sniff_json(data: bytes) -> str:
    try:
        json.loads(data)
        return "json"
    except ValueError:
        pass
    try:
        first = json.loads(data.lstrip().split(b"\n", 1)[0])
    except ValueError:
        return "text"
    return "jsonl" if isinstance(first, dict) else "text"


def looks_like_email(head: bytes) -> bool:
    block = re.split(rb"\r?\n\r?\n", head, maxsplit=1)[0]
    if not re.match(rb"[A-Za-z][A-Za-z0-9-]*:", block):
        return False
    names = re.findall(rb"^([A-Za-z][A-Za-z0-9-]*):", block, re.MULTILINE)
    return len({name.decode().lower() for name in names} & EMAIL_HEADERS) >= 2


# Decoding


def declared_charset(content_type: str | None, data: bytes) -> str | None:
    """The charset named by the content type, else by an HTML <meta>, if Python knows it."""
    found = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", content_type or "", re.IGNORECASE)
    if found is None:
        meta = rb"<meta[^>]+charset\s*=\s*[\"']?([\w.:-]+)"
        found_meta = re.search(meta, data[:SNIFF_BYTES], re.IGNORECASE)
        return known_codec(found_meta.group(1).decode("ascii")) if found_meta else None
    return known_codec(found.group(1))


def known_codec(name: str) -> str | None:
    """The codec's canonical name if it decodes bytes to text, else None."""
    try:
        b"\xff".decode(name, errors="replace")
        return codecs.lookup(name).name
    except (LookupError, UnicodeError):  # unknown, or not a text encoding ("base64", "idna")
        return None


def decode(data: bytes, charset: str | None) -> tuple[str, tuple[str, ...]]:
    """The text of `data` and warnings about how it was decoded."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return replaced(data.decode("utf-16", errors="replace"), "utf-16")
    try:
        return data.removeprefix(codecs.BOM_UTF8).decode("utf-8"), ()
    except UnicodeDecodeError:
        pass
    if charset is not None and charset != "utf-8":
        with contextlib.suppress(UnicodeError):
            return replaced(data.decode(charset, errors="replace"), charset)
    text = data.decode("cp1252", errors="replace")
    return text, ("not UTF-8; decoded as cp1252, a guess that may garble text: save it as UTF-8",)


def replaced(text: str, charset: str) -> tuple[str, tuple[str, ...]]:
    if "\ufffd" not in text:
        return text, ()
    return text, (f"some bytes could not be decoded as {charset} and were replaced with U+FFFD",)


# Plain text and Markdown


def parse_text(text: str, source: str, url: str | None) -> list[Document]:
    return [Document(source=source, text=text, url=url)]


def parse_markdown(text: str, source: str, url: str | None) -> list[Document]:
    return [Document(source=source, text=text, title=markdown_title(text), url=url)]


def markdown_title(text: str) -> str:
    """The first line if it is a `# ` heading, without its optional closing #s."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if not first.startswith("# "):
        return ""
    return re.sub(r"\s+#+$", "", first[2:]).strip()


# HTML


def parse_html(text: str, source: str, url: str | None) -> list[Document]:
    """The main text (trafilatura), else the visible text; title from metadata or <title>."""
    main, title = extract_main(text, url)
    if not (main and title):
        page = VisibleText.of(text)
        main, title = main or page.text(), title or page.title
    return [Document(source=source, text=main, title=title, url=url)]


def extract_main(html: str, url: str | None) -> tuple[str, str]:
    """The main text and title trafilatura finds; empty strings where it finds nothing."""
    result: Any = trafilatura.bare_extraction(
        html, url=url, include_comments=False, favor_recall=True, with_metadata=True
    )
    text = getattr(result, "text", None)
    title = getattr(result, "title", None)
    return (text if isinstance(text, str) else ""), (title if isinstance(title, str) else "")


class VisibleText(HTMLParser):
    """The text a browser would show, one line per block, and the <title>."""

    HIDDEN = frozenset({"script", "style", "noscript", "template", "head", "svg"})
    BLOCKS = frozenset(
        {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "article"}
        | {"section", "blockquote", "pre", "table", "ul", "ol", "header", "footer"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title = ""
        self.stack: list[str] = []

    @classmethod
    def of(cls, html: str) -> VisibleText:
        parser = cls()
        parser.feed(html)
        parser.close()
        return parser

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCKS:
            self.parts.append("\n")
        if tag in self.HIDDEN or tag == "title":
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.stack:
            del self.stack[self.stack.index(tag) :]
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1] == "title":
            self.title += data
        elif not self.stack:
            self.parts.append(data)

    def text(self) -> str:
        lines = (" ".join(line.split()) for line in "".join(self.parts).splitlines())
        return "\n".join(line for line in lines if line)


# JSON and JSON Lines


def parse_json(text: str, source: str, url: str | None) -> list[Document]:
    """One Document for an object, one per item for a list of objects."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise DocumentError(source, f"invalid JSON: {error}; fix the syntax") from None
    if isinstance(value, list) and value:
        items = enumerate(value)
        return [json_document(item, source, f"[{i}]", f"item {i}", url) for i, item in items]
    if not isinstance(value, dict):
        raise DocumentError(source, "expected a JSON object or a non-empty list of objects")
    return [json_document(value, source, "", "the object", url)]


def parse_jsonl(text: str, source: str, url: str | None) -> list[Document]:
    """One Document per non-empty line, each line a JSON object."""
    docs = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            value = json_line(line, source, number)
            docs.append(json_document(value, source, f":{number}", f"line {number}", url))
    return docs


def json_line(line: str, source: str, number: int) -> object:
    try:
        return json.loads(line)
    except json.JSONDecodeError as error:
        reason = f"line {number}: invalid JSON: {error}; put one object on each line"
        raise DocumentError(source, reason) from None


def json_document(value: object, source: str, mark: str, where: str, url: str | None) -> Document:
    """The Document for one JSON object; `mark` is added to `source`, `where` names it."""
    if not isinstance(value, dict):
        raise DocumentError(source, f"{where} is not a JSON object; give one object per item")
    text = next((value[k] for k in TEXT_FIELDS if is_text(value.get(k))), None)
    if text is None:
        fields = ", ".join(repr(k) for k in TEXT_FIELDS)
        raise DocumentError(source, f"{where} has no text; give it one of the fields {fields}")
    link = value.get("url") or value.get("link")
    return Document(
        source=source + mark,
        text=text,
        title=value["title"] if is_text(value.get("title")) else "",
        url=link if isinstance(link, str) else url,
        published=parse_date(value.get("published") or value.get("date")),
    )


def is_text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def parse_date(value: object) -> datetime | None:
    """An ISO 8601 (or RFC 2822) date, or None if `value` is not one."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        pass
    try:
        return email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None


# Email


def parse_email(data: bytes, source: str, url: str | None) -> list[Document]:
    """The text/plain part, else the text/html part as HTML; Subject and Date."""
    message = BytesParser(_class=EmailMessage, policy=email.policy.default).parsebytes(data)
    title = str(message.get("subject", ""))
    published = parse_date(str(message.get("date", "")))
    text, warnings = email_text(message, source, url)
    return [Document(source, text, title, url, published, warnings)]


def email_text(message: EmailMessage, source: str, url: str | None) -> tuple[str, tuple[str, ...]]:
    plain = message.get_body(preferencelist=("plain",))
    if plain is not None:
        return part_text(plain, source)
    html = message.get_body(preferencelist=("html",))
    if html is None:
        raise DocumentError(source, "email has no text/plain or text/html part to read")
    text, warnings = part_text(html, source)
    return parse_html(text, source, url)[0].text, warnings


def part_text(part: MIMEPart, source: str) -> tuple[str, tuple[str, ...]]:
    """The decoded text of one email part, and a warning if bytes were replaced."""
    try:
        content = part.get_content()
    except (LookupError, UnicodeError):  # a charset Python cannot decode text with
        payload = part.get_payload(decode=True)
        return decode(payload if isinstance(payload, bytes) else b"", None)
    if not isinstance(content, str):
        raise DocumentError(source, "email body is not text")
    return replaced(content, part.get_content_charset() or "us-ascii")


PARSERS: dict[str, Callable[[str, str, str | None], list[Document]]] = {
    "text": parse_text,
    "markdown": parse_markdown,
    "html": parse_html,
    "json": parse_json,
    "jsonl": parse_jsonl,
}
