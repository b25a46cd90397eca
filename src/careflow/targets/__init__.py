"""Target frameworks as data: target images, each with weighted indicators.

The ten målbilder are the built-in default (``malbilder``); Region Östergötland's five
Nära vård focus areas (``nara-vard``) ship too, to show that a framework is a data file
and needs no code. A framework file looks like ``targets/malbilder.yaml``:

.. code-block:: yaml

    framework: 1
    id: my-framework
    name_sv: ...
    name_en: ...
    targets:
      - id: 1
        key: early_help
        name_sv: ...
        name_en: ...
        indicators:
          - {id: time_to_help, weight: 2}

Indicator ids are checked against the indicators careflow knows
(:data:`careflow.scoring.INDICATORS`) by the scoring layer when it scores.
"""

from __future__ import annotations

import math
import os
from importlib.resources import files
from typing import Any, Final

import attrs

from careflow.errors import CareflowError, FrameworkError
from careflow.io._document import decode_text, parse_document
from careflow.model import text_problem

__all__ = [
    "BUILTIN_FRAMEWORKS",
    "DEFAULT_FRAMEWORK",
    "MAX_WEIGHT",
    "Framework",
    "IndicatorRef",
    "Target",
    "builtin_framework",
    "framework_from_dict",
    "load_framework",
]

#: Built-in frameworks by name, and the file each is read from.
BUILTIN_FRAMEWORKS: Final = {"malbilder": "malbilder.yaml", "nara-vard": "nara_vard.yaml"}
#: The framework used when none is named.
DEFAULT_FRAMEWORK: Final = "malbilder"
_MAX_BYTES: Final = 1024 * 1024
#: Largest indicator weight accepted (weights are relative: 1 and 2 in the built-ins).
MAX_WEIGHT: Final = 1000.0
#: Target ids run from 1 to this.
MAX_TARGET_ID: Final = 999
#: Longest name, key or id in a framework, in characters; meanings and sources may be longer.
_MAX_NAME: Final = 200
_MAX_TEXT: Final = 2000


def _check_words(what: str, *, line_breaks: bool = False, longest: int = _MAX_NAME) -> Any:
    """An attrs validator for a framework text field: type, length and characters."""

    def check(_inst: object, attribute: attrs.Attribute[str], value: object) -> None:
        if not isinstance(value, str):
            raise FrameworkError(
                f"expected {what} (text), got {type(value).__name__}", path=attribute.name
            )
        if len(value) > longest:
            raise FrameworkError(
                f"{what} is {len(value)} characters long; at most {longest} are accepted",
                path=attribute.name,
            )
        problem = text_problem(value, line_breaks=line_breaks)
        if problem is not None:
            raise FrameworkError(f"{what} holds {problem}", path=attribute.name)

    return check


def _check_id(_inst: object, attribute: attrs.Attribute[str], value: object) -> None:
    _check_words("an id")(_inst, attribute, value)
    assert isinstance(value, str)
    if not value.strip() or value.strip() != value:
        raise FrameworkError(
            f"expected an id without leading or trailing space, got {value!r:.60}",
            path=attribute.name,
        )


@attrs.frozen(kw_only=True, slots=True)
class IndicatorRef:
    """An indicator used by a target, with its weight in the target's mean.

    The weight is a finite number with ``0 < weight <= MAX_WEIGHT`` (1000).
    """

    id: str = attrs.field(validator=_check_id)
    weight: float = attrs.field(default=1.0)

    @weight.validator
    def _check_weight(self, _attribute: attrs.Attribute[float], value: float) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise FrameworkError(
                f"expected a number as weight, got {type(value).__name__}", path="weight"
            )
        if not (math.isfinite(value) and 0 < value <= MAX_WEIGHT):
            raise FrameworkError(
                f"indicator weights must be finite, above 0 and at most {MAX_WEIGHT:g}; "
                f"got {value!r}",
                path="weight",
            )


@attrs.frozen(kw_only=True, slots=True)
class Target:
    """One target image (a målbild) and the indicators that score it."""

    id: int = attrs.field()
    key: str = attrs.field(validator=_check_id)
    name_sv: str = attrs.field(validator=_check_words("a name"))
    name_en: str = attrs.field(validator=_check_words("a name"))
    indicators: tuple[IndicatorRef, ...]
    meaning_sv: str = attrs.field(
        default="", validator=_check_words("a meaning", line_breaks=True, longest=_MAX_TEXT)
    )
    meaning_en: str = attrs.field(
        default="", validator=_check_words("a meaning", line_breaks=True, longest=_MAX_TEXT)
    )

    @id.validator
    def _check_target_id(self, _attribute: attrs.Attribute[int], value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_TARGET_ID:
            raise FrameworkError(
                f"a target id is a whole number from 1 to {MAX_TARGET_ID}, got {value!r:.40}",
                path="id",
            )

    def name(self, lang: str = "sv") -> str:
        """The target's name in ``lang`` ("sv" or "en")."""
        return self.name_sv if lang == "sv" else self.name_en


@attrs.frozen(kw_only=True, slots=True)
class Framework:
    """A named set of targets."""

    id: str = attrs.field(validator=_check_id)
    name_sv: str = attrs.field(validator=_check_words("a name"))
    name_en: str = attrs.field(validator=_check_words("a name"))
    targets: tuple[Target, ...]
    source: str = attrs.field(
        default="", validator=_check_words("a source", line_breaks=True, longest=_MAX_TEXT)
    )

    def target(self, target_id: int) -> Target:
        """The target with this id (``KeyError`` when there is none)."""
        for target in self.targets:
            if target.id == target_id:
                return target
        raise KeyError(target_id)

    def indicator_ids(self) -> frozenset[str]:
        """Every indicator id any target uses."""
        return frozenset(ref.id for t in self.targets for ref in t.indicators)


def builtin_framework(name: str = DEFAULT_FRAMEWORK) -> Framework:
    """A built-in framework by name: ``malbilder`` (default) or ``nara-vard``."""
    try:
        filename = BUILTIN_FRAMEWORKS[name]
    except KeyError:
        known = ", ".join(sorted(BUILTIN_FRAMEWORKS))
        raise FrameworkError(f"no built-in framework {name!r}; built in are: {known}") from None
    text = (files("careflow.targets") / filename).read_text(encoding="utf-8")
    return _framework_from_text(text, file=f"careflow:{filename}")


def load_framework(name_or_path: str | os.PathLike[str]) -> Framework:
    """A built-in framework by name, or a framework read from a YAML or JSON file.

    A file is read with the same rules as a journey file (plain data only, no tags), at
    most 1 MiB (read in a bounded way, so ``/dev/zero`` is refused at once), and checked
    like a journey: known keys, types, weights finite and ``0 < w <= MAX_WEIGHT``, target
    ids 1 to 999, names without control characters or bidirectional overrides.

    Raises
    ------
    FrameworkError
        The framework is unknown, unreadable or malformed (the message names the file,
        the line and the place in it).
    TypeError
        ``name_or_path`` is not a string or path.
    """
    if not isinstance(name_or_path, (str, os.PathLike)):
        raise TypeError(
            f"load_framework expects a framework name or a path, not {type(name_or_path).__name__}"
        )
    if isinstance(name_or_path, str) and name_or_path in BUILTIN_FRAMEWORKS:
        return builtin_framework(name_or_path)
    name = os.fspath(name_or_path)
    if not isinstance(name, str):
        raise TypeError("load_framework expects a text path, not bytes")
    try:
        with open(name, "rb") as fh:
            data = fh.read(_MAX_BYTES + 1)
    except (OSError, ValueError) as exc:
        known = ", ".join(sorted(BUILTIN_FRAMEWORKS))
        reason = getattr(exc, "strerror", None) or str(exc)
        raise FrameworkError(
            f"not a built-in framework ({known}) and not a readable file ({reason})",
            file=name,
        ) from None
    if len(data) > _MAX_BYTES:
        raise FrameworkError("a framework file may be at most 1 MiB", file=name)
    try:
        text = decode_text(data, name)
    except CareflowError as exc:
        raise FrameworkError(exc.message, file=exc.file, line=exc.line) from None
    return _framework_from_text(text, file=name)


def _framework_from_text(text: str, *, file: str) -> Framework:
    fmt = "json" if file.endswith(".json") else "yaml"
    try:
        doc = parse_document(text, file=file, fmt=fmt)
    except CareflowError as exc:
        raise FrameworkError(exc.message, file=exc.file, line=exc.line, path=exc.path) from None
    try:
        return framework_from_dict(doc.data)
    except FrameworkError as exc:
        raise exc.with_location(file=file, line=doc.line_of(exc.path or "")) from None


def _get(data: Any, key: str, kind: type, path: str, default: Any = attrs.NOTHING) -> Any:
    if not isinstance(data, dict):
        raise FrameworkError(f"expected a mapping, got {type(data).__name__}", path=path or None)
    if key not in data:
        if default is attrs.NOTHING:
            raise FrameworkError(f"the key {key!r} is required", path=path or None)
        return default
    value = data[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        where = f"{path}.{key}" if path else key
        raise FrameworkError(f"expected {kind.__name__}, got {type(value).__name__}", path=where)
    return value


def _build(cls: type[Any], path: str, **kwargs: Any) -> Any:
    """``cls(**kwargs)``, with the path of a refused field prefixed by ``path``."""
    try:
        return cls(**kwargs)
    except FrameworkError as exc:
        inner = exc.path or ""
        exc.path = f"{path}.{inner}" if path and inner else (path or inner or None)
        raise


def framework_from_dict(data: Any) -> Framework:
    """Build a framework from plain data shaped like a framework file."""
    allowed = {"framework", "id", "name_sv", "name_en", "source", "targets"}
    if isinstance(data, dict):
        for key in data:
            if key not in allowed:
                raise FrameworkError(f"unknown key {key!r}", path=str(key))
    if _get(data, "framework", int, "", 1) != 1:
        raise FrameworkError("this version reads framework format 1", path="framework")
    targets = []
    seen: set[int] = set()
    for i, item in enumerate(_get(data, "targets", list, "")):
        path = f"targets[{i}]"
        target_keys = {"id", "key", "name_sv", "name_en", "meaning_sv", "meaning_en", "indicators"}
        if isinstance(item, dict):
            for key in item:
                if key not in target_keys:
                    raise FrameworkError(f"unknown key {key!r}", path=f"{path}.{key}")
        target_id = _get(item, "id", int, path)
        if target_id in seen:
            raise FrameworkError(f"target id {target_id} is used twice", path=f"{path}.id")
        seen.add(target_id)
        refs = []
        for j, ref in enumerate(_get(item, "indicators", list, path)):
            ref_path = f"{path}.indicators[{j}]"
            refs.append(
                _build(
                    IndicatorRef,
                    ref_path,
                    id=_get(ref, "id", str, ref_path),
                    weight=_get(ref, "weight", float, ref_path, 1.0),
                )
            )
        if not refs:
            raise FrameworkError("a target needs at least one indicator", path=f"{path}.indicators")
        targets.append(
            _build(
                Target,
                path,
                id=target_id,
                key=_get(item, "key", str, path, str(target_id)),
                name_sv=_get(item, "name_sv", str, path),
                name_en=_get(item, "name_en", str, path),
                meaning_sv=_get(item, "meaning_sv", str, path, ""),
                meaning_en=_get(item, "meaning_en", str, path, ""),
                indicators=tuple(refs),
            )
        )
    if not targets:
        raise FrameworkError("a framework needs at least one target", path="targets")
    framework: Framework = _build(
        Framework,
        "",
        id=_get(data, "id", str, ""),
        name_sv=_get(data, "name_sv", str, ""),
        name_en=_get(data, "name_en", str, ""),
        source=_get(data, "source", str, "", ""),
        targets=tuple(targets),
    )
    return framework
