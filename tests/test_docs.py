"""The docs match the code: format tables, runnable examples, links, CLI options."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

import careflow
from careflow.cli import main
from careflow.io.spec import SECTIONS
from tests.conftest import ROOT

DOCS = ROOT / "docs"


def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    end = text.find("\n### ", start + len(heading))
    return text[start : end if end != -1 else len(text)]


def test_journey_format_tables_list_every_key_of_the_spec() -> None:
    """Each section of the format has a table row for each key, in spec order."""
    text = (DOCS / "journey-format.md").read_text("utf-8")
    for name, section in SECTIONS.items():
        part = _section(text, f"### `{name}`")
        keys = re.findall(r"^\| `([^`]+)` \|", part, flags=re.MULTILINE)
        assert keys == list(section.keys()), name
        for field in section.fields:
            row = next(line for line in part.splitlines() if line.startswith(f"| `{field.key}` |"))
            assert field.description in row
            assert ("| yes |" in row) == field.required


def test_journey_format_vocabularies_list_every_value() -> None:
    """Each vocabulary table lists exactly the values the model accepts."""
    text = (DOCS / "journey-format.md").read_text("utf-8")
    for enum in (careflow.Principal, careflow.ServiceKind, careflow.EventKind, careflow.Reason):
        part = _section(text, f"### {enum.__name__}\n")
        values = re.findall(r"^\| `([^`]+)` \|", part, flags=re.MULTILINE)
        assert values == [v.value for v in enum]


def test_journey_format_example_is_a_valid_journey(tmp_path: Path) -> None:
    """The complete example in the format page loads and uses every section."""
    text = (DOCS / "journey-format.md").read_text("utf-8")
    block = re.search(r"```yaml\n(.*?)```", text, flags=re.DOTALL)
    assert block is not None
    journey = careflow.loads_journey(block.group(1), fmt="yaml")
    assert journey.actors
    assert journey.events
    assert journey.transitions
    assert journey.contacts
    assert journey.network
    assert journey.plans


def test_links_between_docs_resolve() -> None:
    """Every relative link in the README and docs points at a file that exists."""
    for page in [ROOT / "README.md", *DOCS.rglob("*.md")]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text("utf-8")):
            if "://" in target:
                continue
            assert (page.parent / target).exists(), f"{page.name}: {target}"


def _commands() -> list[tuple[str, click.Command]]:
    assert isinstance(main, click.Group)
    return sorted(main.commands.items())


@pytest.mark.parametrize(("name", "command"), _commands())
def test_cli_page_documents_every_command_and_option(name: str, command: click.Command) -> None:
    """docs/cli.md names each command and each of its long options."""
    text = (DOCS / "cli.md").read_text("utf-8")
    assert f"## {name}" in text
    part = text[text.index(f"## {name}") :]
    part = part[: part.find("\n## ", 3)] if "\n## " in part[3:] else part
    for param in command.params:
        for opt in getattr(param, "opts", []):
            if opt.startswith("--") and opt != "--help":
                assert opt in part, f"{name}: {opt}"


def test_target_pages_are_what_the_generator_writes() -> None:
    """docs/targets/ equals scripts/gen_target_docs.py's output: regenerate after a change."""
    import runpy

    gen = runpy.run_path(str(ROOT / "scripts" / "gen_target_docs.py"))
    pages: dict[str, str] = gen["pages"]()
    on_disk = {p.name: p.read_text("utf-8") for p in (DOCS / "targets").glob("*.md")}
    assert sorted(on_disk) == sorted(pages)
    for name, text in pages.items():
        assert on_disk[name] == text, f"docs/targets/{name} is stale: run the generator"


def test_every_indicator_has_a_reason_for_not_assessable_or_always_applies() -> None:
    """Each indicator's page states when it is not assessable (read from the code)."""
    import runpy

    from careflow.scoring.indicators import INDICATORS

    gen = runpy.run_path(str(ROOT / "scripts" / "gen_target_docs.py"))
    for key, entry in INDICATORS.items():
        assert gen["not_assessable"](entry.function), key
