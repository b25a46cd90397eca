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

import os
from importlib.resources import files
from pathlib import Path
from typing import Any, Final

import attrs

from careflow.errors import CareflowError, FrameworkError
from careflow.io._document import decode_text, parse_document

__all__ = [
    "BUILTIN_FRAMEWORKS",
    "DEFAULT_FRAMEWORK",
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


@attrs.frozen(kw_only=True, slots=True)
class IndicatorRef:
    """An indicator used by a target, with its weight in the target's mean."""

    id: str
    weight: float = attrs.field(default=1.0)

    @weight.validator
    def _check_weight(self, _attribute: attrs.Attribute[float], value: float) -> None:
        if not value > 0:
            raise FrameworkError(f"indicator weights must be positive, got {value!r}")


@attrs.frozen(kw_only=True, slots=True)
class Target:
    """One target image (a målbild) and the indicators that score it."""

    id: int
    key: str
    name_sv: str
    name_en: str
    indicators: tuple[IndicatorRef, ...]
    meaning_sv: str = ""
    meaning_en: str = ""

    def name(self, lang: str = "sv") -> str:
        """The target's name in ``lang`` ("sv" or "en")."""
        return self.name_sv if lang == "sv" else self.name_en


@attrs.frozen(kw_only=True, slots=True)
class Framework:
    """A named set of targets."""

    id: str
    name_sv: str
    name_en: str
    targets: tuple[Target, ...]
    source: str = ""

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
    """A built-in framework by name, or a framework read from a YAML or JSON file."""
    if isinstance(name_or_path, str) and name_or_path in BUILTIN_FRAMEWORKS:
        return builtin_framework(name_or_path)
    path = Path(name_or_path)
    try:
        data = path.read_bytes()[: _MAX_BYTES + 1]
    except OSError as exc:
        known = ", ".join(sorted(BUILTIN_FRAMEWORKS))
        raise FrameworkError(
            f"not a built-in framework ({known}) and not a readable file ({exc.strerror})",
            file=str(path),
        ) from None
    if len(data) > _MAX_BYTES:
        raise FrameworkError("a framework file may be at most 1 MiB", file=str(path))
    return _framework_from_text(decode_text(data, str(path)), file=str(path))


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
            try:
                refs.append(
                    IndicatorRef(
                        id=_get(ref, "id", str, ref_path),
                        weight=_get(ref, "weight", float, ref_path, 1.0),
                    )
                )
            except FrameworkError as exc:
                raise exc.with_location(path=ref_path) from None
        if not refs:
            raise FrameworkError("a target needs at least one indicator", path=f"{path}.indicators")
        targets.append(
            Target(
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
    return Framework(
        id=_get(data, "id", str, ""),
        name_sv=_get(data, "name_sv", str, ""),
        name_en=_get(data, "name_en", str, ""),
        source=_get(data, "source", str, "", ""),
        targets=tuple(targets),
    )
