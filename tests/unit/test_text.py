"""Text analysis: tokens, folding, sentences, paragraphs, offsets."""

from __future__ import annotations

import pytest

from watchd.text import Analysis, fold, tokens


def sentences(text: str) -> list[str]:
    analysis = Analysis(text)
    spans = [
        analysis.char_span(*analysis.sentence_range(i))
        for i in range(len(analysis.sentence_starts))
    ]
    return [text[start:end] for start, end in spans]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Iran spoke. Russia answered.", ["Iran spoke.", "Russia answered."]),
        (
            "The U.S. and the U.N. agreed. Then it ended.",
            ["The U.S. and the U.N. agreed.", "Then it ended."],
        ),
        (
            "Mr. Shamkhani spoke. Dr. Zarif answered.",
            ["Mr. Shamkhani spoke.", "Dr. Zarif answered."],
        ),
        ("It began on Jan. 5 in Geneva. It ended.", ["It began on Jan. 5 in Geneva.", "It ended."]),
        (
            "Resolution No. 2334 passed. Israel objected.",
            ["Resolution No. 2334 passed.", "Israel objected."],
        ),
        ("Growth was 3.5 percent. Prices rose.", ["Growth was 3.5 percent.", "Prices rose."]),
        ('He said: "We will not." Then he left.', ['He said: "We will not."', "Then he left."]),
        ("“Why?” he asked. Nobody answered.", ["“Why?” he asked.", "Nobody answered."]),
        ("A heading\n\nThe body text.", ["A heading", "The body text."]),
        ("No full stop at the end", ["No full stop at the end"]),
    ],
)
def test_sentences(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_paragraphs() -> None:
    analysis = Analysis("One. Two.\n\n\nThree.\n \nFour.")
    paragraphs = [analysis.paragraph_of(i) for i, w in enumerate(analysis.words) if w.isalpha()]
    assert paragraphs == [0, 0, 1, 2]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Moscow's view", ["moscow", "view"]),
        ("Moscow’s view", ["moscow", "view"]),
        ("the Secretary-General", ["the", "secretary-general"]),
        ("the Secretary–General", ["the", "secretary", "general"]),
        ("Türkiye and Côte d’Ivoire", ["turkiye", "and", "cote", "d'ivoire"]),
        ("didn't", ["didn't"]),
        ("U.S.-led", ["u.s", ".", "led"]),
        ("3.5 percent", ["3.5", "percent"]),
        ("10,000 troops", ["10,000", "troops"]),
    ],
)
def test_tokens(text: str, expected: list[str]) -> None:
    assert tokens(text) == expected


def test_fold_keeps_length_so_offsets_stay_valid() -> None:
    text = "İstanbul’s “Türkiye” — façade"
    assert len(fold(text)) == len(text)
    assert fold(text) == 'istanbul\'s "turkiye" - facade'


def test_token_spans_are_offsets_into_the_original_text() -> None:
    text = "  Shamkhani’s  “challenge”\n\nto Russia."
    analysis = Analysis(text)
    words = [text[analysis.char_start(i) : analysis.char_end(i)] for i in range(len(analysis))]
    assert words == ["Shamkhani’s", "challenge", "\n", "to", "Russia", "."]
    assert analysis.norms[0] == "shamkhani"


def test_joined_string_places_every_token() -> None:
    analysis = Analysis("Iran's foreign minister met Russia's envoy.")
    for index, start in enumerate(analysis.starts):
        assert analysis.joined[start:].startswith(analysis.norms[index] + " ")
        assert analysis.token_at(start) == index


def test_empty_text() -> None:
    analysis = Analysis("")
    assert len(analysis) == 0 and analysis.sentence_starts == [0]
