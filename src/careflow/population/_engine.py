"""Which polars engine runs the scoring queries.

Polars 2 runs a lazy query on its streaming engine unless told otherwise. The scoring
queries (the indicators' facts and tables, the findings, the score table) are mostly
windows over cases, joins that keep their order and gathers, which the streaming engine
runs by falling back to the in-memory one piece by piece: the whole of
:func:`careflow.population.score_events` took about a quarter more CPU time that way, on
the shared rich workload. They name the in-memory engine; reading and aggregation keep
polars' default, which was as fast or faster there.
"""

from __future__ import annotations

from typing import Final

__all__ = ["IN_MEMORY"]

#: The engine the scoring queries run on (``LazyFrame.collect(engine=IN_MEMORY)``).
IN_MEMORY: Final = "in-memory"
