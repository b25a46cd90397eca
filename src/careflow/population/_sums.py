"""Exact integer sums per group, as products of a 0/1 membership matrix and the values.

A group's sum of per-journey integers (counts, fixed-point scores) is the product of a
row of the membership matrix (1 where the journey belongs to the group) with the values.
Polars computes it by joining the memberships to the values and grouping: when journeys
belong to many groups each (every unit they met), that join copies every value once per
membership. The product reads each value once, and BLAS computes it at memory speed.

It is exact. Each value is cut into limbs of ``bits`` bits (the top limb signed), the
journeys are taken :data:`ROWS` at a time, and every limb of every journey is below
``2**bits`` in size, so every partial sum a float product can form (whatever its order or
threads) is an integer below ``2**53``, which a float holds exactly. The limb sums are put
back together in 64-bit integers, as polars adds them: the same numbers, to the bit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = ["ROWS", "group_sums"]

#: Journeys per block: the membership and value blocks stay a few tens of MB.
ROWS: Final = 16_384
#: Bits per limb: a block's sum of limbs stays below 2**53 (a float's exact integers).
_BITS: Final = 53 - ROWS.bit_length()
_MASK: Final = (1 << _BITS) - 1

Ints = npt.NDArray[np.int64]


def _limbs(values: Ints) -> int:
    """How many limbs of :data:`_BITS` bits hold every value (the top one signed)."""
    if not len(values):
        return 1
    low, high = int(values.min()), int(values.max())
    count = 1
    while not -(1 << (count * _BITS)) <= low <= high < 1 << (count * _BITS):
        count += 1
    return count


def group_sums(columns: Sequence[Ints], group: Ints, row: Ints, groups: int) -> Ints:
    """Per group, the sum of each column over the rows that belong to it.

    ``columns`` hold one integer per row; membership ``i`` puts row ``row[i]`` in group
    ``group[i]`` (a repeated membership counts once). The result has one row per group
    and one column per column. Each sum must fit in a signed 64-bit integer, as in polars
    (the fixed-point sums do, up to ``aggregate._FIXED_JOURNEYS`` journeys).
    """
    height = len(columns[0]) if columns else 0
    limbs = [_limbs(c) for c in columns]
    total = np.zeros((groups, len(columns)), dtype=np.int64)
    order = np.argsort(row, kind="stable")
    group, row = group[order], row[order]
    # one membership block and one value block, reused: a new one per block would be a
    # fresh mapping of pages each time (the kernel's work, not ours)
    rows = min(height, ROWS)
    members = np.zeros((groups, rows))
    values = np.empty((rows, sum(limbs)), order="F")
    for start in range(0, height, ROWS):
        stop = min(height, start + ROWS)
        first, last = np.searchsorted(row, [start, stop])
        member, block = members[:, : stop - start], values[: stop - start]
        member.fill(0.0)
        member[group[first:last], row[first:last] - start] = 1.0
        k = 0
        for column, count in zip(columns, limbs, strict=True):
            part = column[start:stop]
            for i in range(count):
                limb = part >> (i * _BITS)
                block[:, k] = limb if i == count - 1 else limb & _MASK
                k += 1
        sums = (member @ block).astype(np.int64)  # integers below 2**53: exact
        k = 0
        for j, count in enumerate(limbs):
            for i in range(count):
                total[:, j] += sums[:, k] << (i * _BITS)
                k += 1
    return total
