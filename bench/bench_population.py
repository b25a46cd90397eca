r"""Benchmark: population scoring of the shared rich workload, against PM4Py's handover network.

Make the workload first (seed 42)::

    python ../shared/bench/gen_eventlog.py --rich 100000 42 /tmp/i10bench

then run::

    .venv/bin/python bench/bench_population.py /tmp/i10bench/care_100000_rich.parquet \\
        [--runs 3] [--by unit] [--pm4py-python /path/to/python-with-pm4py]

Each run is a fresh process that reads the Parquet log, scores every case
(:func:`careflow.population.score_events`), aggregates per ``--by`` and suppresses small
cells, as ``careflow population`` does; it reports its wall time and its peak resident
memory (``ru_maxrss``). The bench prints the median of the runs. When a Python with pm4py
is given (or pm4py is importable here), PM4Py's handover-of-work network on the same file
runs in the same way, alternating with careflow's runs, and the ratio is printed. PM4Py is
a benchmark-only dependency, never one of careflow's.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import statistics
import subprocess
import sys
from pathlib import Path

CAREFLOW_RUN = """
import json, resource, sys, time
t0 = time.perf_counter()
from careflow.population import read_events, score_events
from careflow.population.aggregate import aggregate
from careflow.population.privacy import suppress
events = read_events(sys.argv[1])
t1 = time.perf_counter()
scores = score_events(events)
t2 = time.perf_counter()
published = suppress(aggregate(events, scores, sys.argv[2]), 5)
t3 = time.perf_counter()
print(json.dumps({
    "seconds": t3 - t0, "read": t1 - t0, "score": t2 - t1, "aggregate": t3 - t2,
    "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "cases": scores.table.height, "events": events.height,
}))
"""

PM4PY_RUN = """
import json, resource, sys, time
t0 = time.perf_counter()
import pandas as pd
import pm4py
frame = pd.read_parquet(sys.argv[1])
log = pm4py.format_dataframe(
    frame, case_id="case_id", activity_key="activity", timestamp_key="timestamp"
)
log["org:resource"] = log["unit"]
network = pm4py.discover_handover_of_work_network(log)
t1 = time.perf_counter()
print(json.dumps({
    "seconds": t1 - t0, "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def _run(python: str, code: str, *args: str) -> dict[str, float]:
    command = [python, "-c", code, *args]  # our own interpreter(s) and script: trusted
    done = subprocess.run(command, check=True, capture_output=True, text=True)  # noqa: S603
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    """Run the benchmark and print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log", type=Path, help="a rich workload Parquet file")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--by", default="unit")
    parser.add_argument("--pm4py-python", default=None, help="a Python that has pm4py")
    args = parser.parse_args()
    pm4py_python = args.pm4py_python
    if pm4py_python is None and importlib.util.find_spec("pm4py") is not None:
        pm4py_python = sys.executable
    ours: list[dict[str, float]] = []
    theirs: list[dict[str, float]] = []
    for _ in range(args.runs):
        ours.append(_run(sys.executable, CAREFLOW_RUN, str(args.log), args.by))
        if pm4py_python:
            theirs.append(_run(pm4py_python, PM4PY_RUN, str(args.log)))
    med = {k: statistics.median(r[k] for r in ours) for k in ours[0]}
    print(
        f"machine: {platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}, runs: {args.runs} (medians)"
    )
    print(
        f"careflow population --by {args.by}: {int(med['cases']):,} cases, "
        f"{int(med['events']):,} events in {med['seconds']:.1f} s "
        f"(read+sort {med['read']:.1f} s, score {med['score']:.1f} s, "
        f"aggregate+suppress {med['aggregate']:.1f} s), peak RSS {med['rss_mib']:,.0f} MiB"
    )
    if theirs:
        pm = {k: statistics.median(r[k] for r in theirs) for k in theirs[0]}
        print(
            f"PM4Py handover-of-work network: {pm['seconds']:.1f} s, peak RSS "
            f"{pm['rss_mib']:,.0f} MiB; careflow/PM4Py time ratio "
            f"{med['seconds'] / pm['seconds']:.2f}"
        )
    else:
        print("PM4Py: not installed here (pass --pm4py-python); no ratio")


if __name__ == "__main__":
    main()
