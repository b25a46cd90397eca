"""The Python examples in docs/api.md and docs/notebook.md run and print what they say."""

from __future__ import annotations

import doctest

import pytest

from tests.conftest import ROOT


@pytest.mark.parametrize("page", ["api.md", "notebook.md"])
def test_docs_examples_run_as_doctests(page: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ``>>>`` example in the page runs from the repository root and matches."""
    monkeypatch.chdir(ROOT)
    result = doctest.testfile(
        str(ROOT / "docs" / page),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        raise_on_error=False,
        verbose=False,
    )
    assert result.attempted > 5
    assert result.failed == 0
