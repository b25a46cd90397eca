"""The ``careflow`` command: a thin click layer over the library.

Each command parses its arguments, calls the library, prints, and exits: 0 when all went
well, 1 when any input was invalid or an output could not be produced, 2 for usage
errors (click's own). A :class:`~careflow.errors.CareflowError` becomes one readable
paragraph on stderr; no traceback ever reaches the user.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from careflow.__about__ import __version__
from careflow.errors import CareflowError
from careflow.io import journey_schema
from careflow.io.loading import load_journeys
from careflow.model import Journey, Principal

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


@main.command(context_settings=_CONTEXT)
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=str))
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
    type=click.Choice(["journey"]),
    default="journey",
    show_default=True,
    help="Which schema to print.",
)
def schema(kind: str) -> None:
    """Print the JSON Schema of journey files, for editors that validate as you type."""
    click.echo(json.dumps(journey_schema(), ensure_ascii=False, indent=2))


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file, so nothing is ever half-written."""
    tmp = path.with_name(f".{path.name}.careflow-tmp")
    try:
        tmp.write_bytes(data)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
