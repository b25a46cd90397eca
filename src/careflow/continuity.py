"""Continuity-of-care indices over a chronological sequence of providers.

Each function takes the providers of a person's visits in time order (unit ids for
continuity over units, contact-person ids for relational continuity) and returns a
float, or ``None`` where the index is undefined. Visits whose provider is not recorded
(``None``) are left out before computing; :func:`continuity_indices` says how many.

Notation: N visits, M distinct providers, n_i visits to provider i.

Haggerty et al. (2003) distinguish relational, informational and management continuity;
careflow uses these indices for relational continuity over contact persons (målbild 9)
and continuity over units (målbild 4). See ``docs/continuity.md``.

References
----------
Bice TW, Boxerman SB (1977). A quantitative measure of continuity of care. Med Care 15(4).
Breslau N, Reeb KG (1975). Continuity of care in a university-based practice. J Med Educ 50.
Steinwachs DM (1979). Measuring provider continuity in ambulatory care. Med Care 17(6).
Magill MK, Senf J (1987). A new method for measuring continuity of care in family
practice residencies. J Fam Pract 24(2).
Kern LM et al. (2014). Fragmented ambulatory care and subsequent healthcare utilization.
Pollack CE et al. (2013). Patient sharing among physicians and costs of care. J Gen Intern
Med 28(3).
Haggerty JL et al. (2003). Continuity of care: a multidisciplinary review. BMJ 327.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from itertools import combinations, pairwise
from typing import Any

import attrs

__all__ = [
    "ContinuityIndices",
    "care_density",
    "coc",
    "continuity_indices",
    "fci",
    "hhi",
    "mmci",
    "secon",
    "shared_patients",
    "upc",
]


def _recorded(providers: Iterable[str | None]) -> list[str]:
    return [p for p in providers if p is not None]


def coc(providers: Sequence[str | None]) -> float | None:
    """Bice–Boxerman continuity of care index.

    COC = (Σ n_i² − N) / (N (N − 1)): 1 when every visit is to the same provider, 0 when
    every visit is to a different one. ``None`` for fewer than two recorded visits.
    Source: Bice & Boxerman (1977).

    Examples
    --------
    >>> round(coc(["A", "A", "B"]), 4), coc(["A", "B"]), coc(["A"])
    (0.3333, 0.0, None)
    """
    seq = _recorded(providers)
    n = len(seq)
    if n < 2:
        return None
    squares = sum(k * k for k in Counter(seq).values())
    return (squares - n) / (n * (n - 1))


def upc(providers: Sequence[str | None]) -> float | None:
    """Usual provider of care index: max n_i / N, the share of visits to the most-seen provider.

    Ranges 1/N..1. ``None`` for fewer than two recorded visits (like the other indices,
    a single visit says nothing about continuity). Source: Breslau & Reeb (1975).

    Examples
    --------
    >>> round(upc(["A", "A", "B"]), 4), upc(["A", "B", "A", "B"])
    (0.6667, 0.5)
    """
    seq = _recorded(providers)
    if len(seq) < 2:
        return None
    return max(Counter(seq).values()) / len(seq)


def secon(providers: Sequence[str | None]) -> float | None:
    """Sequential continuity: the share of consecutive visit pairs with the same provider.

    SECON = #{j in 1..N−1 : provider_j = provider_(j+1)} / (N − 1). The sequence is taken in
    the order given; careflow passes a journey's timeline, ordered by time, then by event
    kind, then by file order (see :attr:`careflow.model.Journey.timeline`). ``None`` for
    fewer than two recorded visits. Source: Steinwachs (1979).

    Examples
    --------
    >>> round(secon(["A", "A", "B", "B"]), 4), secon(["A", "B", "A", "B"])
    (0.6667, 0.0)
    """
    seq = _recorded(providers)
    if len(seq) < 2:
        return None
    same = sum(1 for a, b in pairwise(seq) if a == b)
    return same / (len(seq) - 1)


def hhi(providers: Sequence[str | None]) -> float | None:
    """Herfindahl–Hirschman index of provider concentration: Σ (n_i / N)².

    Ranges 1/M..1, and COC = (N·HHI − 1)/(N − 1). ``None`` for fewer than two recorded
    visits.

    Examples
    --------
    >>> round(hhi(["A", "A", "B"]), 4), hhi(["A", "B"])
    (0.5556, 0.5)
    """
    seq = _recorded(providers)
    n = len(seq)
    if n < 2:
        return None
    return sum((k / n) ** 2 for k in Counter(seq).values())


def mmci(providers: Sequence[str | None]) -> float | None:
    """Modified modified continuity index: (1 − M/(N + 0.1)) / (1 − 1/(N + 0.1)).

    Above 0 even when every provider differs (N = M = 2 gives 0.0909), 1 with one
    provider. ``None`` for fewer than two recorded visits. Source: Magill & Senf (1987).

    Examples
    --------
    >>> round(mmci(["A", "B"]), 4), round(mmci(["A", "A", "B", "B"]), 4)
    (0.0909, 0.6774)
    """
    seq = _recorded(providers)
    n = len(seq)
    if n < 2:
        return None
    m = len(set(seq))
    return (1 - m / (n + 0.1)) / (1 - 1 / (n + 0.1))


def fci(providers: Sequence[str | None]) -> float | None:
    """Fragmentation of care index: 1 − COC (0 with one provider, 1 when all differ).

    Its authors call it unreliable for N ≤ 3; careflow computes it from N = 2 and leaves
    that judgement to the reader. ``None`` for fewer than two recorded visits.
    Source: Kern et al. (2014).

    Examples
    --------
    >>> fci(["A", "B"]), fci(["A", "A"])
    (1.0, 0.0)
    """
    value = coc(providers)
    return None if value is None else 1.0 - value


@attrs.frozen(kw_only=True, slots=True)
class ContinuityIndices:
    """All indices of one sequence, with the counts they rest on."""

    n: int
    excluded: int
    providers: int
    coc: float | None
    upc: float | None
    secon: float | None
    hhi: float | None
    mmci: float | None
    fci: float | None

    def to_dict(self) -> dict[str, Any]:
        """The indices as plain data (keys as the attribute names)."""
        return attrs.asdict(self)


def continuity_indices(providers: Sequence[str | None]) -> ContinuityIndices:
    """Every index of ``providers`` at once, with N, the visits left out and M.

    Examples
    --------
    >>> ci = continuity_indices(["A", None, "A", "B"])
    >>> ci.n, ci.excluded, ci.providers, round(ci.coc, 4)
    (3, 1, 2, 0.3333)
    """
    seq = _recorded(providers)
    return ContinuityIndices(
        n=len(seq),
        excluded=len(providers) - len(seq),
        providers=len(set(seq)),
        coc=coc(seq),
        upc=upc(seq),
        secon=secon(seq),
        hhi=hhi(seq),
        mmci=mmci(seq),
        fci=fci(seq),
    )


def shared_patients(population: Iterable[Sequence[str | None]]) -> dict[tuple[str, str], int]:
    """For each pair of providers (sorted), how many people in ``population`` saw both.

    Compute it once and pass it to :func:`care_density` for every person.

    Examples
    --------
    >>> shared_patients([["A", "B"], ["A", "B", "C"], ["C"]])
    {('A', 'B'): 2, ('A', 'C'): 1, ('B', 'C'): 1}
    """
    counts: Counter[tuple[str, str]] = Counter()
    for providers in population:
        distinct = sorted(set(_recorded(providers)))
        counts.update(combinations(distinct, 2))
    return dict(sorted(counts.items()))


def care_density(
    person: Sequence[str | None],
    population: Iterable[Sequence[str | None]] = (),
    *,
    shared: Mapping[tuple[str, str], int] | None = None,
) -> float | None:
    """Care density: how much the providers a person sees share patients with each other.

    Over the person's pairs of distinct providers, the sum of the patients each pair
    shares in the population, divided by the number of pairs. High density means the
    person's providers are used to working together. ``None`` with fewer than two distinct
    providers. A population measure: pass the population's sequences, or ``shared`` from
    :func:`shared_patients` (then ``population`` is not read). Source: Pollack et al. (2013).

    Examples
    --------
    >>> pop = [["A", "B"], ["A", "B", "C"], ["C"]]
    >>> care_density(["A", "B", "C"], pop)  # pairs AB 2, AC 1, BC 1: 4 / 3
    1.3333333333333333
    >>> care_density(["A", "A"], pop) is None
    True
    """
    distinct = sorted(set(_recorded(person)))
    if len(distinct) < 2:
        return None
    table = shared if shared is not None else shared_patients(population)
    pairs = list(combinations(distinct, 2))
    return sum(table.get(pair, 0) for pair in pairs) / len(pairs)
