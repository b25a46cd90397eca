"""The per-case tables of the bulk indicators against plain Python over the same rows.

The tables work on rows sorted by case with sorts, shifts and gathers of integer codes;
these tests give them small tables (also ones the reader never makes, such as episodes
whose days go back) and compare with a loop over the rows.
"""

from __future__ import annotations

from collections import Counter

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from careflow.population.indicators import _blocks, _covered, _previous_of_same, _unit_squares
from careflow.scoring.facts import coverage

CASE_NAMES = ["a", "b", "c", "d"]
CASES = pl.Enum(CASE_NAMES)
UNIT_NAMES = ["U0", "U1", "U2"]
UNITS = pl.Enum(UNIT_NAMES)


@st.composite
def _groups(draw: st.DrawFn) -> tuple[list[int], list[int]]:
    """Case codes in order (each case's rows together) and a small group code per row."""
    sizes = draw(st.lists(st.integers(1, 6), min_size=1, max_size=4))
    codes = [c for c, n in enumerate(sizes) for _ in range(n)]
    groups = draw(st.lists(st.integers(0, 3), min_size=len(codes), max_size=len(codes)))
    return codes, groups


@settings(max_examples=60)
@given(_groups())
def test_previous_of_same_is_the_latest_earlier_row_of_the_case_with_the_group(
    drawn: tuple[list[int], list[int]],
) -> None:
    """Each row gets the latest earlier row of its case in its group, or null at the first."""
    codes, groups = drawn
    expected: list[int | None] = []
    for i, (c, g) in enumerate(zip(codes, groups, strict=True)):
        earlier = [j for j in range(i) if codes[j] == c and groups[j] == g]
        expected.append(earlier[-1] if earlier else None)
    found = _previous_of_same(pl.Series(groups, dtype=pl.UInt32), pl.Series(codes, dtype=pl.UInt32))
    assert found.to_list() == expected


#: A row of :func:`_episodes`: case, day, flag, the case's end (its latest day).
Episode = tuple[str, float, bool, float]


@st.composite
def _episodes(draw: st.DrawFn) -> list[Episode]:
    """Flagged and unflagged days per case, in time order or (not from the reader) not."""
    rows: list[Episode] = []
    for case in draw(st.lists(st.sampled_from(CASE_NAMES), min_size=1, unique=True)):
        days = draw(st.lists(st.integers(0, 40).map(lambda d: d / 4), min_size=1, max_size=8))
        if draw(st.booleans()):
            days.sort()
        flags = draw(st.lists(st.booleans(), min_size=len(days), max_size=len(days)))
        rows += [(case, day, flag, max(days)) for day, flag in zip(days, flags, strict=True)]
    return sorted(rows, key=lambda row: row[0])  # stable: each case's days as drawn


def _frame(rows: list[Episode]) -> pl.DataFrame:
    schema: dict[str, pl.DataType] = {
        "case": CASES,
        "day": pl.Float64(),
        "flag": pl.Boolean(),
        "end": pl.Float64(),
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


@settings(max_examples=80)
@given(_episodes())
def test_covered_time_is_the_union_of_the_one_day_episodes(rows: list[Episode]) -> None:
    """The covered time is what careflow.scoring.facts.coverage measures, days in order or not."""
    covered = dict(_covered("flag", "covered")(_frame(rows).lazy()).collect().iter_rows())
    for case in {row[0] for row in rows}:
        days = [day for c, day, _, _ in rows if c == case]
        end = max(days)
        intervals = [(d, min(d + 1.0, end)) for c, d, flag, _ in rows if c == case and flag]
        if not any(b > a for a, b in intervals):
            assert case not in covered
            continue
        share = coverage(intervals, min(days), end)
        assert abs(covered[case] - share * (end - min(days))) <= 1e-9


def test_blocks_are_the_same_whether_days_go_back_or_not() -> None:
    """Episodes whose days go back (not from the reader) are merged as in time order."""
    days = [3.0, 0.5, 1.0, 5.0, 1.2]
    frame = _frame([("a", day, True, 5.5) for day in days])
    shuffled = _blocks(frame.lazy(), "flag").collect()
    in_order = _blocks(frame.sort("day").lazy(), "flag").collect()
    columns = ["lo", "hi"]
    assert shuffled.sort("lo").select(columns).rows() == in_order.sort("lo").select(columns).rows()
    assert in_order.select(columns).rows() == [(0.5, 2.2), (3.0, 4.0), (5.0, 5.5)]


@st.composite
def _contacts(draw: st.DrawFn) -> pl.DataFrame:
    """Rows of a few cases at a few units, some of them deaths."""
    rows = []
    cases = st.lists(st.sampled_from(CASE_NAMES), min_size=1, unique=True)
    units = st.sampled_from(UNIT_NAMES)
    for case in draw(cases):
        for _ in range(draw(st.integers(1, 8))):
            rows.append((case, draw(units), draw(st.booleans())))
    schema: dict[str, pl.DataType] = {"case": CASES, "unit": UNITS, "death": pl.Boolean()}
    return pl.DataFrame(rows, schema=schema, orient="row").sort("case", maintain_order=True)


@settings(max_examples=60)
@given(_contacts())
def test_unit_squares_sum_the_squared_contacts_per_unit(events: pl.DataFrame) -> None:
    """Per case, Σ n² over the units' contacts, deaths not counted; no row without contacts."""
    found = dict(_unit_squares(events.lazy()).collect().iter_rows())
    counts: dict[str, Counter[str]] = {}
    for case, unit, death in events.iter_rows():
        if not death:
            counts.setdefault(case, Counter())[unit] += 1
    assert found == {case: sum(n * n for n in c.values()) for case, c in counts.items()}
