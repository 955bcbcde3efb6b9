"""YAML with positions: plain data plus where each value and key was written.

Used for rule files and for watchd.yaml alike.

`yaml.compose` keeps node marks; the data is built from the nodes here so that a path
such as ("rules", 3, "watch") maps back to its line and column. pydantic validation
errors are mapped through the same paths into located `InputError`s.
"""

from __future__ import annotations

import difflib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from watchd.errors import InputError, Location

Key = str | int
YamlPath = tuple[Key, ...]
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# Scalars in lists under these keys always get their own position (conditions, examples);
# other list items (names, watchlist items, tags) are located only when an error asks.
PRECISE_UNDER = frozenset({"when", "unless", "examples"})


@dataclass
class Positions:
    """Where each value (and each mapping key) of one file was written.

    To keep large watchlists cheap, the first pass skips plain list items outside
    PRECISE_UNDER; the first lookup that misses one parses the file again, fully."""

    path: str
    text: str = ""
    precise: bool = False
    values: dict[YamlPath, Location] = field(default_factory=dict)
    keys: dict[YamlPath, Location] = field(default_factory=dict)
    errors: list[InputError] = field(default_factory=list)

    def at(self, where: YamlPath, *, key: bool = False) -> Location:
        """The location of `where`, or of its nearest written ancestor."""
        table = self.keys if key else self.values
        if where not in table and not self.precise:
            self._reparse()
            table = self.keys if key else self.values
        for end in range(len(where), -1, -1):
            found = table.get(where[:end]) or self.values.get(where[:end])
            if found:
                return found
        return Location(self.path, 1, 1)

    def _reparse(self) -> None:
        self.precise = True
        node = yaml.compose(self.text, Loader=_Loader)
        if node is not None:
            self.values.clear()
            self.keys.clear()
            self.errors.clear()
            _Builder(self).build(node, ())


def load_yaml(path: Path, text: str) -> tuple[Any, Positions]:
    """Parse one YAML document; raises InputError with the position of a syntax error."""
    positions = Positions(str(path), text)
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        raise _syntax_error(positions.path, error) from None
    if node is None:
        return None, positions
    return _Builder(positions).build(node, ()), positions


def _syntax_error(path: str, error: yaml.MarkedYAMLError) -> InputError:
    mark = error.problem_mark or error.context_mark
    where = _mark(path, mark) if mark else Location(path, 1, 1)
    message = f"invalid YAML: {error.problem or error.context}"
    if error.context and error.context_mark and error.problem:
        start = error.context_mark
        message += f" ({error.context} at line {start.line + 1}, column {start.column + 1})"
    return InputError(where, f"{message}; check quotes, colons and indentation")


def _mark(path: str, mark: Any) -> Location:
    return Location(path, mark.line + 1, mark.column + 1)


class _Builder:
    """Plain data from composed nodes, recording positions as it goes."""

    def __init__(self, positions: Positions) -> None:
        self.positions = positions
        self.constructor = yaml.constructor.SafeConstructor()

    def build(self, node: yaml.Node, where: YamlPath) -> Any:
        if isinstance(node, yaml.MappingNode):
            self._record(node, where)
            return self._mapping(node, where)
        if isinstance(node, yaml.SequenceNode):
            self._record(node, where)
            return [self.build(item, (*where, i)) for i, item in enumerate(node.value)]
        if (
            self.positions.precise
            or not where
            or isinstance(where[-1], str)
            or not PRECISE_UNDER.isdisjoint(where)
        ):
            self._record(node, where)
        return self.constructor.construct_object(node)

    def _record(self, node: yaml.Node, where: YamlPath) -> None:
        self.positions.values[where] = _mark(self.positions.path, node.start_mark)

    def _mapping(self, node: yaml.MappingNode, where: YamlPath) -> Any:
        positions = self.positions
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = self.constructor.construct_object(key_node)
            if not isinstance(key, str | int):
                key = str(key)
            here = (*where, key)
            if key in result:
                first = positions.keys[here]
                message = f"duplicate key {key!r} (first written at line {first.line}); remove one"
                positions.errors.append(
                    InputError(_mark(positions.path, key_node.start_mark), message)
                )
                continue
            positions.keys[here] = _mark(positions.path, key_node.start_mark)
            result[key] = self.build(value_node, here)
        return result


M = TypeVar("M", bound=BaseModel)


def validate(
    model: type[M], data: Any, where: YamlPath, positions: Positions
) -> tuple[M | None, list[InputError]]:
    """Validate `data` found at `where`; every problem becomes a located InputError."""
    try:
        return model.model_validate(data), []
    except ValidationError as error:
        problems = [_problem(model, where, item, positions) for item in error.errors()]
        return None, problems


def _problem(
    model: type[BaseModel], where: YamlPath, item: Any, positions: Positions
) -> InputError:
    loc = tuple(part for part in item["loc"] if isinstance(part, str | int))
    full = (*where, *loc)
    kind = item["type"]
    if kind == "extra_forbidden":
        known = _field_names(model, loc[:-1])
        hint = difflib.get_close_matches(str(loc[-1]), known, n=1)
        fix = f"did you mean {hint[0]!r}?" if hint else f"known keys: {', '.join(known)}"
        return InputError(positions.at(full, key=True), f"unknown key {loc[-1]!r} ({fix})")
    if kind == "missing":
        return InputError(positions.at(full[:-1]), f"missing key {loc[-1]!r}; add it")
    key = next((part for part in reversed(loc) if isinstance(part, str)), None)
    name = f"{key!r}: " if key else ""
    message = item["msg"].removeprefix("Value error, ")
    message = message[0].lower() + message[1:]
    shown = item["input"]
    got = "" if isinstance(shown, dict | list) else f", got {shown!r}"
    return InputError(positions.at(full), f"{name}{message}{got}")


def _field_names(model: type[BaseModel], loc: YamlPath) -> list[str]:
    """The keys allowed at `loc` inside `model`, following fields and list items."""
    current: Any = model
    for part in loc:
        current = _step(current, part)
    inner = _model_in(current)
    return list(inner.model_fields) if inner is not None else []


def _step(annotation: Any, part: Key) -> Any:
    if isinstance(part, int):
        args = typing.get_args(annotation)
        return args[0] if args else None
    inner = _model_in(annotation)
    if inner is None or part not in inner.model_fields:
        return None
    return inner.model_fields[part].annotation


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model an annotation names, directly or inside `X | None`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None
