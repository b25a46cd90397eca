"""Continuity indices: the worked values of the domain reference, undefined cases, identities."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from careflow.continuity import (
    care_density,
    coc,
    continuity_indices,
    fci,
    hhi,
    mmci,
    secon,
    shared_patients,
    upc,
)

#: sequence → (COC, UPC, SECON, HHI, MMCI), from shared/domain/continuity.md.
WORKED = {
    "AA": (1.0, 1.0, 1.0, 1.0, 1.0),
    "AB": (0.0, 0.5, 0.0, 0.5, 0.0909),
    "AAB": (0.3333, 0.6667, 0.5, 0.5556, 0.5238),
    "AABB": (0.3333, 0.5, 0.6667, 0.5, 0.6774),
    "ABAB": (0.3333, 0.5, 0.0, 0.5, 0.6774),
}

providers = st.lists(st.sampled_from("ABCDE"), min_size=2, max_size=40)


@pytest.mark.parametrize("sequence", sorted(WORKED))
def test_worked_values(sequence: str) -> None:
    """Each index matches the worked table to 1e-4."""
    seq = list(sequence)
    expected = WORKED[sequence]
    got = (coc(seq), upc(seq), secon(seq), hhi(seq), mmci(seq))
    assert got == pytest.approx(expected, abs=1e-4)
    assert fci(seq) == pytest.approx(1 - expected[0], abs=1e-4)


@pytest.mark.parametrize("seq", [[], ["A"], [None, "A"], [None, None]])
def test_fewer_than_two_recorded_visits_are_undefined(seq: list[str | None]) -> None:
    """N < 2 gives None for every index: not assessable, never 0 or 1."""
    assert coc(seq) is None
    assert upc(seq) is None
    assert secon(seq) is None
    assert hhi(seq) is None
    assert mmci(seq) is None
    assert fci(seq) is None


def test_unrecorded_providers_are_excluded_and_counted() -> None:
    """Visits with no provider are left out before computing, and said so."""
    ci = continuity_indices(["A", None, "A", "B", None])
    assert (ci.n, ci.excluded, ci.providers) == (3, 2, 2)
    assert ci.coc == pytest.approx(coc(["A", "A", "B"]))
    assert ci.secon == pytest.approx(0.5)


def test_one_provider_is_full_continuity() -> None:
    """M = 1 and N ≥ 2: every index is 1 and FCI is 0."""
    seq = ["A"] * 5
    assert (coc(seq), upc(seq), secon(seq), hhi(seq), mmci(seq)) == (1.0, 1.0, 1.0, 1.0, 1.0)
    assert fci(seq) == 0.0


def test_all_different_providers() -> None:
    """Every visit to a new provider: COC and SECON 0, UPC 1/N, MMCI small but not 0."""
    seq = list("ABCD")
    assert coc(seq) == 0.0
    assert secon(seq) == 0.0
    assert upc(seq) == pytest.approx(0.25)
    value = mmci(seq)
    assert value is not None
    assert 0 < value < 0.1


@given(providers)
def test_coc_hhi_identity(seq: list[str]) -> None:
    """COC = (N·HHI − 1) / (N − 1) for every sequence."""
    n = len(seq)
    h, c = hhi(seq), coc(seq)
    assert h is not None
    assert c is not None
    assert c == pytest.approx((n * h - 1) / (n - 1), abs=1e-12)


@given(providers)
def test_ranges_and_reversal(seq: list[str]) -> None:
    """Each index lies in its range, and reading the visits backwards changes none of them."""
    n, m = len(seq), len(set(seq))
    values = continuity_indices(seq)
    assert values.coc is not None
    assert values.upc is not None
    assert values.hhi is not None
    assert 0 <= values.coc <= 1
    assert 1 / n - 1e-12 <= values.upc <= 1
    assert 1 / m - 1e-12 <= values.hhi <= 1
    assert values.secon is not None
    assert 0 <= values.secon <= 1
    assert values.mmci is not None
    assert 0 < values.mmci <= 1
    backwards = continuity_indices(seq[::-1])
    assert (backwards.coc, backwards.upc, backwards.hhi, backwards.mmci) == pytest.approx(
        (values.coc, values.upc, values.hhi, values.mmci), abs=1e-12
    )
    assert backwards.secon == pytest.approx(values.secon)


def test_care_density_by_hand() -> None:
    """Pairs AB (2 shared patients), AC (1) and BC (1) give (2 + 1 + 1) / 3."""
    population: list[list[str | None]] = [["A", "B"], ["A", "B", "C"], ["C"], ["B", None]]
    shared = shared_patients(population)
    assert shared == {("A", "B"): 2, ("A", "C"): 1, ("B", "C"): 1}
    assert care_density(["A", "B", "C"], population) == pytest.approx(4 / 3)
    assert care_density(["C", "A"], shared=shared) == pytest.approx(1.0)
    assert care_density(["A", "D"], shared=shared) == 0.0
    assert care_density(["A", "A", None], population) is None
