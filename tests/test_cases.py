"""The case corpus: public case stories as journeys, with a careful reader's judgements.

Each story in ``tests/cases/`` is a journey file ``<slug>.yaml`` and an expectation file
``<slug>.expect.yaml``. The expectations were written from the story before the scorer was
run on it: which målbilder are clearly low or high, which are not assessable, which findings
must appear (and at which ids), which must not, and a bound on the overall score. The tests
here load every story, score it, find its gaps and check every judgement, naming the case,
the judgement and the reader's reason when one fails. A judgement later concluded to be
wrong is not changed silently: the expectation file says why under ``notes``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest
import yaml

import careflow
from tests.conftest import ROOT

CASES = ROOT / "tests" / "cases"
EXPECT_SUFFIX = ".expect.yaml"

#: Finding codes a judgement may name: the documented ones and the agreed new ones
#: (notes/format-decisions.md). A code outside this list is a typo in the expectation file.
KNOWN_CODES = frozenset(
    {
        "sober_first",
        "ping_pong",
        "no_sip",
        "late_sip",
        "no_coordinator",
        "cold_handover",
        "sanction",
        "no_contact_after_discharge",
        "long_wait",
        "long_contact_gap",
        "rejection_without_referral",
        "dropped_out",
        "unaddressed_need",
        "network_not_involved",
        "network_consent_unknown",
        "closed_before_opened",
        "death_after_contact",
        "compulsory_care_ended",
    }
)
SEVERITIES = frozenset({"high", "medium", "low"})
TOP_KEYS = frozenset({"source", "summary", "judgements", "notes"})
JUDGEMENT_KEYS = frozenset({"targets", "not_assessable", "findings", "absent_findings", "overall"})
BOUND_KEYS = frozenset({"min", "max", "why"})
FINDING_KEYS = frozenset({"code", "refs", "severity", "need", "why"})
ABSENT_KEYS = frozenset({"code", "refs", "why"})
NOTE_KEYS = frozenset({"judgement", "note"})


def _slugs() -> list[str]:
    return sorted(p.name[: -len(EXPECT_SUFFIX)] for p in CASES.glob(f"*{EXPECT_SUFFIX}"))


SLUGS = _slugs()


def _expect(slug: str) -> dict[str, Any]:
    data = yaml.safe_load((CASES / f"{slug}{EXPECT_SUFFIX}").read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{slug}: the expectation file is not a mapping"
    return data


def _raw_journey(slug: str) -> dict[str, Any]:
    data = yaml.safe_load((CASES / f"{slug}.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{slug}: the journey file is not a mapping"
    return data


def _journey_ids(raw: Mapping[str, Any]) -> set[str]:
    """Every id defined in a journey file, read from the raw YAML (not the model)."""
    ids = {"person"}
    for section in ("actors", "contacts", "network", "plans", "events", "transitions"):
        for item in raw.get(section) or []:
            if isinstance(item, Mapping) and "id" in item:
                ids.add(str(item["id"]))
    return ids


def _schema_errors(slug: str, data: Mapping[str, Any], ids: set[str]) -> Iterator[str]:
    """Problems with the shape of one expectation file (unknown keys are errors)."""
    yield from (f"unknown top-level key {k!r}" for k in sorted(set(data) - TOP_KEYS))
    for key in ("source", "summary"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            yield f"{key!r} must be non-empty text"
    judgements = data.get("judgements")
    if not isinstance(judgements, Mapping):
        yield "'judgements' must be a mapping"
        return
    yield from (
        f"unknown key in judgements: {k!r}" for k in sorted(set(judgements) - JUDGEMENT_KEYS)
    )
    target_ids = {t.id for t in careflow.builtin_framework().targets}
    targets = judgements.get("targets") or {}
    if not isinstance(targets, Mapping):
        yield "'targets' must map a målbild number to {min, max, why}"
        targets = {}
    for tid, bound in targets.items():
        if tid not in target_ids:
            yield f"targets: {tid!r} is not a målbild of the framework"
        yield from (f"targets.{tid}: {e}" for e in _bound_errors(bound, need_why=True))
    for tid in judgements.get("not_assessable") or []:
        if tid not in target_ids:
            yield f"not_assessable: {tid!r} is not a målbild of the framework"
    for name, allowed in (("findings", FINDING_KEYS), ("absent_findings", ABSENT_KEYS)):
        for i, item in enumerate(judgements.get(name) or []):
            where = f"{name}[{i}]"
            if not isinstance(item, Mapping):
                yield f"{where} must be a mapping"
                continue
            yield from (f"{where}: unknown key {k!r}" for k in sorted(set(item) - allowed))
            if item.get("code") not in KNOWN_CODES:
                yield f"{where}: unknown finding code {item.get('code')!r}"
            if not isinstance(item.get("why"), str) or not item["why"].strip():
                yield f"{where}: 'why' must be non-empty text"
            refs = item.get("refs", [])
            if not isinstance(refs, list):
                yield f"{where}: 'refs' must be a list of ids"
            else:
                yield from (
                    f"{where}: ref {r!r} is not an id in {slug}.yaml" for r in refs if r not in ids
                )
            if "severity" in item and item["severity"] not in SEVERITIES:
                yield f"{where}: severity must be one of {sorted(SEVERITIES)}"
    if "overall" in judgements:
        yield from (f"overall: {e}" for e in _bound_errors(judgements["overall"], need_why=False))
    for i, note in enumerate(data.get("notes") or []):
        if not isinstance(note, Mapping) or set(note) != NOTE_KEYS:
            yield f"notes[{i}] must have exactly the keys {sorted(NOTE_KEYS)}"


def _bound_errors(bound: Any, *, need_why: bool) -> Iterator[str]:
    if not isinstance(bound, Mapping):
        yield "must be a mapping with min and/or max"
        return
    yield from (f"unknown key {k!r}" for k in sorted(set(bound) - BOUND_KEYS))
    if "min" not in bound and "max" not in bound:
        yield "needs min or max"
    for key in ("min", "max"):
        value = bound.get(key)
        if key in bound and not (isinstance(value, int | float) and 0.0 <= value <= 1.0):
            yield f"{key} must be a number in [0, 1]"
    if need_why and (not isinstance(bound.get("why"), str) or not bound["why"].strip()):
        yield "'why' must be non-empty text"


def _count(judgements: Mapping[str, Any]) -> int:
    return (
        len(judgements.get("targets") or {})
        + len(judgements.get("not_assessable") or [])
        + len(judgements.get("findings") or [])
        + len(judgements.get("absent_findings") or [])
        + (1 if "overall" in judgements else 0)
    )


def test_every_journey_has_an_expectation_file_and_back() -> None:
    """Each case is a pair: a journey file and its expectation file, and there are at least 8."""
    journeys = {p.stem for p in CASES.glob("*.yaml") if not p.name.endswith(EXPECT_SUFFIX)}
    assert journeys == set(SLUGS), (
        f"journeys without expectations: {sorted(journeys - set(SLUGS))}; "
        f"expectations without journeys: {sorted(set(SLUGS) - journeys)}"
    )
    assert len(SLUGS) >= 8


@pytest.mark.parametrize("slug", SLUGS)
def test_expectation_file_is_well_formed(slug: str) -> None:
    """An expectation cites its source, holds at least 3 judgements, and has no unknown keys."""
    data = _expect(slug)
    raw = _raw_journey(slug)
    assert raw.get("id") == slug, f"{slug}: the journey's id is {raw.get('id')!r}, not its slug"
    errors = list(_schema_errors(slug, data, _journey_ids(raw)))
    assert not errors, f"{slug}.expect.yaml:\n  " + "\n  ".join(errors)
    assert _count(data["judgements"]) >= 3, f"{slug}: fewer than 3 judgements"


@pytest.mark.parametrize("slug", SLUGS)
def test_case_file_loads(slug: str) -> None:
    """Every story loads as a valid journey file (new format fields included)."""
    journey = careflow.load_journey(CASES / f"{slug}.yaml")
    assert journey.id == slug


def _finding_line(f: careflow.Finding) -> str:
    return f"{f.code} [{f.severity.label}] refs={list(f.refs)}"


def _matches(f: careflow.Finding, want: Mapping[str, Any]) -> bool:
    if f.code != want["code"] or not set(want.get("refs", [])) <= set(f.refs):
        return False
    if "severity" in want and f.severity.label != want["severity"]:
        return False
    return "need" not in want or f.to_dict().get("need") == want["need"]


def _target_failures(profile: careflow.Profile, judgements: Mapping[str, Any]) -> Iterator[str]:
    for tid, bound in (judgements.get("targets") or {}).items():
        score = profile.target(tid).score
        wanted = " and ".join(
            f"{'>=' if k == 'min' else '<='} {bound[k]}" for k in ("min", "max") if k in bound
        )
        if score is None:
            yield f"målbild {tid} should be {wanted} but is not assessable — why: {bound['why']}"
        elif ("min" in bound and score < bound["min"]) or ("max" in bound and score > bound["max"]):
            yield f"målbild {tid} should be {wanted} but is {score:.2f} — why: {bound['why']}"
    for tid in judgements.get("not_assessable") or []:
        score = profile.target(tid).score
        if score is not None:
            yield f"målbild {tid} should be not assessable but is {score:.2f}"
    overall = judgements.get("overall")
    if overall is not None:
        why = overall.get("why", "")
        if profile.overall is None:
            yield f"overall should be bounded but is not given — why: {why}"
        elif ("min" in overall and profile.overall < overall["min"]) or (
            "max" in overall and profile.overall > overall["max"]
        ):
            yield f"overall is {profile.overall:.2f}, outside {overall} — why: {why}"


def _finding_failures(
    findings: Sequence[careflow.Finding], judgements: Mapping[str, Any]
) -> Iterator[str]:
    wanted = sorted(
        judgements.get("findings") or [], key=lambda w: (-len(w.get("refs", [])), w["code"])
    )
    unused = list(findings)
    for want in wanted:
        hit = next((f for f in unused if _matches(f, want)), None)
        if hit is None:
            same = [_finding_line(f) for f in findings if f.code == want["code"]]
            extra = {k: want[k] for k in ("refs", "severity", "need") if k in want}
            yield (
                f"finding {want['code']} {extra} is missing (found of that code: {same or 'none'})"
                f" — why: {want['why']}"
            )
        else:
            unused.remove(hit)
    for absent in judgements.get("absent_findings") or []:
        probe = {"code": absent["code"], "refs": absent.get("refs", [])}
        hits = [_finding_line(f) for f in findings if _matches(f, probe)]
        if hits:
            yield f"finding {absent['code']} must not appear but did: {hits} — why: {absent['why']}"


@pytest.mark.parametrize("slug", SLUGS)
def test_case_judgements_hold(slug: str) -> None:
    """Every judgement a careful reader wrote for the story holds on the scores and findings."""
    judgements = _expect(slug)["judgements"]
    journey = careflow.load_journey(CASES / f"{slug}.yaml")
    profile = careflow.score_journey(journey)
    findings = careflow.find_gaps(journey)
    failures = [
        *_target_failures(profile, judgements),
        *_finding_failures(findings, judgements),
    ]
    assert not failures, (
        f"case {slug}: {len(failures)} judgement(s) failed:\n  - "
        + "\n  - ".join(failures)
        + "\n  findings were: "
        + ("; ".join(_finding_line(f) for f in findings) or "none")
    )


def test_schema_check_rejects_unknown_keys_and_codes() -> None:
    """The expectation schema check reports unknown keys, unknown codes and dangling refs."""
    bad: dict[str, Any] = {
        "source": "x",
        "summary": "y",
        "judgments": {},
        "judgements": {
            "targets": {4: {"max": 0.4, "why": "w", "maximum": 1}},
            "findings": [{"code": "no_such_code", "refs": ["e99"], "why": "w"}],
        },
    }
    errors = list(_schema_errors("demo", bad, {"e1"}))
    assert "unknown top-level key 'judgments'" in errors
    assert "targets.4: unknown key 'maximum'" in errors
    assert "findings[0]: unknown finding code 'no_such_code'" in errors
    assert "findings[0]: ref 'e99' is not an id in demo.yaml" in errors
