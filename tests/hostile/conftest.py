"""Helpers for the hostile suite: run the CLI in a folder and check a clean refusal."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from careflow.cli import main
from tests.test_io import MINIMAL

Run = Callable[..., Result]


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A folder holding one valid journey file, ``in.yaml``."""
    (tmp_path / "in.yaml").write_text(MINIMAL, encoding="utf-8")
    return tmp_path


@pytest.fixture
def run() -> Run:
    """Invoke ``careflow ARGS...`` in-process; the result keeps stdout and stderr apart."""
    runner = CliRunner(env={"COLUMNS": "80", "NO_COLOR": "1"})

    def invoke(*args: str) -> Result:
        return runner.invoke(main, list(args), catch_exceptions=False)

    return invoke


def listing(folder: Path) -> dict[str, bytes | str]:
    """Every entry of ``folder`` with its content (or link target), to prove nothing changed."""
    out: dict[str, bytes | str] = {}
    for path in sorted(folder.iterdir()):
        if path.is_symlink():
            out[path.name] = f"-> {path.readlink()}"
        elif path.is_file():
            out[path.name] = path.read_bytes()
        else:
            out[path.name] = "<other>"
    return out


def assert_refused(result: Result, name: str) -> None:
    """Exit 1, one error line on stderr naming ``name``, no traceback, no internal error."""
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert result.stderr.startswith("careflow: error: "), result.stderr
    assert name in result.stderr, result.stderr
    assert "Traceback" not in result.output
    assert "internal error" not in result.stderr
