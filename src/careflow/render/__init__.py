"""Diagrams: the journey map, the gap profile and the actor network, as graphviz graphs.

Each builder returns a :class:`graphviz.Digraph` and never writes a file;
:func:`render_bytes` turns it into DOT, SVG, PNG or PDF bytes. For a population,
:func:`population_report` (HTML) and :func:`population_network` draw from published
aggregates (:func:`careflow.population.report.report_tables`).
"""

from careflow.render.actor_map import actor_map
from careflow.render.journey_map import journey_map
from careflow.render.output import FORMATS, format_for_path, render_bytes
from careflow.render.population import population_network, population_report
from careflow.render.profile_chart import profile_chart

__all__ = [
    "FORMATS",
    "actor_map",
    "format_for_path",
    "journey_map",
    "population_network",
    "population_report",
    "profile_chart",
    "render_bytes",
]
