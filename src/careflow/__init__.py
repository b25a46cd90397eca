"""careflow: care journeys across region and kommun, scored against the ten målbilder.

The public surface is re-exported here; everything else is an implementation detail.
The model, errors and journey files load at once; scoring, findings and comparison
(which bring networkx) load on first use, so ``import careflow.model`` stays light.
"""

from typing import TYPE_CHECKING, Any

from careflow.__about__ import __version__
from careflow.errors import (
    CareflowError,
    FrameworkError,
    JourneyFileError,
    JourneyValidationError,
    RenderError,
)
from careflow.io import (
    EventLogColumns,
    dump_journey,
    dumps_journey,
    journey_from_dict,
    journey_schema,
    journey_to_dict,
    journeys_from_rows,
    load_journey,
    loads_journey,
    read_event_log,
)
from careflow.io.loading import load_journeys
from careflow.model import (
    Actor,
    Aspect,
    Channel,
    ContactPerson,
    ContactRole,
    Direction,
    Event,
    EventKind,
    Experience,
    Information,
    Initiator,
    Journey,
    Law,
    Need,
    NetworkMember,
    NetworkRelation,
    Person,
    Plan,
    PlanKind,
    Principal,
    Reason,
    ServiceKind,
    Transition,
    TransitionKind,
)

if TYPE_CHECKING:
    from careflow.compare import Comparison, compare_journeys
    from careflow.gaps import Finding, Severity, Thresholds, find_gaps
    from careflow.scoring import Profile, profile_schema, score_journey, score_journeys
    from careflow.targets import Framework, Target, builtin_framework, load_framework

_LAZY = {
    "Comparison": "careflow.compare",
    "compare_journeys": "careflow.compare",
    "Finding": "careflow.gaps",
    "Severity": "careflow.gaps",
    "Thresholds": "careflow.gaps",
    "find_gaps": "careflow.gaps",
    "Profile": "careflow.scoring",
    "profile_schema": "careflow.scoring",
    "score_journey": "careflow.scoring",
    "score_journeys": "careflow.scoring",
    "Framework": "careflow.targets",
    "Target": "careflow.targets",
    "builtin_framework": "careflow.targets",
    "load_framework": "careflow.targets",
}


def __getattr__(name: str) -> Any:
    """Load the heavier parts of the public surface on first use."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'careflow' has no attribute {name!r}")
    import importlib  # noqa: PLC0415 - only when a lazy name is first used

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "Actor",
    "Aspect",
    "CareflowError",
    "Channel",
    "Comparison",
    "ContactPerson",
    "ContactRole",
    "Direction",
    "Event",
    "EventKind",
    "EventLogColumns",
    "Experience",
    "Finding",
    "Framework",
    "FrameworkError",
    "Information",
    "Initiator",
    "Journey",
    "JourneyFileError",
    "JourneyValidationError",
    "Law",
    "Need",
    "NetworkMember",
    "NetworkRelation",
    "Person",
    "Plan",
    "PlanKind",
    "Principal",
    "Profile",
    "Reason",
    "RenderError",
    "ServiceKind",
    "Severity",
    "Target",
    "Thresholds",
    "Transition",
    "TransitionKind",
    "__version__",
    "builtin_framework",
    "compare_journeys",
    "dump_journey",
    "dumps_journey",
    "find_gaps",
    "journey_from_dict",
    "journey_schema",
    "journey_to_dict",
    "journeys_from_rows",
    "load_framework",
    "load_journey",
    "load_journeys",
    "loads_journey",
    "profile_schema",
    "read_event_log",
    "score_journey",
    "score_journeys",
]


def __dir__() -> list[str]:
    """The public names, the lazy ones included."""
    return sorted(__all__)
