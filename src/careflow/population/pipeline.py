"""Score a population part by part, so memory is bounded by a part, not by the log.

:func:`run_population` is the whole population path (read, sort, score, aggregate,
suppress) for an event log of any length. It splits the log into ``K`` parts by ranges of
the case id (cut at the quantiles of a sample of the case column, so the parts hold about
as many rows each), so that every case is whole in one part and the parts follow each
other in case order, and then, one part at a time, reads the part's rows (their 1-based
row numbers in the file kept for errors), sorts and scores them (:func:`read_events`,
:func:`score_events`), refuses personal case ids (counted over the whole log when there
are any) and aggregates them (:func:`aggregate`). Aggregates hold only sums and counts, so
the parts' tables add up to the whole log's (:func:`combine`); small cells are suppressed
once, on the sum (:func:`suppress`).

The number of parts (:func:`partition_count`)
    ``K = ceil(rows × BYTES_PER_EVENT / memory_budget)``, at least 1: a part's working
    memory (the part's rows as read, the sorted events table, the per-event columns of
    scoring and aggregation) was measured at about :data:`BYTES_PER_EVENT` bytes per row
    on the shared rich workload (ten columns), and ``memory_budget`` defaults to
    :data:`DEFAULT_MEMORY_BUDGET`. A 20M-row log is read in 12 parts. ``K`` depends on
    the log and the budget only, never on the machine, so the results do not either.

Workers (``workers``)
    With ``workers`` above 1 and more than one part, the parts are scored by that many
    separate processes at once (started with ``spawn``; each runs polars on one thread,
    which is the most work per CPU second on this path, and with polars' allocator told
    to keep freed memory for reuse a little longer), each reading its part from the
    file itself and sending back the part's aggregates. The parts are added up in their
    order whatever order they finish in, so the results are the same bytes with any
    number of workers. Memory is then about ``workers × memory_budget`` plus the main
    process. A script that calls this with workers needs the usual
    ``if __name__ == "__main__":`` guard, as every ``spawn`` program does.

How memory stays bounded
    Only one part's events are in memory at a time in each process. Across parts the
    pipeline keeps a sample of at most 200,000 case ids (to cut the ranges), each part's
    aggregate table (one row per group) and nothing per event or per case. The per-case
    table (``scores``) is written part by part to a temporary Parquet file per part, and
    the parts are copied into the target in order by polars' streaming engine: the target
    is sorted by case because the parts are ranges of case ids. A CSV log larger than one
    part is first copied, streamed, to a temporary Parquet file (with its row numbers), so
    that the parts can be read from it without parsing the CSV again.

Errors name the file and the row of the file, as :func:`read_events` does for a whole
log; with several errors in a log the first one found in case order is reported.
"""

from __future__ import annotations

import itertools
import math
import multiprocessing
import os
import signal
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from pathlib import Path
from typing import Final

import attrs
import polars as pl

from careflow.errors import CareflowError, JourneyFileError, OutputError
from careflow.io.eventlog import EventLogColumns, LogReport, UnmappedValue, _resolve
from careflow.io.mapping import ROLES, LogMapping
from careflow.io.output import check_output, write_output
from careflow.model import Aspect
from careflow.population._read import check_size, read_events_report, separator
from careflow.population.aggregate import Aggregates, aggregate, combine
from careflow.population.privacy import (
    DEFAULT_MIN_COUNT,
    Suppressed,
    check_pseudonymous,
    suppress,
)
from careflow.population.scores import score_events
from careflow.targets import Framework, builtin_framework

__all__ = [
    "BYTES_PER_EVENT",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MEMORY_BUDGET",
    "PartsError",
    "PopulationResult",
    "WorkerError",
    "available_workers",
    "partition_count",
    "run_population",
]

#: Working memory of one event (one row of the log) while its part is scored, measured
#: on the shared rich workload; the rule of :func:`partition_count`.
BYTES_PER_EVENT: Final = 640
#: Memory a part may take by default (1 GiB): with polars and Python themselves, a run
#: with two workers stays under 4 GiB whatever the length of the log.
DEFAULT_MEMORY_BUDGET: Final = 1024**3
#: Largest CSV log read by default (64 GiB). Memory no longer grows with the file, so
#: this limit only guards against reading the wrong file; raise it with ``max_bytes``.
DEFAULT_MAX_BYTES: Final = 64 * 1024**3
_ROW: Final = "__careflow_row"
#: Rows sampled to cut a log into parts.
_SAMPLE: Final = 200_000
_PARQUET: Final = frozenset({".parquet", ".pq"})

#: Called after each step with (steps done, steps in all).
Progress = Callable[[int, int], None]


class PartsError(CareflowError, ValueError):
    """A number of parts, of workers or a memory budget that cannot be used (not positive)."""


class WorkerError(CareflowError, RuntimeError):
    """A worker process ended without giving its part's result (killed, out of memory)."""


def available_workers() -> int:
    """How many CPUs this process may run on: the default number of workers of the CLI.

    Examples
    --------
    >>> available_workers() >= 1
    True
    """
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@attrs.frozen(kw_only=True, slots=True)
class PopulationResult:
    """What :func:`run_population` computed.

    ``aggregates`` are the sums and counts of the whole log (with derived columns),
    ``published`` the same table after small-cell suppression, the one to publish;
    ``not_computed`` names the columns the bulk path does not compute, with the reason;
    ``journeys`` and ``events`` count the log, ``partitions`` the parts it was read in;
    ``report`` is how the log was read (the parts' reports added up), as
    :func:`careflow.population.read_events_report` gives it for a whole log.
    """

    aggregates: Aggregates
    published: Suppressed
    not_computed: dict[str, str]
    journeys: int
    events: int
    partitions: int
    report: LogReport | None = None


def partition_count(rows: int, *, memory_budget: int = DEFAULT_MEMORY_BUDGET) -> int:
    """How many parts a log of ``rows`` rows is read in: ``ceil(rows × 640 / budget)``.

    Raises
    ------
    PartsError
        When ``memory_budget`` is not positive.

    Examples
    --------
    >>> partition_count(1_000_000), partition_count(20_000_000)
    (1, 12)
    """
    if memory_budget <= 0:
        raise PartsError(f"the memory budget must be positive, not {memory_budget}")
    return max(1, math.ceil(rows * BYTES_PER_EVENT / memory_budget))


def run_population(
    source: str | os.PathLike[str],
    *,
    by: str = "unit",
    period: str = "quarter",
    framework: Framework | None = None,
    min_count: int = DEFAULT_MIN_COUNT,
    columns: EventLogColumns | None = None,
    mapping: LogMapping | None = None,
    allow_personal_ids: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
    partitions: int | None = None,
    memory_budget: int = DEFAULT_MEMORY_BUDGET,
    scores: str | os.PathLike[str] | None = None,
    inputs: Sequence[str | os.PathLike[str]] = (),
    progress: Progress | None = None,
    workers: int = 1,
) -> PopulationResult:
    """Score and aggregate every journey of a CSV or Parquet log, part by part.

    Parameters
    ----------
    source
        A ``.csv``, ``.parquet`` or ``.pq`` event log.
    by, period
        The grouping and period length, as for :func:`aggregate`.
    framework
        The målbilder to score (default the built-in framework).
    min_count
        Smallest count a published cell may hold (:func:`suppress`).
    columns
        Column names where they differ from the known ones.
    mapping
        A mapping file's rules, applied as the per-journey reader applies them; its
        ``recorded_completely`` reaches the scores.
    allow_personal_ids
        Accept case ids that look like personnummer (closed environments only).
    max_bytes
        Largest CSV file read.
    partitions
        How many parts to read the log in (default: :func:`partition_count`).
    memory_budget
        Bytes a part may take, for the default number of parts.
    scores
        Also write the per-case table here (``.csv`` or ``.parquet``; it holds case ids),
        sorted by case, as :func:`score_events` gives it for the whole log.
    inputs
        Files that ``scores`` must not overwrite (besides ``source``).
    progress
        Called with (steps done, steps in all) as the work advances: one step per part,
        then one for suppression.
    workers
        How many processes score parts at once (default 1: this process, one part after
        the other). The results are the same bytes with any number; see the module's
        notes on workers for memory.

    Raises
    ------
    JourneyFileError
        When the log cannot be read or holds an invalid row (naming the file and row),
        or its case ids look like personal identity numbers.
    PartsError
        When ``partitions``, ``workers`` or ``memory_budget`` is not positive.
    WorkerError
        When a worker process ends without a result (killed, out of memory).
    """
    if partitions is not None and partitions < 1:
        raise PartsError(f"the number of parts must be positive, not {partitions}")
    if workers < 1:
        raise PartsError(f"the number of workers must be positive, not {workers}")
    file = os.fspath(source)
    target = None if scores is None else os.fspath(scores)
    if target is not None:
        check_output(target, inputs=[file, *inputs])
    settings = _Settings(
        by=by,
        period=period,
        framework=framework or builtin_framework(),
        columns=columns,
        mapping=mapping,
        progress=progress,
    )
    with tempfile.TemporaryDirectory(prefix="careflow-population-") as folder:
        work = Path(folder)
        with _scan(
            file, max_bytes=max_bytes, work=work, memory_budget=memory_budget, k=partitions
        ) as (scan, origin, k, rows):
            header = scan.collect_schema().names()
            names = [h for h in header if h != _ROW]
            found = _resolve(names, columns, mapping, file=file)
            case_column = names[found["case"]]
            case_text = _case_text(scan, case_column)
            # a case column neither text nor integers: its text order is Python's, one part
            key, bounds = _plan(scan, case_column, case_text, k, rows, file=file)
            jobs = [
                _Job(
                    index=i,
                    source=origin,
                    key=key,
                    lo=lo,
                    hi=hi,
                    settings=attrs.evolve(settings, progress=None),
                    ids=_Ids(check=not allow_personal_ids, column=case_column, text=case_text),
                    file=file,
                    work=work if target else None,
                )
                for i, (lo, hi) in enumerate(bounds)
            ]
            if workers > 1 and len(jobs) > 1 and origin is not None:
                outcomes = _in_workers(jobs, workers, progress)
            else:
                outcomes = _in_turn(jobs, scan, progress)
            done = _gathered(outcomes)
        if not done.parts:
            raise JourneyFileError("the event log has no rows", file=file)
        combined = done.parts[0] if len(done.parts) == 1 else combine(done.parts)
        published = suppress(combined, min_count)
        if target is not None:
            _write_scores(done.score_files, target, inputs=[file, *inputs])
        if progress is not None:
            progress(len(bounds) + 1, len(bounds) + 1)
    return PopulationResult(
        aggregates=combined,
        published=published,
        not_computed=done.not_computed,
        journeys=done.journeys,
        events=done.events,
        partitions=len(bounds),
        report=_added(done.reports),
    )


def _added(reports: Sequence[LogReport]) -> LogReport | None:
    """The parts' read reports as one: counts added (parts hold disjoint cases)."""
    if not reports:
        return None
    first = reports[0]

    def total(field: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for report in reports:
            for role, n in getattr(report, field).items():
                out[role] = out.get(role, 0) + n
        return out

    unmapped: dict[tuple[str, str], list[int]] = {}
    for report in reports:
        for u in report.unmapped:
            entry = unmapped.setdefault((u.role, u.value), [0, 0])
            entry[0] += u.events
            entry[1] += u.cases
    values = tuple(
        UnmappedValue(role=role, value=value, events=n[0], cases=n[1])
        for role in ROLES
        for (r, value), n in sorted(unmapped.items(), key=lambda kv: (-kv[1][0], kv[0][1]))
        if r == role
    )
    return LogReport(
        file=first.file,
        format=first.format,
        columns=first.columns,
        rows=sum(r.rows for r in reports),
        events=sum(r.events for r in reports),
        cases=sum(r.cases for r in reports),
        skipped=total("skipped"),
        unknown=total("unknown"),
        unmapped=values,
        recorded_completely=first.recorded_completely,
        ignored=total("ignored"),
    )


@attrs.frozen(kw_only=True, slots=True)
class _Settings:
    by: str
    period: str
    framework: Framework
    columns: EventLogColumns | None
    mapping: LogMapping | None
    progress: Progress | None


@attrs.frozen(kw_only=True, slots=True)
class _Ids:
    """Whether to refuse personal case ids, and where the case ids are."""

    check: bool
    column: str
    text: pl.Expr | None

    def refuse_personal(self, table: pl.DataFrame, scan: pl.LazyFrame, *, file: str) -> None:
        """Refuse a part with personal case ids, counting them in the whole log."""
        if not self.check:
            return
        case = table.get_column("case")
        dtype = case.dtype
        ids = dtype.categories if isinstance(dtype, pl.Enum) else case.unique()
        try:
            check_pseudonymous(ids, file=file, column=self.column)
        except JourneyFileError:
            if self.text is None:
                raise  # one part: it was the whole log
            every = _collect(scan.select(self.text.unique()), file=file).to_series()
            check_pseudonymous(every, file=file, column=self.column)
            raise


@attrs.frozen(kw_only=True, slots=True)
class _Source:
    """A Parquet file a worker scans its part from, and whether to number its rows."""

    path: str
    numbered: bool

    def scan(self) -> pl.LazyFrame:
        scan = pl.scan_parquet(self.path)
        return scan.with_row_index(_ROW, offset=1) if self.numbered else scan


@attrs.frozen(kw_only=True, slots=True)
class _Job:
    """One part to score: the range ``[lo, hi)`` of ``key`` in the log (picklable)."""

    index: int
    source: _Source | None
    key: pl.Expr | None
    lo: str | None
    hi: str | None
    settings: _Settings
    ids: _Ids
    file: str
    work: Path | None


@attrs.frozen(kw_only=True, slots=True)
class _Outcome:
    """What one part gave (nothing when its range held no rows)."""

    aggregates: Aggregates | None = None
    score_file: Path | None = None
    not_computed: dict[str, str] = attrs.field(factory=dict)
    report: LogReport | None = None
    journeys: int = 0
    events: int = 0


@attrs.define(kw_only=True, slots=True)
class _Parts:
    """What the parts gave: their aggregates, per-case files and counts."""

    parts: list[Aggregates] = attrs.field(factory=list)
    score_files: list[Path] = attrs.field(factory=list)
    not_computed: dict[str, str] = attrs.field(factory=dict)
    reports: list[LogReport] = attrs.field(factory=list)
    journeys: int = 0
    events: int = 0


def _gathered(outcomes: Sequence[_Outcome]) -> _Parts:
    """The parts' outcomes in part order, added up."""
    done = _Parts()
    for outcome in outcomes:
        if outcome.aggregates is None:
            continue
        done.parts.append(outcome.aggregates)
        if outcome.report is not None:
            done.reports.append(outcome.report)
        if outcome.score_file is not None:
            done.score_files.append(outcome.score_file)
        done.not_computed = outcome.not_computed
        done.journeys += outcome.journeys
        done.events += outcome.events
    return done


def _score_part(job: _Job, scan: pl.LazyFrame | None = None) -> _Outcome:
    """Read, sort, score and aggregate one part (in this process or in a worker)."""
    if scan is None:
        if job.source is None:
            raise WorkerError("a part without a file to read it from", file=job.file)
        scan = job.source.scan()
    part = scan
    if job.key is not None and (job.lo is not None or job.hi is not None):
        part = scan.filter(_between(job.key, job.lo, job.hi))
    frame = _collect(part, file=job.file)
    if not frame.height:  # a range without rows happens only when cases are few
        return _Outcome()
    settings = job.settings
    read = read_events_report(
        frame,
        columns=settings.columns,
        mapping=settings.mapping,
        allow_personal_ids=True,  # checked below, on the sorted part's case ids
        file=job.file,
        row_numbers=_ROW,
    )
    del frame
    table = read.events
    job.ids.refuse_personal(table, scan, file=job.file)
    declared = frozenset(Aspect(a) for a in read.report.recorded_completely)
    scored = score_events(table, settings.framework, recorded_completely=declared)
    aggregates = aggregate(table, scored, settings.by, period=settings.period)
    events = table.height
    del table
    score_file = None
    if job.work is not None:
        score_file = job.work / f"scores-{job.index:05d}.parquet"
        scored.table.with_columns(pl.col("case").cast(pl.String)).write_parquet(score_file)
    return _Outcome(
        aggregates=aggregates,
        score_file=score_file,
        not_computed=scored.not_computed,
        report=read.report,
        journeys=scored.table.height,
        events=events,
    )


def _in_turn(jobs: Sequence[_Job], scan: pl.LazyFrame, progress: Progress | None) -> list[_Outcome]:
    """Score the parts one after the other in this process; only one is in memory."""
    outcomes = []
    for job in jobs:
        outcomes.append(_score_part(job, scan))
        if progress is not None:
            progress(job.index + 1, len(jobs) + 1)
    return outcomes


def _in_workers(jobs: Sequence[_Job], workers: int, progress: Progress | None) -> list[_Outcome]:
    """Score the parts in ``workers`` processes; the outcomes in part order.

    When a part fails, the parts before it are still awaited, so the error reported is
    the first in part order (case order), as when the parts are scored in turn.
    """
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(
        max_workers=min(workers, len(jobs)), mp_context=context, initializer=_worker_started
    )
    futures: list[Future[_Outcome]] = []
    try:
        with _worker_environment():
            # workers start as the jobs are handed out: all of them start here
            futures = [pool.submit(_score_part, job) for job in jobs]
        pending: set[Future[_Outcome]] = set(futures)
        while pending:
            _, pending = wait(pending, return_when=FIRST_COMPLETED)
            if progress is not None:
                progress(len(futures) - len(pending), len(futures) + 1)
            failed = next((i for i, f in enumerate(futures) if _failed(f)), None)
            if failed is not None and all(f.done() for f in futures[:failed]):
                break
        return [_result(f, jobs[i]) for i, f in enumerate(futures)]
    finally:
        if all(f.done() for f in futures):
            pool.shutdown(wait=True)
        else:  # an earlier part failed, or Ctrl-C
            _stop(pool)


def _failed(future: Future[_Outcome]) -> bool:
    return future.done() and not future.cancelled() and future.exception() is not None


def _result(future: Future[_Outcome], job: _Job) -> _Outcome:
    try:
        return future.result()
    except BrokenProcessPool:
        raise WorkerError(
            f"the worker scoring part {job.index + 1} ended without a result (killed, or "
            "out of memory?); try fewer workers or a smaller memory budget",
            file=job.file,
        ) from None


def _stop(pool: ProcessPoolExecutor) -> None:
    """Stop every worker now, mid-part: nobody will read their parts (a part failed, Ctrl-C).

    The executor has no public way to stop running work: its processes (which
    ``shutdown`` forgets) are taken first, the jobs not started are cancelled, and the
    processes still running are terminated and awaited.
    """
    running: dict[int, multiprocessing.process.BaseProcess] = (
        getattr(pool, "_processes", None) or {}
    )
    processes = list(running.values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()  # nothing happens to one that has ended
    for process in processes:
        process.join(timeout=5)
        if process.is_alive():  # still starting when told to stop
            process.kill()
            process.join()
    pool.shutdown(wait=True)


def _worker_started() -> None:
    """In each worker: Ctrl-C is the main process's to handle (no worker tracebacks)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


#: Polars' own settings of jemalloc, its allocator on Linux: polars writes them into
#: ``_RJEM_MALLOC_CONF`` when it is imported (once more in each process that imports it),
#: followed by the user's own, if any.
_POLARS_ALLOCATOR: Final = frozenset(
    {"dirty_decay_ms:500", "muzzy_decay_ms:1000", "thp:always", "metadata_thp:always"}
)
#: What workers add to polars' allocator settings: keep freed memory for reuse for 10 s
#: (jemalloc's own default, which polars lowers to 0.5 s), large blocks included.
#: Polars' settings hand blocks of 8 MB and more (a column of a million rows) back to the
#: system as soon as they are freed, so the next such column is faulted in again, page by
#: page: a fifth of a worker's CPU time went to the kernel. On the 1M-journey log the
#: kernel's share went from about 30 s to 14 s, for 2.7 GiB instead of 2.1 GiB
#: (``docs/population.md``). Other allocators ignore the variable.
_WORKER_ALLOCATOR: Final = "oversize_threshold:0,dirty_decay_ms:10000,muzzy_decay_ms:0"


#: The thread counts a worker sets to one: the workers are the parallelism.
_ONE_THREAD: Final = ("POLARS_MAX_THREADS", "OPENBLAS_NUM_THREADS")


@contextmanager
def _worker_environment() -> Iterator[None]:
    """Workers started here run polars and BLAS on one thread, with :data:`_WORKER_ALLOCATOR`.

    Unless the user chose: a ``POLARS_MAX_THREADS`` or ``OPENBLAS_NUM_THREADS`` of their
    own (numpy's BLAS adds up aggregates, :mod:`._sums`), or allocator settings of their
    own (anything besides polars' in ``_RJEM_MALLOC_CONF``), is left alone. Polars and
    OpenBLAS read their thread counts once, when loaded, and jemalloc its settings when
    it starts, so the variables are set while the workers start and put back
    afterwards; this process is not affected.
    """
    allocator = "_RJEM_MALLOC_CONF"
    before = {name: os.environ.get(name) for name in (*_ONE_THREAD, allocator)}
    for threads in _ONE_THREAD:
        if before[threads] is None:
            os.environ[threads] = "1"
    current = before[allocator]
    if current is None:
        os.environ[allocator] = _WORKER_ALLOCATOR
    elif set(current.split(",")) <= _POLARS_ALLOCATOR:  # polars' settings alone
        os.environ[allocator] = f"{current},{_WORKER_ALLOCATOR}"
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def _scan(
    file: str, *, max_bytes: int, work: Path, memory_budget: int, k: int | None
) -> Iterator[tuple[pl.LazyFrame, _Source | None, int, int]]:
    """The log as a lazy table with a 1-based row number column, its file, parts and rows.

    A CSV log that takes more than one part is copied to Parquet first (streamed), so
    that each part does not parse the whole CSV again. The file (``None`` for one part,
    read into memory) is what workers read their parts from.
    """
    suffix = Path(file).suffix.lower()
    try:
        if suffix in _PARQUET:
            scan = pl.scan_parquet(file)
        else:
            check_size(file, max_bytes=max_bytes)
            scan = pl.scan_csv(
                file, infer_schema=False, encoding="utf8-lossy", separator=separator(file)
            )
        scan = scan.with_row_index(_ROW, offset=1)
        rows = int(scan.select(pl.len()).collect().item())
        k = k or partition_count(rows, memory_budget=memory_budget)
        source = None
        if k == 1:
            scan = scan.collect().lazy()  # one part: read the file once
        elif suffix not in _PARQUET:
            copy = work / "log.parquet"
            scan.sink_parquet(copy)
            source = _Source(path=str(copy), numbered=False)
            scan = source.scan()
        else:
            source = _Source(path=file, numbered=True)
        yield scan, source, k, rows
    except OSError as exc:
        raise JourneyFileError(f"cannot read the file ({exc})", file=file) from None
    except pl.exceptions.PolarsError as exc:
        raise _unreadable(exc, file) from None


def _unreadable(exc: Exception, file: str) -> JourneyFileError:
    return JourneyFileError(
        f"not a readable event log ({type(exc).__name__}: {str(exc)[:200]})", file=file
    )


def _collect(scan: pl.LazyFrame, *, file: str) -> pl.DataFrame:
    try:
        return scan.collect()
    except pl.exceptions.PolarsError as exc:
        raise _unreadable(exc, file) from None


def _case_text(scan: pl.LazyFrame, column: str) -> pl.Expr | None:
    """The case id as the reader sees it (stripped text), when polars gives that text.

    Text is stripped as by :func:`read_events`; integers are written as Python writes them.
    Other types (rare as case ids) give ``None``: the log is then read in one part.
    """
    dtype = scan.collect_schema()[column]
    if dtype == pl.String:
        return pl.col(column).fill_null("").str.strip_chars()
    if dtype.is_integer():
        return pl.col(column).cast(pl.String).fill_null("")
    return None


def _plan(
    scan: pl.LazyFrame, column: str, case_text: pl.Expr | None, k: int, rows: int, *, file: str
) -> tuple[pl.Expr | None, list[tuple[str | None, str | None]]]:
    """The expression to cut the log by, and ``k`` ranges ``[lo, hi)`` of it (None: open).

    The cuts are read from a sorted sample of the case ids of every ``rows / _SAMPLE``-th
    row, so the parts hold about as many rows each. When no case id needs stripping, the
    parts are cut on the column itself (cheaper than stripping it for every part).
    """
    if case_text is None or k <= 1:
        return case_text, [(None, None)]
    raw = pl.col(column)
    text = scan.collect_schema()[column] == pl.String
    found = _collect(
        scan.select(
            sample=case_text.gather_every(max(1, rows // _SAMPLE)).sort().implode(),
            plain=(raw.is_not_null() & (raw == case_text)).all() if text else pl.lit(False),
        ),
        file=file,
    )
    sample: pl.Series = found.item(0, "sample")
    key = raw if found.item(0, "plain") else case_text
    n = len(sample)
    if n <= 1:
        return key, [(None, None)]
    cuts = sorted({sample[n * i // k] for i in range(1, k)} - {sample[0]})
    edges: list[str | None] = [None, *cuts, None]
    return key, list(itertools.pairwise(edges))


def _between(case_text: pl.Expr, lo: str | None, hi: str | None) -> pl.Expr:
    condition = pl.lit(value=True)
    if lo is not None:
        condition &= case_text >= lo
    if hi is not None:
        condition &= case_text < hi
    return condition


def _write_scores(
    files: list[Path], target: str, *, inputs: Sequence[str | os.PathLike[str]]
) -> None:
    """Copy the parts' per-case tables into ``target`` in order (streamed to a file)."""
    csv = Path(target).suffix.lower() == ".csv"
    if not files:
        return
    # a part whose column is all empty may have another type: the first part's types
    schema = pl.Schema(pl.read_parquet_schema(files[0]))
    scan = pl.concat([pl.scan_parquet(f).cast(schema) for f in files])
    how = check_output(target, inputs=inputs)
    if how != "replace":
        table = scan.collect()
        data = table.write_csv().encode("utf-8") if csv else _parquet_bytes(table)
        write_output(target, data, inputs=inputs)
        return
    folder = os.path.dirname(os.path.abspath(target))
    fd, temporary = tempfile.mkstemp(prefix=".careflow-", suffix=Path(target).suffix, dir=folder)
    os.close(fd)
    try:
        if csv:
            scan.sink_csv(temporary)
        else:
            scan.sink_parquet(temporary)
        os.replace(temporary, target)
    except (OSError, pl.exceptions.PolarsError) as exc:
        Path(temporary).unlink(missing_ok=True)
        raise OutputError(f"cannot write the per-case table ({exc})", file=target) from None


def _parquet_bytes(table: pl.DataFrame) -> bytes:
    import io  # noqa: PLC0415 - only for non-file targets

    buffer = io.BytesIO()
    table.write_parquet(buffer)
    return buffer.getvalue()
