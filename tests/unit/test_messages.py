"""Alerts rendered per channel kind: escaping, emphasis, templates, checks and limits."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from watchd.errors import NotifyError, TemplateError
from watchd.notify.messages import (
    KINDS,
    MAX_BODY,
    Renderer,
    mark,
    md_escape,
    segments,
)
from watchd.store import StoredHit

AT = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)


def item(sentence: str, words: Sequence[str] = (), offset: int = 0) -> dict[str, Any]:
    """An evidence entry whose terms are the first occurrence of each of `words`."""
    terms: list[dict[str, Any]] = []
    for word in words:
        start = sentence.index(word)
        end = start + len(word)
        terms.append(
            {"slot": f"s{len(terms)}", "text": word, "start": offset + start, "end": offset + end}
        )
    return entry(sentence, offset, terms)


def entry(sentence: str, offset: int, terms: list[dict[str, Any]]) -> dict[str, Any]:
    end = offset + len(sentence)
    return {"field": "text", "sentence": sentence, "start": offset, "end": end, "terms": terms}


def spanned(sentence: str, offset: int, *spans: tuple[int, int]) -> dict[str, Any]:
    """An evidence entry with explicit term spans (offsets into the field)."""
    return entry(
        sentence, offset, [{"slot": "s", "text": "", "start": a, "end": b} for a, b in spans]
    )


def hit(evidence: list[dict[str, Any]] | None = None, **changes: Any) -> StoredHit:
    base = StoredHit(
        id=7,
        rule="iran-sanctions",
        title="Iran sanctions",
        severity="medium",
        created=AT,
        alert=True,
        reason="",
        duplicate_of=None,
        evidence=evidence or [item("The EU imposed sanctions on Iran.", ["sanctions", "Iran"])],
        document=3,
        source="news",
        origin="https://example.org/feed.xml",
        url="https://example.org/a/1",
        document_title="EU tightens sanctions",
    )
    return replace(base, **changes)


@pytest.fixture
def renderer() -> Renderer:
    return Renderer()


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


# Escaping and emphasis

NASTY = 'Call <script>alert("x")</script> & *bold* _it_ [link] `code` on Iran'


@pytest.mark.parametrize(
    ("kind", "present", "absent"),
    [
        ("email", ["&lt;script&gt;", "&amp; *bold* _it_ [link] `code`", "<strong>Iran</strong>"],
         ["<script>"]),
        ("chat", ["&lt;script\\>", "&", r"\*bold\* \_it\_ \[link\] \`code\`", "**Iran**"],
         ["<script>", " *bold*"]),
        ("text", [NASTY.replace("Iran", "*Iran*")], ["&lt;", "\\*"]),
    ],
)  # fmt: skip
def test_sentence_is_escaped_per_format(
    renderer: Renderer, kind: str, present: list[str], absent: list[str]
) -> None:
    body = renderer.alert(hit([item(NASTY, ["Iran"])]), kind).body
    for text in present:
        assert text in body
    for text in absent:
        assert text not in body


def test_html_escapes_titles_too(renderer: Renderer) -> None:
    body = renderer.alert(hit(document_title="<b>T&C</b>", title="A<B"), "email").body
    assert "&lt;b&gt;T&amp;C&lt;/b&gt;" in body
    assert "<b>" not in body


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (item("Russia and Iran signed a deal", ["Russia", "Iran"]),
         "*Russia* and *Iran* signed a deal"),
        (item("Iran and Russia signed a deal", ["Russia", "Iran"], offset=500),
         "*Iran* and *Russia* signed a deal"),
        (spanned("New York City Council votes", 0, (0, 8), (4, 13)),
         "*New York City* Council votes"),
        (spanned("New York City Council votes", 10, (10, 23), (14, 18)),
         "*New York City* Council votes"),
        (spanned("ab cd", 0, (0, 2), (0, 2), (3, 5)), "*ab* *cd*"),
        (spanned("abcdef", 0, (0, 3), (3, 6)), "*abcdef*"),
        (spanned("one two three", 100, (90, 103), (108, 120)), "*one* two *three*"),
        (spanned("one two", 0, (20, 25)), "one two"),
        (spanned("a  b\n\tc  d", 0, (3, 7)), "a *b c* d"),
    ],
)  # fmt: skip
def test_emphasis_positions(entry: dict[str, Any], expected: str) -> None:
    assert mark(segments(entry, 600), "text") == expected


def test_emphasis_in_html_and_markdown() -> None:
    entry = spanned("New York City Council votes", 0, (0, 8), (4, 13))
    assert mark(segments(entry, 600), "html") == "<strong>New York City</strong> Council votes"
    assert mark(segments(entry, 600), "markdown") == "**New York City** Council votes"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a & b", "a & b"),
        ("&amp; &#39;", "&amp;amp; &amp;\\#39;"),
        ("1. item", "1\\. item"),
        ("- item", "\\- item"),
        ("# head > quote", "\\# head \\> quote"),
        ("x_y*z", "x\\_y\\*z"),
    ],
)
def test_md_escape(text: str, expected: str) -> None:
    assert md_escape(text) == expected


# Content


@pytest.mark.parametrize("kind", KINDS)
def test_body_has_rule_document_link_time_and_severity(renderer: Renderer, kind: str) -> None:
    body = renderer.alert(hit(severity="low"), kind).body
    for text in ["iran-sanctions", "EU tightens sanctions", "https://example.org/a/1", "low"]:
        assert text in body
    assert "2024-05-01T12:30:00Z" in body
    assert "news" in body


@pytest.mark.parametrize("kind", KINDS)
def test_slots_are_listed(renderer: Renderer, kind: str) -> None:
    body = renderer.alert(hit(), kind).body
    assert re.search(r"s0_?: (<strong>)?sanctions", body)
    assert re.search(r"s1_?: (<strong>)?Iran", body)


@pytest.mark.parametrize("kind", KINDS)
def test_missing_url_falls_back_to_origin(renderer: Renderer, kind: str) -> None:
    body = renderer.alert(hit(url=None, origin="/srv/inbox/report.txt"), kind).body
    assert "/srv/inbox/report.txt" in body
    assert "href" not in body


@pytest.mark.parametrize("kind", KINDS)
def test_no_document_title_shows_origin(renderer: Renderer, kind: str) -> None:
    body = renderer.alert(hit(document_title="", url=None, origin="/srv/a.txt"), kind).body
    assert "/srv/a.txt" in body


def test_only_web_links_are_linked(renderer: Renderer) -> None:
    body = renderer.alert(hit(url="javascript:alert(1)"), "email").body
    assert 'href="javascript' not in body
    assert "javascript:alert(1)" in body


@pytest.mark.parametrize(
    ("changes", "subject"),
    [
        ({}, "Iran sanctions"),
        ({"title": ""}, "iran-sanctions"),
        ({"severity": "info"}, "Iran sanctions"),
        ({"severity": "high"}, "[HIGH] Iran sanctions"),
        ({"severity": "critical"}, "[CRITICAL] Iran sanctions"),
        ({"title": "Two\nlines"}, "Two lines"),
        ({"title": "x" * 400}, "x" * 149 + "…"),
    ],
)
def test_subject(renderer: Renderer, changes: dict[str, Any], subject: str) -> None:
    for kind in KINDS:
        assert renderer.alert(hit(**changes), kind).subject == subject


@pytest.mark.parametrize(("more", "expected"), [(0, None), (1, "1 more match "), (4, "4 more")])
@pytest.mark.parametrize("kind", KINDS)
def test_throttled_matches_are_counted(
    renderer: Renderer, kind: str, more: int, expected: str | None
) -> None:
    body = renderer.alert(hit(), kind, extra={"more": more}).body
    if expected is None:
        assert "throttle" not in body
    else:
        assert expected in body and "throttle" in body


@pytest.mark.parametrize(
    ("kind", "fmt"), [("email", "html"), ("chat", "markdown"), ("text", "text")]
)
def test_format_per_kind(renderer: Renderer, kind: str, fmt: str) -> None:
    assert renderer.alert(hit(), kind).format == fmt
    assert renderer.digest([hit()], kind, "d").format == fmt
    assert renderer.test("ops", kind).format == fmt


def test_unknown_kind(renderer: Renderer) -> None:
    with pytest.raises(ValueError, match="unknown message kind 'sms'"):
        renderer.alert(hit(), "sms")


# Digest and test messages


def digest_hits() -> list[StoredHit]:
    rules = ["a-rule", "b-rule", "a-rule", "c-rule", "b-rule"]
    return [
        hit(id=n, rule=rule, title=f"Title {rule}", document_title=f"Doc {n}",
            url=f"https://example.org/{n}" if n % 2 else None, origin=f"/inbox/{n}.txt")
        for n, rule in enumerate(rules)
    ]  # fmt: skip


@pytest.mark.parametrize("kind", KINDS)
def test_digest_lists_every_hit_and_counts_rules(renderer: Renderer, kind: str) -> None:
    message = renderer.digest(digest_hits(), kind, "hourly digest")
    assert message.subject == "hourly digest: 5 alerts (3 rules)"
    for n in range(5):
        assert f"Doc {n}" in message.body
    for text in ["a-rule", "b-rule", "c-rule", "https://example.org/1", "/inbox/2.txt"]:
        assert text in message.body
    assert "**Iran**" in message.body or "*Iran*" in message.body or "<strong>Iran" in message.body


def test_digest_singular_subject(renderer: Renderer) -> None:
    assert renderer.digest([hit()], "text", "watchd digest").subject == (
        "watchd digest: 1 alert (1 rule)"
    )


def test_digest_sentence_is_short(renderer: Renderer) -> None:
    long = "word " * 100 + "Iran" + " word" * 100
    body = renderer.digest([hit([item(long, ["Iran"])])], "text", "d").body
    line = next(line for line in body.splitlines() if "*Iran*" in line)
    assert len(line.strip()) < 180


@pytest.mark.parametrize("kind", KINDS)
def test_test_message(renderer: Renderer, kind: str) -> None:
    message = renderer.test("ops-mail", kind)
    assert "ops-mail" in message.subject
    assert "ops-mail" in message.body
    assert "watchd notify-test" in message.body


# User templates


def test_user_template_overrides_one_kind(tmp_path: Path) -> None:
    folder = write(tmp_path / "t", "alert.text.txt.j2", "custom {{ rule }}: {{ title }}\n")
    renderer = Renderer([folder])
    assert renderer.alert(hit(), "text").body == "custom iran-sanctions: Iran sanctions"
    assert "<strong>Iran</strong>" in renderer.alert(hit(), "email").body


def test_first_folder_wins(tmp_path: Path) -> None:
    first = write(tmp_path / "a", "alert.text.txt.j2", "first")
    second = write(tmp_path / "b", "alert.text.txt.j2", "second")
    assert Renderer([first, second]).alert(hit(), "text").body == "first"


def test_named_set_falls_back_per_kind(tmp_path: Path) -> None:
    folder = write(tmp_path, "brief.chat.md.j2", "brief {{ rule|mdcode }} {{ evidence[0].marked }}")
    renderer = Renderer([folder])
    chat = renderer.alert(hit(), "chat", template="brief").body
    assert chat == "brief `iran-sanctions` The EU imposed **sanctions** on **Iran**."
    assert (
        renderer.alert(hit(), "text", template="brief").body == renderer.alert(hit(), "text").body
    )


def test_template_may_set_subject(tmp_path: Path) -> None:
    text = "{% set subject %}{{ severity }} & {{ rule }}{% endset %}<p>{{ rule }}</p>"
    folder = write(tmp_path, "alert.email.html.j2", text)
    message = Renderer([folder]).alert(hit(), "email")
    assert message.subject == "medium & iran-sanctions"
    assert message.body == "<p>iran-sanctions</p>"


# Checks and errors


def test_defaults_check_clean(renderer: Renderer) -> None:
    assert renderer.check(["alert"], ["digest"]) == []


@pytest.mark.parametrize(
    ("name", "text", "line", "message"),
    [
        ("brief.email.html.j2", "<p>\n{{ rule }\n</p>", 2, "unexpected '}'"),
        ("brief.chat.md.j2", "a\n{% if rule %}\nb", 3, "Unexpected end of template"),
        ("brief.text.txt.j2", "a\nb\n{{ nope }}", 3, "'nope' is undefined"),
        ("brief.text.txt.j2", "{% if more %}\n{{ hit.nope }}\n{% endif %}", 2,
         "no attribute 'nope'"),
        ("brief.text.txt.j2", "{% include 'gone.j2' %}", 1, "no template 'gone.j2'"),
    ],
)  # fmt: skip
def test_check_reports_file_and_line(
    tmp_path: Path, name: str, text: str, line: int, message: str
) -> None:
    folder = write(tmp_path / "templates", name, text)
    errors = Renderer([folder]).check(["brief"])
    assert len(errors) == 1
    assert errors[0].template == str(folder / name)
    assert errors[0].line == line
    assert str(errors[0]).startswith(f"{folder / name}:{line}: ")
    assert message in errors[0].message


def test_check_reports_a_broken_default_override_once(tmp_path: Path) -> None:
    folder = write(tmp_path, "digest.text.txt.j2", "{{ nope }}")
    errors = Renderer([folder]).check(["alert"], ["digest"])
    assert [str(e) for e in errors] == [f"{folder}/digest.text.txt.j2:1: 'nope' is undefined"]


def test_check_names_a_missing_set(tmp_path: Path) -> None:
    folder = write(tmp_path, "brief.chat.md.j2", "{{ rule }}")
    errors = Renderer([folder]).check(["breif"])
    assert len(errors) == 1
    assert "template 'breif'" in str(errors[0])
    assert "did you mean 'brief'?" in str(errors[0])


def test_check_reports_a_missing_folder(tmp_path: Path) -> None:
    errors = Renderer([tmp_path / "nowhere"]).check([])
    assert [e.message for e in errors] == ["not a folder of templates"]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("ok\n{{ nope }}", r"alert\.text\.txt\.j2:2: 'nope' is undefined"),
        ("{{ 1 // 0 }}", r"alert\.text\.txt\.j2:1: ZeroDivisionError"),
        ("{{ extra.key }}", r"alert\.text\.txt\.j2:1: .*'key'"),
        ("{% for %}", r"alert\.text\.txt\.j2:1: "),
    ],
)
def test_render_errors_are_template_errors(tmp_path: Path, text: str, match: str) -> None:
    folder = write(tmp_path, "alert.text.txt.j2", text)
    with pytest.raises(TemplateError, match=match) as raised:
        Renderer([folder]).alert(hit(), "text")
    assert isinstance(raised.value, NotifyError)


# Limits


def test_long_sentence_is_clipped_around_the_words(renderer: Renderer) -> None:
    long = "lorem " * 1000 + "Iran" + " ipsum" * 1000
    assert len(long) > 10_000
    body = renderer.alert(hit([item(long, ["Iran"])]), "text").body
    line = next(line for line in body.splitlines() if line.startswith("> "))
    assert "*Iran*" in line
    assert line.startswith("> …") and line.endswith("…")
    assert 500 < len(line) <= 610
    assert abs(line.index("*Iran*") - len(line) / 2) < 40


def test_long_sentence_with_words_at_the_start(renderer: Renderer) -> None:
    long = "Iran " + "lorem " * 2000
    body = renderer.alert(hit([item(long, ["Iran"])]), "text").body
    line = next(line for line in body.splitlines() if line.startswith("> "))
    assert line.startswith("> *Iran* lorem") and line.endswith("…")


@pytest.mark.parametrize("kind", KINDS)
def test_many_sentences_are_cut(renderer: Renderer, kind: str) -> None:
    evidence = [item(f"Sentence {n} says Iran did something " + "x" * 150, ["Iran"])
                for n in range(1000)]  # fmt: skip
    body = renderer.alert(hit(evidence), kind).body
    assert len(body) <= MAX_BODY
    found = re.search(r"(\d+) more sentences", body)
    assert found
    shown = len(re.findall(r"Sentence \d+ says", body))
    assert shown > 10
    assert shown + int(found[1]) == 1000
    assert "iran-sanctions" in body


@pytest.mark.parametrize("kind", KINDS)
def test_big_digest_is_cut(renderer: Renderer, kind: str) -> None:
    hits = [hit(id=n, document_title=f"Document number {n}") for n in range(1000)]
    body = renderer.digest(hits, kind, "d").body
    assert len(body) <= MAX_BODY
    found = re.search(r"(\d+) more alerts", body)
    assert found
    assert len(re.findall(r"Document number \d+", body)) + int(found[1]) == 1000


def test_body_is_cut_hard_as_a_last_resort(tmp_path: Path) -> None:
    folder = write(tmp_path, "alert.text.txt.j2", "{{ rule }} {{ 'x' * 40000 }}")
    body = Renderer([folder]).alert(hit(), "text").body
    assert len(body) == MAX_BODY
    assert body.startswith("iran-sanctions")
    assert body.endswith(f"[cut at {MAX_BODY} characters]")
