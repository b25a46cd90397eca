"""Turn the bytes of a journey file into plain data, safely, remembering where things were.

YAML is composed to a node tree by PyYAML's pure-Python composer (libyaml's recursive C
composer could overflow the C stack on hostile nesting), then walked by hand: only the
core tags (map, seq, str, int, float, bool, null, timestamp) are accepted, so nothing is
ever constructed from a tag and no code runs. Anchors and aliases are expanded with a
budget, so an alias bomb stops with a message instead of eating memory. JSON goes through
the standard library with duplicate keys and non-finite numbers refused.

The result is a :class:`Document`: the data, the line of every node (by document path,
e.g. ``events[3].date``) and the source text of every plain YAML scalar, so a field that
expects text can take ``2024`` or ``no`` as written.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any, Final

import attrs
import yaml

from careflow.errors import JourneyFileError

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_DIGITS",
    "MAX_NODES",
    "Document",
    "decode_text",
    "parse_document",
]

#: Largest journey file read by default, in bytes (a 60-event journey is about 20 KB).
MAX_BYTES: Final = 4 * 1024 * 1024
#: Deepest nesting of mappings and lists accepted.
MAX_DEPTH: Final = 32
#: Most nodes (after expanding aliases) accepted in one document.
MAX_NODES: Final = 500_000
#: Longest number accepted in a JSON document, in characters.
MAX_DIGITS: Final = 100

_CORE: Final = "tag:yaml.org,2002:"
_SCALAR_TAGS: Final = frozenset(
    _CORE + t for t in ("str", "int", "float", "bool", "null", "timestamp")
)


@attrs.frozen(slots=True)
class Document:
    """Parsed plain data plus where each part of it stood in the file."""

    data: Any
    lines: Mapping[str, int]
    raw: Mapping[str, str]
    file: str | None

    def line_of(self, path: str) -> int | None:
        """The line of the node at ``path``, or of its nearest ancestor that has one."""
        while True:
            if path in self.lines:
                return self.lines[path]
            if not path:
                return None
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""

    def error(self, message: str, path: str) -> JourneyFileError:
        """A :class:`JourneyFileError` located at ``path`` in this document."""
        return JourneyFileError(message, file=self.file, line=self.line_of(path), path=path or None)


def decode_text(data: bytes, file: str | None) -> str:
    """Decode ``data`` as UTF-8 text (a BOM is allowed), refusing binary content."""
    if b"\x00" in data[:8192] or b"\x00" in data:
        raise JourneyFileError(
            "this is a binary file, not text; expected a UTF-8 YAML or JSON journey", file=file
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise JourneyFileError(
            f"the file is not UTF-8 text (byte {exc.start}: {data[exc.start : exc.start + 1]!r}); "
            "save it as UTF-8",
            file=file,
            line=line,
        ) from None


def parse_document(text: str, *, file: str | None, fmt: str) -> Document:
    """Parse ``text`` as ``fmt`` ("yaml" or "json") into a :class:`Document`."""
    if not text.strip():
        raise JourneyFileError("the file is empty; expected a journey document", file=file)
    if fmt == "json":
        return _parse_json(text, file)
    return _parse_yaml(text, file)


def _parse_json(text: str, file: str | None) -> Document:
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                raise JourneyFileError(f"the key {key!r} appears twice in one object", file=file)
            out[key] = value
        return out

    def constant(name: str) -> Any:
        raise JourneyFileError(f"{name} is not a number JSON allows", file=file)

    def integer(digits: str) -> int:
        if len(digits.lstrip("-")) > MAX_DIGITS:
            raise JourneyFileError(
                f"an integer of {len(digits.lstrip('-')):,} digits; at most {MAX_DIGITS} "
                "are accepted",
                file=file,
            )
        return int(digits)

    def real(digits: str) -> float:
        if len(digits) > MAX_DIGITS:
            raise JourneyFileError(
                f"a number written with {len(digits):,} characters; at most {MAX_DIGITS} "
                "are accepted",
                file=file,
            )
        return float(digits)

    try:
        data = json.loads(
            text,
            object_pairs_hook=pairs,
            parse_constant=constant,
            parse_int=integer,
            parse_float=real,
        )
    except json.JSONDecodeError as exc:
        raise JourneyFileError(
            f"not valid JSON: {exc.msg} (column {exc.colno})", file=file, line=exc.lineno
        ) from None
    except RecursionError:
        raise JourneyFileError("the document is nested too deeply", file=file) from None
    _check_json_depth(data, file)
    return Document(data=data, lines={}, raw={}, file=file)


def _check_json_depth(data: Any, file: str | None) -> None:
    stack: list[tuple[Any, int]] = [(data, 0)]
    count = 0
    while stack:
        value, depth = stack.pop()
        count += 1
        if depth > MAX_DEPTH:
            raise JourneyFileError(
                f"the document is nested more than {MAX_DEPTH} levels deep", file=file
            )
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
        elif isinstance(value, float) and not math.isfinite(value):
            raise JourneyFileError("numbers must be finite", file=file)
    if count > MAX_NODES:
        raise JourneyFileError(f"the document has more than {MAX_NODES} values", file=file)


def _parse_yaml(text: str, file: str | None) -> Document:
    try:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "syntax error"
        raise JourneyFileError(
            f"not valid YAML: {problem}" + (f" (column {mark.column + 1})" if mark else ""),
            file=file,
            line=mark.line + 1 if mark else None,
        ) from None
    except yaml.YAMLError as exc:
        raise JourneyFileError(f"not valid YAML: {exc}", file=file) from None
    except RecursionError:
        raise JourneyFileError("the document is nested too deeply", file=file) from None
    if node is None:
        raise JourneyFileError("the file holds no document; expected a journey", file=file)
    walker = _Walker(file)
    data = walker.walk(node, "", 0)
    return Document(data=data, lines=walker.lines, raw=walker.raw, file=file)


class _Walker:
    """Converts a composed YAML node tree to plain data with a node budget."""

    def __init__(self, file: str | None) -> None:
        self.file = file
        self.lines: dict[str, int] = {}
        self.raw: dict[str, str] = {}
        self.count = 0

    def fail(self, message: str, node: yaml.Node, path: str) -> JourneyFileError:
        return JourneyFileError(
            message, file=self.file, line=node.start_mark.line + 1, path=path or None
        )

    def walk(self, node: yaml.Node, path: str, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise self.fail(
                f"the document expands to more than {MAX_NODES} values (too many aliases?)",
                node,
                path,
            )
        if depth > MAX_DEPTH:
            raise self.fail(f"the document is nested more than {MAX_DEPTH} levels deep", node, path)
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            if node.tag != _CORE + "map":
                raise self.fail(f"the YAML tag {_short(node.tag)} is not accepted", node, path)
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == _CORE + "merge":
                    raise self.fail("YAML merge keys (<<) are not accepted", key_node, path)
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _SCALAR_TAGS:
                    raise self.fail("mapping keys must be plain words", key_node, path)
                key = key_node.value
                if key in out:
                    raise self.fail(f"the key {key!r} appears twice", key_node, path)
                child = f"{path}.{key}" if path else key
                out[key] = self.walk(value_node, child, depth + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _CORE + "seq":
                raise self.fail(f"the YAML tag {_short(node.tag)} is not accepted", node, path)
            return [self.walk(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)
        return self.scalar(node, path)

    def scalar(self, node: yaml.ScalarNode, path: str) -> Any:
        tag = node.tag
        if tag == _CORE + "merge":
            raise self.fail("YAML merge keys (<<) are not accepted", node, path)
        if tag not in _SCALAR_TAGS:
            raise self.fail(
                f"the YAML tag {_short(tag)} is not accepted; journey files hold plain data only",
                node,
                path,
            )
        value: str = node.value
        if node.style is None:
            self.raw[path] = value
        kind = tag[len(_CORE) :]
        if kind in ("str", "timestamp"):
            return value
        if kind == "null":
            return None
        if kind == "bool":
            return value.lower() in ("yes", "true", "on", "y")
        if kind == "int":
            try:
                return int(value.replace("_", ""), 0)
            except ValueError:
                return value
        plain = value.replace("_", "").lower()
        if plain.lstrip("+-") in (".inf", ".nan"):
            raise self.fail(f"numbers must be finite, not {value!r}", node, path)
        try:
            number = float(plain)
        except ValueError:
            return value  # YAML 1.1 sexagesimal (1:20.5): taken as written, like 1:20
        if not math.isfinite(number):
            raise self.fail(f"numbers must be finite, not {value!r:.40}", node, path)
        return number


def _short(tag: str) -> str:
    """A tag as people write it: ``!!python/object`` rather than the full URI."""
    text = "!!" + tag[len(_CORE) :] if tag.startswith(_CORE) else tag
    return repr(text[:80])
