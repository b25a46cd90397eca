"""Shared fixtures: paths to the bundled examples and a CLI runner at a pinned width."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

settings.register_profile(
    "careflow", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=60
)
settings.load_profile("careflow")


@pytest.fixture(autouse=True)
def _swedish_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests do not depend on the machine's locale: the default language is Swedish.

    Tests of the default itself change or remove ``CAREFLOW_LANG`` with ``monkeypatch``.
    """
    monkeypatch.setenv("CAREFLOW_LANG", "sv")


@pytest.fixture
def runner() -> CliRunner:
    """A CliRunner with a pinned terminal width, so full output can be compared."""
    return CliRunner(env={"COLUMNS": "80", "NO_COLOR": "1"})


@pytest.fixture
def example_paths() -> list[Path]:
    """The bundled example journeys."""
    return sorted(EXAMPLES.glob("*.yaml"))
