"""The example notebook executes (offline, in this environment's kernel) and shows rich HTML."""

from __future__ import annotations

import shutil

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import EXAMPLES

pytestmark = pytest.mark.slow


def test_example_notebook_executes_and_displays_html() -> None:
    """Every cell runs without error; journey, profile, findings, comparison display HTML."""
    nb = nbformat.read(EXAMPLES / "notebook.ipynb", as_version=4)  # type: ignore[no-untyped-call]
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), (
        "the notebook is stored without outputs; CI runs it"
    )
    client = NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(EXAMPLES)}}
    )
    client.execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    for cell in code:
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.source
    html = [
        "".join(o["data"]["text/html"] for o in c.outputs if "text/html" in o.get("data", {}))
        for c in code
    ]
    journey, profile, findings, _codes, comparison, english = html
    assert "fragmented" in journey
    if shutil.which("dot") is not None:
        assert "<svg" in journey
    assert "Målbild" in profile  # the test suite's default language is Swedish
    assert 'class="bar"' in profile
    assert "<table>" in findings
    assert "sober_first" in findings
    assert "fragmented → coordinated" in comparison
    assert "Target" in english
    assert "<script" not in "".join(html)
    plain = [
        "".join(o["data"].get("text/plain", "") for o in c.outputs if "data" in o) for c in code
    ]
    assert plain[0].startswith("<Journey 'fragmented': 25 events")
    assert plain[1].startswith("<Profile 'fragmented' (malbilder): overall 0.")
