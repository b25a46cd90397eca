"""Benchmark: time and peak memory of ``careflow.read_event_log`` for a log of N rows.

The workload is the shared synthetic event log (``../shared/bench/gen_eventlog.py N SEED
OUTDIR``, seed 42: about 20 rows a case, shuffled, six columns), written as CSV and as
Parquet. Each run reads one file in a fresh Python process, so one run's memory never
counts for the next; the parent takes the child's peak resident set size from the
operating system (``os.wait4``, the same figure as ``/usr/bin/time -v``'s "Maximum
resident set size") and the child reports the seconds the read took and its resident
size before reading (the interpreter and careflow's imports). The table gives the median
of the runs and the bytes per row read: (peak - before) / rows.

Run: ``.venv/bin/python bench/bench_read.py [--cases 500 5000 100000] [--runs 3]
[--data DIR]``. Files missing from DIR (default ``bench/data``) are generated first
(pandas, numpy and pyarrow, in the ``dev`` group; 100,000 cases take about 15 s). The
figures in docs/event-logs.md were measured with it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
GENERATOR_PLACES = (
    HERE.parents[1] / "shared" / "bench" / "gen_eventlog.py",
    HERE.parents[2] / "shared" / "bench" / "gen_eventlog.py",
)

#: Run in the child: import careflow, note the resident size, read, report as JSON.
CHILD = """
import json, resource, sys, time
import careflow
if sys.argv[1].endswith(".parquet"):
    import pyarrow.parquet  # loaded by the read anyway: count it in the baseline
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
journeys = careflow.read_event_log(sys.argv[1])
seconds = time.perf_counter() - t0
print(json.dumps({
    "seconds": seconds,
    "before_kib": before,
    "cases": len(journeys),
    "events": sum(len(j.events) for j in journeys),
}))
"""


def _generator() -> Path:
    for place in GENERATOR_PLACES:
        if place.is_file():
            return place
    sys.exit(f"bench: cannot find the shared generator at {GENERATOR_PLACES[0]}")


def ensure_logs(cases: int, data: Path) -> dict[str, Path]:
    """The CSV and Parquet logs of ``cases`` cases in ``data``, generated when missing."""
    paths = {fmt: data / f"care_{cases}.{fmt}" for fmt in ("csv", "parquet")}
    if not all(p.is_file() for p in paths.values()):
        data.mkdir(parents=True, exist_ok=True)
        print(f"generating {cases:,} cases in {data} ...", file=sys.stderr, flush=True)
        subprocess.run(  # noqa: S603 - fixed argv
            [sys.executable, str(_generator()), str(cases), "42", str(data)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return paths


def measure(path: Path) -> dict[str, float]:
    """Read ``path`` once in a fresh process: seconds, peak RSS (``os.wait4``), baseline."""
    t0 = time.perf_counter()
    child = subprocess.Popen(  # noqa: S603 - fixed argv
        [sys.executable, "-c", CHILD, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert child.stdout is not None
    out = child.stdout.read()
    _pid, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - t0
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        sys.exit(f"bench: reading {path} failed (exit {child.returncode})")
    report = json.loads(out)
    return {
        "wall": wall,
        "seconds": report["seconds"],
        "peak_kib": usage.ru_maxrss,
        "before_kib": report["before_kib"],
        "events": report["events"],
        "cases": report["cases"],
    }


def main() -> None:
    """Print one line per log and format: median seconds, peak MiB, bytes per row."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, nargs="+", default=[500, 5000, 100000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--formats", nargs="+", default=["csv", "parquet"])
    parser.add_argument("--data", type=Path, default=HERE / "data")
    args = parser.parse_args()
    print(
        f"# careflow.read_event_log, median of {args.runs} runs, a fresh process each; "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f} at start",
        flush=True,
    )
    print(
        f"{'cases':>7} {'rows':>10} {'format':<8} {'read s':>7} {'process s':>9} "
        f"{'peak MiB':>9} {'base MiB':>9} {'bytes/row':>9}  runs (read s)",
        flush=True,
    )
    for cases in args.cases:
        paths = ensure_logs(cases, args.data)
        for fmt in args.formats:
            runs: list[dict[str, float]] = []
            for i in range(args.runs):
                runs.append(measure(paths[fmt]))
                print(
                    f"  {fmt} {cases:,} cases, run {i + 1}: {runs[-1]['seconds']:.1f} s, "
                    f"peak {runs[-1]['peak_kib'] / 1024:.0f} MiB",
                    file=sys.stderr,
                    flush=True,
                )
            rows = int(runs[0]["events"])
            seconds = statistics.median(r["seconds"] for r in runs)
            wall = statistics.median(r["wall"] for r in runs)
            peak = statistics.median(r["peak_kib"] for r in runs)
            base = statistics.median(r["before_kib"] for r in runs)
            per_row = (peak - base) * 1024 / rows
            each = ", ".join(f"{r['seconds']:.1f}" for r in runs)
            print(
                f"{cases:>7,} {rows:>10,} {fmt:<8} {seconds:>7.2f} {wall:>9.2f} "
                f"{peak / 1024:>9.0f} {base / 1024:>9.0f} {per_row:>9,.0f}  {each}",
                flush=True,
            )
    print(f"# load average {os.getloadavg()[0]:.1f} at the end", flush=True)


if __name__ == "__main__":
    main()
