"""One entry point that loads journeys from any supported file, chosen by suffix."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

from careflow.io.eventlog import read_event_log
from careflow.io.journey_file import load_journey
from careflow.model import Journey

__all__ = ["EVENT_LOG_SUFFIXES", "JOURNEY_SUFFIXES", "is_event_log", "load_journeys"]

#: Suffixes read as journey files.
JOURNEY_SUFFIXES: Final = frozenset({".yaml", ".yml", ".json"})
#: Suffixes read as event logs (one journey per case).
EVENT_LOG_SUFFIXES: Final = frozenset({".csv", ".parquet", ".pq"})


def is_event_log(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is read as an event log (by its suffix)."""
    return Path(path).suffix.lower() in EVENT_LOG_SUFFIXES


def load_journeys(path: str | os.PathLike[str]) -> list[Journey]:
    """Load every journey in ``path``: one from a journey file, one per case from a log."""
    if is_event_log(path):
        return read_event_log(path)
    return [load_journey(path)]
