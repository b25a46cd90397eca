"""The careflow exception tree.

Every error careflow raises on purpose derives from :class:`CareflowError`, and each one
also derives from the built-in exception it means, so callers may catch either::

    CareflowError
    ├── JourneyFileError (ValueError)       a journey file or event log cannot be read
    │                                        (file, line and document path where known)
    ├── JourneyValidationError (ValueError) the journey breaks an invariant of the model
    │                                        (dangling reference, duplicate id, time order)
    ├── FrameworkError (ValueError)         a target framework is malformed
    ├── OutputError (OSError)               an output file cannot or may not be written
    └── RenderError (RuntimeError)          a diagram cannot be produced (e.g. no ``dot``)

Messages are built in one place, :meth:`CareflowError.__str__`, from structured fields,
so the CLI can print one readable paragraph and exit with :attr:`CareflowError.exit_code`.
"""

from __future__ import annotations

__all__ = [
    "CareflowError",
    "FrameworkError",
    "JourneyFileError",
    "JourneyValidationError",
    "OutputError",
    "RenderError",
]


class CareflowError(Exception):
    """Root of every error careflow raises on purpose.

    Parameters
    ----------
    message
        What went wrong and what was expected, in one sentence.
    file
        The file concerned, when there is one.
    line
        The 1-based line in ``file`` where the problem was found, when the parser knows it.
    path
        Where in the document, e.g. ``events[3].date``.
    """

    exit_code: int = 1
    #: Further errors found in the same input after this one, in document order (a journey
    #: file reports up to :data:`careflow.io.journey_file.MAX_ERRORS` errors in all).
    more: tuple[CareflowError, ...] = ()

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        path: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.path = path

    def __str__(self) -> str:
        where = []
        if self.file is not None:
            where.append(self.file if self.line is None else f"{self.file}:{self.line}")
        elif self.line is not None:
            where.append(f"line {self.line}")
        if self.path:
            where.append(f"at {self.path}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message

    def with_location(
        self, *, file: str | None = None, line: int | None = None, path: str | None = None
    ) -> CareflowError:
        """Fill in location fields that are still unknown, and return ``self``."""
        if self.file is None:
            self.file = file
        if self.line is None:
            self.line = line
        if self.path is None:
            self.path = path
        return self


class JourneyFileError(CareflowError, ValueError):
    """A journey file or event log cannot be read as what it claims to be."""


class JourneyValidationError(CareflowError, ValueError):
    """A journey breaks an invariant of the model (references, ids, time order)."""


class FrameworkError(CareflowError, ValueError):
    """A target framework is malformed or refers to unknown indicators."""


class OutputError(CareflowError, OSError):
    """An output cannot be written, or writing it is refused (see careflow.io.output)."""


class RenderError(CareflowError, RuntimeError):
    """A diagram cannot be produced, for instance because Graphviz's ``dot`` is missing."""
