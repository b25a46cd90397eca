"""careflow: care journeys across region and kommun, scored against the ten målbilder.

The public surface is re-exported here; everything else is an implementation detail.
"""

from careflow.__about__ import __version__
from careflow.compare import Comparison, compare_journeys
from careflow.errors import (
    CareflowError,
    FrameworkError,
    JourneyFileError,
    JourneyValidationError,
    RenderError,
)
from careflow.gaps import Finding, Severity, Thresholds, find_gaps
from careflow.io import (
    dump_journey,
    dumps_journey,
    journey_from_dict,
    journey_schema,
    journey_to_dict,
    load_journey,
    loads_journey,
)
from careflow.io.loading import load_journeys
from careflow.model import (
    Actor,
    Channel,
    ContactPerson,
    ContactRole,
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
from careflow.scoring import Profile, profile_schema, score_journey, score_journeys
from careflow.targets import Framework, Target, builtin_framework, load_framework

__all__ = [
    "Actor",
    "CareflowError",
    "Channel",
    "Comparison",
    "ContactPerson",
    "ContactRole",
    "Event",
    "EventKind",
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
    "load_framework",
    "load_journey",
    "load_journeys",
    "loads_journey",
    "profile_schema",
    "score_journey",
    "score_journeys",
]
