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

from watchd.config import Schedule

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
    spellings: list[Text] = Field(default_factory=list)
    scripts: list[Text] = Field(default_factory=list)
    adjectives: list[Text] = Field(default_factory=list)
    members: list[Id] = Field(default_factory=list)
    roles: list[Role] = Field(default_factory=list)
    codes: dict[str, str] = Field(default_factory=dict)
    note: str = ""


class Verb(Model):
    """A verb class: every lemma in every inflection, plus phrases and nouns."""

    id: Id
    lemmas: list[Text] = Field(min_length=1)
    irregular: dict[str, list[Text]] = Field(default_factory=dict)
    phrases: list[Text] = Field(default_factory=list)
    nouns: list[Text] = Field(default_factory=list)
    symmetric: bool = False
    codes: dict[str, list[str]] = Field(default_factory=dict)
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
    match: list[Example] = Field(default_factory=list)
    no_match: list[Example] = Field(default_factory=list)


def _title_and_text() -> list[FieldName]:
    return ["title", "text"]


class Rule(Model):
    id: Id
    title: str = ""
    watch: str | None = None
    when: Any = None
    unless: Any = None
    within: Scope = "sentence"
    fields: list[FieldName] = Field(default_factory=_title_and_text)
    severity: Severity = "medium"
    tags: list[str] = Field(default_factory=list)
    notify: list[str] = Field(default_factory=list)
    throttle: Duration | None = None
    digest: Schedule | None = None
    sources: list[str] = Field(default_factory=list)
    template: str | None = None
    examples: Examples = Field(default_factory=Examples)
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

    rules: list[Rule] = Field(default_factory=list)
    entities: list[Entity] = Field(default_factory=list)
    verbs: list[Verb] = Field(default_factory=list)
    lists: list[WordList] = Field(default_factory=list)
