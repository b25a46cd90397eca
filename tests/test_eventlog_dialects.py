"""Event logs as real exports write them: dialects, encodings, time zones, missing values, XES."""

from __future__ import annotations

import datetime as dt
import gzip
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from careflow.cli import main
from careflow.errors import JourneyFileError
from careflow.io.eventlog import (
    EventLogColumns,
    journeys_from_rows,
    read_event_log,
    read_event_log_report,
)
from careflow.io.mapping import loads_mapping

BASIC = "case_id,timestamp,unit,principal\nA,2024-01-02 10:00,Vårdcentral,region\n"


def _write(tmp_path: Path, data: str | bytes, name: str = "log.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


# -- dialects ----------------------------------------------------------------------------


def test_swedish_excel_csv_reads_and_says_which_encoding(tmp_path: Path) -> None:
    """`;`, Windows-1252, CRLF and a decimal comma (as Excel writes in Swedish) read as such."""
    text = (
        "Löpnr;Datum;Enhet;Huvudman;Vikt\r\n"
        "1;2024-03-01 08:15;Socialtjänst Malmö;kommun;72,5\r\n"
        "1;2024-03-04 09:00;Psykiatri Öst;region;72,5\r\n"
    )
    path = _write(tmp_path, text.encode("cp1252"))
    result = read_event_log_report(path, columns=None)
    (journey,) = result.journeys
    assert [a.name for a in journey.actors] == ["Socialtjänst Malmö", "Psykiatri Öst"]
    assert result.report.delimiter == ";"
    assert result.report.encoding is not None
    assert result.report.encoding.startswith("Windows-1252")
    assert result.report.columns["case"] == "Löpnr"


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_each_delimiter_is_sniffed(tmp_path: Path, delimiter: str) -> None:
    """Comma, semicolon, tab and pipe are found without being told."""
    text = BASIC.replace(",", delimiter)
    result = read_event_log_report(_write(tmp_path, text))
    assert result.report.delimiter == delimiter
    assert result.journeys[0].actors[0].name == "Vårdcentral"


def test_utf8_with_bom_and_quoted_newlines(tmp_path: Path) -> None:
    """A BOM is dropped and reported; a quoted cell may hold a newline."""
    text = '\ufeffcase_id,timestamp,unit,activity\nA,2024-01-02,"Vård\ncentral",x\n'
    result = read_event_log_report(_write(tmp_path, text))
    assert result.report.encoding == "UTF-8 with BOM"
    assert result.journeys[0].actors[0].name == "Vård\ncentral"


def test_headers_match_whatever_the_case_and_spaces(tmp_path: Path) -> None:
    """`Case ID`, ` TimeStamp `, `UNIT` are the case, timestamp and unit columns."""
    text = "Case ID, TimeStamp ,UNIT\nA,2024-01-02,U\n"
    result = read_event_log_report(_write(tmp_path, text))
    assert result.report.columns == {"case": "Case ID", "timestamp": "TimeStamp", "unit": "UNIT"}


def test_slash_timestamps_with_fractions(tmp_path: Path) -> None:
    """`2014/10/22 11:15:41.000` (Disco) is a local time."""
    text = "case,timestamp,unit\nA,2014/10/22 11:15:41.500,U\n"
    (journey,) = read_event_log(_write(tmp_path, text))
    assert journey.events[0].date == dt.datetime(2014, 10, 22, 11, 15, 41, 500000)


def test_ambiguous_day_month_is_refused_asking_for_a_format(tmp_path: Path) -> None:
    """`01/02/2024` could be January or February: refused, naming --timestamp-format."""
    path = _write(tmp_path, "case,timestamp,unit\nA,01/02/2024,U\n")
    with pytest.raises(JourneyFileError, match="--timestamp-format") as info:
        read_event_log(path)
    assert info.value.line == 2
    (journey,) = read_event_log(path, timestamp_format="%d/%m/%Y")
    assert journey.events[0].date == dt.date(2024, 2, 1)


def test_offsets_go_to_the_analysis_time_zone_not_utc(tmp_path: Path) -> None:
    """Local midnight with an offset stays on its own date in Stockholm; another zone moves it."""
    path = _write(tmp_path, "case,timestamp,unit\nA,2024-03-05T00:30:00+01:00,U\n")
    (journey,) = read_event_log(path)
    assert journey.events[0].date == dt.datetime(2024, 3, 5, 0, 30)
    (journey,) = read_event_log(path, timezone="UTC")
    assert journey.events[0].date == dt.datetime(2024, 3, 4, 23, 30)
    with pytest.raises(JourneyFileError, match="not a time zone"):
        read_event_log(path, timezone="Mars/Olympus")


def test_mixed_zoned_and_unzoned_stamps_name_both_rows(tmp_path: Path) -> None:
    """One stamp with an offset and one without cannot be ordered: an error naming both lines."""
    text = "case,timestamp,unit\nA,2024-03-05T10:00:00+01:00,U\nA,2024-03-05T10:30:00,V\n"
    with pytest.raises(JourneyFileError, match=r"line 2 has .* and line 3 has") as info:
        read_event_log(_write(tmp_path, text))
    assert info.value.line == 3


def test_nan_is_never_a_unit_called_nan() -> None:
    """NaN, None, 'NA' and '' are missing values; the policy decides, and the run counts it."""
    rows: list[dict[str, object]] = [
        {"case_id": "A", "timestamp": "2024-01-02", "unit": "U"},
        {"case_id": "A", "timestamp": "2024-01-03", "unit": float("nan")},
        {"case_id": "A", "timestamp": "2024-01-04", "unit": "NA"},
    ]
    with pytest.raises(JourneyFileError, match="empty or missing") as info:
        journeys_from_rows(rows, source="frame")
    assert info.value.path == "row 2, unit"
    skip = loads_mapping("missing: {unit: skip}")
    (journey,) = journeys_from_rows(rows, mapping=skip)
    assert [a.name for a in journey.actors] == ["U"]
    unknown = loads_mapping("missing: {unit: unknown}")
    (journey,) = journeys_from_rows(rows, mapping=unknown)
    assert [a.name for a in journey.actors] == ["U", "unknown"]
    assert all("nan" not in a.name.lower() for a in journey.actors)


def test_missing_policies_are_counted_in_the_report(tmp_path: Path) -> None:
    """Each row a policy touches is counted per role in the report."""
    text = "case,timestamp,unit\nA,2024-01-02,U\nA,,U\nA,2024-01-04,\nA,2024-01-05,null\n"
    mapping = loads_mapping("missing: {timestamp: skip, unit: unknown}")
    result = read_event_log_report(_write(tmp_path, text), mapping=mapping)
    assert result.report.skipped == {"timestamp": 1}
    assert result.report.unknown == {"unit": 2}
    assert len(result.journeys[0].events) == 3


# -- limits while streaming ----------------------------------------------------------------


def test_blank_lines_are_limited_while_streaming(tmp_path: Path) -> None:
    """A file of blank lines stops at the row limit in well under a second, not minutes."""
    path = _write(tmp_path, "case,timestamp,unit\n" + "\n" * 300_000)
    start = time.perf_counter()
    with pytest.raises(JourneyFileError, match="blank lines"):
        read_event_log(path, max_rows=1000)
    assert time.perf_counter() - start < 5


def test_parquet_limits_come_from_the_metadata_before_reading(tmp_path: Path) -> None:
    """A Parquet file over the byte or row limit is refused from its metadata."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    table = pa.table(
        {"case_id": ["A"] * 50, "timestamp": ["2024-01-02"] * 50, "unit": ["U" * 1000] * 50}
    )
    path = tmp_path / "log.parquet"
    pq.write_table(table, path)
    with pytest.raises(JourneyFileError, match="decompressed"):
        read_event_log(path, max_bytes=10_000)
    with pytest.raises(JourneyFileError, match="more than 10"):
        read_event_log(path, max_rows=10)


def test_parquet_nulls_and_aware_stamps(tmp_path: Path) -> None:
    """Parquet nulls are missing values; zoned timestamps are converted to local time."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    stamp = dt.datetime(2024, 6, 1, 22, 30, tzinfo=dt.UTC)
    table = pa.table({"case_id": ["A", "A"], "timestamp": [stamp, stamp], "unit": ["U", None]})
    path = tmp_path / "log.parquet"
    pq.write_table(table, path)
    (journey,) = read_event_log(path, mapping=loads_mapping("missing: {unit: skip}"))
    assert journey.events[0].date == dt.datetime(2024, 6, 2, 0, 30)


# -- XES -----------------------------------------------------------------------------------

XES = """<?xml version="1.0" encoding="utf-8" ?>
<log xes.version="1.0">
  <string key="origin" value="test"/>
  <trace>
    <string key="concept:name" value="P1"/>
    <string key="kommun" value="Malmö"/>
    <event>
      <string key="concept:name" value="Bedömning"/>
      <date key="time:timestamp" value="2024-01-02T10:00:00+01:00"/>
      <string key="org:resource" value="Psykiatri"/>
    </event>
    <event>
      <string key="concept:name" value="contact"/>
      <date key="time:timestamp" value="2024-01-05T10:00:00+01:00"/>
      <string key="org:resource" value="Socialtjänst"/>
    </event>
  </trace>
</log>
"""


@pytest.mark.parametrize("name", ["log.xes", "log.xes.gz"])
def test_xes_reads_with_trace_attributes_as_case_attributes(tmp_path: Path, name: str) -> None:
    """XES (plain or gzip) gives one journey per trace; trace attributes become case: columns."""
    data = XES.encode("utf-8")
    path = _write(tmp_path, gzip.compress(data) if name.endswith(".gz") else data, name)
    result = read_event_log_report(path)
    (journey,) = result.journeys
    assert journey.id == "P1"
    assert [e.kind.value for e in journey.timeline] == ["assessment", "contact"]
    assert [a.name for a in journey.actors] == ["Psykiatri", "Socialtjänst"]
    assert result.report.format == "XES"
    assert result.report.columns["case"] == "case:concept:name"
    by_kommun = read_event_log(path, columns=EventLogColumns(unit="case:kommun"))
    assert [a.name for a in by_kommun[0].actors] == ["Malmö"]


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE log [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>',
        '<!DOCTYPE log [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
        '<!DOCTYPE log SYSTEM "http://example.invalid/x.dtd">',
    ],
)
def test_xes_refuses_dtds_and_entities(tmp_path: Path, doctype: str) -> None:
    """Entity expansion and external entities are refused before anything is expanded."""
    text = XES.replace("<log ", doctype + "\n<log ", 1)
    with pytest.raises(JourneyFileError, match="refuses") as info:
        read_event_log(_write(tmp_path, text, "bad.xes"))
    assert info.value.file is not None


def test_broken_xes_is_located(tmp_path: Path) -> None:
    """Malformed XML names the file and line; a gzip that is not gzip is a clear error."""
    with pytest.raises(JourneyFileError, match="not well-formed") as info:
        read_event_log(_write(tmp_path, XES.replace("</trace>", ""), "bad.xes"))
    assert info.value.line is not None
    with pytest.raises(JourneyFileError, match="compressed"):
        read_event_log(_write(tmp_path, XES, "bad.xes.gz"))


def test_unknown_suffix_lists_what_careflow_reads(tmp_path: Path) -> None:
    """A name careflow does not know is refused with the list of formats it reads."""
    runner = CliRunner()
    path = _write(tmp_path, BASIC, "log.txt")
    result = runner.invoke(main, ["validate", str(path)])
    assert result.exit_code == 1
    assert ".xes" in result.output
    assert ".parquet" in result.output
    assert str(path) in result.output


def test_standard_input_with_input_format(tmp_path: Path) -> None:
    """`-` reads CSV, YAML or JSON from standard input when --input-format says which."""
    runner = CliRunner()
    result = runner.invoke(main, ["validate", "-", "--input-format", "csv"], input=BASIC)
    assert result.exit_code == 0, result.output
    assert "ok -: A: 1 event (region 1)" in result.output
    journey = (Path(__file__).parent.parent / "examples" / "coordinated.yaml").read_text("utf-8")
    result = runner.invoke(main, ["validate", "-", "--input-format", "yaml"], input=journey)
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["validate", "-"], input=BASIC)
    assert result.exit_code == 1
    assert "--input-format" in result.output


def test_named_encodings_are_used_or_refused(tmp_path: Path) -> None:
    """--encoding reads the file in that encoding; an unknown name is a clear error."""
    path = _write(tmp_path, "case,timestamp,unit\nA,2024-01-02,Malmö\n".encode("latin-1"))
    result = read_event_log_report(path, encoding="latin-1")
    assert result.journeys[0].actors[0].name == "Malmö"
    assert result.report.encoding == "latin-1 (as told)"
    with pytest.raises(JourneyFileError, match="not an encoding"):
        read_event_log(path, encoding="klingon")
    runner = CliRunner()
    result_cli = runner.invoke(main, ["validate", "-", "--input-format", "parquet"], input="x")
    assert result_cli.exit_code == 1
    assert "standard input" in result_cli.output
