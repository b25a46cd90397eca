r"""Benchmark: population scoring of the shared rich workload, against PM4Py's handover network.

Make the workloads first (seed 42)::

    python ../shared/bench/gen_eventlog.py --rich 100000 42 /tmp/p100k
    python ../shared/bench/gen_eventlog.py --rich 1000000 42 /tmp/p1m

then run::

    .venv/bin/python bench/bench_population.py /tmp/p100k/care_100000_rich.parquet \\
        /tmp/p1m/care_1000000_rich.parquet [--runs 3] [--by unit] \\
        [--workers N] [--pm4py-python /path/to/python-with-pm4py]

Each run is a fresh process that does what ``careflow population LOG --by unit`` does
(:func:`careflow.population.pipeline.run_population`: read the log part by part, sort,
score every case, aggregate, add the parts up and suppress small cells), with as many
worker processes as the CLI starts (one per CPU; ``--workers N`` to choose), and reports
its wall time, its CPU time (user + system, all threads, the workers included) and its
peak resident memory: the largest sum, sampled every 0.25 s, of the resident memory of
the process and its workers (``ru_maxrss`` when larger; a sum of resident sizes counts
the libraries the processes share once per process, so it overstates a little).
The bench prints the median of the runs per log. When a Python with pm4py
is given (or pm4py is importable here), PM4Py's handover-of-work network on the same file
runs in the same way, alternating with careflow's runs, and the ratio is printed. PM4Py is
a benchmark-only dependency, never one of careflow's. The load average is printed before
and after: on a shared machine wall times grow with it, CPU times much less.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

CAREFLOW_RUN = """
import json, os, resource, sys, threading, time

def rss_mib(pid):
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0

def children(pid):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    return found

peak = [0.0]
stop = threading.Event()

def sample():
    me = os.getpid()
    while not stop.wait(0.25):
        peak[0] = max(peak[0], rss_mib(me) + sum(rss_mib(c) for c in children(me)))

threading.Thread(target=sample, daemon=True).start()
t0 = time.perf_counter()
from careflow.population.pipeline import available_workers, run_population
workers = int(sys.argv[3]) if len(sys.argv) > 3 else available_workers()
result = run_population(sys.argv[1], by=sys.argv[2], workers=workers)
t1 = time.perf_counter()
stop.set()
own = resource.getrusage(resource.RUSAGE_SELF)
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({
    "seconds": t1 - t0,
    "cpu": own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime,
    "rss_mib": max(peak[0], own.ru_maxrss / 1024), "cases": result.journeys,
    "events": result.events, "partitions": result.partitions, "workers": workers,
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
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({
    "seconds": t1 - t0, "cpu": usage.ru_utime + usage.ru_stime,
    "rss_mib": usage.ru_maxrss / 1024,
}))
"""


def _run(python: str, code: str, *args: str) -> dict[str, float]:
    command = [python, "-c", code, *args]  # our own interpreter(s) and script: trusted
    done = subprocess.run(command, check=True, capture_output=True, text=True)  # noqa: S603
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} / {five:.1f} / {fifteen:.1f} (1 / 5 / 15 min)"


def _median(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def _bench(log: Path, *, runs: int, by: str, pm4py_python: str | None, workers: int | None) -> None:
    print(f"{log.name}: before, {_load()}", flush=True)
    ours: list[dict[str, float]] = []
    theirs: list[dict[str, float]] = []
    chosen = [] if workers is None else [str(workers)]
    for _ in range(runs):
        ours.append(_run(sys.executable, CAREFLOW_RUN, str(log), by, *chosen))
        if pm4py_python:
            theirs.append(_run(pm4py_python, PM4PY_RUN, str(log)))
    med = _median(ours)
    walls = ", ".join(f"{r['seconds']:.1f}" for r in ours)
    print(
        f"careflow population --by {by}: {int(med['cases']):,} cases, "
        f"{int(med['events']):,} events in {int(med['partitions'])} part(s), "
        f"{int(med['workers'])} worker(s): "
        f"{med['seconds']:.1f} s wall, {med['cpu']:.1f} s CPU, "
        f"peak RSS {med['rss_mib']:,.0f} MiB (median of {runs}; each run's wall: {walls})"
    )
    if theirs:
        pm = _median(theirs)
        print(
            f"PM4Py handover-of-work network: {pm['seconds']:.1f} s wall, {pm['cpu']:.1f} s "
            f"CPU, peak RSS {pm['rss_mib']:,.0f} MiB; careflow/PM4Py wall-time ratio "
            f"{med['seconds'] / pm['seconds']:.2f}, CPU-time ratio {med['cpu'] / pm['cpu']:.2f}"
        )
    else:
        print("PM4Py: not installed here (pass --pm4py-python); no ratio")
    print(f"{log.name}: after, {_load()}", flush=True)


def main() -> None:
    """Run the benchmark on each log and print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("logs", type=Path, nargs="+", help="rich workload Parquet files")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--by", default="unit")
    parser.add_argument("--workers", type=int, default=None, help="default: one per CPU")
    parser.add_argument("--pm4py-python", default=None, help="a Python that has pm4py")
    args = parser.parse_args()
    pm4py_python = args.pm4py_python
    if pm4py_python is None and importlib.util.find_spec("pm4py") is not None:
        pm4py_python = sys.executable
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"{platform.python_implementation()} {platform.python_version()}"
    )
    for log in args.logs:
        _bench(log, runs=args.runs, by=args.by, pm4py_python=pm4py_python, workers=args.workers)


if __name__ == "__main__":
    main()
