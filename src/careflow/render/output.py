"""Turning a graphviz graph into bytes: DOT text, or SVG, PNG and PDF through Graphviz's dot.

The graphviz package builds the DOT text; this module runs ``dot`` on it directly (a
fixed argument list, the text on stdin, nothing written to disk).

Rendering never writes a file (the CLI writes the bytes atomically where the user said).
DOT needs nothing installed; the other formats need Graphviz's ``dot`` program, and
without it :class:`~careflow.errors.RenderError` says how to install it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Final

import graphviz

from careflow.errors import CareflowError, RenderError

__all__ = ["FORMATS", "fixed_pdf_dates", "format_for_path", "render_bytes"]

#: File suffix → output format.
FORMATS: Final = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}

_INSTALL: Final = (
    "Graphviz's dot program is needed for {fmt} output but was not found; install it "
    "(Debian/Ubuntu: apt-get install -y graphviz; macOS: brew install graphviz), "
    "or write .dot and render it elsewhere"
)
#: A fixed date for PDF metadata, so the same input gives the same PDF bytes (cairo from
#: 1.17.2 honours SOURCE_DATE_EPOCH; older cairo does not, see :func:`fixed_pdf_dates`).
_EPOCH: Final = "0"
#: A PDF date in the document information: ``/CreationDate (D:20240101120000Z)``.
_PDF_DATE: Final = re.compile(rb"(/(?:CreationDate|ModDate) *\(D:)(\d{4,14})([^)]{0,12})\)")
#: Seconds before a drawing is given up.
_TIMEOUT: Final = 120


def format_for_path(path: str | os.PathLike[str]) -> str:
    """The output format for a file name, from its suffix (``.svg`` → ``svg``)."""
    suffix = Path(path).suffix.lower()
    try:
        return FORMATS[suffix]
    except KeyError:
        raise CareflowError(
            f"cannot tell the output format from {suffix or 'a name without a suffix'!r}; "
            f"expected one of: {', '.join(FORMATS)}",
            file=str(path),
        ) from None


def fixed_pdf_dates(pdf: bytes) -> bytes:
    """``pdf`` with its creation and modification dates set to 1970-01-01 00:00 UTC.

    Each date is rewritten in place with the same number of bytes, so the PDF's
    cross-reference offsets stay right; the same input then gives the same PDF bytes
    whatever the cairo version.

    >>> fixed_pdf_dates(b"<< /CreationDate (D:20261125155743Z) >>")
    b'<< /CreationDate (D:19700101000000Z) >>'
    >>> fixed_pdf_dates(b"/ModDate (D:20261125155743+01'00')")
    b"/ModDate (D:19700101000000+00'00')"
    """

    def fixed(match: re.Match[bytes]) -> bytes:
        head, digits, zone = match.groups()
        epoch = b"19700101000000"[: len(digits)]
        return head + epoch + re.sub(rb"\d", b"0", zone).replace(b"-", b"+") + b")"

    return _PDF_DATE.sub(fixed, pdf)


def render_bytes(graph: graphviz.Digraph | graphviz.Graph, fmt: str) -> bytes:
    """``graph`` as ``fmt`` bytes: ``dot`` (the DOT source), ``svg``, ``png`` or ``pdf``."""
    source: str = graph.source
    if fmt == "dot":
        return source.encode("utf-8")
    if fmt not in FORMATS.values():
        raise CareflowError(f"unknown output format {fmt!r}; expected svg, png, pdf or dot")
    dot = shutil.which("dot")
    if dot is None:
        raise RenderError(_INSTALL.format(fmt=fmt.upper()))
    env = {**os.environ, "SOURCE_DATE_EPOCH": _EPOCH, "TZ": "UTC"}
    try:
        done = subprocess.run(  # noqa: S603 - fixed argv, DOT text on stdin
            [dot, f"-T{fmt}"],
            input=source.encode("utf-8"),
            capture_output=True,
            env=env,
            check=False,
            timeout=_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        raise RenderError(f"Graphviz's dot took over {_TIMEOUT} s to draw {fmt.upper()}") from None
    if done.returncode != 0:
        detail = " ".join(done.stderr.decode("utf-8", "replace").split())[:300]
        raise RenderError(f"Graphviz's dot failed to draw {fmt.upper()}: {detail}")
    out: bytes = done.stdout
    return fixed_pdf_dates(out) if fmt == "pdf" else out
