"""Alerts as messages, one per channel kind, rendered by Jinja2 templates.

A kind is how a channel shows text: `email` is HTML (apprise derives the plain-text part),
`chat` is Markdown (Matrix, Slack, Discord...), `text` is plain (MQTT, SMS, the console).
Templates are named `<name>.<kind>.<ext>.j2` (`alert.email.html.j2`, `digest.chat.md.j2`,
`test.text.txt.j2`) and looked up in the user's folders, in order, then in the package.
A named set (a rule's or channel's `template: brief`) falls back file by file to the
default name, so a user writes only the kinds they care about.

The words of the evidence are marked here, not in templates, because escaping depends on
the format: `<strong>` with everything escaped in HTML, `**bold**` with Markdown's special
characters escaped, `*word*` in plain text. A template may set `subject` at its top level
to replace the default subject. Sentences are clipped around their matched words and a
body never exceeds `MAX_BODY` characters: the evidence list is cut and says how much.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup, escape

from watchd.errors import TemplateError
from watchd.notify.render import spans
from watchd.store import StoredHit

KINDS = ("email", "chat", "text")
FORMATS = {"email": "html", "chat": "markdown", "text": "text"}
EXTENSIONS = {"email": "html", "chat": "md", "text": "txt"}
DEFAULTS = ("alert", "digest", "test")
LOUD = frozenset({"high", "critical"})

SENTENCE_CHARS = 600  # an alert's evidence sentence, clipped around its words
SHORT_CHARS = 160  # a digest line's sentence
TITLE_CHARS = 300  # rule and document titles
SUBJECT_CHARS = 150
MAX_BODY = 30_000
SNAP = 30  # how far a clipped edge may move to fall between words
ELLIPSIS = "…"

MD_SPECIAL = re.compile(r"([\\`*_\[\]~#>|])")
MD_ENTITY = re.compile(r"&(?=#?\w+;)")
MD_LEADING = re.compile(r"^([-+=])(?=\s)|^(\d+)([.)])(?=\s)")
SPACE = re.compile(r"\s+")
BLANKS = re.compile(r"\n{3,}")


@dataclass(frozen=True, slots=True)
class Message:
    """What a channel sends: `format` is apprise's body format (html, markdown, text)."""

    subject: str
    body: str
    format: str


# Marking words per format


def md_escape(text: str) -> str:
    """`text` shown literally by Markdown renderers: specials backslashed, `<` and entities
    neutralized (Python-Markdown passes raw HTML through), a leading list marker escaped."""
    text = MD_ENTITY.sub("&amp;", text).replace("<", "&lt;")
    text = MD_SPECIAL.sub(r"\\\1", text)
    return MD_LEADING.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", text)


def md_url(url: str) -> str:
    """`url` safe inside a Markdown link's parentheses."""
    for char, code in (" ", "%20"), ("(", "%28"), (")", "%29"), ("<", "%3C"), (">", "%3E"):
        url = url.replace(char, code)
    return url


def md_code(text: str) -> str:
    """`text` as a Markdown code span, fenced by more backticks than it contains."""
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _plain(text: str, fmt: str) -> str:
    if fmt == "html":
        return str(escape(text))
    return md_escape(text) if fmt == "markdown" else text


def _strong(text: str, fmt: str) -> str:
    """Matched words, emphasized; surrounding spaces stay outside the marks."""
    core = text.strip()
    if not core:
        return _plain(text, fmt)
    lead, tail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]
    if fmt == "html":
        marked = f"<strong>{escape(core)}</strong>"
    else:
        marked = f"**{md_escape(core)}**" if fmt == "markdown" else f"*{core}*"
    return lead + marked + tail


Segments = list[tuple[str, bool]]  # text, and whether it is matched words


def window(size: int, marked: list[tuple[int, int]], limit: int) -> tuple[int, int]:
    """The part of a sentence of `size` chars to show: at most `limit`, centred on the
    matched words (from the first of them when they span more)."""
    if size <= limit:
        return 0, size
    lo, hi = (marked[0][0], marked[-1][1]) if marked else (0, 0)
    start = max(0, lo - max(0, limit - (hi - lo)) // 2)
    end = min(size, start + limit)
    return max(0, end - limit), end


def _snap(text: str, start: int, end: int, marked: list[tuple[int, int]]) -> tuple[int, int]:
    """Clip edges moved inward to the nearest space, never into the matched words."""
    first = marked[0][0] if marked else end
    last = marked[-1][1] if marked else start
    if start > 0:
        space = text.find(" ", start, min(start + SNAP, first))
        start = space + 1 if space >= 0 else start
    if end < len(text):
        space = text.rfind(" ", max(end - SNAP, last), end)
        end = space if space >= 0 else end
    return start, end


def segments(item: Mapping[str, Any], limit: int) -> Segments:
    """An evidence sentence, clipped to about `limit` chars around its words, in pieces."""
    text = item["sentence"]
    marked = spans(item["start"], len(text), item["terms"])
    start, end = _snap(text, *window(len(text), marked, limit), marked)
    out: Segments = [(ELLIPSIS, False)] if start > 0 else []
    last = start
    for lo, hi in marked:
        lo, hi = max(lo, start), min(hi, end)
        if lo >= hi:
            continue
        out += [(text[last:lo], False), (text[lo:hi], True)]
        last = hi
    out.append((text[last:end], False))
    if end < len(text):
        out.append((ELLIPSIS, False))
    return _one_line(out)


def _one_line(pieces: Segments) -> Segments:
    """Runs of whitespace as one space, none at the ends, empty pieces dropped."""
    out = [(SPACE.sub(" ", text), words) for text, words in pieces]
    if out:
        out[0] = (out[0][0].lstrip(), out[0][1])
        out[-1] = (out[-1][0].rstrip(), out[-1][1])
    return [(text, words) for text, words in out if text]


def mark(pieces: Segments, fmt: str) -> str:
    """The pieces in `fmt`, matched words emphasized (Markup in HTML)."""
    text = "".join(_strong(t, fmt) if words else _plain(t, fmt) for t, words in pieces)
    return Markup(text) if fmt == "html" else text


# What templates see


@dataclass(frozen=True, slots=True)
class Sentence:
    """One evidence sentence: `text` plain, `marked` in the template's format, and which
    words filled which slot (`slots`: pairs of slot and words)."""

    field: str
    text: str
    marked: str
    slots: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class View:
    """A hit as templates see it; `link` is the URL or else the origin, `href` a URL that
    is safe to link (http or https) or None."""

    hit: StoredHit
    rule: str
    title: str
    severity: str
    loud: bool
    document: str
    source: str
    link: str
    href: str | None
    time: str
    evidence: tuple[Sentence, ...]

    @property
    def sentence(self) -> Sentence | None:
        return self.evidence[0] if self.evidence else None


def clipped(text: str, limit: int) -> str:
    """`text` on one line, at most `limit` chars."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


def iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def slots(terms: Iterable[Mapping[str, Any]]) -> tuple[tuple[str, str], ...]:
    """Each slot once, in order of appearance, with its distinct words."""
    words: dict[str, list[str]] = {}
    for term in terms:
        found = words.setdefault(term["slot"], [])
        text = " ".join(str(term["text"]).split())
        if text not in found:
            found.append(text)
    return tuple((slot, ", ".join(texts)) for slot, texts in words.items())


def sentence(item: Mapping[str, Any], fmt: str, limit: int) -> Sentence:
    pieces = segments(item, limit)
    text = "".join(t for t, _ in pieces)
    return Sentence(item.get("field", "text"), text, mark(pieces, fmt), slots(item["terms"]))


def safe_href(url: str | None) -> str | None:
    return url if url and urlsplit(url).scheme.lower() in ("http", "https") else None


def view(hit: StoredHit, fmt: str, limit: int, count: int | None = None) -> View:
    """`hit` for a template: its first `count` evidence sentences clipped to `limit`."""
    items = hit.evidence if count is None else hit.evidence[:count]
    return View(
        hit=hit,
        rule=hit.rule,
        title=clipped(hit.title or hit.rule, TITLE_CHARS),
        severity=hit.severity,
        loud=hit.severity in LOUD,
        document=clipped(hit.document_title or hit.origin, TITLE_CHARS),
        source=hit.source,
        link=hit.url or hit.origin,
        href=safe_href(hit.url),
        time=iso(hit.created),
        evidence=tuple(sentence(item, fmt, limit) for item in items),
    )


def alert_subject(hit: StoredHit) -> str:
    """The rule's title (or id), `[HIGH]` or `[CRITICAL]` in front when it is."""
    prefix = f"[{hit.severity.upper()}] " if hit.severity in LOUD else ""
    return clipped(prefix + (hit.title or hit.rule), SUBJECT_CHARS)


def plural(count: int, word: str, many: str | None = None) -> str:
    """`1 alert`, `2 alerts`; `many` when the plural is not word + s."""
    return f"{count} {word}" if count == 1 else f"{count} {many or word + 's'}"


def digest_subject(hits: Sequence[StoredHit], title: str) -> str:
    """`watchd digest: 12 alerts (3 rules)`."""
    rules = len({hit.rule for hit in hits})
    counts = f"{plural(len(hits), 'alert')} ({plural(rules, 'rule')})"
    return clipped(f"{title or 'watchd digest'}: {counts}", SUBJECT_CHARS)


# Templates


def template_names(name: str, purpose: str, kind: str) -> list[str]:
    """The files that may render `purpose` for `kind`: the named set's, then the default."""
    ext = EXTENSIONS[kind]
    names = [f"{name}.{kind}.{ext}.j2", f"{purpose}.{kind}.{ext}.j2"]
    return names[1:] if name == purpose else names


def loader(folders: Sequence[Path]) -> jinja2.BaseLoader:
    """User folders first, in order, then the package's templates."""
    return jinja2.ChoiceLoader(
        [
            jinja2.FileSystemLoader([str(folder) for folder in folders]),
            jinja2.PackageLoader("watchd.notify", "templates"),
        ]
    )


def environment(source: jinja2.BaseLoader) -> jinja2.Environment:
    """Strict about undefined names; HTML templates escape, the others do not."""
    env = jinja2.Environment(
        loader=source,
        undefined=jinja2.StrictUndefined,
        autoescape=lambda name: bool(name and name.endswith(".html.j2")),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(md=md_escape, mdurl=md_url, mdcode=md_code, plural=plural)
    return env


def _where(template: jinja2.Template | None, name: str) -> str:
    return (template.filename or template.name or name) if template else name


def innermost(tb: TracebackType | None) -> tuple[jinja2.Template | None, int]:
    """The template and line the innermost template frame of a traceback was running."""
    found: tuple[jinja2.Template | None, int] = (None, 0)
    while tb is not None:
        template = tb.tb_frame.f_globals.get("__jinja_template__")
        if isinstance(template, jinja2.Template):
            found = (template, template.get_corresponding_lineno(tb.tb_lineno))
        tb = tb.tb_next
    return found


def template_error(exc: Exception, name: str) -> TemplateError:
    """`exc`, raised compiling or rendering template `name`, with its file and line."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return TemplateError(exc.filename or exc.name or name, exc.message or "", exc.lineno)
    template, line = innermost(exc.__traceback__)
    if isinstance(exc, jinja2.TemplateNotFound):
        message = f"no template {exc.name!r} to include"
    elif isinstance(exc, jinja2.TemplateError):
        message = exc.message or type(exc).__name__
    else:
        message = f"{type(exc).__name__}: {exc}"
    return TemplateError(_where(template, name), message, line)


@dataclass(frozen=True, slots=True)
class Rendered:
    """A template's output: its body, and the subject it set (None: the default)."""

    subject: str | None
    body: str


def render(template: jinja2.Template, context: Mapping[str, Any]) -> Rendered:
    """The body of `template` and the `subject` it sets, if any; errors as TemplateError."""
    try:
        module = template.make_module(dict(context))
    except Exception as exc:  # a user's template may raise anything
        raise template_error(exc, template.name or "?") from exc
    subject = getattr(module, "subject", None)
    if isinstance(subject, Markup):
        subject = subject.unescape()
    body = BLANKS.sub("\n\n", "\n".join(line.rstrip() for line in str(module).splitlines()))
    return Rendered(clipped(str(subject), SUBJECT_CHARS) if subject else None, body.strip())


def fit(draw: Callable[[int], Rendered], count: int) -> Rendered:
    """`draw(n)` with the largest n <= count found whose body fits MAX_BODY, by shrinking
    n in proportion; cut hard if even n = 0 is too long."""
    shown, out = count, draw(count)
    while len(out.body) > MAX_BODY and shown > 0:
        shown = max(0, min(shown - 1, shown * MAX_BODY // len(out.body) - 1))
        out = draw(shown)
    if len(out.body) > MAX_BODY:
        note = f"\n[cut at {MAX_BODY} characters]"
        out = Rendered(out.subject, out.body[: MAX_BODY - len(note)] + note)
    return out


class Renderer:
    """Renders alerts, digests and test messages per channel kind from templates."""

    def __init__(self, folders: Sequence[Path] = ()) -> None:
        self.folders = tuple(folders)
        self.loader = loader(self.folders)
        self.env = environment(self.loader)

    def alert(
        self,
        hit: StoredHit,
        kind: str,
        template: str = "alert",
        extra: Mapping[str, Any] | None = None,
    ) -> Message:
        """One alert: its sentences with the words marked, the document, link, rule."""
        fmt = _format(kind)
        jinja = self._template(template, "alert", kind)
        extra = dict(extra or {})
        subject = alert_subject(hit)
        context = {
            "kind": kind,
            "format": fmt,
            "subject": subject,
            "more": int(extra.get("more", 0)),
            "extra": extra,
            "sentences": len(hit.evidence),
        }

        def draw(count: int) -> Rendered:
            shown = view(hit, fmt, SENTENCE_CHARS, count)
            values = {f.name: getattr(shown, f.name) for f in fields(View)}
            return render(jinja, {**context, **values, "omitted": len(hit.evidence) - count})

        return self._message(fit(draw, len(hit.evidence)), subject, fmt)

    def digest(
        self, hits: Sequence[StoredHit], kind: str, title: str, template: str = "digest"
    ) -> Message:
        """Many alerts, one compact item each; `title` names the digest in the subject."""
        fmt = _format(kind)
        jinja = self._template(template, "digest", kind)
        subject = digest_subject(hits, title)
        times = [hit.created for hit in hits]
        context = {
            "kind": kind,
            "format": fmt,
            "subject": subject,
            "title": title,
            "count": len(hits),
            "rules": len({hit.rule for hit in hits}),
            "first": iso(min(times)) if times else "",
            "last": iso(max(times)) if times else "",
        }
        views = [view(hit, fmt, SHORT_CHARS, 1) for hit in hits]

        def draw(count: int) -> Rendered:
            return render(jinja, {**context, "hits": views[:count], "omitted": len(hits) - count})

        return self._message(fit(draw, len(hits)), subject, fmt)

    def test(self, channel: str, kind: str) -> Message:
        """A short message that says it tests `channel`, sent by `watchd notify-test`."""
        fmt = _format(kind)
        subject = clipped(f"watchd test message for channel {channel!r}", SUBJECT_CHARS)
        context = {
            "kind": kind,
            "format": fmt,
            "subject": subject,
            "channel": channel,
            "time": iso(datetime.now(UTC)),
        }
        out = render(self._template("test", "test", kind), context)
        return self._message(out, subject, fmt)

    def check(self, names: Iterable[str], digests: Iterable[str] = ()) -> list[TemplateError]:
        """Every problem of the templates that alert sets `names` and digest sets
        `digests` (the defaults are always checked) would use, for every kind: syntax,
        and a render of sample hits, which finds undefined variables."""
        errors: list[TemplateError] = [
            TemplateError(str(folder), "not a folder of templates")
            for folder in self.folders
            if not folder.is_dir()
        ]
        sets = [("alert", n) for n in {"alert", *names}]
        sets += [("digest", n) for n in {"digest", *digests}] + [("test", "test")]
        seen: set[str] = set()
        for purpose, name in sorted(sets):
            errors += self._check_set(purpose, name, seen)
        return errors

    def _check_set(self, purpose: str, name: str, seen: set[str]) -> list[TemplateError]:
        """The errors of one set, all kinds; files in `seen` were checked already."""
        missing = self._missing(purpose, name)
        if missing:
            return [missing]
        errors = []
        for kind in KINDS:
            file = self._resolve(name, purpose, kind)
            if file in seen:
                continue
            seen.add(file)
            try:
                self._sample(purpose, name, kind)
            except TemplateError as error:
                errors.append(error)
        return errors

    def _missing(self, purpose: str, name: str) -> TemplateError | None:
        """An error when set `name` has no file at all: most likely a misspelt name."""
        known = self.env.list_templates(filter_func=lambda n: n.endswith(".j2"))
        if name == purpose or any(n.startswith(f"{name}.") for n in known):
            return None
        sets = sorted({n.split(".")[0] for n in known} - set(DEFAULTS))
        close = difflib.get_close_matches(name, sets, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        files = ", ".join(template_names(name, purpose, kind)[0] for kind in KINDS)
        where = ", ".join(str(f) for f in self.folders) or "no template folders"
        return TemplateError(f"template {name!r}", f"none of {files} in {where}{hint}")

    def _sample(self, purpose: str, name: str, kind: str) -> None:
        """Render set `name` for `kind` with sample data; raises TemplateError."""
        if purpose == "alert":
            self.alert(SAMPLE[0], kind, name, {"more": 2})
        elif purpose == "digest":
            self.digest(SAMPLE, kind, "sample digest", name)
        else:
            self.test("sample", kind)

    def _resolve(self, name: str, purpose: str, kind: str) -> str:
        """The name of the file that renders `purpose` for `kind` in set `name`."""
        for candidate in template_names(name, purpose, kind):
            try:
                self.loader.get_source(self.env, candidate)
            except jinja2.TemplateNotFound:
                continue
            return candidate
        return template_names(name, purpose, kind)[-1]

    def _template(self, name: str, purpose: str, kind: str) -> jinja2.Template:
        """The compiled template for `purpose` and `kind`: set `name`'s or the default."""
        candidates = template_names(name, purpose, kind)
        try:
            return self.env.select_template(candidates)
        except jinja2.TemplatesNotFound as exc:
            raise TemplateError(candidates[-1], "not found in the package; reinstall") from exc
        except jinja2.TemplateError as exc:
            raise template_error(exc, candidates[0]) from exc

    @staticmethod
    def _message(out: Rendered, subject: str, fmt: str) -> Message:
        return Message(out.subject or subject, out.body, fmt)


def _format(kind: str) -> str:
    if kind not in FORMATS:
        raise ValueError(f"unknown message kind {kind!r}; expected one of {', '.join(KINDS)}")
    return FORMATS[kind]


def _sample_hits() -> tuple[StoredHit, StoredHit]:
    """Two hits for checking templates: one with a URL, one from a file."""
    sentence = "Sample: the ministry imposed new sanctions on Example Corp."
    evidence = [
        {
            "field": "text",
            "sentence": sentence,
            "start": 100,
            "end": 100 + len(sentence),
            "terms": [
                {"slot": "actor", "text": "ministry", "start": 112, "end": 120},
                {"slot": "action", "text": "sanctions", "start": 133, "end": 142},
            ],
        }
    ]
    first = StoredHit(
        id=1,
        rule="sample-rule",
        title="Sample rule",
        severity="high",
        created=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        alert=True,
        reason="",
        duplicate_of=None,
        evidence=evidence,
        document=1,
        source="sample-feed",
        origin="https://example.org/feed.xml",
        url="https://example.org/news/1",
        document_title="Sample news",
    )
    second = replace(
        first,
        id=2,
        rule="other-rule",
        title="",
        severity="low",
        url=None,
        origin="/var/lib/watchd/inbox/sample.txt",
        document_title="",
    )
    return first, second


SAMPLE = _sample_hits()
