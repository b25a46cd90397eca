"""Benchmark: how long Graphviz's dot takes to lay out a journey map as the journey grows.

The journeys come from :func:`bench_score.build_journeys` (the shared synthetic event log,
seed 42, enriched). For each size the DOT text of the journey map (with its findings) is
built and ``dot -Tsvg`` is run on it with a timeout; the script prints the build time, the
layout time and the size of the DOT text. These figures chose
:data:`careflow.render.journey_map.MAX_DRAWN_EVENTS` (see docs/diagrams.md).

Run: ``.venv/bin/python bench/bench_render.py [--sizes 250 500 1000 2000] [--timeout 120]``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_score import build_journeys

from careflow.gaps import find_gaps
from careflow.render import journey_map


def main() -> None:
    """Print build and layout seconds per journey size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[250, 500, 1000, 2000])
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()
    dot = shutil.which("dot")
    if dot is None:
        sys.exit("bench: Graphviz's dot is needed")
    for size in args.sizes:
        journey = build_journeys(1, size)[0]
        t0 = time.perf_counter()
        source = journey_map(journey, findings=find_gaps(journey), lang="en").source
        built = time.perf_counter() - t0
        t1 = time.perf_counter()
        try:
            done = subprocess.run(  # noqa: S603 - fixed argv
                [dot, "-Tsvg"],
                input=source.encode(),
                capture_output=True,
                timeout=args.timeout,
                check=False,
            )
            laid = time.perf_counter() - t1
            status = "ok" if done.returncode == 0 else f"dot failed ({done.returncode})"
        except subprocess.TimeoutExpired:
            laid = time.perf_counter() - t1
            status = f"timeout after {args.timeout:.0f} s"
        print(
            f"{size:>6} events: build {built:6.2f} s, dot {laid:7.2f} s, "
            f"{len(source) / 1024:8.0f} KiB DOT, {status}",
            flush=True,
        )


if __name__ == "__main__":
    main()
