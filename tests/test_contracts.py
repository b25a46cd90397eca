"""JSON Schemas for every JSON input and output, shipped, printed, and one unknown-key policy."""

from __future__ import annotations

import itertools
import json
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

import careflow
from careflow.cli import main
from careflow.contracts import SCHEMA_KINDS, output_schema
from tests.conftest import EXAMPLES

OUTPUT_KINDS = ("profile", "gaps", "compare", "validate")


def _objects(schema: Any) -> list[dict[str, Any]]:
    """Every sub-schema that describes an object, depth first."""
    found: list[dict[str, Any]] = []
    if isinstance(schema, dict):
        if schema.get("type") == "object" or "properties" in schema:
            found.append(schema)
        for value in schema.values():
            found.extend(_objects(value))
    elif isinstance(schema, list):
        for value in schema:
            found.extend(_objects(value))
    return found


def _lines(runner: CliRunner, args: list[str]) -> list[dict[str, Any]]:
    result = runner.invoke(main, args)
    assert result.exit_code in (0, 1), result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.mark.parametrize("kind", sorted(SCHEMA_KINDS))
def test_every_schema_is_shipped_printed_and_valid(kind: str, runner: CliRunner) -> None:
    """The packaged file, `careflow schema --kind` and the code give the same valid schema."""
    schema = output_schema(kind)
    jsonschema.Draft202012Validator.check_schema(schema)
    shipped = (files("careflow") / "schemas" / f"{kind}.schema.json").read_text("utf-8")
    assert json.loads(shipped) == schema
    printed = runner.invoke(main, ["schema", "--kind", kind])
    assert printed.exit_code == 0
    assert json.loads(printed.output) == schema


def test_schema_without_kind_is_the_journey_schema(runner: CliRunner) -> None:
    """`careflow schema` alone still prints the journey file schema."""
    assert json.loads(runner.invoke(main, ["schema"]).output) == careflow.journey_schema()


def test_one_policy_for_unknown_keys() -> None:
    """Input schemas forbid unknown keys in every object; output schemas never forbid them."""
    journey_objects = _objects(careflow.journey_schema())
    assert journey_objects
    for obj in journey_objects:
        if "properties" in obj:
            assert obj.get("additionalProperties") is False, sorted(obj["properties"])
    for kind in OUTPUT_KINDS:
        for obj in _objects(output_schema(kind)):
            assert obj.get("additionalProperties", True) is not False, kind
    docs = (Path(__file__).parent.parent / "docs" / "json.md").read_text("utf-8")
    assert "ignore keys they do not know" in docs
    assert "unknown key is an error" in docs


def test_an_extra_key_is_fine_in_output_and_an_error_in_input(runner: CliRunner) -> None:
    """A future output key validates; an unknown key in a journey document does not."""
    profile = _lines(runner, ["score", str(EXAMPLES / "coordinated.yaml"), "--format", "json"])[0]
    profile["added_in_1_1"] = {"anything": [1, 2]}
    profile["targets"][0]["also_new"] = True
    jsonschema.validate(profile, output_schema("profile"))
    journey = careflow.journey_to_dict(careflow.load_journey(EXAMPLES / "coordinated.yaml"))
    journey["evnets"] = []
    with pytest.raises(jsonschema.ValidationError, match="evnets"):
        jsonschema.validate(journey, careflow.journey_schema())


def test_every_bundled_example_output_validates(runner: CliRunner, tmp_path: Path) -> None:
    """score, gaps, compare and validate JSON of every example satisfy their schemas."""
    paths = sorted(EXAMPLES.glob("*.yaml"))
    assert len(paths) >= 3
    names = [str(p) for p in paths]
    for record in _lines(runner, ["score", *names, "--format", "json"]):
        jsonschema.validate(record, output_schema("profile"))
    for record in _lines(runner, ["gaps", *names, "--format", "json"]):
        jsonschema.validate(record, output_schema("gaps"))
    for a, b in itertools.permutations(names, 2):
        (record,) = _lines(runner, ["compare", a, b, "--format", "json"])
        jsonschema.validate(record, output_schema("compare"))
    broken = tmp_path / "broken.yaml"
    broken.write_text("careflow: 1\nid: x\nperson: {id: p}\nevnets: []\n", encoding="utf-8")
    records = _lines(runner, ["validate", *names, str(broken), "--format", "json"])
    assert [r["valid"] for r in records] == [True] * len(names) + [False]
    for record in records:
        jsonschema.validate(record, output_schema("validate"))
    assert records[-1]["errors"][0]["file"] == str(broken)
    assert "evnets" in records[-1]["errors"][0]["message"]
    first = careflow.load_journey(paths[0])
    assert records[0]["journeys"][0]["events"] == len(first.events)
