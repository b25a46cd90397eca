"""careflow: care journeys across region and kommun, scored against the ten målbilder.

The public surface is re-exported here; everything else is an implementation detail.
The model, errors and journey files load at once; scoring, findings and comparison
(which bring networkx) and the :mod:`careflow.render`, :mod:`careflow.display` and
:mod:`careflow.contracts` modules load on first use, so ``import careflow.model`` stays light. Every
lazily loaded name is also imported under ``TYPE_CHECKING``, so a type checker sees the
whole surface and a misspelt name (``careflow.score_jorney``) is an error.
"""

from typing import TYPE_CHECKING

from careflow.__about__ import __version__
from careflow.errors import (
    CareflowError,
    FrameworkError,
    JourneyFileError,
    JourneyValidationError,
    OutputError,
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
    Certainty,
    Channel,
    ContactPerson,
    ContactRole,
    DeathCause,
    Direction,
    Event,
    EventKind,
    Experience,
    Information,
    Initiator,
    Journey,
    Law,
    LegalBasis,
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
    from careflow import contracts, display, render
    from careflow.compare import Comparison, compare_journeys
    from careflow.gaps import Finding, Findings, Severity, Thresholds, find_gaps
    from careflow.scoring import Profile, profile_schema, score_journey, score_journeys
    from careflow.targets import Framework, Target, builtin_framework, load_framework

_LAZY = {
    "Comparison": "careflow.compare",
    "compare_journeys": "careflow.compare",
    "Finding": "careflow.gaps",
    "Findings": "careflow.gaps",
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
_SUBMODULES = frozenset({"contracts", "display", "render"})

if not TYPE_CHECKING:  # a type checker sees the imports above, never this fallback

    def __getattr__(name: str) -> object:
        """Load the heavier parts of the public surface on first use."""
        import importlib  # noqa: PLC0415 - only when a lazy name is first used

        if name in _SUBMODULES:
            value = importlib.import_module(f"careflow.{name}")
        else:
            module = _LAZY.get(name)
            if module is None:
                raise AttributeError(f"module 'careflow' has no attribute {name!r}")
            value = getattr(importlib.import_module(module), name)
        globals()[name] = value
        return value


__all__ = [
    "Actor",
    "Aspect",
    "CareflowError",
    "Certainty",
    "Channel",
    "Comparison",
    "ContactPerson",
    "ContactRole",
    "DeathCause",
    "Direction",
    "Event",
    "EventKind",
    "EventLogColumns",
    "Experience",
    "Finding",
    "Findings",
    "Framework",
    "FrameworkError",
    "Information",
    "Initiator",
    "Journey",
    "JourneyFileError",
    "JourneyValidationError",
    "Law",
    "LegalBasis",
    "Need",
    "NetworkMember",
    "NetworkRelation",
    "OutputError",
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
    "contracts",
    "display",
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
    "render",
    "score_journey",
    "score_journeys",
]


def __dir__() -> list[str]:
    """The public names, the lazy ones included."""
    return sorted(__all__)
