"""Reading and writing journeys: journey files (YAML, JSON) and event logs (CSV, Parquet).

This is the only layer that parses raw data.
"""

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
    "dump_journey",
    "dumps_journey",
    "journey_from_dict",
    "journey_schema",
    "journey_to_dict",
    "load_journey",
    "loads_journey",
]
