"""The models of rule and lexicon files, as written in YAML.

YAML keys equal field names. Every model forbids unknown keys so that a typo is an error
with its location, not a silently ignored setting.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
Text = Annotated[str, StringConstraints(min_length=1)]
Severity = Literal["info", "low", "medium", "high", "critical"]
FieldName = Literal["title", "text", "lead"]
DURATION = re.compile(r"^\d+\s*[smhd]$")


def _duration(value: str) -> str:
    if not DURATION.match(value):
        raise ValueError("must be a duration like 30s, 10m, 6h or 2d")
    return value


Duration = Annotated[str, AfterValidator(_duration)]
Scope = str | int
SCOPES = ("sentence", "paragraph", "document")
MAX_WORDS = 1000


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Role(Model):
    """A title that names the entity only while held, and only once the entity was named."""

    name: Text
    start: date | None = None
    end: date | None = None


class Entity(Model):
    id: Id
    kind: str = ""
    names: list[Text] = Field(min_length=1)
    spellings: list[Text] = []
    scripts: list[Text] = []
    adjectives: list[Text] = []
    members: list[Id] = []
    roles: list[Role] = []
    codes: dict[str, str] = {}
    note: str = ""


class Verb(Model):
    """A verb class: every lemma in every inflection, plus phrases and nouns."""

    id: Id
    lemmas: list[Text] = Field(min_length=1)
    irregular: dict[str, list[Text]] = {}
    phrases: list[Text] = []
    nouns: list[Text] = []
    symmetric: bool = False
    codes: dict[str, list[str]] = {}
    note: str = ""


class WordList(Model):
    id: Id
    items: list[Text] = Field(min_length=1)
    note: str = ""


class ExampleDocument(Model):
    """An example with a title, for rules that look at titles."""

    title: str = ""
    text: str = ""


Example = Text | ExampleDocument


class Examples(Model):
    match: list[Example] = []
    no_match: list[Example] = []


class Rule(Model):
    id: Id
    title: str = ""
    watch: str | None = None
    when: Any = None
    unless: Any = None
    within: Scope = "sentence"
    fields: list[FieldName] = ["title", "text"]
    severity: Severity = "medium"
    tags: list[str] = []
    notify: list[str] = []
    throttle: Duration | None = None
    digest: str | None = None
    sources: list[str] = []
    examples: Examples = Examples()
    note: str = ""

    @field_validator("within", mode="before")
    @classmethod
    def _scope(cls, value: Any) -> Any:
        words = isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_WORDS
        if value in SCOPES or words:
            return value
        raise ValueError(
            f"must be sentence, paragraph, document or a number of words up to {MAX_WORDS}"
        )


class RuleFile(Model):
    """One YAML file: any of rules and the three lexicon sections."""

    rules: list[Rule] = []
    entities: list[Entity] = []
    verbs: list[Verb] = []
    lists: list[WordList] = []
