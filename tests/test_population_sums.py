"""Group sums as a matrix product (:mod:`careflow.population._sums`) are exact integer sums."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from careflow.population._sums import ROWS, group_sums


def _expected(
    columns: list[np.ndarray], group: np.ndarray, row: np.ndarray, groups: int
) -> list[list[int]]:
    """The sums in Python integers, each (group, row) membership once."""
    members = sorted(set(zip(group.tolist(), row.tolist(), strict=True)))
    sums = [[0] * len(columns) for _ in range(groups)]
    for g, r in members:
        for j, column in enumerate(columns):
            sums[g][j] += int(column[r])
    return sums


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    height=st.sampled_from([1, 7, ROWS - 1, ROWS, ROWS + 3, 2 * ROWS + 100]),
    groups=st.integers(1, 40),
    magnitude=st.sampled_from([1, 2**12, 10**12, 2**40, 2**50]),
    signed=st.booleans(),
    repeats=st.integers(1, 3),
)
def test_group_sums_are_the_exact_integer_sums(
    *, seed: int, height: int, groups: int, magnitude: int, signed: bool, repeats: int
) -> None:
    """Every group's sum equals the sum in Python integers, across blocks and limb counts.

    Values from 2**38 on need two limbs; repeated memberships count once; some
    rows belong to no group and some groups to no row.
    """
    rng = np.random.default_rng(seed)
    magnitude = min(magnitude, 2**62 // height)  # every sum fits in 64 bits
    low = -magnitude if signed else 0
    columns = [
        rng.integers(low, magnitude + 1, size=height, dtype=np.int64),
        rng.integers(0, 2, size=height, dtype=np.int64),
        np.full(height, magnitude, dtype=np.int64),
    ]
    pairs = rng.integers(0, height * repeats, size=2)  # how many memberships
    count = int(pairs[0])
    group = rng.integers(0, groups, size=count, dtype=np.int64)
    row = rng.integers(0, height, size=count, dtype=np.int64)
    got = group_sums(columns, group, row, groups)
    assert got.dtype == np.int64
    assert got.shape == (groups, len(columns))
    assert got.tolist() == _expected(columns, group, row, groups)


def test_group_sums_of_extreme_values_are_exact() -> None:
    """The largest 64-bit values a few rows can add up to stay exact (two limbs, signed)."""
    top = 2**62
    columns = [np.array([top, top - 1, -top, 1], dtype=np.int64)]
    group = np.array([0, 0, 1, 1, 2], dtype=np.int64)
    row = np.array([0, 1, 2, 3, 0], dtype=np.int64)
    got = group_sums(columns, group, row, 3)
    assert got[:, 0].tolist() == [2 * top - 1, -top + 1, top]


@pytest.mark.parametrize("groups", [1, 5])
def test_group_sums_without_rows_are_zero(groups: int) -> None:
    """No journeys or no memberships: every sum is 0."""
    empty = np.array([], dtype=np.int64)
    assert group_sums([empty], empty, empty, groups).tolist() == [[0]] * groups
    column = np.arange(5, dtype=np.int64)
    assert group_sums([column], empty, empty, groups).tolist() == [[0]] * groups
