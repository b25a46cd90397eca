"""Follow-up over time: two populations compared per group, change told from noise."""

from __future__ import annotations

import json
import math
import random
import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import attrs
import jsonschema
import polars as pl
import pytest
from click.testing import CliRunner

from careflow.cli import main
from careflow.contracts import output_schema
from careflow.population import read_events, score_events
from careflow.population.aggregate import TOTAL, aggregate
from careflow.population.compare import (
    ComparisonError,
    Published,
    adjust,
    compare_aggregates,
    comparison_csv,
    comparison_json,
    proportion_test,
    published,
    t_two_sided,
    welch_test,
)
from careflow.population.output import population_schema
from careflow.population.privacy import suppress
from careflow.targets import framework_from_dict

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "data" / "care_2000_rich.parquet"
GENERATOR = ROOT.parent / "shared" / "bench" / "gen_eventlog.py"

#: Målbilder of indicators the bulk path computes, so their means vary between journeys.
FRAMEWORK: Final = {
    "framework": 1,
    "id": "bulk-compare",
    "name_sv": "Bulk",
    "name_en": "Bulk",
    "source": "tests",
    "targets": [
        {
            "id": tid,
            "key": f"bulk{tid}",
            "name_sv": f"Bulk {tid}",
            "name_en": f"Bulk {tid}",
            "meaning_sv": "Indikatorer som räknas i bulk.",
            "meaning_en": "Indicators computed in bulk.",
            "indicators": [{"id": ind, "weight": 1}],
        }
        for tid, ind in [(1, "redirections"), (6, "entry_points"), (10, "treatment_completion")]
    ],
}


# -- the statistics, against values computed here by hand --------------------------------


def _t_density(x: float, df: float) -> float:
    """Student's t density with ``df`` degrees of freedom."""
    log_c = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    return math.exp(log_c - (df + 1) / 2 * math.log1p(x * x / df))


def _t_tail_by_integration(t: float, df: float, steps: int = 20_000) -> float:
    """2 ∫_|t|^∞ f(x) dx by Simpson's rule on x = |t| + u/(1 - u), u in [0, 1)."""
    h = 1.0 / steps
    total = 0.0
    for i in range(steps + 1):
        u = min(i * h, 1 - 1e-12)
        g = _t_density(abs(t) + u / (1 - u), df) / (1 - u) ** 2
        total += g * (1 if i in {0, steps} else 4 if i % 2 else 2)
    return 2 * total * h / 3


def test_t_distribution_matches_closed_forms_and_integration() -> None:
    """The two-sided t p-value equals closed forms (df 1, 2, 3), tables and integration."""
    for t in (0.0, 0.5, 1.3, 2.0, 4.7):
        assert math.isclose(t_two_sided(t, 1), 1 - 2 / math.pi * math.atan(t), abs_tol=1e-12)
        assert math.isclose(t_two_sided(t, 2), 1 - t / math.sqrt(2 + t * t), abs_tol=1e-12)
        s = t / math.sqrt(3)
        df3 = 1 - 2 / math.pi * (math.atan(s) + s / (1 + s * s))
        assert math.isclose(t_two_sided(t, 3), df3, abs_tol=1e-12)
    assert math.isclose(t_two_sided(2.228138851986, 10), 0.05, abs_tol=1e-9)  # t table
    assert math.isclose(t_two_sided(-1.959963984540, 1e8), 0.05, abs_tol=1e-9)  # normal
    for t, df in ((2.1, 7.3), (0.8, 15.61), (3.4, 41.2), (1.7, 250.5)):
        assert math.isclose(t_two_sided(t, df), _t_tail_by_integration(t, df), abs_tol=1e-7)


def test_welch_test_matches_the_hand_computation() -> None:
    """Welch's t and its degrees of freedom from (n, sum, sum of squares) match the formulas."""
    rng = random.Random(7)
    xs = [rng.gauss(0.5, 0.2) for _ in range(23)]
    ys = [rng.gauss(0.62, 0.35) for _ in range(41)]
    va, vb = statistics.variance(xs) / len(xs), statistics.variance(ys) / len(ys)
    t = (statistics.fmean(ys) - statistics.fmean(xs)) / math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (len(xs) - 1) + vb**2 / (len(ys) - 1))
    result = welch_test(
        (len(xs), sum(xs), sum(x * x for x in xs)), (len(ys), sum(ys), sum(y * y for y in ys))
    )
    assert result.statistic is not None
    assert result.df is not None
    assert math.isclose(result.statistic, t, rel_tol=1e-9)
    assert math.isclose(result.df, df, rel_tol=1e-9)
    assert math.isclose(result.p, _t_tail_by_integration(t, df), abs_tol=1e-7)
    # two values each, equal variances: df = 2 and the closed form of t with 2 df
    two = welch_test((2, 4.0, 10.0), (2, 10.0, 52.0))  # 1, 3 against 4, 6
    assert two.df == pytest.approx(2.0)
    assert two.p == pytest.approx(1 - (3 / math.sqrt(2)) / math.sqrt(2 + 4.5), abs=1e-12)
    # constant samples: no noise, so any difference is real and none is nothing
    assert welch_test((5, 5.0, 5.0), (5, 5.0, 5.0)).p == 1.0
    assert welch_test((5, 5.0, 5.0), (5, 2.5, 1.25)).p == 0.0


def test_proportion_test_matches_the_hand_computation() -> None:
    """The pooled two-proportion z-test of 30/100 against 45/100, computed by hand."""
    pooled = 75 / 200
    z = (0.45 - 0.30) / math.sqrt(pooled * (1 - pooled) * (2 / 100))
    result = proportion_test((30, 100), (45, 100))
    assert result.statistic == pytest.approx(z, rel=1e-12)
    assert result.p == pytest.approx(2 * (1 - 0.5 * (1 + math.erf(z / math.sqrt(2)))), rel=1e-9)
    assert result.df is None
    assert proportion_test((0, 50), (0, 80)).p == 1.0


def test_holm_and_benjamini_hochberg_adjust_by_hand() -> None:
    """Holm multiplies the k-th smallest p by m - k + 1, monotone; BH by m / k, from the top."""
    p = [0.01, 0.04, 0.03, 0.005]
    assert adjust(p, "holm") == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert adjust(p, "bh") == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert adjust(p, "none") == p
    assert adjust([0.5, 0.9], "holm") == [1.0, 1.0]
    with pytest.raises(ComparisonError, match="unknown correction"):
        adjust(p, "bonferroni")


# -- comparing published sides built by hand -----------------------------------------------


def _side(groups: dict[str, list[float]], source: str) -> Published:
    """A published side with one målbild, ``target_1``, from the values of each group."""
    rows = []
    for name, values in [*groups.items(), (TOTAL, [v for vs in groups.values() for v in vs])]:
        rows.append(
            {
                "unit": name,
                "journeys": len(values),
                "target_1_n": len(values),
                "target_1_sum": sum(values),
                "target_1_sumsq": sum(v * v for v in values),
                "waits_n": 0,
                "waits_sum": 0.0,
                "waits_sumsq": 0.0,
                "with_cold_handover": sum(1 for v in values if v < 0.3),
                "handovers": 0,
                "handovers_cold": 0,
                "handovers_unknown": 0,
            }
        )
    return Published(
        rows=tuple(rows),
        by="unit",
        keys=("unit",),
        period=None,
        min_count=5,
        measures=("target_1",),
        findings=("cold_handover",),
        source=source,
    )


def _draw(rng: random.Random, n: int, mean: float) -> list[float]:
    return [min(1.0, max(0.0, rng.gauss(mean, 0.2))) for _ in range(n)]


def test_pure_noise_is_not_flagged_and_a_real_shift_in_a_large_group_is() -> None:
    """Pure noise is not flagged; a shift of 0.1 is flagged at n = 400, not at n = 8.

    In a group of 8 journeys the same shift is within the noise.
    """
    rng = random.Random(42)
    noise_a = {f"U{i}": _draw(rng, 60, 0.5) for i in range(12)}
    noise_b = {f"U{i}": _draw(rng, 60, 0.5) for i in range(12)}
    same = compare_aggregates(_side(noise_a, "A"), _side(noise_b, "B"))
    assert same.tested == 13 * 2  # 12 units and (all): the målbild and one finding share
    assert not same.significant
    shifted = compare_aggregates(
        _side({"big": _draw(rng, 400, 0.5), "small": _draw(rng, 8, 0.5)}, "A"),
        _side({"big": _draw(rng, 400, 0.6), "small": _draw(rng, 8, 0.6)}, "B"),
    )
    flagged = {(d.group[0], d.measure) for d in shifted.significant}
    assert ("big", "target_1_mean") in flagged
    assert ("small", "target_1_mean") not in flagged
    small = next(d for d in shifted.differences if d.group == ("small",))
    assert small.status == "compared"
    assert small.difference is not None
    assert small.p is not None
    assert small.p_adjusted is not None


def test_small_and_one_sided_groups_are_not_compared() -> None:
    """A group below the minimum on either side, or on one side only, is listed, not tested."""
    rng = random.Random(3)
    a = _side({"big": _draw(rng, 50, 0.5), "tiny": _draw(rng, 4, 0.5)}, "A")
    b = _side(
        {"big": _draw(rng, 50, 0.5), "tiny": _draw(rng, 9, 0.5), "new": _draw(rng, 9, 0.5)}, "B"
    )
    comparison = compare_aggregates(a, b, min_count=5)
    assert {d.group for d in comparison.differences} == {("big",), (TOTAL,)}
    reasons = {s.group: s.reason for s in comparison.skipped}
    assert reasons == {
        ("new",): "only in B",
        ("tiny",): "fewer than 5 journeys in A (suppressed)",
    }
    stricter = compare_aggregates(a, b, min_count=52)  # big has 50 journeys, (all) 54 and 68
    assert {d.group for d in stricter.differences} == {(TOTAL,)}
    status = {d.measure: d.status for d in stricter.differences}
    assert status["target_1_mean"] == "compared"
    assert status["share_cold_handover"] == "suppressed"  # fewer than 52 with the finding


def test_a_suppressed_or_empty_cell_is_not_tested() -> None:
    """A null (suppressed) count or a zero n gives a status, no p-value, and no family member."""
    rng = random.Random(5)
    a = _side({"u": _draw(rng, 30, 0.35)}, "A")  # about 12 of 30 below 0.3: published
    b = _side({"u": _draw(rng, 30, 0.35)}, "B")
    hidden = {**b.rows[0], "with_cold_handover": None}
    b = attrs.evolve(b, rows=(hidden, *b.rows[1:]))
    comparison = compare_aggregates(a, b)
    status = {(d.group[0], d.measure): d.status for d in comparison.differences}
    assert status[("u", "share_cold_handover")] == "suppressed"
    assert status[("u", "waits_mean")] == "not assessable"
    assert status[("u", "share_cold_or_unknown")] == "not assessable"
    assert comparison.tested == 3  # target_1 of u and (all), the finding share of (all)
    for d in comparison.differences:
        assert (d.p is None) == (d.status != "compared")


# -- the rich workload ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def rich_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared rich workload at 2,000 cases (Parquet), generated when not at hand."""
    if DATA.exists():
        return DATA
    if not GENERATOR.exists():
        pytest.skip("neither the rich workload nor its generator is next to this checkout")
    out = tmp_path_factory.mktemp("rich")
    subprocess.run(
        [sys.executable, str(GENERATOR), "--rich", "2000", "42", str(out)],
        check=True,
        capture_output=True,
    )
    return out / "care_2000_rich.parquet"


@pytest.fixture(scope="module")
def extracts(rich_log: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The rich log split by case into two halves, and a copy whose time runs twice as slow.

    ``even`` and ``odd`` are two random-like halves of one population (pure noise
    between them); ``slow`` is ``odd`` with every event's distance from its case's first
    event doubled, so every wait doubles and the order of events stays.
    """
    out = tmp_path_factory.mktemp("extracts")
    log = pl.read_parquet(rich_log)
    number = pl.col("case_id").str.extract(r"(\d+)$").cast(pl.Int64)
    paths = {"even": out / "even.parquet", "odd": out / "odd.parquet", "slow": out / "slow.parquet"}
    log.filter(number % 2 == 0).write_parquet(paths["even"])
    odd = log.filter(number % 2 == 1)
    odd.write_parquet(paths["odd"])
    start = pl.col("timestamp").min().over("case_id")
    odd.with_columns(timestamp=start + (pl.col("timestamp") - start) * 2).write_parquet(
        paths["slow"]
    )
    framework = out / "bulk.json"
    framework.write_text(json.dumps(FRAMEWORK), encoding="utf-8")
    paths["framework"] = framework
    return paths


def _aggregate(path: Path, by: str, period: str = "quarter") -> Any:
    events = read_events(path)
    return aggregate(
        events, score_events(events, framework_from_dict(FRAMEWORK)), by, period=period
    )


def test_two_halves_of_one_population_differ_only_by_noise(extracts: dict[str, Path]) -> None:
    """Two halves of the rich workload, split by case: many differences tested, none flagged."""
    comparison = compare_aggregates(
        _aggregate(extracts["even"], "unit"), _aggregate(extracts["odd"], "unit")
    )
    assert comparison.tested > 100
    assert not comparison.significant
    assert {d.measure for d in comparison.differences if d.status == "compared"} >= {
        "target_1_mean",
        "target_6_mean",
        "waits_mean",
    }


def test_doubled_waits_are_flagged_where_the_group_is_large(extracts: dict[str, Path]) -> None:
    """Doubled waits are flagged in the whole population and several units, nothing else.

    Waits are skewed, so not every unit is flagged after the correction for some 400
    tests; the målbild means (of this framework) do not depend on time and are not
    flagged. The findings defined by durations (a wait over 30 days, a long gap between
    contacts, no SIP long after both principals are involved) may rightly move too.
    """
    comparison = compare_aggregates(
        _aggregate(extracts["odd"], "unit"), _aggregate(extracts["slow"], "unit")
    )
    waits = {d.group[0]: d for d in comparison.differences if d.measure == "waits_mean"}
    total = waits[TOTAL]
    assert total.significant
    assert total.a is not None
    assert total.b == pytest.approx(2 * total.a)
    flagged = {d.measure for d in comparison.significant}
    durations = {"share_long_wait", "share_long_contact_gap", "share_no_sip"}
    assert "waits_mean" in flagged
    assert flagged <= {"waits_mean", *durations}
    assert len(comparison.significant) >= 5
    # a flagged unit's doubling is larger than the noise; the smallest unit's is not
    smallest = min((d for d in waits.values() if d.status == "compared"), key=lambda d: d.n_a or 0)
    assert not smallest.significant


def test_sums_of_squares_are_additive_and_go_with_their_counts(
    rich_log: Path,
) -> None:
    """``<m>_sumsq`` sums the squared per-case values; a suppressed ``_n`` takes it along."""
    events = read_events(rich_log)
    scores = score_events(events, framework_from_dict(FRAMEWORK))
    agg = aggregate(events, scores, "unit")
    total = agg.table.row(agg.table.height - 1, named=True)
    values = scores.table.get_column("target_1").drop_nulls().to_list()
    assert total["target_1_sumsq"] == pytest.approx(sum(v * v for v in values), rel=1e-12)
    result = suppress(agg, 450).table  # units of 400 and 423 journeys lose every count
    assert result.get_column("journeys").null_count() == 2
    for m in (*agg.measures, "waits"):
        hidden = result.filter(pl.col(f"{m}_n").is_null())
        assert hidden.height >= 2, m
        assert hidden.get_column(f"{m}_sum").null_count() == hidden.height, m
        assert hidden.get_column(f"{m}_sumsq").null_count() == hidden.height, m


def test_aggregates_are_the_same_numbers_every_time(extracts: dict[str, Path]) -> None:
    """Float sums do not depend on the order threads and joins produce: equal tables."""
    events = read_events(extracts["odd"])
    scores = score_events(events, framework_from_dict(FRAMEWORK))
    for by in ("unit", "diagnosis"):
        first = aggregate(events, scores, by).table
        for _ in range(3):
            assert aggregate(events, scores, by).table.equals(first), by


def test_periods_of_a_trend_are_in_time_order(rich_log: Path) -> None:
    """`--by period` rows run from the earliest period to the latest, (all) last."""
    agg = _aggregate(rich_log, "period", "quarter")
    periods = agg.table.get_column("period").to_list()
    assert periods[-1] == TOTAL
    assert periods[:-1] == sorted(periods[:-1])
    assert len(periods) > 20


# -- the command line ----------------------------------------------------------------------


def _invoke(runner: CliRunner, args: Sequence[object]) -> Any:
    result = runner.invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def test_population_is_a_group_that_still_takes_a_log(
    runner: CliRunner, extracts: dict[str, Path], tmp_path: Path
) -> None:
    """`careflow population LOG` still works (options before or after LOG).

    Its `--help` names both forms; `population compare --help` its own options.
    """
    out = tmp_path / "pop.json"
    _invoke(runner, ["population", "--by", "kommun", extracts["odd"], "-o", out])
    jsonschema.validate(json.loads(out.read_text("utf-8")), population_schema())
    group_help = _invoke(runner, ["population", "--help"]).output
    assert "population [OPTIONS] LOG" in group_help
    assert "compare [OPTIONS] A B" in group_help
    assert "--min-count" in group_help
    compare_help = _invoke(runner, ["population", "compare", "--help"]).output
    for option in ("--period-a", "--alpha", "--correction", "--min-count"):
        assert option in compare_help
    missing = runner.invoke(main, ["population", "--by", "unit"])
    assert missing.exit_code == 2
    assert "population [OPTIONS] LOG" in missing.output


def test_compare_command_writes_json_that_follows_its_schema_deterministically(
    runner: CliRunner, extracts: dict[str, Path], tmp_path: Path
) -> None:
    """JSON from two logs validates, is the same bytes twice, and equals the JSON route.

    The JSON route compares the two population JSON files the logs give.
    """
    common = ["--by", "kommun", "--framework", extracts["framework"]]
    first, second = tmp_path / "c1.json", tmp_path / "c2.json"
    args = ["population", "compare", extracts["odd"], extracts["slow"], *common]
    result = _invoke(runner, [*args, "-o", first])
    assert "larger than the noise" in result.output
    _invoke(runner, [*args, "-o", second])
    assert first.read_bytes() == second.read_bytes()
    data = json.loads(first.read_text("utf-8"))
    jsonschema.validate(data, output_schema("population-compare"))
    assert data["tested"] > 0
    assert data["significant"] > 0
    assert data["correction"] == "holm"
    assert data["alpha"] == 0.05
    pops = []
    for name in ("odd", "slow"):
        pops.append(tmp_path / f"{name}.json")
        _invoke(runner, ["population", extracts[name], *common, "-o", pops[-1]])
    from_json = tmp_path / "c3.json"
    _invoke(runner, ["population", "compare", *pops, "-o", from_json])
    again = json.loads(from_json.read_text("utf-8"))
    assert again["differences"] == data["differences"]
    assert again["not_compared"] == data["not_compared"]


def test_compare_command_writes_csv_and_prints_a_table(
    runner: CliRunner, extracts: dict[str, Path], tmp_path: Path
) -> None:
    """CSV has a row per group and measure and per group not compared; no -o prints a table."""
    args = ["population", "compare", extracts["even"], extracts["odd"], "--by", "unit"]
    out = tmp_path / "c.csv"
    _invoke(runner, [*args, "--min-count", "200", "-o", out])
    table = pl.read_csv(out, infer_schema_length=None)
    assert table.columns[:3] == ["unit", "measure", "test"]
    skipped = table.filter(pl.col("measure").is_null())
    assert skipped.height > 0
    assert all("fewer than 200 journeys" in s for s in skipped.get_column("status"))
    shown = _invoke(runner, [*args, "--min-count", "200", "--lang", "en"]).output
    assert "differences larger than the noise (95 %, two-sided, Holm correction)" in shown
    assert "Groups not compared:" in shown
    assert TOTAL in shown
    swedish = _invoke(runner, [*args, "--min-count", "200", "--lang", "sv"]).output
    assert "skillnader större än bruset (95 %, tvåsidigt, korrigering Holm)" in swedish
    assert "färre än 200 resor i" in swedish


def test_compare_command_compares_two_periods_of_one_log(
    runner: CliRunner, rich_log: Path, tmp_path: Path
) -> None:
    """--period-a and --period-b take the journeys that started in each period of one log."""
    out = tmp_path / "years.json"
    _invoke(
        runner,
        [
            "population",
            "compare",
            rich_log,
            rich_log,
            "--period",
            "year",
            "--period-a",
            "2019",
            "--period-b",
            "2024",
            "--by",
            "principal",
            "-o",
            out,
        ],
    )
    data = json.loads(out.read_text("utf-8"))
    assert data["a"].endswith("(2019)")
    assert data["b"].endswith("(2024)")
    total = next(d for d in data["differences"] if d["group"]["principal"] == TOTAL)
    starts = pl.read_parquet(rich_log).group_by("case_id").agg(pl.col("timestamp").min())
    years = starts.get_column("timestamp").dt.year().to_list()
    assert total["n_a"] is not None
    assert data["differences"][0]["group"] == {"principal": "kommun"}
    journeys = {
        d["group"]["principal"]: d
        for d in data["differences"]
        if d["measure"].startswith("share_")
        and d["test"] == "proportion"
        and d["measure"] != "share_cold_or_unknown"
    }
    assert journeys[TOTAL]["n_a"] == years.count(2019)
    assert journeys[TOTAL]["n_b"] == years.count(2024)


def test_compare_command_refuses_what_it_cannot_compare(
    runner: CliRunner, extracts: dict[str, Path], tmp_path: Path
) -> None:
    """Different groupings, JSON without sums of squares and a wrong suffix are errors."""
    by_unit, by_kommun = tmp_path / "u.json", tmp_path / "k.json"
    _invoke(runner, ["population", extracts["odd"], "--by", "unit", "-o", by_unit])
    _invoke(runner, ["population", extracts["odd"], "--by", "kommun", "-o", by_kommun])
    mixed = runner.invoke(main, ["population", "compare", str(by_unit), str(by_kommun)])
    assert mixed.exit_code == 1
    assert "grouped by unit" in mixed.output
    old = json.loads(by_unit.read_text("utf-8"))
    for group in old["groups"]:
        for key in [k for k in group if k.endswith("_sumsq")]:
            del group[key]
    stale = tmp_path / "old.json"
    stale.write_text(json.dumps(old), encoding="utf-8")
    refused = runner.invoke(main, ["population", "compare", str(stale), str(by_unit)])
    assert refused.exit_code == 1
    assert "sums of squares" in refused.output
    wrong = runner.invoke(
        main, ["population", "compare", str(by_unit), str(by_unit), "-o", str(tmp_path / "x.txt")]
    )
    assert wrong.exit_code == 2
    clash = runner.invoke(
        main, ["population", "compare", str(by_unit), str(by_unit), "--by", "kommun"]
    )
    assert clash.exit_code == 2
    assert "--by unit" in clash.output


def test_api_output_is_deterministic(extracts: dict[str, Path]) -> None:
    """Published sides give the same JSON and CSV bytes as aggregates published inside."""
    a, b = _aggregate(extracts["even"], "principal"), _aggregate(extracts["odd"], "principal")
    one = compare_aggregates(a, b, correction="bh")
    two = compare_aggregates(
        published(a, 5, source="A"), published(b, 5, source="B"), correction="bh"
    )
    assert comparison_json(one) == comparison_json(two)
    assert comparison_csv(one) == comparison_csv(two)
    assert one.correction == "bh"


def test_cli_page_documents_the_population_subcommands() -> None:
    """docs/cli.md's population section names every long option of both population forms."""
    import click

    group = main.commands["population"]
    assert isinstance(group, click.Group)
    text = (ROOT / "docs" / "cli.md").read_text("utf-8")
    part = text[text.index("## population") :]
    part = part[: part.find("\n## ", 3)]
    for command in group.commands.values():
        for param in command.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("--") and opt != "--help":
                    assert opt in part, f"{command.name}: {opt}"
