"""The population report and network: published aggregates only, offline, deterministic."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from polars.testing import assert_frame_equal

from careflow.cli import main
from careflow.population import ScoreTable, read_events, score_events
from careflow.population.aggregate import TOTAL, AggregationError, aggregate, combine
from careflow.population.privacy import constraints, count_columns, determined
from careflow.population.report import FIXED, ReportTables, publish_report, report_tables
from careflow.render import population_network, population_report, render_bytes
from tests.test_population import BULK_FRAMEWORK, GENERATOR
from tests.test_render import _Tags

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is missing")
SHARED_RICH = Path("/work/wt/data/care_2000_rich.parquet")
SECTIONS = {
    "sv": [
        "Målbildsprofil för hela populationen",
        "Gränser: överlämningar mellan enheter",
        "Fördelning per grupp",
        "Trend per period",
        "Vanligaste fynden per enhet",
        "Aktörsnätverk för populationen",
        "Integritet",
    ],
    "en": [
        "Target profile of the whole population",
        "Boundaries: handovers between units",
        "Distribution per group",
        "Trend per period",
        "Most common findings per unit",
        "Actor network of the population",
        "Privacy",
    ],
}


@pytest.fixture(scope="module")
def rich(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The rich workload at 2,000 cases: the shared copy, else made by the generator."""
    if SHARED_RICH.exists():
        return SHARED_RICH
    if not GENERATOR.exists():
        pytest.skip("neither the shared rich workload nor its generator is here")
    out = tmp_path_factory.mktemp("rich")
    subprocess.run(
        [sys.executable, str(GENERATOR), "--rich", "2000", "42", str(out)],
        check=True,
        capture_output=True,
    )
    return out / "care_2000_rich.parquet"


@pytest.fixture(scope="module")
def rich_tables(rich: Path) -> ReportTables:
    """The report's published tables of the rich workload (bulk-only målbilder, by kommun)."""
    events = read_events(rich)
    return report_tables(events, score_events(events, BULK_FRAMEWORK), by="kommun", min_count=5)


def _log(tmp_path: Path, rows: Sequence[tuple[str, str, str, str, str]]) -> Path:
    """A CSV event log from (case, date, unit, principal, kind) rows."""
    lines = ["case_id,timestamp,unit,principal,kind,contact_type"]
    lines += [",".join(row) + ",visit" for row in rows]
    path = tmp_path / "log.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _chain_log(tmp_path: Path, rare: int = 3) -> Path:
    """20 cases Vårdcentral → Hemtjänst → Psykiatri; ``rare`` of them also visit Sällsynt."""
    rows = []
    for n in range(20):
        case = f"K{n:03d}x"
        month = 1 + n % 3
        rows += [
            (case, f"2024-0{month}-01", "Vårdcentral", "region", "need_signal"),
            (case, f"2024-0{month}-03", "Hemtjänst", "kommun", "assessment"),
            (case, f"2024-0{month}-09", "Psykiatri", "region", "treatment"),
        ]
        if n < rare:
            rows.append((case, f"2024-0{month}-20", "Sällsynt", "kommun", "contact"))
    return _log(tmp_path, rows)


def _tables(path: Path, *, by: str = "unit", min_count: int = 5) -> ReportTables:
    events = read_events(path)
    return report_tables(events, score_events(events, BULK_FRAMEWORK), by=by, min_count=min_count)


@needs_dot
def test_report_is_offline_deterministic_and_has_every_section(rich_tables: ReportTables) -> None:
    """Same tables, same bytes; no script, link, handler or URL; each section is there."""
    page = population_report(rich_tables, lang="en")
    assert page == population_report(rich_tables, lang="en")
    parser = _Tags()
    parser.feed(page)
    names = {tag for tag, _ in parser.tags}
    assert not names & {"script", "iframe", "link", "img", "object", "embed"}
    for _, attributes in parser.tags:
        for key, _value in attributes:
            assert not key.startswith("on")
            assert key not in {"href", "src", "xlink:href"}
    assert "http://" not in page.replace("http://www.w3.org/", "")
    assert "https://" not in page
    for heading in SECTIONS["en"]:
        assert heading in page, heading
    for p in rich_tables.groupings:
        assert f"in the grouping {p.by}" in page
    assert "Minimum count: 5" in page


@needs_dot
def test_report_never_holds_a_case_id(rich: Path, rich_tables: ReportTables) -> None:
    """No case id of the log appears anywhere in the page (outside SVG path geometry)."""
    # a Graphviz path is "M1224.92,-479.23C1242.85,...": its C curve is no case id C1242
    page = re.sub(r' d="[^"]*"', "", population_report(rich_tables, lang="sv"))
    cases = pl.read_parquet(rich, columns=["case_id"]).get_column("case_id").unique().to_list()
    assert cases
    assert not [c for c in cases if str(c) in page]


@needs_dot
def test_report_speaks_swedish_and_english(rich_tables: ReportTables) -> None:
    """Swedish headings and decimal commas with sv; English headings and points with en."""
    sv = population_report(rich_tables, lang="sv")
    en = population_report(rich_tables, lang="en")
    assert all(h in sv for h in SECTIONS["sv"])
    assert all(h in en for h in SECTIONS["en"])
    assert '<html lang="sv">' in sv
    sv_numbers = re.findall(r'<td class="num">(\d+[.,]\d\d)</td>', sv)
    en_numbers = re.findall(r'<td class="num">(\d+[.,]\d\d)</td>', en)
    assert sv_numbers
    assert all("," in n for n in sv_numbers)
    assert all("." in n for n in en_numbers)


def test_the_whole_population_row_hides_what_any_grouping_hid(rich: Path) -> None:
    """A cell of the (all) row suppressed in one grouping is hidden in the report's row."""
    events = read_events(rich)
    tables = report_tables(
        events, score_events(events, BULK_FRAMEWORK), by="diagnosis", min_count=25
    )
    assert tables.total_hidden
    total = tables.total()
    for p in tables.groupings:
        for cell in p.cells:
            if cell.group[0] == TOTAL:
                assert total[cell.column] is None, (p.by, cell.column)
    shown = {c for c, v in total.items() if v is not None}
    assert shown  # the rest of the row is still there


def test_no_suppressed_cell_is_solvable_from_all_groupings_together(rich: Path) -> None:
    """An attacker with every published count of every grouping solves no suppressed cell.

    The attacker's system holds each grouping's sums (bins to their total; groups of a
    partition to the ``(all)`` row), with one ``(all)`` row shared by all groupings (the
    same population) and known wherever the report shows it. Handover counts are not in
    any sum across groupings because the report shows them per pair only.
    """
    events = read_events(rich)
    scores = score_events(events, BULK_FRAMEWORK)
    tables = report_tables(events, scores, by="diagnosis", period="month", min_count=25)
    unknown: set[tuple[int, str]] = set()
    secondary: set[tuple[int, str]] = set()
    equations: list[tuple[list[tuple[int, str]], tuple[int, str]]] = []
    offset = 0
    for p in tables.groupings:
        structure = aggregate(events, scores, p.by, period="month")  # the sums, not values
        last = p.table.height - 1

        def cell(r: int, c: str, last: int = last, offset: int = offset) -> tuple[int, str]:
            return (-1 if r == last else offset + r, c)

        for parts, (r, c) in constraints(structure):
            equations.append(([cell(*x) for x in parts], cell(r, c)))
        for c in count_columns(structure):
            values = p.table.get_column(c).to_list()[:-1]
            unknown |= {(offset + r, c) for r, v in enumerate(values) if v is None}
        rows = {p.group(row): r for r, row in enumerate(p.table.to_dicts())}
        secondary |= {cell(rows[c.group], c.column) for c in p.cells if c.reason == "secondary"}
        offset += p.table.height
        counts = set(count_columns(structure))
        unknown |= {(-1, c) for c, v in tables.total().items() if v is None and c in counts}
    assert len(unknown) > 1000
    assert not determined(unknown, equations)
    assert determined(unknown - secondary, equations)  # the check has teeth


@needs_dot
def test_a_suppressed_cell_shows_as_a_dash_never_its_value(tmp_path: Path) -> None:
    """A unit with 3 journeys (below 5) shows – where its count would be, in page and DOT."""
    tables = _tables(_chain_log(tmp_path, rare=3))
    units = {row["unit"]: row["journeys"] for row in tables.units.rows()}
    assert units == {"Hemtjänst": 20, "Psykiatri": 20, "Sällsynt": None, "Vårdcentral": 20}
    page = population_report(tables, lang="en")
    row = re.search(r"<tr><td>Sällsynt</td>.*?</tr>", page)
    assert row is not None
    assert '<td class="num"><span class="sup">–</span></td>' in row.group(0)
    assert ">3<" not in row.group(0)
    # the heatmap cell of the pair Psykiatri → Sällsynt: a dash, not 3
    assert "Psykiatri (region) → Sällsynt (kommun): –" in page
    assert "Sällsynt (kommun): 3" not in page
    dot = render_bytes(population_network(tables.units, tables.boundary, lang="en"), "dot")
    text = dot.decode("utf-8")
    assert '<B>Sällsynt</B><BR/><FONT POINT-SIZE="8">– journeys' in text
    assert "3 journeys" not in text
    assert "K001x" not in page
    assert "K001x" not in text


def test_network_dot_is_deterministic_with_the_expected_nodes_and_edges(tmp_path: Path) -> None:
    """Units are nodes with their journeys; each handover pair is one edge with its volume."""
    tables = _tables(_chain_log(tmp_path, rare=0))
    first = render_bytes(population_network(tables.units, tables.boundary, lang="en"), "dot")
    again = render_bytes(population_network(tables.units, tables.boundary, lang="en"), "dot")
    assert first == again
    text = first.decode("utf-8")
    nodes = dict(re.findall(r"\t\t(u\d+) \[.*?label=<<B>([^<]+)</B>", text))
    assert sorted(nodes.values()) == ["Hemtjänst", "Psykiatri", "Vårdcentral"]
    ids = {name: node for node, name in nodes.items()}
    edges = re.findall(r"\t(u\d+) -> (u\d+) \[.*?label=(\w+)", text)
    assert sorted(edges) == sorted(
        [
            (ids["Vårdcentral"], ids["Hemtjänst"], "20"),
            (ids["Hemtjänst"], ids["Psykiatri"], "20"),
        ]
    )
    # both pairs cross the region–kommun boundary: double lines, grey (all unknown in a log)
    assert text.count('color="#718096:#ffffff:#718096"') == 2
    assert "20 journeys" in text
    assert "nod = enhet" in render_bytes(
        population_network(tables.units, tables.boundary, lang="sv"), "dot"
    ).decode("utf-8")


@needs_dot
def test_hostile_unit_names_are_shown_literally(tmp_path: Path) -> None:
    """A unit name with markup is escaped in the page and in the network."""
    hostile = "<script>alert(1)</script>"
    rows = []
    for n in range(6):
        rows += [
            (f"H{n}", "2024-01-01", hostile, "region", "need_signal"),
            (f"H{n}", "2024-01-02", "Vårdcentral", "region", "contact"),
        ]
    tables = _tables(_log(tmp_path, rows))
    page = population_report(tables, lang="en")
    parser = _Tags()
    parser.feed(page)
    assert "script" not in {tag for tag, _ in parser.tags}
    assert hostile in " ".join(parser.text)
    assert hostile not in render_bytes(
        population_network(tables.units, tables.boundary), "dot"
    ).decode("utf-8")


@needs_dot
def test_targets_not_assessable_in_bulk_say_why(tmp_path: Path) -> None:
    """A target not computed in bulk shows the reason; the built-in ones all are computed.

    Every built-in målbild is computed in bulk (``compulsory_care_ended`` is counted, so
    4 and 9 are, and overall). A score table that says a målbild is not computed (as it
    would for a framework indicator without a bulk expression) puts the reason in the
    report in place of the målbild's numbers.
    """
    events = read_events(_chain_log(tmp_path))
    computed = score_events(events)
    assert not [c for c in computed.not_computed if c.startswith("target_")]
    assert "overall" not in computed.not_computed
    reason = "uses an indicator 'x' & <y>, which has no bulk expression"
    scores = ScoreTable(
        table=computed.table.with_columns(target_5=pl.lit(None, dtype=pl.Float64)),
        framework=computed.framework,
        not_computed={**computed.not_computed, "target_5": reason},
    )
    page = population_report(report_tables(events, scores, by="unit"), lang="en")
    assert "not assessable in bulk" in page
    assert "uses an indicator &#x27;x&#x27; &amp; &lt;y&gt;, which has no bulk expression" in page
    assert reason not in page


@needs_dot
@pytest.mark.parametrize(("lang", "heading"), [("sv", "Integritet"), ("en", "Privacy")])
def test_population_command_writes_the_report(
    tmp_path: Path, runner: CliRunner, lang: str, heading: str
) -> None:
    """`careflow population LOG -o out.html --lang` writes the report in that language."""
    log = _chain_log(tmp_path)
    out = tmp_path / "pop.html"
    args = ["population", str(log), "--by", "period", "--lang", lang, "-o", str(out)]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    page = out.read_text("utf-8")
    assert heading in page
    assert "K001x" not in page
    again = tmp_path / "again.html"
    runner.invoke(main, [*args[:-1], str(again)])
    assert again.read_bytes() == out.read_bytes()


def test_population_command_writes_the_network(tmp_path: Path, runner: CliRunner) -> None:
    """`careflow population LOG -o net.dot` writes the population actor network as DOT."""
    log = _chain_log(tmp_path)
    out = tmp_path / "net.dot"
    result = runner.invoke(main, ["population", str(log), "--lang", "en", "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text("utf-8")
    assert text.startswith("digraph population_network")
    assert "Vårdcentral" in text
    assert "K001x" not in text


def test_a_report_from_combined_parts_is_the_report_of_the_whole(tmp_path: Path) -> None:
    """Aggregates of two halves of the cases, combined, give the same published tables."""
    events = read_events(_chain_log(tmp_path, rare=6))
    scores = score_events(events, BULK_FRAMEWORK)
    whole = report_tables(events, scores, by="unit", min_count=3)
    cases = sorted(scores.table.get_column("case").to_list())
    halves = [cases[::2], cases[1::2]]
    aggs = {}
    for name in FIXED:
        parts = []
        for half in halves:
            part = scores.table.filter(pl.col("case").is_in(half))
            part_scores = ScoreTable(
                table=part, framework=scores.framework, not_computed=scores.not_computed
            )
            part_events = events.filter(pl.col("case").is_in(half))
            parts.append(aggregate(part_events, part_scores, name))
        aggs[name] = combine(parts)
    combined = publish_report(
        aggs,
        by="unit",
        period="quarter",
        min_count=3,
        framework=scores.framework,
        not_computed=scores.not_computed,
    )
    for mine, theirs in zip(combined.groupings, whole.groupings, strict=True):
        # sums of floats in another order: equal to 1e-9, counts exactly
        assert_frame_equal(mine.table, theirs.table, check_exact=False, rel_tol=0, abs_tol=1e-9)
        assert mine.cells == theirs.cells
    with pytest.raises(AggregationError, match="boundary"):
        publish_report(
            {k: v for k, v in aggs.items() if k != "boundary"},
            by="unit",
            period="quarter",
            min_count=3,
            framework=scores.framework,
            not_computed={},
        )
