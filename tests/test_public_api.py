"""The public surface: complete, sorted, visible to mypy, and light to import."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from mypy import api as mypy_api

import careflow
from tests.conftest import ROOT

INIT = ROOT / "src" / "careflow" / "__init__.py"
TYPECHECK = Path(__file__).parent / "typecheck"


def _imported_names() -> tuple[set[str], set[str]]:
    """Names ``__init__`` imports eagerly, and names it imports only for type checkers."""
    tree = ast.parse(INIT.read_text(encoding="utf-8"))
    eager: set[str] = set()
    typing_only: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            eager.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for inner in node.body:
                assert isinstance(inner, ast.ImportFrom)
                typing_only.update(alias.asname or alias.name for alias in inner.names)
    eager.discard("TYPE_CHECKING")
    return eager, typing_only


def test_all_is_sorted_unique_and_every_name_resolves() -> None:
    """``__all__`` is sorted, has no duplicate, and every name in it can be got."""
    assert careflow.__all__ == sorted(careflow.__all__)
    assert len(set(careflow.__all__)) == len(careflow.__all__)
    for name in careflow.__all__:
        assert getattr(careflow, name) is not None, name
    assert dir(careflow) == sorted(careflow.__all__)
    with pytest.raises(AttributeError, match="score_jorney"):
        getattr(careflow, "score_jorney")  # noqa: B009 - the point is a misspelt name


def test_every_public_name_is_imported_for_type_checkers() -> None:
    """Each name in ``__all__`` is imported eagerly or under TYPE_CHECKING, and vice versa."""
    eager, typing_only = _imported_names()
    assert eager | typing_only == set(careflow.__all__)
    assert not eager & typing_only
    lazy = set(careflow._LAZY) | set(careflow._SUBMODULES)
    assert lazy == typing_only


def test_render_and_display_are_reachable_after_import_careflow() -> None:
    """``careflow.render``, ``.display`` and ``.contracts`` work after ``import careflow``."""
    code = (
        "import careflow; print(careflow.render.journey_map.__name__, careflow.display.__name__,"
        " careflow.contracts.output_schema('gaps')['title'])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["journey_map", "careflow.display", "careflow", "gaps"]


def _mypy(path: Path, cache: Path) -> tuple[str, int]:
    stdout, stderr, status = mypy_api.run(
        [
            "--strict",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(cache),
            "--no-error-summary",
            str(path),
        ]
    )
    return stdout + stderr, status


def test_mypy_strict_accepts_documented_use_and_rejects_a_misspelt_name(
    tmp_path: Path,
) -> None:
    """A typed user script passes ``mypy --strict``; ``careflow.score_jorney`` is an error."""
    output, status = _mypy(TYPECHECK / "ok.py", tmp_path / "cache")
    assert status == 0, output
    bad = tmp_path / "misspelt.py"
    bad.write_text(
        "import careflow\n\n"
        "journey = careflow.load_journey('x.yaml')\n"
        "profile = careflow.score_jorney(journey)\n"
        "chart = careflow.render.profile_chrat(profile)\n",
        encoding="utf-8",
    )
    output, status = _mypy(bad, tmp_path / "cache")
    assert status == 1
    assert 'Module has no attribute "score_jorney"' in output
    assert 'has no attribute "profile_chrat"' in output
