"""Journey files: round trips, and one clear error for every way a file can be broken."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given

import careflow
from careflow import JourneyFileError
from careflow.io import journey_from_dict, journey_schema, journey_to_dict
from careflow.io._document import MAX_NODES
from tests.strategies import broken_documents, journeys

MINIMAL = """\
careflow: 1
id: J1
person: {id: P-1, needs: [substance_use, mental_health]}
actors:
  - {id: pa, name: Psykakuten, principal: region, service: psychiatric_emergency, law: HSL}
  - {id: soc, name: Socialtjänsten, principal: kommun, service: social_services}
events:
  - {id: e1, date: 2024-01-03, actor: pa, kind: crisis}
  - {id: e2, date: 2024-01-03T10:30, actor: pa, kind: rejection, reason_code: other_condition}
  - {id: e3, date: 2024-01-20, actor: soc, kind: first_contact, participants: [person]}
transitions:
  - {id: t1, from: e2, to: e3, kind: referral, information: none, warm: false}
"""


def _error(text: str, fmt: str = "yaml") -> JourneyFileError:
    with pytest.raises(JourneyFileError) as info:
        careflow.loads_journey(text, fmt=fmt, file="j.yaml")
    return info.value


@given(journeys())
def test_yaml_round_trip(journey: careflow.Journey) -> None:
    """Saving a journey as YAML and loading it again gives an equal journey."""
    text = careflow.dumps_journey(journey)
    assert careflow.loads_journey(text) == journey
    assert careflow.dumps_journey(careflow.loads_journey(text)) == text


@given(journeys())
def test_json_round_trip_and_schema(journey: careflow.Journey) -> None:
    """JSON round-trips too, and every written document validates against the schema."""
    text = careflow.dumps_journey(journey, fmt="json")
    assert careflow.loads_journey(text, fmt="json") == journey
    jsonschema.validate(json.loads(text), journey_schema())


@given(broken_documents())
def test_broken_documents_give_one_clear_error(case: tuple[str, dict[str, object]]) -> None:
    """Every kind of broken document raises JourneyFileError naming where it broke."""
    name, doc = case
    with pytest.raises(JourneyFileError) as info:
        journey_from_dict(doc)
    if name != "wrong_top":
        assert info.value.path, name


def test_file_round_trip(tmp_path: Path) -> None:
    """dump_journey then load_journey gives an equal journey, for both suffixes."""
    journey = careflow.loads_journey(MINIMAL)
    for name in ("j.yaml", "j.json"):
        careflow.dump_journey(journey, tmp_path / name)
        assert careflow.load_journey(tmp_path / name) == journey
    assert sorted(p.name for p in tmp_path.iterdir()) == ["j.json", "j.yaml"]


def test_timeline_orders_ties_by_kind_then_position() -> None:
    """Events on the same date are ordered by kind (signal before contact), then by file order."""
    doc = journey_to_dict(careflow.loads_journey(MINIMAL))
    doc["events"].append({"id": "e0", "date": "2024-01-03", "actor": "pa", "kind": "need_signal"})
    journey = journey_from_dict(doc)
    assert [e.id for e in journey.timeline] == ["e0", "e1", "e2", "e3"]
    assert [e.id for e in journey.events] == ["e1", "e2", "e3", "e0"]


def test_plain_scalars_are_taken_as_written_where_text_is_expected() -> None:
    """An id written 2024 or a name written no is text, as typed, not a number or false."""
    text = MINIMAL.replace("id: J1", "id: 2024").replace("name: Psykakuten", "name: no")
    journey = careflow.loads_journey(text)
    assert journey.id == "2024"
    assert journey.actor("pa").name == "no"


@pytest.mark.parametrize(
    ("text", "line", "path", "expected"),
    [
        ("", None, None, "empty"),
        ("id: [unclosed\n", 2, None, "not valid YAML"),
        ("- a\n- b\n", None, None, "expected a mapping"),
        (
            MINIMAL.replace("principal: kommun", "principal: 7"),
            6,
            "actors[1].principal",
            "not a valid principal",
        ),
        (
            MINIMAL.replace("kind: crisis", "kind: crisis, colour: red"),
            8,
            "events[0].colour",
            "unknown key",
        ),
        (
            MINIMAL.replace("actor: soc, kind", "actor: nowhere, kind"),
            10,
            "events[2].actor",
            "not defined",
        ),
        (MINIMAL.replace("id: e3", "id: e1"), 10, "events[2].id", "duplicate id"),
        (MINIMAL.replace("2024-01-20", "2024-02-30"), 10, "events[2].date", "not a real date"),
        (MINIMAL.replace("2024-01-20", "20240-01-20"), 10, "events[2].date", "not a date"),
        (MINIMAL.replace("2024-01-20", "1066-01-20"), 10, "events[2].date", "year"),
        (
            MINIMAL.replace("from: e2, to: e3", "from: e3, to: e1"),
            12,
            "transitions[0]",
            "backwards in time",
        ),
        (
            MINIMAL.replace("participants: [person]", "participants: {a: 1}"),
            10,
            "events[2].participants",
            "expected an id",
        ),
        (MINIMAL.replace("warm: false", "warm: maybe"), 12, "transitions[0].warm", "true or false"),
        (MINIMAL.replace("careflow: 1", "careflow: 9"), 1, "careflow", "format"),
        (MINIMAL + "id: again\n", 13, None, "appears twice"),
        (
            MINIMAL.replace("kind: crisis", "kind: !!python/object/apply:os.system [ls]"),
            8,
            "events[0].kind",
            "not accepted",
        ),
        ("a: !!binary aGVsbG8=\n", 1, "a", "not accepted"),
        ("base: &b {x: 1}\nother:\n  <<: *b\n", 3, None, "merge"),
    ],
)
def test_bad_yaml_names_line_path_and_expectation(
    text: str, line: int | None, path: str | None, expected: str
) -> None:
    """Each bad document raises one error with file, line, path and what was expected."""
    error = _error(text)
    assert error.file == "j.yaml"
    assert expected in error.message
    if line is not None:
        assert error.line == line
    if path is not None:
        assert error.path == path
    assert str(error).startswith("j.yaml")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"id": "x", "id": "y"}', "appears twice"),
        ('{"id": NaN}', "not a number"),
        ("[1, 2", "not valid JSON"),
        ('"just text"', "expected a mapping"),
        ('{"id": "x", "person": {"id": "p"}, "events": 3}', "expected a list"),
    ],
)
def test_bad_json(text: str, expected: str) -> None:
    """JSON documents are refused with the same kind of message as YAML ones."""
    assert expected in _error(text, fmt="json").message


def test_alias_bomb_stops_with_a_message() -> None:
    """A billion-laughs document stops at the node budget instead of exhausting memory."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    error = _error("\n".join(lines) + "\n")
    assert str(MAX_NODES) in error.message


@pytest.mark.parametrize(
    "text", ["[" * 5000 + "]" * 5000, "a:\n" + "".join(f"{' ' * i}b{i}:\n" for i in range(1, 60))]
)
def test_deep_nesting_is_refused(text: str) -> None:
    """Hostile nesting gives an error, never a crash or a RecursionError."""
    assert "nested" in _error(text).message


def test_binary_and_wrong_encoding(tmp_path: Path) -> None:
    """Binary files and non-UTF-8 text are refused with the file named."""
    binary = tmp_path / "b.yaml"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    latin = tmp_path / "l.yaml"
    latin.write_bytes("id: x\nname: Malm\xf6\n".encode("latin-1"))
    with pytest.raises(JourneyFileError, match="binary"):
        careflow.load_journey(binary)
    with pytest.raises(JourneyFileError, match="UTF-8") as info:
        careflow.load_journey(latin)
    assert info.value.line == 2


def test_large_file_is_refused_quickly(tmp_path: Path) -> None:
    """A file over the size limit is refused before it is parsed."""
    big = tmp_path / "big.yaml"
    big.write_text("# " + "x" * 200_000 + "\n")
    with pytest.raises(JourneyFileError, match="larger than"):
        careflow.load_journey(big, max_bytes=100_000)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    """A missing path and a folder each give a JourneyFileError, not an OSError."""
    with pytest.raises(JourneyFileError, match="no such file"):
        careflow.load_journey(tmp_path / "nope.yaml")
    with pytest.raises(JourneyFileError, match="folder"):
        careflow.load_journey(tmp_path)


def test_loading_never_executes_code(tmp_path: Path) -> None:
    """A YAML tag that would run code in an unsafe loader runs nothing here."""
    marker = tmp_path / "pwned"
    text = f"id: !!python/object/apply:os.system ['touch {marker}']\n"
    with pytest.raises(JourneyFileError, match="not accepted"):
        careflow.loads_journey(text)
    assert not marker.exists()


def test_errors_are_value_errors() -> None:
    """Every file error is both a CareflowError and a ValueError."""
    error = _error("")
    assert isinstance(error, careflow.CareflowError)
    assert isinstance(error, ValueError)


def test_shipped_schema_matches_the_spec() -> None:
    """The JSON Schema file in the package is exactly what the format spec generates."""
    from importlib.resources import files

    shipped = json.loads((files("careflow") / "schemas" / "journey.schema.json").read_text("utf-8"))
    assert shipped == journey_schema()
