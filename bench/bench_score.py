"""Benchmark: journeys scored per second, at 30 and 300 events a journey.

The journeys come from the shared synthetic event log (``../shared/bench/gen_eventlog.py``,
seed 42): its rows, sorted by case and time, are cut into journeys of exactly N events,
and each is enriched deterministically (seeded) with what a hand-written journey holds:
event kinds, contact persons with a coordinator, a network, a SIP, handover quality and
reported experience, so that every indicator does real work rather than returning "not
assessable" at once.

Run: ``taskset -c 0 .venv/bin/python bench/bench_score.py [--runs 7] [--journeys 2000]``.
Prints the median of the runs (scoring only; building the journeys is not timed) and the
load average before and after: on a shared machine, compare runs made back to back.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from careflow import model as m
from careflow.scoring import score_journey
from careflow.targets import builtin_framework

SHARED = Path(__file__).resolve().parents[2] / "shared" / "bench" / "gen_eventlog.py"

_KINDS = [
    ("contact", 30),
    ("assessment", 8),
    ("treatment", 14),
    ("support", 10),
    ("referral", 8),
    ("help_seeking", 4),
    ("need_signal", 2),
    ("rejection", 3),
    ("redirection", 2),
    ("crisis", 2),
    ("admission", 2),
    ("discharge", 2),
    ("plan_meeting", 4),
    ("first_contact", 6),
    ("drop_out", 1),
]
_SERVICES = {"region": "psychiatric_outpatient", "kommun": "social_services", "other": "other"}


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("gen_eventlog", SHARED)
    if spec is None or spec.loader is None:
        sys.exit(f"bench: cannot find the shared generator at {SHARED}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_journeys(n_journeys: int, size: int, seed: int = 42) -> list[m.Journey]:
    """Cut the shared event log into ``n_journeys`` journeys of ``size`` events, enriched."""
    gen = _generator()
    n_cases = max(10, n_journeys * size // 18)
    df = gen.generate(n_cases, seed).sort_values(
        ["case_id", "timestamp", "activity"], kind="stable"
    )
    rows = list(
        zip(
            df["timestamp"].dt.to_pydatetime(),
            df["unit"],
            df["principal"],
            df["contact_type"],
            strict=True,
        )
    )
    rng = random.Random(seed)  # noqa: S311 - reproducible synthetic data
    kinds = [k for k, _ in _KINDS]
    weights = [w for _, w in _KINDS]
    channel = {
        "visit": "in_person",
        "phone": "phone",
        "digital": "digital",
        "home_visit": "outreach",
        "planning": "in_person",
    }
    journeys = []
    for j in range(n_journeys):
        chunk = rows[(j * size) % max(1, len(rows) - size) :][:size]
        base = chunk[0][0]
        actors: dict[str, m.Actor] = {}
        events = []
        previous: dt.datetime | None = None
        for i, (ts, unit, principal, contact_type) in enumerate(chunk):
            aid = unit.lower().replace(" ", "-")
            if aid not in actors:
                actors[aid] = m.Actor(
                    id=aid,
                    name=unit,
                    principal=principal,
                    service=_SERVICES.get(principal, "other"),
                )
            when = base + (ts - base) / 10 if ts >= base else base + dt.timedelta(days=i)
            if previous is not None and when <= previous:
                # the chunk crossed into the next case: keep the journey moving forward
                when = previous + dt.timedelta(hours=rng.randint(1, 72))
            previous = when
            kind = rng.choices(kinds, weights)[0]
            events.append(
                m.Event(
                    id=f"e{i}",
                    date=when + dt.timedelta(seconds=i),
                    actor=aid,
                    kind=kind,
                    channel=channel.get(contact_type),
                    end=when + dt.timedelta(days=rng.randint(1, 60))
                    if kind in ("treatment", "support")
                    else None,
                    participants=("person", f"c{rng.randint(0, 5)}")
                    + (("n0",) if rng.random() < 0.2 else ()),
                    reason_code="other_condition"
                    if kind == "rejection" and rng.random() < 0.5
                    else None,
                    experience=m.Experience(
                        listened=rng.random() < 0.6, respected=rng.random() < 0.7
                    )
                    if rng.random() < 0.3
                    else None,
                    shared_decision=rng.random() < 0.5 if kind == "treatment" else None,
                    informed=rng.random() < 0.6 if rng.random() < 0.3 else None,
                )
            )
        transitions = [
            m.Transition(
                id=f"t{i}",
                source=events[i - 1].id,
                target=events[i].id,
                kind=rng.choice(["referral", "handover", "return"]),
                information=rng.choice(["none", "partial", "full", "unknown"]),
                warm=rng.choice([True, False, None]),
            )
            for i in range(1, len(events))
            if events[i].actor != events[i - 1].actor
        ]
        contacts = [
            m.ContactPerson(id=f"c{i}", role="coordinator" if i == 0 else "staff") for i in range(6)
        ]
        journeys.append(
            m.Journey(
                id=f"J{j}",
                person=m.Person(id=f"P{j}", needs=("substance_use", "mental_health", "housing")),
                actors=tuple(actors.values()),
                events=events,
                transitions=transitions,
                contacts=contacts,
                network=[m.NetworkMember(id="n0", relation="parent", consent=True)],
                plans=[
                    m.Plan(
                        id="sip",
                        kind="sip",
                        date=events[len(events) // 3].date,
                        participants=("person", "c0"),
                        domains=("housing",),
                    )
                ],
            )
        )
    return journeys


def run(n_journeys: int, size: int, runs: int) -> tuple[float, float]:
    """Median and best journeys/second over ``runs`` timed passes."""
    journeys = build_journeys(n_journeys, size)
    framework = builtin_framework()
    rates = []
    for _ in range(runs):
        t0 = time.perf_counter()
        for journey in journeys:
            score_journey(journey, framework)
        rates.append(len(journeys) / (time.perf_counter() - t0))
    return statistics.median(rates), max(rates)


def main() -> None:
    """Print journeys per second at 30 and 300 events a journey."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--journeys", type=int, default=2000, help="journeys at 30 events (a tenth at 300)"
    )
    args = parser.parse_args()
    print(
        f"python {platform.python_version()} on {platform.machine()}, {args.runs} runs, "
        f"load average {os.getloadavg()[0]:.1f} (pin to one core: taskset -c 0)"
    )
    for size, count in ((30, args.journeys), (300, max(20, args.journeys // 10))):
        median, best = run(count, size, args.runs)
        print(
            f"{size:>4} events/journey: {median:8.0f} journeys/s median ({best:.0f} best), "
            f"{1e6 / median:7.0f} µs/journey, {count} journeys"
        )
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
