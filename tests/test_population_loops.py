"""Referral loops in bulk: the ping_pong chain of an event log as careflow.graph.loops follows it.

Rejections that a handover brings the person to pass the move on, chains that meet at one
unit are both followed, and a move within one stay (a mapping's ``same_stay_hours``) is
no handover: the bulk ping_pong, its finding and målbild 5 equal the per-journey values.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from careflow.errors import CareflowError
from careflow.graph import loops
from careflow.io.eventlog import journeys_from_rows
from careflow.io.mapping import LogMapping, loads_mapping
from careflow.population import read_events, score_events
from careflow.population.indicators import _jumped_sums
from tests.test_population import _assert_same

#: Units and their principals: two of the region, one of the kommun, one informal.
UNITS = {"Psykiatri": "region", "Beroende": "region", "Soc": "kommun", "Granne": "informell"}
#: Kinds weighted towards moves and rejections, with a few treatments that end chains.
KINDS = [
    *["rejection"] * 4,
    *["redirection"] * 2,
    *["referral", "assessment", "contact", "first_contact"] * 2,
    "treatment",
    "admission",
]


@st.composite
def _loop_logs(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Logs of back-and-forth journeys full of rejections, ties in time and near moves."""
    rows = []
    for c in range(draw(st.integers(1, 3))):
        for _ in range(draw(st.integers(2, 24))):
            day = dt.date(2024, 1, 1) + dt.timedelta(days=draw(st.integers(0, 20)))
            clock = draw(st.sampled_from(["", " 08:00", " 09:30", " 20:00"]))
            unit = draw(st.sampled_from(list(UNITS)))
            rows.append(
                {
                    "case_id": f"K{c}",
                    "timestamp": day.isoformat() + clock,
                    "unit": unit,
                    "principal": UNITS[unit],
                    "kind": draw(st.sampled_from(KINDS)),
                }
            )
    return draw(st.permutations(rows))


def _stay(hours: float) -> LogMapping:
    return loads_mapping(
        json.dumps({"version": 1, "thresholds": {"same_stay_hours": hours}}), fmt="json"
    )


def _assert_bulk_is_per_journey(rows: list[dict[str, Any]], mapping: LogMapping | None) -> None:
    journeys = journeys_from_rows(rows, mapping=mapping)
    scores = score_events(read_events(pl.DataFrame(rows), mapping=mapping))
    for column in ("ping_pong", "finding_ping_pong", "target_5"):
        assert column not in scores.not_computed
    _assert_same(journeys, scores.table, scores.not_computed)


@settings(max_examples=40)
@given(_loop_logs())
def test_rejection_moves_in_bulk_are_followed_as_per_journey(rows: list[dict[str, Any]]) -> None:
    """Rejections reached by a handover send the person on in bulk as per journey.

    Every value (ping_pong, its finding, målbild 5 among them) equals the per-journey one,
    with chains that branch at a rejection and meet again at a unit.
    """
    _assert_bulk_is_per_journey(rows, None)


@settings(max_examples=40)
@given(_loop_logs(), st.sampled_from([0, 6, 12, 24, 48, 1000]))
def test_moves_within_one_stay_are_followed_as_per_journey(
    rows: list[dict[str, Any]], hours: int
) -> None:
    """With a mapping's same_stay_hours, bulk ping_pong follows the per-journey chains.

    A unit change within one stay is no handover: a chain that arrived at the first unit
    is not continued by a move from the second, and the values equal the per-journey ones.
    """
    _assert_bulk_is_per_journey(rows, _stay(hours))


def _rows(steps: list[tuple[str, str, str]]) -> list[dict[str, Any]]:
    """One case of (timestamp, unit, kind) steps."""
    return [
        {"case_id": "K0", "timestamp": ts, "unit": u, "principal": UNITS[u], "kind": k}
        for ts, u, k in steps
    ]


def _loop_units(rows: list[dict[str, Any]], mapping: LogMapping | None) -> list[list[str]]:
    """The units of each loop the per-journey reading of ``rows`` finds."""
    (journey,) = journeys_from_rows(rows, mapping=mapping)
    names = {a.id: a.name for a in journey.actors}
    return [[names[a] for a in loop.actors] for loop in loops(journey)]


def test_a_move_within_one_stay_is_no_move_of_the_chain() -> None:
    """A handover from the second unit of a stay does not continue the chain into its first.

    Psychiatry → addiction care, back to psychiatry within that stay (six hours), then to
    social services and back: one loop (psychiatry, social services, psychiatry), not the
    two of the same log read without the stay rule; bulk counts as per journey both ways.
    """
    rows = _rows(
        [
            ("2024-01-01", "Psykiatri", "contact"),
            ("2024-01-05 08:00", "Beroende", "assessment"),
            ("2024-01-05 09:30", "Psykiatri", "contact"),
            ("2024-01-10", "Soc", "contact"),
            ("2024-01-20", "Psykiatri", "contact"),
        ]
    )
    stay = _stay(6)
    assert _loop_units(rows, stay) == [["Psykiatri", "Soc", "Psykiatri"]]
    assert _loop_units(rows, None) == [
        ["Psykiatri", "Beroende", "Psykiatri"],
        ["Psykiatri", "Soc", "Psykiatri"],
    ]
    _assert_bulk_is_per_journey(rows, stay)
    _assert_bulk_is_per_journey(rows, None)


def test_a_rejection_reached_by_a_handover_passes_it_on_in_bulk() -> None:
    """Turned away where a handover brought the person, they are sent on: a loop closes.

    Psychiatry hands over to addiction care, which turns the person away; two hours later
    they are back at psychiatry, within the same stay (no handover). The rejection sends
    them on, so psychiatry → addiction care → psychiatry is a loop; had addiction care
    seen them (a contact), nothing would have moved them back. Bulk counts as per journey.
    """
    steps = [
        ("2024-01-01", "Psykiatri", "contact"),
        ("2024-01-05 08:00", "Beroende", "rejection"),
        ("2024-01-05 10:00", "Psykiatri", "contact"),
    ]
    stay = _stay(6)
    assert _loop_units(_rows(steps), stay) == [["Psykiatri", "Beroende", "Psykiatri"]]
    _assert_bulk_is_per_journey(_rows(steps), stay)
    seen = [*steps[:1], ("2024-01-05 08:00", "Beroende", "contact"), *steps[2:]]
    assert _loop_units(_rows(seen), stay) == []
    _assert_bulk_is_per_journey(_rows(seen), stay)


def test_pointer_jumping_sums_each_chain_and_refuses_a_pointer_backwards() -> None:
    """Chains 0→2→3 and 1→3 sum the values they visit; a pointer back is an error, not a hang.

    The bulk loop count follows forward pointers by logarithmic rounds of gathers; a
    pointer that did not go forward once made the rounds spin for ever.
    """
    values = pl.Series([1, 10, 100, 1000], dtype=pl.Int64)
    nxt = pl.Series([2, 3, 3, None], dtype=pl.Int64)
    assert _jumped_sums(values, nxt).to_list() == [1100, 1000, 1000, 0]
    with pytest.raises(CareflowError, match="points backwards"):
        _jumped_sums(values, pl.Series([2, 3, 0, None], dtype=pl.Int64))
