"""Reading and writing journeys: journey files (YAML, JSON) and event logs (CSV, Parquet).

This is the only layer that parses raw data.
"""

from careflow.io.eventlog import EventLogColumns, journeys_from_rows, read_event_log
from careflow.io.journey_file import (
    dump_journey,
    dumps_journey,
    journey_from_dict,
    journey_schema,
    journey_to_dict,
    load_journey,
    loads_journey,
)

__all__ = [
    "EventLogColumns",
    "dump_journey",
    "dumps_journey",
    "journey_from_dict",
    "journey_schema",
    "journey_to_dict",
    "journeys_from_rows",
    "load_journey",
    "loads_journey",
    "read_event_log",
]
