"""Population scoring: every journey of an event log at once, and additive aggregates.

Needs the ``population`` extra (polars, numpy): ``pip install 'careflow[population]'``.
``import careflow`` does not load this package; import it when needed.

Data flows one way: :func:`read_events` (one sorted columnar table of events) →
:func:`score_events` (one row per case: indicators, målbild scores, finding counts) →
:func:`aggregate` (sums and counts per group) → :func:`suppress` (privacy) → output.
See ``docs/population.md``.
"""

from careflow.population._read import EventsRead, read_events, read_events_report
from careflow.population.indicators import BULK, NOT_IN_BULK, BulkIndicator
from careflow.population.scores import ScoreTable, score_events

__all__ = [
    "BULK",
    "NOT_IN_BULK",
    "BulkIndicator",
    "EventsRead",
    "ScoreTable",
    "read_events",
    "read_events_report",
    "score_events",
]
