"""The ``careflow`` command: a thin click layer over the library.

Each command parses its arguments, calls the library, prints, and exits: 0 when all went
well, 1 when any input was invalid or an output could not be produced, 2 for usage
errors (click's own). A :class:`~careflow.errors.CareflowError` becomes one readable
paragraph on stderr; no traceback ever reaches the user.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import sys
import textwrap
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeVar

import click

from careflow.__about__ import __version__
from careflow.compare import compare_journeys
from careflow.contracts import SCHEMA_KINDS, output_schema
from careflow.errors import CareflowError
from careflow.gaps import Finding, Severity, find_gaps, findings_to_dicts
from careflow.i18n import count, default_lang, number
from careflow.io.eventlog import (
    DEFAULT_TIMEZONE,
    MAX_LOG_ROWS,
    CaseLimit,
    CaseTooLargeError,
    LogReport,
    survey_event_log,
)
from careflow.io.journey_file import MAX_ERRORS
from careflow.io.loading import INPUT_FORMATS, ReadSettings, load_journeys_report
from careflow.io.mapping import ROLES, load_mapping
from careflow.io.output import check_output, write_output
from careflow.model import Aspect, Journey, Principal
from careflow.render import actor_map, format_for_path, journey_map, profile_chart, render_bytes
from careflow.render.actor_map import MAX_EDGES
from careflow.render.journey_map import MAX_DRAWN_EVENTS, check_drawable, too_large_to_draw
from careflow.render.report import report_html
from careflow.scoring import Profile, score_journey
from careflow.targets import BUILTIN_FRAMEWORKS, load_framework

if TYPE_CHECKING:
    import polars as pl

    from careflow.population import ScoreTable

__all__ = ["main"]

F = TypeVar("F", bound=Callable[..., Any])

_CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class _Group(click.Group):
    """A group that turns careflow errors and unexpected failures into one paragraph."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CareflowError as exc:
            _error(str(exc))
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            _error("interrupted")
            ctx.exit(130)
        except BrokenPipeError:
            # the reader went away (``careflow score ... | head``): stop quietly, as cat does
            with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(0)
        except OSError as exc:
            # a file the operating system would not read or write: still one clean line
            where = exc.filename if exc.filename is not None else "a file"
            _error(f"{where}: {exc.strerror or exc}")
            ctx.exit(1)
        except Exception as exc:
            _error(
                f"internal error ({type(exc).__name__}: {exc}). This is a bug in careflow "
                "and not in your data; please report it with the command you ran."
            )
            ctx.exit(1)


def _error(message: str) -> None:
    click.echo(f"careflow: error: {message}", err=True)


@click.group(cls=_Group, context_settings=_CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="careflow")
def main() -> None:
    """Care journeys across region and kommun, scored against the ten målbilder.

    Journey files are YAML or JSON (see `careflow schema`); event logs are CSV, Parquet or
    XES with one row per event and one journey per case (see `careflow mapping init`).
    Nothing is sent anywhere: careflow makes no network calls and writes only the files
    you name.
    """


def _summary(journey: Journey) -> str:
    by_principal: dict[Principal, int] = {}
    for event in journey.events:
        principal = journey.actor_of(event).principal
        by_principal[principal] = by_principal.get(principal, 0) + 1
    spread = ", ".join(f"{p.value} {n}" for p, n in sorted(by_principal.items()))
    start, end = journey.start, journey.end
    span = f"{start:%Y-%m-%d} to {end:%Y-%m-%d}" if start and end else "no dates"
    return (
        f"{journey.id}: {count(len(journey.events), 'event', 'en')} ({spread or 'none'}), "
        f"{count(len(journey.actors), 'actor', 'en')}, "
        f"{count(len(journey.transitions), 'transition', 'en')}, "
        f"{count(len(journey.contacts), 'contact', 'en')}, "
        f"{count(len(journey.plans), 'plan', 'en')}; {span}"
    )


def _journey_facts(journey: Journey) -> dict[str, Any]:
    """The counts and dates of a journey, for ``validate --format json``."""
    start, end = journey.start, journey.end
    return {
        "id": journey.id,
        "events": len(journey.events),
        "actors": len(journey.actors),
        "transitions": len(journey.transitions),
        "contacts": len(journey.contacts),
        "plans": len(journey.plans),
        "start": None if start is None else start.date().isoformat(),
        "end": None if end is None else end.date().isoformat(),
    }


def _all_errors(error: CareflowError) -> list[CareflowError]:
    """The error and the others found in the same file after it."""
    return [error, *error.more]


def _error_dict(error: CareflowError) -> dict[str, Any]:
    return {"message": error.message, "file": error.file, "line": error.line, "path": error.path}


_SETTINGS_KEY = "careflow.read"


def _settings() -> ReadSettings:
    ctx = click.get_current_context(silent=True)
    found = ctx.meta.get(_SETTINGS_KEY) if ctx is not None else None
    return found if isinstance(found, ReadSettings) else ReadSettings()


def _load(name: str, case_limit: CaseLimit | None = None) -> list[Journey]:
    """Load one input with the run's read settings; note how a log was read on stderr."""
    journeys, report = load_journeys_report(name, _settings(), case_limit=case_limit)
    if report is not None:
        _note_report(report, full=False)
    return journeys


def _note_report(report: LogReport, *, full: bool) -> None:
    """Print a log's read report: in full (validate), or only what the user must know."""
    lines = report.lines()
    if full:
        for line in lines:
            click.echo(line)
        return
    worth = (
        report.skipped
        or report.unknown
        or report.unmapped
        or report.ignored
        or (report.encoding is not None and not report.encoding.startswith("UTF-8"))
    )
    if worth:
        click.echo(f"careflow: note: {lines[0]}", err=True)
        for line in lines[2:][:12]:
            click.echo(f"careflow: note: {line.strip()}", err=True)
        if len(lines) > 14:
            click.echo(
                f"careflow: note: ... and {len(lines) - 14} more; run careflow validate to see all",
                err=True,
            )


def iter_inputs(files: Sequence[str]) -> Iterator[tuple[str, list[Journey] | CareflowError]]:
    """Load each file, yielding its journeys or the error that stopped it."""
    for name in files:
        try:
            yield name, _load(name)
        except CareflowError as exc:
            yield name, exc


def _reading(func: F) -> F:
    """Add the options that say how to read inputs; store them for the loaders."""

    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        ctx.meta.setdefault("careflow.read.raw", {})[param.name] = value
        return value

    options = [
        click.option(
            "--mapping",
            metavar="FILE",
            expose_value=False,
            callback=callback,
            help="A mapping file (YAML/JSON) that says how to read the event logs.",
        ),
        click.option(
            "--timezone",
            metavar="ZONE",
            expose_value=False,
            callback=callback,
            help=f"Time zone stamps with an offset are converted to [default: {DEFAULT_TIMEZONE}].",
        ),
        click.option(
            "--timestamp-format",
            metavar="FORMAT",
            expose_value=False,
            callback=callback,
            help="A strptime format for time stamps careflow does not read by itself.",
        ),
        click.option(
            "--encoding",
            metavar="NAME",
            expose_value=False,
            callback=callback,
            help="Read CSV logs in this encoding instead of detecting UTF-8/Windows-1252.",
        ),
        click.option(
            "--input-format",
            type=click.Choice([*INPUT_FORMATS, "parquet", "xes"]),
            expose_value=False,
            callback=callback,
            help="The format of the inputs when the name does not say (needed for -).",
        ),
        click.option(
            "--max-rows",
            type=click.IntRange(min=1),
            metavar="N",
            expose_value=False,
            callback=callback,
            help=f"Refuse an event log of more rows than this [default: {MAX_LOG_ROWS:,}]; "
            "memory grows with the rows (docs/event-logs.md).",
        ),
    ]
    for option in reversed(options):
        func = option(func)

    import functools  # noqa: PLC0415

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        raw = ctx.meta.get("careflow.read.raw", {})
        mapping = load_mapping(raw["mapping"]) if raw.get("mapping") else None
        ctx.meta[_SETTINGS_KEY] = ReadSettings(
            mapping=mapping,
            timezone=raw.get("timezone"),
            timestamp_format=raw.get("timestamp_format"),
            encoding=raw.get("encoding"),
            input_format=raw.get("input_format"),
            max_rows=raw.get("max_rows") or MAX_LOG_ROWS,
        )
        return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


_FILES = click.argument(
    "files",
    nargs=-1,
    required=True,
    type=click.Path(dir_okay=False, allow_dash=True, path_type=str),
)


@main.command(context_settings=_CONTEXT)
@_FILES
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people; json: one object per file and line (`careflow schema --kind "
    "validate`), errors included, on stdout.",
)
@_reading
def validate(files: tuple[str, ...], quiet: bool, fmt: str) -> None:
    """Check journey files and event logs; print a summary of each journey.

    For an event log, also says how it was read (format, encoding, delimiter, columns),
    how many rows each missing-value policy touched and, with --mapping, every value the
    mapping does not map, with the events and cases it touches. Exit status 0 when every
    file could be read, 1 when any could not (each error names the file, the line where
    known, the place in the document and what was expected).
    """
    failed = 0
    for name in files:
        try:
            result, report = load_journeys_report(name, _settings())
        except CareflowError as exc:
            failed += 1
            errors = _all_errors(exc)
            if fmt == "json":
                record = {
                    "schema_version": "1.0",
                    "file": name,
                    "valid": False,
                    "journeys": [],
                    "errors": [_error_dict(e) for e in errors],
                }
                click.echo(json.dumps(record, ensure_ascii=False))
                continue
            for error in errors:
                _error(str(error))
            if len(errors) >= MAX_ERRORS:
                _error(f"{name}: stopped after {MAX_ERRORS} errors; fix these and run again")
            continue
        if fmt == "json":
            record = {
                "schema_version": "1.0",
                "file": name,
                "valid": True,
                "journeys": [_journey_facts(j) for j in result],
                "errors": [],
            }
            click.echo(json.dumps(record, ensure_ascii=False))
            continue
        if quiet:
            continue
        if report is not None:
            _note_report(report, full=True)
        if len(result) == 1:
            click.echo(f"ok {name}: {_summary(result[0])}")
        else:
            events = sum(len(j.events) for j in result)
            click.echo(f"ok {name}: {len(result)} journeys, {events} events")
    if failed:
        sys.exit(1)


@main.command(context_settings=_CONTEXT)
@click.option(
    "--kind",
    type=click.Choice(list(SCHEMA_KINDS)),
    default="journey",
    show_default=True,
    help="journey: the journey file format (input); profile, gaps, compare, validate: the "
    "JSON that `careflow score`, `gaps`, `compare` and `validate` write with --format json; "
    "mapping: event-log mapping files (input); population-compare: the JSON of "
    "`careflow population compare -o out.json`.",
)
def schema(kind: str) -> None:
    """Print a JSON Schema: of journey files (for editors), or of a command's JSON output.

    Input is strict (unknown keys are errors); output may gain keys in a minor version,
    and its schemas allow them: ignore keys you do not know (docs/json.md).
    """
    click.echo(json.dumps(output_schema(kind), ensure_ascii=False, indent=2))


_LANG = click.option(
    "--lang",
    type=click.Choice(["sv", "en"], case_sensitive=False),
    default=default_lang,
    show_default="CAREFLOW_LANG, else sv when LC_ALL/LC_MESSAGES/LANG starts with sv, else en",
    help="Language of names, explanations and numbers (sv or en, any case).",
)
_FRAMEWORK = click.option(
    "--framework",
    "framework_name",
    default="malbilder",
    show_default=True,
    metavar="NAME_OR_FILE",
    help="Target framework: malbilder, nara-vard, or a framework YAML/JSON file.",
)


def _progress(items: list[Journey], label: str) -> Iterator[Journey]:
    """Iterate with a progress bar on stderr when there are many and stderr is a terminal."""
    if len(items) < 50 or not sys.stderr.isatty():
        yield from items
        return
    with click.progressbar(items, label=label, file=sys.stderr) as bar:
        yield from bar


def _load_all(files: Sequence[str]) -> tuple[list[Journey], int]:
    journeys: list[Journey] = []
    failed = 0
    for _name, result in iter_inputs(files):
        if isinstance(result, CareflowError):
            failed += 1
            _error(str(result))
        else:
            journeys.extend(result)
    return journeys, failed


def _fmt(value: float | None, lang: str, digits: int = 2) -> str:
    """A number for a table: a decimal comma in Swedish, – when not assessable."""
    return number(value, lang, digits=digits)


def _csv_number(value: float | None) -> str:
    """A CSV cell: 4 decimals, empty when not assessable (spreadsheets read it as missing)."""
    return "" if value is None else f"{value:.4f}"


def _bar(value: float | None, width: int = 10) -> str:
    if value is None:
        return "·" * width
    full = round(value * width)
    return "█" * full + "░" * (width - full)


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _profile_table(profile: Profile, lang: str) -> list[str]:
    head = "Målbild" if lang == "sv" else "Target"
    framework = profile.framework.name_sv if lang == "sv" else profile.framework.name_en
    lines = [f"{profile.journey}  ({framework})"]
    word = "poäng" if lang == "sv" else "score"
    lines.append(f"{'':>3} {head:<50} {word:>5}  {'':10}")
    for t in profile.targets:
        n_ok = sum(1 for i in t.indicators if i.value is not None)
        name = _fit(t.target.name(lang), 50)
        ratio = f"{n_ok}/{len(t.indicators)}"
        lines.append(
            f"{t.target.id:>3} {name:<50} {_fmt(t.score, lang):>5}  {_bar(t.score)} {ratio}"
        )
    n, of = profile.overall_basis, len(profile.targets)
    total = f"Totalt ({n} av {of} målbilder)" if lang == "sv" else f"Overall ({n} of {of} targets)"
    lines.append(f"{'':>3} {total:<50} {_fmt(profile.overall, lang):>5}  {_bar(profile.overall)}")
    reason = profile.overall_reason_sv if lang == "sv" else profile.overall_reason_en
    if reason is not None:
        lines.append(f"{'':>3} {reason}")
    return lines


def _one_journey(path: str, journey_id: str | None, case_limit: CaseLimit | None = None) -> Journey:
    """The one journey in ``path``, or the case ``journey_id`` of an event log."""
    journeys = _load(path, case_limit)
    if journey_id is not None:
        for journey in journeys:
            if journey.id == journey_id:
                return journey
        raise click.BadParameter(f"no journey {journey_id!r} in {path}", param_hint="--journey")
    if len(journeys) != 1:
        raise click.BadParameter(
            f"{path} holds {len(journeys)} journeys; name one with --journey ID",
            param_hint="--journey",
        )
    return journeys[0]


def _drawable_journey(path: str, journey_id: str | None) -> Journey:
    """The journey to draw a map of: refused as soon as reading shows it is too large.

    An event log is read with a :class:`CaseLimit` of :data:`MAX_DRAWN_EVENTS` on the
    chosen case (on every case without ``--journey``: then the log must hold one), so a
    case of 100,000 events is refused at its 1,001st row, not after the whole log is read
    and every journey built.
    """
    limit = CaseLimit(events=MAX_DRAWN_EVENTS, case=journey_id)
    try:
        journey = _one_journey(path, journey_id, limit)
    except CaseTooLargeError as exc:
        raise too_large_to_draw(
            exc.case, exc.limit, more_than=True, file=exc.file, line=exc.line, path=exc.path
        ) from None
    check_drawable(journey)
    return journey


def _inputs(files: Sequence[str], framework_name: str | None = None) -> list[str]:
    """The files a run reads (the framework too when it is a file), never to be overwritten."""
    names = list(files)
    if framework_name is not None and framework_name not in BUILTIN_FRAMEWORKS:
        names.append(framework_name)
    return names


def _check_output(value: str, inputs: Sequence[str]) -> str:
    """Check an output path before any work (see careflow.io.output); nothing is created."""
    check_output(value, inputs=inputs)
    return value


def _write(path: str, data: bytes, inputs: Sequence[str]) -> None:
    """Write ``data`` to ``path`` by the rules of careflow.io.output, and say so on stderr."""
    write_output(path, data, inputs=inputs)
    if path != "-":
        click.echo(f"wrote {path}", err=True)


def _emit(lines: Sequence[str], output: str | None, inputs: Sequence[str]) -> None:
    """Print ``lines``, or write them to ``output`` when one was named."""
    if output is None:
        for line in lines:
            click.echo(line)
        return
    _write(output, "".join(f"{line}\n" for line in lines).encode("utf-8"), inputs)


#: First characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: str, *, raw: bool = False) -> str:
    """A text cell for CSV: with a leading ``'`` when it would start a spreadsheet formula.

    Cells that begin with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return are
    prefixed with a single quote, as OWASP recommends, so Excel, LibreOffice and Google
    Sheets show them as text instead of evaluating them; ``raw`` leaves them as they are
    (``--csv-raw``). Numbers careflow writes itself are not text cells and never changed.

    >>> csv_text("=HYPERLINK(1)")
    "'=HYPERLINK(1)"
    >>> csv_text("=HYPERLINK(1)", raw=True)
    '=HYPERLINK(1)'
    >>> csv_text("case-1")
    'case-1'
    """
    if not raw and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


_OUTPUT_TEXT = click.option(
    "-o",
    "--output",
    metavar="FILE",
    help="Write to FILE instead of standard output (- is standard output).",
)

_JOURNEY_OPTION = click.option(
    "--journey",
    "journey_id",
    metavar="ID",
    help="For an event log with many cases: the case to use.",
)


def _findings_table(findings: Sequence[Finding], lang: str) -> list[str]:
    words = {"sv": ("hög", "medel", "låg"), "en": ("high", "medium", "low")}[lang]
    sev = {Severity.HIGH: words[0], Severity.MEDIUM: words[1], Severity.LOW: words[2]}
    lines = []
    for i, finding in enumerate(findings, 1):
        targets = ",".join(str(t) for t in finding.targets)
        word = "målbild" if lang == "sv" else "target"
        head = f"{i:>2}. [{sev[finding.severity]}] {finding.code} ({word} {targets})"
        lines.append(head)
        for line in textwrap.wrap(finding.text(lang), width=74):
            lines.append(f"    {line}")
        refs = ", ".join(finding.refs)
        if refs:
            lines.extend(f"    {line}" for line in textwrap.wrap(f"→ {refs}", width=74))
    return lines


@main.command(context_settings=_CONTEXT)
@_FILES
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
    help="table for people (80 columns); json: one object per line; csv: one row per journey.",
)
@_FRAMEWORK
@_LANG
@_OUTPUT_TEXT
@click.option(
    "--csv-raw",
    is_flag=True,
    help="csv: write ids exactly as they are, without the ' that stops spreadsheets "
    "reading them as formulas (for programs, not spreadsheets).",
)
@_reading
def score(
    *,
    files: tuple[str, ...],
    fmt: str,
    framework_name: str,
    lang: str,
    output: str | None,
    csv_raw: bool,
) -> None:
    """Score journeys against the ten målbilder (or another framework).

    FILES are journey files (YAML, JSON) or event logs (CSV, Parquet) with one journey a
    case. Each score is in [0, 1] (1 is the målbild fully met) or – when the journey holds
    no data for it. `careflow schema --kind profile` prints the JSON contract.
    """
    inputs = _inputs(files, framework_name)
    if output is not None:
        _check_output(output, inputs)
    framework = load_framework(framework_name)
    journeys, failed = _load_all(files)
    profiles = [score_journey(j, framework) for j in _progress(journeys, "scoring")]
    lines: list[str] = []
    if fmt == "json":
        lines.extend(profile.to_json() for profile in profiles)
    elif fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(
            [
                "journey",
                "overall",
                "overall_basis",
                *[f"target_{t.id}" for t in framework.targets],
            ]
        )
        for profile in profiles:
            writer.writerow(
                [
                    csv_text(profile.journey, raw=csv_raw),
                    _csv_number(profile.overall),
                    profile.overall_basis,
                    *[_csv_number(t.score) for t in profile.targets],
                ]
            )
        # split on "\n" only: an id may hold U+2028, which str.splitlines would cut at
        lines.extend(out.getvalue().removesuffix("\n").split("\n"))
    elif len(profiles) == 1:
        lines.extend(_profile_table(profiles[0], lang))
    else:
        ids = [t.id for t in framework.targets]
        words = ("förlopp", "total") if lang == "sv" else ("journey", "total")
        lines.append(f"{words[0]:<16} {words[1]:>5} {'n':>2} " + " ".join(f"{i:>4}" for i in ids))
        for profile in profiles:
            cells = " ".join(f"{_fmt(t.score, lang):>4}" for t in profile.targets)
            lines.append(
                f"{_fit(profile.journey, 16):<16} {_fmt(profile.overall, lang):>5} "
                f"{profile.overall_basis:>2} {cells}"
            )
    _emit(lines, output, inputs)
    if failed:
        sys.exit(1)


@main.command(context_settings=_CONTEXT)
@_FILES
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="table for people; json: one object per journey and line.",
)
@_LANG
@_OUTPUT_TEXT
@_reading
def gaps(files: tuple[str, ...], fmt: str, lang: str, output: str | None) -> None:
    """List the gap findings of journeys: located problems, ranked by severity.

    Each finding names the målbilder it hurts and the ids of the events, transitions,
    contacts or plans it points at.
    """
    inputs = _inputs(files)
    if output is not None:
        _check_output(output, inputs)
    journeys, failed = _load_all(files)
    lines: list[str] = []
    for journey in _progress(journeys, "finding gaps"):
        findings = find_gaps(journey)
        if fmt == "json":
            lines.append(
                json.dumps(
                    {
                        "schema_version": "1.1",
                        "journey": journey.id,
                        "findings": findings_to_dicts(findings),
                    },
                    ensure_ascii=False,
                )
            )
            continue
        lines.append(f"{journey.id}: {count(len(findings), 'finding', lang)}")
        lines.extend(_findings_table(findings, lang))
    _emit(lines, output, inputs)
    if failed:
        sys.exit(1)


@main.command(context_settings=_CONTEXT)
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=str))
@click.option(
    "--kind",
    type=click.Choice(["journey", "profile", "actors"]),
    default="journey",
    show_default=True,
    help="journey: swimlane map; profile: gap profile; actors: actor network.",
)
@click.option(
    "-o",
    "--output",
    required=True,
    help="Output file; the format comes from its suffix: .svg .png .pdf .dot",
)
@_JOURNEY_OPTION
@_FRAMEWORK
@_LANG
@click.option(
    "--max-edges",
    type=click.IntRange(min=1),
    default=MAX_EDGES,
    show_default=True,
    help="actors: draw at most this many links, the strongest; the caption counts the rest.",
)
@_reading
def render(
    *,
    file: str,
    kind: str,
    output: str,
    journey_id: str | None,
    framework_name: str,
    lang: str,
    max_edges: int,
) -> None:
    """Draw a diagram of a journey: its map, its gap profile, or its actor network.

    For an event log, --kind actors draws every case together (the meso view of where
    handovers break); the other kinds need one case (--journey ID).
    """
    inputs = _inputs([file], framework_name)
    out = _check_output(output, inputs)
    fmt = format_for_path(out)
    graph: Any
    if kind == "actors" and journey_id is None:
        graph = actor_map(_load(file), lang=lang, max_edges=max_edges)
    else:
        journey = (
            _drawable_journey(file, journey_id)
            if kind == "journey"
            else _one_journey(file, journey_id)
        )
        if kind == "journey":
            graph = journey_map(journey, findings=find_gaps(journey), lang=lang)
        elif kind == "profile":
            profile = score_journey(journey, load_framework(framework_name))
            graph = profile_chart(profile, lang=lang)
        else:
            graph = actor_map(journey, lang=lang, max_edges=max_edges)
    _write(out, render_bytes(graph, fmt), inputs)


@main.command(context_settings=_CONTEXT)
@click.argument("as_is", type=click.Path(dir_okay=False, path_type=str))
@click.argument("to_be", type=click.Path(dir_okay=False, path_type=str))
@click.option(
    "-o",
    "--output",
    help="Also write the combined gap profile (.svg .png .pdf .dot).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
)
@_FRAMEWORK
@_LANG
@_reading
def compare(
    *, as_is: str, to_be: str, output: str | None, fmt: str, framework_name: str, lang: str
) -> None:
    """Compare today's journey (AS_IS) with a proposed one (TO_BE).

    Prints the change per målbild and the findings the proposal resolves and adds; with
    -o, draws both gap profiles overlaid.
    """
    inputs = _inputs([as_is, to_be], framework_name)
    out = _check_output(output, inputs) if output is not None else None
    framework = load_framework(framework_name)
    before, after = _one_journey(as_is, None), _one_journey(to_be, None)
    comparison = compare_journeys(before, after, framework)
    if fmt == "json":
        click.echo(json.dumps(comparison.to_dict(), ensure_ascii=False))
    else:
        head = (
            ("Målbild", "före", "efter", "ändring")
            if lang == "sv"
            else ("Target", "before", "after", "change")
        )
        click.echo(f"{comparison.as_is.journey} → {comparison.to_be.journey}")
        click.echo(f"{'':>3} {head[0]:<44} {head[1]:>6} {head[2]:>6} {head[3]:>8}")
        for t in comparison.targets:
            name = _fit(t.name_sv if lang == "sv" else t.name_en, 44)
            delta = number(t.delta, lang, sign=True)
            old, new = _fmt(t.before, lang), _fmt(t.after, lang)
            click.echo(f"{t.id:>3} {name:<44} {old:>6} {new:>6} {delta:>8}")
        total = "Totalt" if lang == "sv" else "Overall"
        d = number(comparison.overall_delta, lang, sign=True)
        click.echo(
            f"{'':>3} {total:<44} {_fmt(comparison.as_is.overall, lang):>6} "
            f"{_fmt(comparison.to_be.overall, lang):>6} {d:>8}"
        )
        for label_sv, label_en, items in (
            ("Lösta fynd", "Findings resolved", comparison.resolved),
            ("Nya fynd", "New findings", comparison.new),
        ):
            click.echo("")
            click.echo(f"{label_sv if lang == 'sv' else label_en}: {len(items)}")
            for line in _findings_table(items, lang):
                click.echo(line)
    if out is not None:
        chart = profile_chart(
            [comparison.as_is, comparison.to_be], lang=lang, series=[before.id, after.id]
        )
        _write(out, render_bytes(chart, format_for_path(out)), inputs)


@main.command(context_settings=_CONTEXT)
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=str))
@click.option("-o", "--output", required=True, help="The HTML file to write.")
@_JOURNEY_OPTION
@_FRAMEWORK
@_LANG
@_reading
def report(file: str, output: str, journey_id: str | None, framework_name: str, lang: str) -> None:
    """Write one self-contained HTML report of a journey.

    Journey map, gap profile, scores with their explanations and the ranked findings, in
    one page that opens offline and fetches nothing.
    """
    inputs = _inputs([file], framework_name)
    out = _check_output(output, inputs)
    journey = _drawable_journey(file, journey_id)
    profile = score_journey(journey, load_framework(framework_name))
    page = report_html(journey, profile, find_gaps(journey), lang=lang)
    _write(out, page.encode("utf-8"), inputs)


@main.group(cls=_Group, context_settings=_CONTEXT)
def mapping() -> None:
    """Mapping files: how one source's event log becomes journeys (see docs/your-data.md)."""


@mapping.command("init", context_settings=_CONTEXT)
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=str))
@click.option("-o", "--output", help="Write the draft here instead of to standard output.")
@click.option(
    "--max-values",
    type=click.IntRange(min=1),
    default=200,
    show_default=True,
    help="List at most this many distinct values per column, the most frequent first.",
)
@_reading
def mapping_init(file: str, output: str | None, max_values: int) -> None:
    """Draft a mapping for the event log FILE from its columns and distinct values.

    The draft names the column found for each role and lists every distinct unit,
    principal, activity, contact type and diagnosis value with its count, each mapped
    to nothing yet: fill in what each means, then run `careflow validate FILE --mapping
    DRAFT` until nothing you care about is unmapped.
    """
    inputs = _inputs([file], None)
    if output is not None:
        _check_output(output, inputs)
    settings = _settings()
    report, values = survey_event_log(
        file,
        mapping=settings.mapping,
        encoding=settings.encoding,
        input_format=settings.input_format,
        max_rows=settings.max_rows,
        max_values=max_values,
    )
    text = draft_mapping(report, values)
    if output is None:
        click.echo(text, nl=False)
    else:
        _write(output, text.encode("utf-8"), inputs)


def _yaml_text(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


#: Roles only some events carry (issue 12): their empty cells are not drafted as values.
_SOMETIMES: Final = frozenset({"cause", "certainty", "legal_basis"})


def draft_mapping(report: LogReport, values: dict[str, list[tuple[str, int]]]) -> str:
    """A mapping file draft (YAML) from a survey of a log: columns and counted values."""
    lines = [
        f"# careflow mapping drafted from {report.file}: {report.rows:,} rows, "
        f"{report.cases:,} cases",
        f"# read as {report.format}"
        + (f", {report.encoding}" if report.encoding else "")
        + (f", delimiter {report.delimiter!r}" if report.delimiter else ""),
        "# Fill in what each value means; delete what you do not need. See docs/your-data.md",
        "# and `careflow schema --kind mapping`. Counts are rows.",
        "version: 1",
        f"source: {_yaml_text(str(report.file))}",
        "columns:",
    ]
    for role in ROLES:
        if role in report.columns:
            lines.append(f"  {role}: {_yaml_text(report.columns[role])}")
        else:
            lines.append(f"  # {role}: null   (no column found for this role)")
    lines += [
        "missing:",
        "  case: error",
        "  timestamp: error",
        "  unit: error          # or skip, or unknown",
        "# timezone: Europe/Stockholm",
        '# timestamp_format: "%d/%m/%Y %H:%M"   # only for forms careflow does not read',
        "recorded_completely: []   # contacts, network, plans, needs: what the source records",
        "thresholds: {}            # e.g. same_stay_hours: 24",
    ]
    sections = [
        ("unit", "units", "principal: region        # region, kommun, state, ...; service: ..."),
        ("principal", "principals", "principal: other"),
        ("activity", "activities", "kind: contact"),
        ("kind", None, ""),
        ("channel", "contact_types", "channel: in_person"),
        # issue 12: read on deaths (cause, certainty) and episodes of care (legal_basis)
        ("cause", "causes", "cause: unknown   # overdose, suicide, somatic, violence, unknown"),
        ("certainty", "certainties", "certainty: probable   # confirmed, probable, suspected"),
        ("legal_basis", "legal_bases", "legal_basis: none   # LVM, LPT, LRV, LVU, none"),
    ]
    for role, key, hint in sections:
        if key is None or role not in values:
            continue
        lines.append(f"{key}:")
        for value, rows in values[role]:
            if not value and role in _SOMETIMES:
                continue  # empty on every row that is not a death or an episode
            lines.append(f"  # - match: {_yaml_text(value)}   # {rows:,} rows")
            lines.append(f"  #   {hint}")
    if "diagnosis" in values:
        lines.append("diagnoses:   # ICD-10 prefixes; these two are the defaults")
        lines.append("  - codes: F10-F19")
        lines.append("    need: substance_use")
        lines.append("  - codes: F20-F48")
        lines.append("    need: mental_health")
        for value, rows in values["diagnosis"][:50]:
            lines.append(f"  # {_yaml_text(value)}: {rows:,} rows")
    return "\n".join(lines) + "\n"


# -- population (issue 10): bulk scoring and privacy-safe aggregates ------------------------


def _by_option(help_text: str) -> Callable[[F], F]:
    """``--by``, as ``careflow population`` and ``population compare`` take it."""
    return click.option(
        "--by",
        default="unit",
        show_default=True,
        metavar="unit|boundary|kommun|region|principal|period|COLUMN",
        help=help_text,
    )


def _period_option(help_text: str) -> Callable[[F], F]:
    """``--period``: the length of a period."""
    return click.option(
        "--period",
        type=click.Choice(["month", "quarter", "year"]),
        default="quarter",
        show_default=True,
        help=help_text,
    )


def _min_count_option(help_text: str) -> Callable[[F], F]:
    """``--min-count``: the smallest cell published (5, as OHDSI and Nordic statistics)."""
    return click.option(
        "--min-count", type=click.IntRange(min=1), default=5, show_default=True, help=help_text
    )


_ALLOW_PERSONAL_IDS = click.option(
    "--allow-personal-ids",
    is_flag=True,
    help="Accept case ids that look like personnummer (closed environments only).",
)


#: The command ``careflow population LOG ...`` runs (also ``careflow population aggregate``).
_POPULATION_DEFAULT: Final = "aggregate"


class _PopulationGroup(_Group):
    """``careflow population LOG ...`` (the default command) or ``... compare A B``.

    A first argument that names no subcommand (a log, or an option such as ``--by``) is
    handed to the default command, so ``careflow population LOG`` works as before.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Route a first argument that is no subcommand to the default command."""
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = [_POPULATION_DEFAULT, *args]
        return super().parse_args(ctx, args)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Both forms: the default command and the subcommands."""
        formatter.write_usage(ctx.command_path, "[OPTIONS] LOG")
        formatter.write_usage(ctx.command_path, "compare [OPTIONS] A B", prefix="       ")

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The default command's options, then the subcommands."""
        self.commands[_POPULATION_DEFAULT].format_options(ctx, formatter)
        self.format_commands(ctx, formatter)


class _PopulationDefault(click.Command):
    """The default command of ``careflow population``: its usage names no subcommand."""

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """``careflow population [OPTIONS] LOG``, as the user typed it."""
        path = ctx.parent.command_path if ctx.parent is not None else ctx.command_path
        formatter.write_usage(path, " ".join(self.collect_usage_pieces(ctx)))


@main.group(name="population", cls=_PopulationGroup, context_settings=_CONTEXT)
def population_group() -> None:
    """Population scoring: every journey of an event log at once, privacy-safe aggregates.

    `careflow population LOG -o OUT` scores LOG and writes aggregates per group (options
    below); `careflow population compare A B` compares two populations (periods or
    extracts) per group and says which differences exceed the noise. Needs the population
    extra (pip install 'careflow[population]'); see docs/population.md.
    """


@population_group.command(
    _POPULATION_DEFAULT, cls=_PopulationDefault, hidden=True, context_settings=_CONTEXT
)
@click.argument("log", type=click.Path(dir_okay=False, path_type=str))
@_by_option("Group journeys by unit, handover pair, principal, start period or a log column.")
@_period_option("Length of a period for --by period.")
@_min_count_option(
    "Suppress cells with fewer journeys (or counts) than this, and cells revealing them."
)
@_ALLOW_PERSONAL_IDS
@click.option(
    "--scores",
    "scores_path",
    metavar="FILE",
    help="Also write the per-case score table (.csv or .parquet; holds case ids).",
)
@click.option(
    "--mapping",
    "mapping_path",
    metavar="FILE",
    help="A mapping file (YAML/JSON) that says how to read the log, as for the other commands.",
)
@click.option(
    "--partitions",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Read the log in N parts by case id (default: from its rows, about 1 GiB a part).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Score N parts at once, each in its own process (default: one per CPU). "
    "Memory is about N times a part; the results are the same with any N.",
)
@_FRAMEWORK
@_LANG
@click.option(
    "-o",
    "--output",
    required=True,
    help="The .csv, .json or .parquet file to write; .html: the report; .svg, .dot, .png, "
    ".pdf: the population actor network.",
)
def population(  # noqa: PLR0917 - one parameter per option
    log: str,
    by: str,
    period: str,
    min_count: int,
    allow_personal_ids: bool,
    scores_path: str | None,
    mapping_path: str | None,
    partitions: int | None,
    workers: int | None,
    framework_name: str,
    lang: str,
    output: str,
) -> None:
    """Score every journey of an event log at once and write privacy-safe aggregates.

    LOG is a CSV or Parquet event log. Needs the population extra (pip install
    'careflow[population]'). Cells with fewer than --min-count journeys are suppressed,
    with the cells that would let them be recomputed; see docs/population.md. With
    --mapping, the log is read as the other commands read it with that mapping; rows a
    policy skipped or kept as unknown and unmapped values are noted on stderr.
    """
    inputs = _inputs([log, *([mapping_path] if mapping_path else [])], framework_name)
    out = Path(_check_output(output, inputs))
    if out.suffix.lower() not in {".csv", ".json", ".parquet", *_POPULATION_VISUAL}:
        raise click.BadParameter(
            "name a .csv, .json, .parquet, .html, .svg, .dot, .png or .pdf file", param_hint="-o"
        )
    extra = Path(_check_output(scores_path, inputs)) if scores_path else None
    if extra is not None and extra.suffix.lower() not in {".csv", ".parquet"}:
        raise click.BadParameter("name a .csv or .parquet file", param_hint="--scores")
    try:
        from careflow.population import read_events_report, score_events  # noqa: PLC0415
        from careflow.population.output import write_population  # noqa: PLC0415
        from careflow.population.pipeline import (  # noqa: PLC0415
            available_workers,
            run_population,
        )
    except ImportError:
        raise CareflowError(
            "population scoring needs polars and numpy: pip install 'careflow[population]'"
        ) from None
    mapping = load_mapping(mapping_path) if mapping_path else None
    framework = load_framework(framework_name)
    if out.suffix.lower() in _POPULATION_VISUAL:
        # the report shows several groupings at once: it reads the whole log in one part
        with _parts_bar("population") as progress:
            read = read_events_report(log, mapping=mapping, allow_personal_ids=allow_personal_ids)
            _note_report(read.report, full=False)
            if progress is not None:
                progress(1, 3)
            scores = _score_population(
                score_events, read.events, framework, read.recorded_completely
            )
            if progress is not None:
                progress(2, 3)
            data = _population_visual(out, read.events, scores, by, period, min_count, lang)
            write_output(str(out), data, inputs=inputs)
            if extra is not None:
                _write_scores_table(extra, scores.table, inputs)
            if progress is not None:
                progress(3, 3)
        click.echo(f"wrote {out}: {scores.table.height:,} journeys", err=True)
        return
    with _parts_bar("population") as progress:
        result = run_population(
            log,
            by=by,
            period=period,
            framework=framework,
            mapping=mapping,
            min_count=min_count,
            allow_personal_ids=allow_personal_ids,
            partitions=partitions,
            workers=workers or available_workers(),
            scores=extra,
            inputs=inputs,
            progress=progress,
        )
    if result.report is not None:
        _note_report(result.report, full=False)
    agg, published = result.aggregates, result.published
    data = write_population(out, agg, published, not_computed=result.not_computed, period=period)
    write_output(str(out), data, inputs=inputs)
    primary = sum(1 for c in published.cells if c.reason == "primary")
    click.echo(
        f"wrote {out}: {result.journeys:,} journeys in {agg.table.height - 1:,} groups; "
        f"{primary:,} cells suppressed below {min_count}, "
        f"{len(published.cells) - primary:,} more to protect them",
        err=True,
    )


def _write_scores_table(path: Path, table: Any, inputs: Sequence[str]) -> None:
    """The per-case score table (it holds case ids) as CSV or Parquet."""
    table = table.with_columns(case=table.get_column("case").cast(str))
    buffer = io.BytesIO()
    if path.suffix.lower() == ".csv":
        table.write_csv(buffer)
    else:
        table.write_parquet(buffer)
    write_output(str(path), buffer.getvalue(), inputs=inputs)


def _score_population(
    score_events: Callable[..., Any],
    events: Any,
    framework: Any,
    recorded_completely: frozenset[str],
) -> Any:
    """Score the events, with what the mapping says the source records completely (issue 7)."""
    declared = frozenset(Aspect(a) for a in recorded_completely)
    return score_events(events, framework, recorded_completely=declared)


def _population_side(
    path: str,
    *,
    by: str,
    period: str,
    which: str | None,
    min_count: int,
    allow_personal_ids: bool,
    framework_name: str,
    cache: dict[str, Any],
) -> Any:
    """One side of ``population compare``: a population JSON, or a log aggregated here."""
    from careflow.population import read_events, score_events  # noqa: PLC0415
    from careflow.population.aggregate import aggregate  # noqa: PLC0415
    from careflow.population.compare import (  # noqa: PLC0415
        published,
        read_population_json,
        restrict_to_period,
    )

    if path.lower().endswith(".json"):
        return read_population_json(path)
    if path not in cache:
        events = read_events(path, allow_personal_ids=allow_personal_ids)
        cache[path] = (events, score_events(events, load_framework(framework_name)))
    events, scores = cache[path]
    source = path
    if which is not None:
        events, scores = restrict_to_period(events, scores, period, which)
        source = f"{path} ({which})"
        if not scores.table.height:
            raise CareflowError(f"no journey starts in {period} {which}", file=path)
    agg = aggregate(events, scores, by, period=period)
    return published(agg, min_count, period=period if by == "period" else None, source=source)


#: The status of a difference not tested, in Swedish.
_STATUS_SV: Final = {
    "suppressed": "undertryckt",
    "not assessable": "ej bedömbart",
    "too few": "för få",
}


def _population_table(comparison: Any, lang: str) -> list[str]:
    """The comparison as a readable table: one block per group, flagged rows marked."""
    sv = lang == "sv"
    head = (
        ("Mått", "A", "B", "ändring", "p just.")
        if sv
        else ("Measure", "A", "B", "change", "p adj.")
    )
    level = number(100 * (1 - comparison.alpha), lang, digits=0)
    method = {"holm": "Holm", "bh": "Benjamini-Hochberg", "none": "ingen" if sv else "none"}
    lines = [
        f"{comparison.a} → {comparison.b}",
        (
            f"{len(comparison.significant)} av {comparison.tested} skillnader större än "
            f"bruset ({level} %, tvåsidigt, korrigering {method[comparison.correction]})"
            if sv
            else f"{len(comparison.significant)} of {comparison.tested} differences larger "
            f"than the noise ({level} %, two-sided, {method[comparison.correction]} correction)"
        ),
    ]
    current = None
    unassessable = 0
    for d in comparison.differences:
        if d.status == "not assessable":
            unassessable += 1
            continue
        if d.group != current:
            current = d.group
            lines += ["", " / ".join(str(v) for v in d.group if v is not None)]
            lines.append(f"  {head[0]:<40} {head[1]:>8} {head[2]:>8} {head[3]:>9} {head[4]:>8}")
        digits = 1 if d.measure == "waits_mean" else 3
        if d.status == "compared":
            p_adj = f"{d.p_adjusted:.3g}" if d.p_adjusted is not None else ""
            p_adj = p_adj.replace(".", ",") if sv else p_adj
            flag = " *" if d.significant else ""
        else:
            p_adj, flag = "", f"  ({_STATUS_SV.get(d.status, d.status) if sv else d.status})"
        lines.append(
            f"  {_fit(d.measure, 40):<40} {_fmt(d.a, lang, digits):>8} {_fmt(d.b, lang, digits):>8}"
            f" {number(d.difference, lang, digits=digits, sign=True):>9} {p_adj:>8}{flag}"
        )
    if unassessable:
        lines += [
            "",
            f"{unassessable} mått utan värde i A eller B utelämnade (se -o out.json)"
            if sv
            else f"{unassessable} measures with no value in A or B left out (see -o out.json)",
        ]
    if comparison.skipped:
        lines += ["", "Ej jämförda grupper:" if sv else "Groups not compared:"]
        for s in comparison.skipped:
            reason = s.reason
            if sv:
                sides = s.sides.replace("and", "och")
                reason = (
                    f"färre än {comparison.min_count} resor i {sides} (undertryckt)"
                    if s.small
                    else f"bara i {sides}"
                )
            lines.append(f"  {' / '.join(str(v) for v in s.group if v is not None)}: {reason}")
    return lines


@population_group.command("compare", context_settings=_CONTEXT)
@click.argument("a", type=click.Path(dir_okay=False, path_type=str))
@click.argument("b", type=click.Path(dir_okay=False, path_type=str))
@_by_option("Group both populations alike (taken from the files when they are population JSON).")
@_period_option("Length of a period for --by period, --period-a and --period-b.")
@click.option(
    "--period-a",
    metavar="PERIOD",
    help="Only the journeys of log A that started in PERIOD (e.g. 2024-Q1).",
)
@click.option(
    "--period-b",
    metavar="PERIOD",
    help="Only the journeys of log B that started in PERIOD (A and B may be one log).",
)
@_min_count_option(
    "Groups with fewer journeys in A or B are not compared; smaller counts are suppressed."
)
@click.option(
    "--alpha",
    type=click.FloatRange(min=0, max=1, min_open=True, max_open=True),
    default=0.05,
    show_default=True,
    help="Significance level of each two-sided test, after the correction.",
)
@click.option(
    "--correction",
    type=click.Choice(["holm", "bh", "none"]),
    default="holm",
    show_default=True,
    help="For many comparisons: Holm (family-wise), bh (Benjamini-Hochberg) or none.",
)
@_ALLOW_PERSONAL_IDS
@_FRAMEWORK
@_LANG
@click.option(
    "-o", "--output", help="Write .json or .csv instead of printing a table on standard output."
)
@click.pass_context
def population_compare(  # noqa: PLR0917 - one parameter per option
    ctx: click.Context,
    a: str,
    b: str,
    by: str,
    period: str,
    period_a: str | None,
    period_b: str | None,
    min_count: int,
    alpha: float,
    correction: str,
    allow_personal_ids: bool,
    framework_name: str,
    lang: str,
    output: str | None,
) -> None:
    """Compare two populations per group: which differences exceed the noise.

    A and B are event logs (CSV, Parquet: aggregated here, by --by) or JSON written by
    `careflow population -o out.json` (grouped as written); A is before, B after. Per
    group in both and measure (each målbild mean, overall, the mean wait, each finding's
    share, the share of cold or unknown handovers): A, B, B − A and a two-sided test
    (Welch's t for means, the two-proportion z-test for shares), corrected for many
    comparisons. Groups with fewer than --min-count journeys on either side are not
    compared. Two periods of one log: --period-a and --period-b. See docs/population.md.
    """
    inputs = _inputs([a, b], framework_name)
    out = Path(_check_output(output, inputs)) if output is not None else None
    if out is not None and out.suffix.lower() not in {".csv", ".json"}:
        raise click.BadParameter("name a .csv or .json file", param_hint="-o")
    jsons = [p for p in (a, b) if p.lower().endswith(".json")]
    if jsons and (period_a or period_b):
        raise click.BadParameter(
            "applies to event logs, not population JSON", param_hint="--period-a/--period-b"
        )
    if (period_a or period_b) and by == "period":
        raise click.BadParameter(
            "cannot be combined with --by period", param_hint="--period-a/--period-b"
        )
    try:
        from careflow.population.compare import (  # noqa: PLC0415
            compare_aggregates,
            comparison_csv,
            comparison_json,
            read_population_json,
        )
    except ImportError:
        raise CareflowError(
            "population scoring needs polars and numpy: pip install 'careflow[population]'"
        ) from None
    if jsons:
        first = read_population_json(jsons[0])
        checks: list[tuple[str, str, str | None]] = [("--by", by, first.by)]
        if first.by == "period":
            checks.append(("--period", period, first.period))
        for name, given, written in checks:
            explicit = (
                ctx.get_parameter_source(name.lstrip("-")) is not click.core.ParameterSource.DEFAULT
            )
            if explicit and written is not None and given != written:
                raise click.BadParameter(
                    f"{jsons[0]} was written with {name} {written}", param_hint=name
                )
        by, period = first.by, first.period or period
    cache: dict[str, Any] = {}
    sides = [
        _population_side(
            path,
            by=by,
            period=period,
            which=which,
            min_count=min_count,
            allow_personal_ids=allow_personal_ids,
            framework_name=framework_name,
            cache=cache,
        )
        for path, which in ((a, period_a), (b, period_b))
    ]
    comparison = compare_aggregates(
        sides[0], sides[1], min_count=min_count, alpha=alpha, correction=correction
    )
    if out is None:
        for line in _population_table(comparison, lang):
            click.echo(line)
        return
    data = (
        comparison_json(comparison) if out.suffix.lower() == ".json" else comparison_csv(comparison)
    )
    write_output(str(out), data, inputs=inputs)
    click.echo(
        f"wrote {out}: {comparison.tested:,} differences tested, "
        f"{len(comparison.significant):,} larger than the noise; "
        f"{len(comparison.skipped):,} groups not compared (fewer than {min_count} journeys "
        "or on one side only)",
        err=True,
    )


_POPULATION_VISUAL: Final = (".html", ".svg", ".dot", ".gv", ".png", ".pdf")


def _population_visual(  # noqa: PLR0917 - the population command's choices, passed on
    out: Path,
    events: pl.DataFrame,
    scores: ScoreTable,
    by: str,
    period: str,
    min_count: int,
    lang: str,
) -> bytes:
    """The population report or actor network: every grouping it shows, published."""
    from careflow.population.output import write_visual  # noqa: PLC0415
    from careflow.population.report import report_tables  # noqa: PLC0415

    tables = report_tables(events, scores, by=by, period=period, min_count=min_count)
    return write_visual(out, tables, lang=lang)


def _show_progress() -> bool:
    """Progress bars go to stderr only when it is a terminal and not in CI."""
    return sys.stderr.isatty() and os.environ.get("CI", "").lower() not in {"true", "1"}


@contextlib.contextmanager
def _parts_bar(label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar advanced with (steps done, steps in all), or None when not shown."""
    if not _show_progress():
        yield None
        return
    bar: Any = None
    try:

        def advance(done: int, total: int) -> None:
            nonlocal bar
            if bar is None:
                bar = click.progressbar(length=total, label=label, file=sys.stderr, show_pos=True)
                bar.__enter__()
            bar.update(done - bar.pos)

        yield advance
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
