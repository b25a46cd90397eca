"""Hostile and broken inputs to the event-log readers end in careflow's own errors, nothing else."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from careflow.errors import CareflowError, JourneyFileError
from careflow.io.eventlog import journeys_from_rows, read_event_log

_COUNTER = itertools.count()

PIECES = st.sampled_from(
    [
        "case_id",
        "timestamp",
        "unit",
        "principal",
        "activity",
        ",",
        ";",
        "\t",
        "|",
        "\n",
        "\r\n",
        '"',
        "2024-01-02",
        "2024-01-02T10:00:00+01:00",
        "2024-01-02T10:00:00",
        "2014/10/22 11:15:41.000",
        "01/02/2024",
        "NA",
        "nan",
        "region",
        "kommun",
        "<log>",
        "<trace>",
        "<event>",
        '<string key="concept:name" value="x"/>',
        "</event>",
        "</trace>",
        "</log>",
        "<!DOCTYPE log>",
        "é",
        "9" * 40,
    ]
)


@given(
    parts=st.lists(PIECES, max_size=40),
    noise=st.binary(max_size=20),
    encoding=st.sampled_from(["utf-8", "cp1252", "utf-16"]),
    suffix=st.sampled_from([".csv", ".tsv", ".xes"]),
)
def test_generated_files_raise_only_careflow_errors(
    tmp_path_factory: pytest.TempPathFactory,
    parts: list[str],
    noise: bytes,
    encoding: str,
    suffix: str,
) -> None:
    """Whatever the bytes, read_event_log returns journeys or raises a JourneyFileError."""
    path = tmp_path_factory.getbasetemp() / f"gen{next(_COUNTER)}{suffix}"
    path.write_bytes("".join(parts).encode(encoding, errors="replace") + noise)
    error: JourneyFileError | None = None
    try:
        journeys = read_event_log(path)
    except JourneyFileError as exc:
        error = exc
    if error is not None:
        assert error.file == str(path)
    else:
        assert all(j.events for j in journeys)


VALUES = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**600), max_value=10**600),
    st.text(max_size=12),
    st.sampled_from(["2024-01-02", "2024-01-02T10:00:00Z", "NA", "region", "\ud800", "U"]),
    st.datetimes(min_value=dt.datetime(1, 1, 1)),
    st.dates(),
    st.binary(max_size=4),
    st.lists(st.integers(), max_size=2),
)
KEYS = st.sampled_from(["case_id", "timestamp", "unit", "principal", "activity", "kind"])


@given(rows=st.lists(st.one_of(st.dictionaries(KEYS, VALUES, max_size=6), VALUES), max_size=5))
def test_generated_rows_raise_only_careflow_errors(rows: list[Any]) -> None:
    """journeys_from_rows raises nothing but careflow errors, whatever the rows hold."""
    error: CareflowError | None = None
    try:
        journeys = journeys_from_rows(rows, source="frame")
    except CareflowError as exc:
        error = exc
    if error is not None:
        assert str(error)
    else:
        assert all(j.events for j in journeys)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("\ud800", "lone surrogate"),
        (10**5000, "too many digits"),
        (float("inf"), "not a finite number"),
    ],
    ids=["surrogate", "huge-int", "infinity"],
)
def test_values_that_are_not_text_are_refused(value: object, expected: str) -> None:
    """Lone surrogates, numbers of thousands of digits and infinities are located errors."""
    with pytest.raises(JourneyFileError, match=expected) as info:
        journeys_from_rows([{"case_id": "A", "timestamp": "2024-01-02", "unit": value}])
    assert info.value.path == "row 1, unit"


def test_a_row_that_is_not_a_mapping_is_refused() -> None:
    """A list among the rows is a JourneyFileError naming the row, not an AttributeError."""
    with pytest.raises(JourneyFileError, match="row 2 is a list"):
        journeys_from_rows([{"case_id": "A"}, ["A"]])  # type: ignore[list-item]


def test_parquet_timestamps_past_year_9999_are_a_clear_error(tmp_path: Path) -> None:
    """A Parquet time stamp in the year 10000 is a located error, not an internal one."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    year_10000 = 253_402_300_800_000_000  # microseconds since 1970 at 10000-01-01
    table = pa.table(
        {
            "case_id": ["A"],
            "timestamp": pa.array([year_10000], type=pa.timestamp("us")),
            "unit": ["U"],
        }
    )
    path = tmp_path / "far.parquet"
    pq.write_table(table, path)
    with pytest.raises(JourneyFileError) as info:
        read_event_log(path)
    assert info.value.file == str(path)
