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
from typing import Any, TypeVar

import click

from careflow.__about__ import __version__
from careflow.compare import compare_journeys
from careflow.errors import CareflowError
from careflow.gaps import Finding, Severity, find_gaps, findings_to_dicts
from careflow.io import journey_schema
from careflow.io.loading import load_journeys
from careflow.model import Journey, Principal
from careflow.render import actor_map, format_for_path, journey_map, profile_chart, render_bytes
from careflow.render.actor_map import MAX_EDGES
from careflow.render.report import report_html
from careflow.scoring import Profile, profile_schema, score_journey
from careflow.targets import load_framework

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

    Journey files are YAML or JSON (see `careflow schema`); event logs are CSV or Parquet
    with one row per event and one journey per case. Nothing is sent anywhere: careflow
    makes no network calls and writes only the files you name.
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
        f"{journey.id}: {len(journey.events)} events ({spread or 'none'}), "
        f"{len(journey.actors)} actors, {len(journey.transitions)} transitions, "
        f"{len(journey.contacts)} contacts, {len(journey.plans)} plans; {span}"
    )


def iter_inputs(files: Sequence[str]) -> Iterator[tuple[str, list[Journey] | CareflowError]]:
    """Load each file, yielding its journeys or the error that stopped it."""
    for name in files:
        try:
            yield name, load_journeys(name)
        except CareflowError as exc:
            yield name, exc


_FILES = click.argument(
    "files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=str)
)


@main.command(context_settings=_CONTEXT)
@_FILES
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
def validate(files: tuple[str, ...], quiet: bool) -> None:
    """Check journey files and event logs; print a summary of each journey.

    Exit status 0 when every file is valid, 1 when any is not (each error names the
    file, the line where known, the place in the document and what was expected).
    """
    failed = 0
    for name, result in iter_inputs(files):
        if isinstance(result, CareflowError):
            failed += 1
            _error(str(result))
            continue
        if quiet:
            continue
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
    type=click.Choice(["journey", "profile"]),
    default="journey",
    show_default=True,
    help="journey: the journey file format; profile: the JSON that `careflow score` writes.",
)
def schema(kind: str) -> None:
    """Print a JSON Schema: of journey files (for editors), or of score output."""
    data = journey_schema() if kind == "journey" else profile_schema()
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


_LANG = click.option(
    "--lang",
    type=click.Choice(["sv", "en"]),
    default="sv",
    show_default=True,
    help="Language of names and explanations.",
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


def _fmt(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


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
    lines.append(f"{'':>3} {head:<50} {'score':>5}  {'':10}")
    for t in profile.targets:
        n_ok = sum(1 for i in t.indicators if i.value is not None)
        name = _fit(t.target.name(lang), 50)
        count = f"{n_ok}/{len(t.indicators)}"
        lines.append(f"{t.target.id:>3} {name:<50} {_fmt(t.score):>5}  {_bar(t.score)} {count}")
    total = "Totalt" if lang == "sv" else "Overall"
    lines.append(f"{'':>3} {total:<50} {_fmt(profile.overall):>5}  {_bar(profile.overall)}")
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
def score(files: tuple[str, ...], fmt: str, framework_name: str, lang: str) -> None:
    """Score journeys against the ten målbilder (or another framework).

    FILES are journey files (YAML, JSON) or event logs (CSV, Parquet) with one journey a
    case. Each score is in [0, 1] (1 is the målbild fully met) or – when the journey holds
    no data for it. `careflow schema --kind profile` prints the JSON contract.
    """
    framework = load_framework(framework_name)
    journeys, failed = _load_all(files)
    profiles = [score_journey(j, framework) for j in _progress(journeys, "scoring")]
    if fmt == "json":
        for profile in profiles:
            click.echo(profile.to_json())
    elif fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["journey", "overall", *[f"target_{t.id}" for t in framework.targets]])
        for profile in profiles:
            writer.writerow(
                [
                    profile.journey,
                    _csv_number(profile.overall),
                    *[_csv_number(t.score) for t in profile.targets],
                ]
            )
        click.echo(out.getvalue(), nl=False)
    elif len(profiles) == 1:
        click.echo("\n".join(_profile_table(profiles[0], lang)))
    else:
        ids = [t.id for t in framework.targets]
        click.echo(f"{'journey':<16} {'total':>5} " + " ".join(f"{i:>4}" for i in ids))
        for profile in profiles:
            cells = " ".join(f"{_fmt(t.score):>4}" for t in profile.targets)
            click.echo(f"{_fit(profile.journey, 16):<16} {_fmt(profile.overall):>5} {cells}")
    if failed:
        sys.exit(1)


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file, so nothing is ever half-written."""
    tmp = path.with_name(f".{path.name}.careflow-tmp")
    try:
        tmp.write_bytes(data)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def _one_journey(path: str, journey_id: str | None) -> Journey:
    """The one journey in ``path``, or the case ``journey_id`` of an event log."""
    journeys = load_journeys(path)
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


def _output_path(value: str) -> Path:
    """Check an output path before any work: its folder must exist; nothing is created."""
    path = Path(value)
    if not path.parent.is_dir():
        raise click.BadParameter(f"the folder {str(path.parent)!r} does not exist", param_hint="-o")
    if path.is_dir():
        raise click.BadParameter(f"{value!r} is a folder; name a file", param_hint="-o")
    return path


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
        head = f"{i:>2}. [{sev[finding.severity]}] {finding.code} (målbild {targets})"
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
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="table for people; json: one object per journey and line.",
)
@_LANG
def gaps(files: tuple[str, ...], fmt: str, lang: str) -> None:
    """List the gap findings of journeys: located problems, ranked by severity.

    Each finding names the målbilder it hurts and the ids of the events, transitions,
    contacts or plans it points at.
    """
    journeys, failed = _load_all(files)
    for journey in _progress(journeys, "finding gaps"):
        findings = find_gaps(journey)
        if fmt == "json":
            click.echo(
                json.dumps(
                    {
                        "schema_version": "1.0",
                        "journey": journey.id,
                        "findings": findings_to_dicts(findings),
                    },
                    ensure_ascii=False,
                )
            )
            continue
        title = "fynd" if lang == "sv" else "findings"
        click.echo(f"{journey.id}: {len(findings)} {title}")
        for line in _findings_table(findings, lang):
            click.echo(line)
    if failed:
        sys.exit(1)


@main.command(context_settings=_CONTEXT)
@click.argument("file", type=click.Path(dir_okay=False, path_type=str))
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
    out = _output_path(output)
    fmt = format_for_path(out)
    graph: Any
    if kind == "actors" and journey_id is None:
        graph = actor_map(load_journeys(file), lang=lang, max_edges=max_edges)
    else:
        journey = _one_journey(file, journey_id)
        if kind == "journey":
            graph = journey_map(journey, findings=find_gaps(journey), lang=lang)
        elif kind == "profile":
            profile = score_journey(journey, load_framework(framework_name))
            graph = profile_chart(profile, lang=lang)
        else:
            graph = actor_map(journey, lang=lang, max_edges=max_edges)
    _write_atomic(out, render_bytes(graph, fmt))
    click.echo(f"wrote {out}", err=True)


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
def compare(
    *, as_is: str, to_be: str, output: str | None, fmt: str, framework_name: str, lang: str
) -> None:
    """Compare today's journey (AS_IS) with a proposed one (TO_BE).

    Prints the change per målbild and the findings the proposal resolves and adds; with
    -o, draws both gap profiles overlaid.
    """
    out = _output_path(output) if output else None
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
            delta = "–" if t.delta is None else f"{t.delta:+.2f}"
            click.echo(f"{t.id:>3} {name:<44} {_fmt(t.before):>6} {_fmt(t.after):>6} {delta:>8}")
        total = "Totalt" if lang == "sv" else "Overall"
        d = comparison.overall_delta
        click.echo(
            f"{'':>3} {total:<44} {_fmt(comparison.as_is.overall):>6} "
            f"{_fmt(comparison.to_be.overall):>6} {'–' if d is None else f'{d:+.2f}':>8}"
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
        _write_atomic(out, render_bytes(chart, format_for_path(out)))
        click.echo(f"wrote {out}", err=True)


@main.command(context_settings=_CONTEXT)
@click.argument("file", type=click.Path(dir_okay=False, path_type=str))
@click.option("-o", "--output", required=True, help="The HTML file to write.")
@_JOURNEY_OPTION
@_FRAMEWORK
@_LANG
def report(file: str, output: str, journey_id: str | None, framework_name: str, lang: str) -> None:
    """Write one self-contained HTML report of a journey.

    Journey map, gap profile, scores with their explanations and the ranked findings, in
    one page that opens offline and fetches nothing.
    """
    out = _output_path(output)
    journey = _one_journey(file, journey_id)
    profile = score_journey(journey, load_framework(framework_name))
    page = report_html(journey, profile, find_gaps(journey), lang=lang)
    _write_atomic(out, page.encode("utf-8"))
    click.echo(f"wrote {out}", err=True)


# -- population (issue 10): bulk scoring and privacy-safe aggregates ------------------------


@main.command(context_settings=_CONTEXT)
@click.argument("log", type=click.Path(dir_okay=False, path_type=str))
@click.option(
    "--by",
    default="unit",
    show_default=True,
    metavar="unit|boundary|kommun|region|principal|period|COLUMN",
    help="Group journeys by unit, handover pair, principal, start period or a log column.",
)
@click.option(
    "--period",
    type=click.Choice(["month", "quarter", "year"]),
    default="quarter",
    show_default=True,
    help="Length of a period for --by period.",
)
@click.option(
    "--min-count",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    help="Suppress cells with fewer journeys (or counts) than this, and cells revealing them.",
)
@click.option(
    "--allow-personal-ids",
    is_flag=True,
    help="Accept case ids that look like personnummer (closed environments only).",
)
@click.option(
    "--scores",
    "scores_path",
    metavar="FILE",
    help="Also write the per-case score table (.csv or .parquet; holds case ids).",
)
@_FRAMEWORK
@click.option("-o", "--output", required=True, help="The .csv, .json or .parquet file to write.")
def population(  # noqa: PLR0917 - one parameter per option
    log: str,
    by: str,
    period: str,
    min_count: int,
    allow_personal_ids: bool,
    scores_path: str | None,
    framework_name: str,
    output: str,
) -> None:
    """Score every journey of an event log at once and write privacy-safe aggregates.

    LOG is a CSV or Parquet event log. Needs the population extra (pip install
    'careflow[population]'). Cells with fewer than --min-count journeys are suppressed,
    with the cells that would let them be recomputed; see docs/population.md.
    """
    out = _output_path(output)
    if out.suffix.lower() not in {".csv", ".json", ".parquet"}:
        raise click.BadParameter("name a .csv, .json or .parquet file", param_hint="-o")
    extra = _output_path(scores_path) if scores_path else None
    if extra is not None and extra.suffix.lower() not in {".csv", ".parquet"}:
        raise click.BadParameter("name a .csv or .parquet file", param_hint="--scores")
    try:
        from careflow.population import read_events, score_events  # noqa: PLC0415
        from careflow.population.aggregate import aggregate  # noqa: PLC0415
        from careflow.population.output import write_population  # noqa: PLC0415
        from careflow.population.privacy import suppress  # noqa: PLC0415
    except ImportError:
        raise CareflowError(
            "population scoring needs polars: pip install 'careflow[population]'"
        ) from None
    framework = load_framework(framework_name)
    steps = ["reading", "scoring", "aggregating", "suppressing", "writing"]
    with _stages(steps) as step:
        step()
        events = read_events(log, allow_personal_ids=allow_personal_ids)
        step()
        scores = score_events(events, framework)
        step()
        agg = aggregate(events, scores, by, period=period)
        step()
        published = suppress(agg, min_count)
        step()
        data = write_population(
            out, agg, published, not_computed=scores.not_computed, period=period
        )
        _write_atomic(out, data)
        if extra is not None:
            table = scores.table.with_columns(case=scores.table.get_column("case").cast(str))
            buffer = io.BytesIO()
            if extra.suffix.lower() == ".csv":
                table.write_csv(buffer)
            else:
                table.write_parquet(buffer)
            _write_atomic(extra, buffer.getvalue())
    primary = sum(1 for c in published.cells if c.reason == "primary")
    click.echo(
        f"wrote {out}: {scores.table.height:,} journeys in {agg.table.height - 1:,} groups; "
        f"{primary:,} cells suppressed below {min_count}, "
        f"{len(published.cells) - primary:,} more to protect them",
        err=True,
    )


@contextlib.contextmanager
def _stages(steps: Sequence[str]) -> Iterator[Callable[[], None]]:
    """A progress bar over named stages on stderr, only when stderr is a terminal."""
    if not sys.stderr.isatty():
        yield lambda: None
        return
    with click.progressbar(
        length=len(steps), label="population", file=sys.stderr, show_pos=True
    ) as bar:
        done = [0]

        def step() -> None:
            if done[0]:
                bar.update(1)
            bar.label = steps[min(done[0], len(steps) - 1)]
            done[0] += 1

        yield step
        bar.update(1)
