"""The population path part by part: same results as the whole log, bounded memory, rows."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from polars.testing import assert_frame_equal

from careflow.cli import main
from careflow.errors import JourneyFileError
from careflow.population import read_events, score_events
from careflow.population.aggregate import aggregate
from careflow.population.pipeline import (
    BYTES_PER_EVENT,
    DEFAULT_MEMORY_BUDGET,
    PartsError,
    WorkerError,
    _Job,
    _result,
    _stop,
    _worker_environment,
    partition_count,
    run_population,
)
from careflow.population.privacy import suppress

GENERATOR = Path(__file__).resolve().parents[2] / "shared" / "bench" / "gen_eventlog.py"


@pytest.fixture(scope="module")
def rich_small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared rich workload at 300 cases (Parquet and CSV), made by the shared generator."""
    if not GENERATOR.exists():
        pytest.skip("the shared benchmark generator is not next to this checkout")
    out = tmp_path_factory.mktemp("rich")
    subprocess.run(
        [sys.executable, str(GENERATOR), "--rich", "300", "42", str(out)],
        check=True,
        capture_output=True,
    )
    return out / "care_300_rich.parquet"


def _whole(
    log: Path, by: str
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, tuple[object, ...]]:
    events = read_events(log)
    scores = score_events(events)
    agg = aggregate(events, scores, by, period="quarter")
    published = suppress(agg, 5)
    per_case = scores.table.with_columns(pl.col("case").cast(pl.String))
    return agg.table, published.table, per_case, published.cells


@pytest.mark.parametrize("by", ["unit", "boundary", "period", "staff"])
def test_parts_add_up_to_the_whole_log(rich_small: Path, tmp_path: Path, by: str) -> None:
    """Read in 4 parts by case, every table is that of the whole log read at once.

    The aggregates, the published table and the per-case table: counts exact, sums to 1e-12.
    """
    agg, published, per_case, cells = _whole(rich_small, by)
    out = tmp_path / "scores.parquet"
    result = run_population(rich_small, by=by, partitions=4, scores=out)
    assert result.partitions == 4
    assert result.journeys == per_case.height
    assert result.events == int(per_case.get_column("events").sum())
    assert_frame_equal(result.aggregates.table, agg, check_exact=False, rel_tol=1e-12)
    assert_frame_equal(result.published.table, published, check_exact=False, rel_tol=1e-12)
    assert result.published.cells == cells
    assert_frame_equal(pl.read_parquet(out), per_case)


def test_the_csv_log_in_parts_scores_like_the_parquet_log(rich_small: Path, tmp_path: Path) -> None:
    """A CSV log read in parts (copied to Parquet first) scores like the Parquet log.

    The per-case CSV is sorted by case and complete.
    """
    pq = run_population(rich_small, partitions=1)
    out = tmp_path / "scores.csv"
    csv = run_population(rich_small.with_suffix(".csv"), partitions=3, scores=out)
    assert_frame_equal(csv.aggregates.table, pq.aggregates.table, check_exact=False)
    cases = pl.read_csv(out, infer_schema=False).get_column("case")
    assert cases.to_list() == sorted(cases.to_list())
    assert cases.n_unique() == cases.len() == pq.journeys


def test_progress_advances_once_per_part_and_once_at_the_end(rich_small: Path) -> None:
    """The progress callback hears (1, K+1), (2, K+1), ... (K+1, K+1)."""
    calls: list[tuple[int, int]] = []
    run_population(rich_small, partitions=3, progress=lambda d, n: calls.append((d, n)))
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_the_number_of_parts_follows_the_memory_budget() -> None:
    """K = ceil(rows × BYTES_PER_EVENT / budget), at least 1; 20M rows take 12 parts."""
    assert partition_count(0) == 1
    assert partition_count(DEFAULT_MEMORY_BUDGET // BYTES_PER_EVENT) == 1
    assert partition_count(DEFAULT_MEMORY_BUDGET // BYTES_PER_EVENT + 1) == 2
    assert partition_count(20_000_000) == 12
    assert partition_count(1000, memory_budget=BYTES_PER_EVENT * 100) == 10
    with pytest.raises(PartsError, match="positive"):
        partition_count(10, memory_budget=0)
    with pytest.raises(PartsError, match="positive"):
        run_population("log.parquet", partitions=0)
    with pytest.raises(PartsError, match="workers must be positive"):
        run_population("log.parquet", workers=0)


def _log(tmp_path: Path, bad_row: int, rows: int = 40) -> Path:
    lines = ["case_id,timestamp,unit,kind"]
    for i in range(rows):
        kind = "sometimes" if i + 1 == bad_row else "contact"
        lines.append(f"K{i % 8},2023-01-{1 + i // 8:02d},Unit {i % 3},{kind}")
    path = tmp_path / "log.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("partitions", "workers"), [(1, 1), (4, 1), (4, 2)])
def test_an_error_names_the_file_and_its_row(tmp_path: Path, partitions: int, workers: int) -> None:
    """An unknown kind in row 38 of the file is reported at row 38, read whole or in parts.

    With workers too: the error crosses the process boundary whole.
    """
    log = _log(tmp_path, bad_row=38)
    with pytest.raises(JourneyFileError) as caught:
        run_population(log, partitions=partitions, workers=workers)
    assert caught.value.file == str(log)
    assert caught.value.path == "row 38, kind"
    assert "'sometimes' is not a kind of event" in str(caught.value)


def test_read_events_names_the_rows_it_is_given(tmp_path: Path) -> None:
    """A frame carrying its rows' numbers in the file reports those numbers.

    The column of numbers is no column of the log.
    """
    frame = pl.read_csv(_log(tmp_path, bad_row=38), infer_schema=False)
    numbered = frame.with_row_index("n", offset=1).filter(pl.col("case_id") == "K5")
    with pytest.raises(JourneyFileError) as caught:
        read_events(numbered, file="log.csv", row_numbers="n")
    assert (caught.value.file, caught.value.path) == ("log.csv", "row 38, kind")
    good = frame.with_row_index("n", offset=1).filter(pl.col("case_id") == "K1")
    assert "n" not in read_events(good, row_numbers="n").columns


def test_personal_ids_are_counted_over_the_whole_log(tmp_path: Path) -> None:
    """The refusal counts personal case ids in every part, not only in the first."""
    rows = ["case_id,timestamp,unit", "121212-1212,2023-01-01,A", "19121212-1212,2023-01-02,B"]
    rows += [f"P{i},2023-01-03,A" for i in range(6)]
    log = tmp_path / "ids.csv"
    log.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(JourneyFileError, match=r"^.*: 2 case id"):
        run_population(log, partitions=3)
    with pytest.raises(JourneyFileError, match=r"^.*: 2 case id"):
        run_population(log, partitions=3, workers=2)
    assert run_population(log, partitions=3, allow_personal_ids=True).journeys == 8


def test_the_byte_limit_still_bounds_a_csv_log(tmp_path: Path) -> None:
    """A CSV log larger than max_bytes is refused, naming the limit; no row limit applies."""
    log = _log(tmp_path, bad_row=0)
    with pytest.raises(JourneyFileError, match="more than the limit of 100"):
        run_population(log, max_bytes=100)
    assert run_population(log).events == 40


def test_population_command_reads_in_parts(
    rich_small: Path, tmp_path: Path, runner: CliRunner
) -> None:
    """--partitions N gives the counts of one part (sums to float rounding), no progress bar.

    No bar is drawn when stderr is not a terminal (as under the test runner).
    """
    one, four = tmp_path / "one.csv", tmp_path / "four.csv"
    first = runner.invoke(main, ["population", str(rich_small), "-o", str(one)])
    second = runner.invoke(
        main, ["population", str(rich_small), "--partitions", "4", "-o", str(four)]
    )
    assert first.exit_code == second.exit_code == 0, second.output
    whole = pl.read_csv(one, infer_schema_length=None)
    parts = pl.read_csv(four, infer_schema_length=None)
    assert_frame_equal(parts, whole, check_exact=False, rel_tol=1e-5)
    assert "population" not in second.stderr.replace(f"wrote {four}", "")


def test_population_command_writes_the_per_case_table_in_case_order(
    rich_small: Path, tmp_path: Path, runner: CliRunner
) -> None:
    """--scores with 3 parts writes the bytes the whole log's score table gives as CSV.

    The parts are scored by two workers (--workers 2).
    """
    out, cases = tmp_path / "agg.json", tmp_path / "cases.csv"
    args = ["population", str(rich_small), "--partitions", "3", "--workers", "2"]
    args += ["--scores", str(cases)]
    result = runner.invoke(main, [*args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    table = score_events(read_events(rich_small)).table
    expected = table.with_columns(pl.col("case").cast(pl.String)).write_csv()
    assert cases.read_text(encoding="utf-8") == expected


def test_workers_give_the_same_bytes_as_one_process(rich_small: Path, tmp_path: Path) -> None:
    """Parts scored by 2 worker processes: every table is the same bytes as in turn.

    The aggregates, the published table and its suppressed cells, the per-case table
    (copied from the workers' files in case order), the read report; progress is heard
    once per part and once at the end, in order.
    """
    one, two = tmp_path / "one.parquet", tmp_path / "two.parquet"
    calls: list[tuple[int, int]] = []
    in_turn = run_population(rich_small, by="boundary", partitions=3, scores=one)
    workers = run_population(
        rich_small,
        by="boundary",
        partitions=3,
        scores=two,
        workers=2,
        progress=lambda d, n: calls.append((d, n)),
    )
    assert_frame_equal(workers.aggregates.table, in_turn.aggregates.table, check_exact=True)
    assert_frame_equal(workers.published.table, in_turn.published.table, check_exact=True)
    assert workers.published.cells == in_turn.published.cells
    assert (workers.journeys, workers.events, workers.partitions) == (
        in_turn.journeys,
        in_turn.events,
        3,
    )
    assert workers.report == in_turn.report
    assert workers.not_computed == in_turn.not_computed
    assert one.read_bytes() == two.read_bytes()
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_a_worker_that_dies_is_one_clear_error(tmp_path: Path) -> None:
    """A worker killed (out of memory) gives a WorkerError naming the part and the file."""
    future: Future[object] = Future()
    future.set_exception(BrokenProcessPool("a child process terminated abruptly"))
    job = _Job(
        index=2,
        source=None,
        key=None,
        lo=None,
        hi=None,
        settings=None,  # type: ignore[arg-type]  # not read on this path
        ids=None,  # type: ignore[arg-type]
        file="log.parquet",
        work=None,
    )
    with pytest.raises(WorkerError, match="part 3 ended without a result") as caught:
        _result(future, job)  # type: ignore[arg-type]
    assert caught.value.file == "log.parquet"


def test_workers_are_stopped_mid_part_at_once() -> None:
    """A part failed or Ctrl-C: workers still busy are stopped now, not when done."""
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    busy = pool.submit(time.sleep, 120)
    pool.submit(time.sleep, 120)  # queued behind it: not started
    while not busy.running():
        time.sleep(0.05)
    processes = list(pool._processes.values())  # what _stop must stop
    started = time.monotonic()
    _stop(pool)
    assert time.monotonic() - started < 30
    assert processes
    assert not any(p.is_alive() for p in processes), [(p.pid, p.exitcode) for p in processes]


def _environment_of_a_worker() -> dict[str, str | None]:
    names = ("POLARS_MAX_THREADS", "OPENBLAS_NUM_THREADS", "_RJEM_MALLOC_CONF")
    return {name: os.environ.get(name) for name in names}


def test_workers_get_their_environment_and_this_process_keeps_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Workers run polars and BLAS on one thread, with the allocator settings.

    A user's choice wins.

    Polars writes its own allocator settings first when imported (here, and again in
    each worker), then the user's; jemalloc reads them in order, the last one winning.
    """
    context = multiprocessing.get_context("spawn")
    polars_own = "dirty_decay_ms:500,muzzy_decay_ms:1000"
    ours = "oversize_threshold:0,dirty_decay_ms:10000,muzzy_decay_ms:0"
    for here, in_worker in [
        (polars_own, f"{polars_own},{polars_own},{ours}"),
        # a process started by another that imported polars: polars' settings twice
        (f"{polars_own},{polars_own}", f"{polars_own},{polars_own},{polars_own},{ours}"),
        (f"{polars_own},narenas:2", f"{polars_own},{polars_own},narenas:2"),
    ]:
        monkeypatch.delenv("POLARS_MAX_THREADS", raising=False)
        monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
        monkeypatch.setenv("_RJEM_MALLOC_CONF", here)
        with _worker_environment(), ProcessPoolExecutor(1, mp_context=context) as pool:
            seen = pool.submit(_environment_of_a_worker).result()
        assert seen == {
            "POLARS_MAX_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "_RJEM_MALLOC_CONF": in_worker,
        }
        assert "POLARS_MAX_THREADS" not in os.environ
        assert "OPENBLAS_NUM_THREADS" not in os.environ
        assert os.environ["_RJEM_MALLOC_CONF"] == here
    # thread counts the user chose are theirs
    monkeypatch.setenv("POLARS_MAX_THREADS", "2")
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "3")
    with _worker_environment(), ProcessPoolExecutor(1, mp_context=context) as pool:
        seen = pool.submit(_environment_of_a_worker).result()
    assert (seen["POLARS_MAX_THREADS"], seen["OPENBLAS_NUM_THREADS"]) == ("2", "3")
