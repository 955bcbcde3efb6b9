from __future__ import annotations

import codecs
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest

from watchd.documents import Document
from watchd.errors import DocumentError
from watchd.formats import MAX_DOCUMENT_BYTES, parse_bytes

ARTICLE = b"""<!DOCTYPE html>
<html><head><title>Page title</title><script>var tracking = 1;</script></head>
<body><nav>Home | World | Sport</nav>
<article><h1>Shamkhani speaks</h1>
<p>Shamkhani implicitly challenged Russia over its political approach to the war.</p>
<p>For the second time in three days, the Secretary denounced the UN resolution.</p>
</article><footer>Copyright the newspaper</footer></body></html>"""


def parse_one(
    data: bytes, source: str, content_type: str | None = None, url: str | None = None
) -> Document:
    docs = parse_bytes(data, source, content_type=content_type, url=url)
    assert len(docs) == 1
    return docs[0]


# Plain text and Markdown


@pytest.mark.parametrize(
    ("source", "data", "title"),
    [
        ("note.txt", b"# Not a title in plain text\nbody", ""),
        ("notes", b"Just some words.\n", ""),
        ("note.md", b"\n\n# The title\n\nSome text.\n", "The title"),
        ("note.md", b"# Closed title ##\ntext", "Closed title"),
        ("note.md", b"Intro first\n# Later heading\n", ""),
        ("note.md", b"## Second level\ntext", ""),
        ("NOTE.MD", b"# Upper case extension\ntext", "Upper case extension"),
    ],
)
def test_text_and_markdown_titles(source: str, data: bytes, title: str) -> None:
    doc = parse_one(data, source)
    assert doc.title == title
    assert doc.text == data.decode()
    assert doc.source == source


def test_text_keeps_url_and_has_no_warnings() -> None:
    doc = parse_one(b"hello", "-", content_type="text/plain", url="https://example.org/a")
    assert doc == Document(source="-", text="hello", url="https://example.org/a")


def test_crlf_and_cr_become_newlines() -> None:
    assert parse_one(b"one\r\ntwo\rthree\n", "a.txt").text == "one\ntwo\nthree\n"


def test_text_is_nfc() -> None:
    assert parse_one("Caf\u0065\u0301".encode(), "a.txt").text == "Caf\u00e9"


def test_utf8_bom_is_stripped() -> None:
    doc = parse_one(codecs.BOM_UTF8 + "# Título\ntext".encode(), "a.md")
    assert doc.text == "# Título\ntext"
    assert doc.title == "Título"
    assert doc.warnings == ()


def test_utf16_with_bom_is_read() -> None:
    doc = parse_one("Grüße aus Köln".encode("utf-16"), "a.txt")
    assert doc.text == "Grüße aus Köln"


# Decoding


def test_non_utf8_falls_back_to_cp1252_with_warning() -> None:
    doc = parse_one("Café “quoted” – 5€".encode("cp1252"), "a.txt")
    assert doc.text == "Café “quoted” – 5€"
    assert len(doc.warnings) == 1
    assert "cp1252" in doc.warnings[0]


def test_cp1252_fallback_replaces_undefined_bytes() -> None:
    doc = parse_one(b"caf\xe9 \x81", "a.txt")
    assert doc.text == "café \ufffd"
    assert doc.warnings


def test_charset_from_content_type_is_used() -> None:
    data = "Ελλάδα".encode("iso-8859-7")
    doc = parse_one(data, "page", content_type="text/plain; charset=ISO-8859-7")
    assert doc.text == "Ελλάδα"
    assert doc.warnings == ()


def test_charset_from_html_meta_is_used() -> None:
    html = '<html><head><meta charset="koi8-r"><title>Москва</title></head>'
    html += "<body><p>Привет из Москвы, сегодня идёт снег.</p></body></html>"
    doc = parse_one(html.encode("koi8-r"), "page.html")
    assert doc.title == "Москва"
    assert "Привет из Москвы" in doc.text
    assert doc.warnings == ()


@pytest.mark.parametrize("charset", ["no-such-charset", "base64", "idna", "rot13"])
def test_unusable_charset_falls_back_to_cp1252(charset: str) -> None:
    doc = parse_one(b"caf\xe9", "a", content_type=f"text/plain; charset={charset}")
    assert doc.text == "café"
    assert "cp1252" in doc.warnings[0]


# HTML


def test_html_main_text_and_title() -> None:
    doc = parse_one(ARTICLE, "page.html", content_type=None)
    assert "Shamkhani implicitly challenged Russia" in doc.text
    assert "the Secretary denounced" in doc.text
    assert "tracking" not in doc.text
    assert doc.title == "Shamkhani speaks"  # trafilatura's metadata prefers the <h1> here


@pytest.mark.parametrize(
    ("source", "content_type"),
    [("page.htm", None), ("page", "text/html; charset=utf-8"), ("page", None)],
)
def test_html_found_by_extension_type_or_sniffing(source: str, content_type: str | None) -> None:
    doc = parse_one(ARTICLE, source, content_type=content_type)
    assert "Shamkhani implicitly challenged Russia" in doc.text
    assert "<p>" not in doc.text


def test_xhtml_is_sniffed() -> None:
    data = b'<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml">'
    data += b"<head><title>X</title></head><body><p>Body text.</p></body></html>"
    assert parse_one(data, "-") == Document(source="-", text="Body text.", title="X")


def test_html_falls_back_to_visible_text() -> None:
    html = b"<html><head><title>T</title><style>p {}</style></head>"
    html += b"<body><footer>Contact the desk</footer><aside>Side note</aside></body></html>"
    doc = parse_one(html, "page.html")
    assert doc.text == "Contact the desk\nSide note"
    assert doc.title == "T"


def test_html_without_visible_text_is_empty() -> None:
    html = b"<html><head><title>Only a title</title></head><body> </body></html>"
    with pytest.raises(DocumentError, match="empty document"):
        parse_bytes(html, "page.html")


# JSON and JSON Lines


def test_json_object() -> None:
    data = b"""{"title": "A title", "body": "The body.", "link": "https://example.org/1",
               "published": "2024-03-01T12:00:00+00:00"}"""
    assert parse_one(data, "item.json") == Document(
        source="item.json",
        text="The body.",
        title="A title",
        url="https://example.org/1",
        published=datetime(2024, 3, 1, 12, tzinfo=UTC),
    )


def test_json_list_gives_one_document_per_object() -> None:
    data = b"""[{"text": "first", "url": "https://example.org/a", "date": "2024-01-02"},
               {"content": "second", "summary": "ignored", "date": "last tuesday"},
               {"text": "", "summary": "third"}]"""
    docs = parse_bytes(data, "items.json", url="https://example.org/items.json")
    assert [d.text for d in docs] == ["first", "second", "third"]
    assert [d.source for d in docs] == ["items.json[0]", "items.json[1]", "items.json[2]"]
    assert [d.url for d in docs] == [
        "https://example.org/a",
        *["https://example.org/items.json"] * 2,
    ]
    assert docs[0].published == datetime(2024, 1, 2)
    assert docs[1].published is None


def test_jsonl_gives_one_document_per_line() -> None:
    data = b'{"text": "one"}\n\n{"body": "two", "title": "Two"}\r\n'
    docs = parse_bytes(data, "feed.jsonl")
    assert [(d.source, d.text, d.title) for d in docs] == [
        ("feed.jsonl:1", "one", ""),
        ("feed.jsonl:3", "two", "Two"),
    ]


def test_json_sniffed_without_extension() -> None:
    assert parse_one(b'{"text": "sniffed"}', "-").text == "sniffed"
    assert len(parse_bytes(b'{"text": "a"}\n{"text": "b"}\n', "-")) == 2


def test_json_found_by_content_type() -> None:
    assert parse_one(b'{"summary": "s"}', "api", content_type="application/json").text == "s"


@pytest.mark.parametrize(
    ("source", "data", "reason"),
    [
        ("a.jsonl", b'{"text": "ok"}\n{"text": broken}\n', r"line 2: invalid JSON"),
        ("a.jsonl", b'{"text": "ok"}\n{"title": "no text"}\n', r"line 2 has no text.*'body'"),
        ("a.jsonl", b'{"text": "ok"}\n[1, 2]\n', r"line 2 is not a JSON object"),
        ("a.json", b'[{"text": "ok"}, {"text": "   "}]', r"item 1 has no text"),
        ("a.json", b'[{"text": "ok"}, "a string"]', r"item 1 is not a JSON object"),
        ("a.json", b'{"title": "x"}', r"the object has no text"),
        ("a.json", b'{"text": "unterminated', r"invalid JSON"),
        ("a.json", b"42", r"expected a JSON object"),
        ("a.json", b"[]", r"expected a JSON object"),
    ],
)
def test_bad_json(source: str, data: bytes, reason: str) -> None:
    with pytest.raises(DocumentError, match=reason) as caught:
        parse_bytes(data, source)
    assert caught.value.source == source


# Email


def make_email(plain: str | None, html: str | None) -> bytes:
    message = EmailMessage()
    message["From"] = "desk@example.org"
    message["To"] = "me@example.org"
    message["Subject"] = "Shamkhani on Aleppo"
    message["Date"] = "Tue, 04 Oct 2016 09:30:00 +0330"
    if plain is not None:
        message.set_content(plain)
    if html is not None:
        if plain is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    return message.as_bytes()


def test_email_prefers_plain_part() -> None:
    data = make_email("Plain words about Aleppo.\n", "<p>HTML words about Aleppo.</p>")
    doc = parse_one(data, "msg.eml")
    assert doc.text == "Plain words about Aleppo.\n"
    assert doc.title == "Shamkhani on Aleppo"
    assert doc.published == datetime.fromisoformat("2016-10-04T09:30:00+03:30")


def test_email_html_part_goes_through_html() -> None:
    html = "<html><body><p>Only HTML words about the Security Council.</p></body></html>"
    doc = parse_one(make_email(None, html), "msg.eml")
    assert doc.text == "Only HTML words about the Security Council."
    assert doc.title == "Shamkhani on Aleppo"


def test_email_sniffed_without_extension() -> None:
    assert parse_one(make_email("Body.\n", None), "cur/1700000000.M1P2.host").title != ""


def test_email_without_text_part() -> None:
    message = EmailMessage()
    message["Subject"] = "attachment only"
    message.set_content(b"\x00\x01", maintype="application", subtype="octet-stream")
    with pytest.raises(DocumentError, match="no text/plain or text/html part"):
        parse_bytes(message.as_bytes(), "msg.eml")


@pytest.mark.parametrize("charset", ["no-such-charset", "base64", "idna"])
def test_email_with_unusable_charset(charset: str) -> None:
    data = f"Subject: s\nContent-Type: text/plain; charset={charset}\n\n".encode()
    doc = parse_one(data + b"caf\xe9\n", "msg.eml")
    assert doc.text == "café\n"
    assert "cp1252" in doc.warnings[0]


def test_email_with_bad_bytes_warns() -> None:
    data = b"Subject: s\nContent-Type: text/plain; charset=utf-8\n\nbad \xff byte\n"
    doc = parse_one(data, "msg.eml")
    assert doc.text == "bad \ufffd byte\n"
    assert "utf-8" in doc.warnings[0]


# Errors


@pytest.mark.parametrize(
    "data",
    [
        b"PK\x03\x04\x00\x00some zip",
        b"text" * 100 + b"\x00",
        bytes(range(1, 32)) * 10,
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 20,
    ],
)
def test_binary_is_refused(data: bytes) -> None:
    with pytest.raises(DocumentError, match=r"^a.txt: binary file; watchd reads text"):
        parse_bytes(data, "a.txt")


@pytest.mark.parametrize(
    ("source", "data"),
    [("a.txt", b""), ("a.txt", b"  \n\t\r\n"), ("a.md", codecs.BOM_UTF8), ("a", b"\n\n")],
)
def test_empty_is_refused(source: str, data: bytes) -> None:
    with pytest.raises(DocumentError, match="empty document"):
        parse_bytes(data, source)


def test_too_large_is_refused() -> None:
    with pytest.raises(DocumentError, match=r"5 MiB limit; split it into smaller files"):
        parse_bytes(b"a" * (MAX_DOCUMENT_BYTES + 1), "big.txt")


def test_exactly_the_limit_is_read() -> None:
    assert len(parse_one(b"a" * MAX_DOCUMENT_BYTES, "big.txt").text) == MAX_DOCUMENT_BYTES
