"""Write docs/targets/: the scoring overview and one page per målbild.

The mechanical parts (names, wording, weights, formulas, thresholds) come from the code:
the built-in framework, the indicator registry and its docstrings, the threshold
constants. The reasoning and the sources are written here, beside them. A test checks
that the committed pages equal what this script writes, so the docs cannot drift.

Run: ``.venv/bin/python scripts/gen_target_docs.py`` (writes docs/targets/).
"""

from __future__ import annotations

import ast
import inspect
import sys
import textwrap
from pathlib import Path
from typing import Final

from careflow.io import load_journey
from careflow.scoring import indicators as ind
from careflow.scoring import score_journey
from careflow.targets import Target, builtin_framework

ROOT: Final = Path(__file__).resolve().parent.parent
OUT: Final = ROOT / "docs" / "targets"
EXAMPLES: Final = ("coordinated", "in_between", "fragmented")

#: Per målbild: why these indicators, why these weights, what they cannot see, sources.
WHY: Final[dict[int, tuple[str, str, str, tuple[str, ...]]]] = {
    1: (
        "Early help means the time from when the need shows, or the person first asks, to "
        "help that is actually given, not to the first contact. Help-seeking that leads "
        "nowhere is what people describe before a crisis.",
        "The time to help is the målbild itself (2); unanswered help-seeking explains it (1).",
        "A need that nobody recorded cannot start the clock, so a journey without a need "
        "signal or help-seeking is not assessable rather than early.",
        (
            "Nationell Patientenkät (NPE), dimension *tillgänglighet*.",
            "Vårdgarantin (HSL 9 kap.): 90 days is the outer limit, used as the floor.",
        ),
    ),
    2: (
        "Easy to reach is about the wait after a referral or request, how often the "
        "person is sent elsewhere (*hänvisad*), how many doors they try before one opens, "
        "and whether there are ways in besides a visit.",
        "The wait is what people feel most (2); redirections, entry points and channels "
        "each describe one side of reaching help (1).",
        "Channels count what the journey used, not what was offered; offered-but-unused "
        "channels are not in a journey map.",
        (
            "NPE, *tillgänglighet*.",
            "Vårdgarantin: 90 days as the floor of the wait; two weeks as a good wait.",
            "The Kinda seed text on digital and physical meeting places.",
        ),
    ),
    3: (
        "Working treatment: time in treatment that the national guidelines recommend, a "
        "say in choosing it, and treatment that is not ended by a sanction or a drop-out.",
        "Time in guideline treatment is the core (2); choice and completion support it (1).",
        "Whether treatment *worked* (outcome) is not in a journey map; the indicators "
        "measure access to and continuation of recommended treatment.",
        (
            "Socialstyrelsen, *Nationella riktlinjer för vård och stöd vid missbruk och "
            "beroende* (indicator areas: medication, psychological and psychosocial "
            "treatment, support).",
            "NPE, *delaktighet och involvering*.",
        ),
    ),
    4: (
        "Care that hangs together is Haggerty's informational and management continuity: "
        "information follows the person, there is one joint plan (SIP) soon after region "
        "and kommun are both involved, region–kommun handovers are warm, nobody is left "
        "alone after discharge, and the person is not spread over many units.",
        "Information, the joint plan and warm boundary handovers are the three things the "
        "målbild names (2 each); follow-up after discharge and continuity over units "
        "(COC) support them (1).",
        "Unrecorded information transfer or warmth is left out, not guessed; a bare event "
        "log cannot show plans, so the joint plan is then not assessable. COC over units "
        "falls when the person gets help from several services at once, as integrated "
        "care often means (see the coordinated example below); that is one reason it has "
        "weight 1.",
        (
            "Haggerty JL et al. Continuity of care: a multidisciplinary review. BMJ 2003;327:1219.",
            "SIP: HSL 16 kap. 4 §, SoL 2 kap. 7 § (old SoL), work to start without delay.",
            "HEDIS FUH-7: follow-up within 7 days after psychiatric discharge.",
            "Bice TW, Boxerman SB. A quantitative measure of continuity of care. Med Care "
            "1977;15:347 (COC; see [continuity.md](../continuity.md)).",
            "NPE, *kontinuitet och koordinering*.",
        ),
    ),
    5: (
        "Not shut out: not turned away for the other condition (*nykter först*), not sent "
        "round in circles between units and principals, and help with both conditions at "
        "the same time.",
        "Sober-first rejections and ping-pong are the exclusions the målbild names (2); "
        "time with both conditions treated is the positive side (1).",
        "Ping-pong needs kinds of events to tell whether treatment started; a bare event "
        "log makes it not assessable.",
        (
            "SOU 2021:93 and SOU 2023:5 (Samsjuklighetsutredningen).",
            "EMCDDA (2004), *Co-morbidity: drug use and mental disorders*, on refusals.",
            "HSE (Ireland), *Model of care for people with mild to moderate mental illness "
            "and coexisting problem alcohol and drug use* (2023).",
        ),
    ),
    6: (
        "Respect is what the person says: listened to, understood, treated with the same "
        "respect as others, and involved in decisions.",
        "Being listened to and respected is the målbild (2); involvement supports it (1).",
        "Only the person's own answers count. No answer is not assessable, never a score "
        "inferred from staff notes.",
        ("NPE, *respekt och bemötande* and *delaktighet och involvering*.",),
    ),
    7: (
        "Being strengthened in one's own ability: taking part in writing the plan, getting "
        "information about one's situation and options, and meeting others with lived "
        "experience.",
        "Taking part in one's own plan is the core (2); information and peer support (1).",
        "Self-management support inside a treatment is not visible unless recorded as an event.",
        (
            "NPE, *information och kunskap*.",
            "SIP is drawn up together with the person (HSL 16 kap. 4 §).",
        ),
    ),
    8: (
        "A working everyday life: housing, occupation, economy and relationships get help, "
        "not only the diagnoses, and that help lasts.",
        "Needs acted on is the core (2); time with everyday support active supports it (1).",
        "Only needs recorded on the person count; a journey without everyday needs is not "
        "assessable here.",
        ("Socialstyrelsen's guidelines: Bostad först (Housing First), IPS employment support.",),
    ),
    9: (
        "One person to trust throughout: a named coordinator who follows the whole journey, "
        "across principals, few different faces, and the coordinator present when the "
        "person moves on.",
        "A coordinator spanning the journey is the målbild (2); the number of contact "
        "persons, relational continuity and presence at handovers support it (1).",
        "Contact persons must be recorded; without any, these are not assessable.",
        (
            "Haggerty et al. 2003: relational continuity.",
            "Fast vårdkontakt: patientlagen (2014:821) 6 kap. 2 §.",
            "COC over contact persons (Bice & Boxerman 1977).",
        ),
    ),
    10: (
        "The network listened to, involved and supported: consent asked, relatives taking "
        "part where the person wants it, present at plans, and given support of their own. "
        "When the person declines, that is respected: the indicators become not "
        "assessable, never zero, and no finding is raised.",
        "Involvement of consenting relatives is the core (2); asking, presence at plans and "
        "support to relatives each support it (1).",
        "Relatives' own experience is not in a journey map.",
        (
            "SIP: relatives take part when the person does not object (HSL 16 kap. 4 §).",
            "LPT samordnad vårdplan drafted with relatives unless inappropriate.",
            "Anhörigstöd: SoL 5 kap. 10 § (old SoL); the inquiry's proposals on support "
            "to relatives (SOU 2021:93).",
        ),
    ),
}

THRESHOLDS: Final = (
    ("time_to_help", "HELP_GOOD, HELP_BAD", (ind.HELP_GOOD, ind.HELP_BAD), "days"),
    ("wait_to_appointment", "WAIT_GOOD, WAIT_BAD", (ind.WAIT_GOOD, ind.WAIT_BAD), "days"),
    ("joint_plan", "SIP_GOOD, SIP_BAD", (ind.SIP_GOOD, ind.SIP_BAD), "days"),
    ("discharge_follow_up", "FOLLOW_GOOD, FOLLOW_BAD", (ind.FOLLOW_GOOD, ind.FOLLOW_BAD), "days"),
    (
        "contacts_per_year",
        "CONTACTS_GOOD, CONTACTS_BAD",
        (ind.CONTACTS_GOOD, ind.CONTACTS_BAD),
        "contact persons a year",
    ),
)


def not_assessable(function: object, seen: frozenset[str] = frozenset()) -> list[str]:
    """The English reasons an indicator gives for "not assessable", read from its source.

    Follows the module's private helpers it calls (``_no_kinds``, ``_plan_share``, ...).
    """
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))  # type: ignore[arg-type]
    reasons: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            continue
        name = node.func.id
        if name == "_na" and len(node.args) >= 3:
            reasons.append(_literal(node.args[2]))
        elif (
            name.startswith("_")
            and name not in seen
            and inspect.isfunction(helper := getattr(ind, name, None))
        ):
            reasons.extend(not_assessable(helper, seen | {name}))
    return list(dict.fromkeys(r for r in reasons if r))


def _literal(node: ast.expr) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "…"
            for v in node.values
        )
    return ""


def _example_values(target_id: int) -> tuple[list[str], dict[str, list[str]]]:
    """The bundled examples' score and indicator values for one målbild, as text."""
    scores: list[str] = []
    values: dict[str, list[str]] = {}
    for name in EXAMPLES:
        profile = score_journey(load_journey(ROOT / "examples" / f"{name}.yaml"))
        target = profile.target(target_id)
        scores.append("–" if target.score is None else f"{target.score:.2f}")
        for scored in target.indicators:
            value = scored.result.value
            values.setdefault(scored.result.id, []).append("–" if value is None else f"{value:.2f}")
    return scores, values


def _slug(target: Target) -> str:
    return f"{target.id:02d}-{target.key.replace('_', '-')}.md"


def _fmt(x: float) -> str:
    return f"{x:g}"


def page(target: Target) -> str:
    """The page of one målbild."""
    why, weights, limits, sources = WHY[target.id]
    lines = [
        f"# Målbild {target.id}: {target.name_sv}",
        "",
        f"*{target.name_en}.* {target.meaning_en}",
        "",
        f"> {target.meaning_sv}",
        "",
        "## What it means here",
        "",
        why,
        "",
        "## Indicators",
        "",
        "| indicator | weight | measures |",
        "|---|---|---|",
    ]
    for ref in target.indicators:
        entry = ind.INDICATORS[ref.id]
        summary = (inspect.getdoc(entry.function) or "").split("\n\n")[0].replace("\n", " ")
        lines.append(
            f"| `{ref.id}`: {entry.name_en} / {entry.name_sv} | {_fmt(ref.weight)} | {summary} |"
        )
    lines += ["", f"Weights: {weights}", ""]
    for ref in target.indicators:
        entry = ind.INDICATORS[ref.id]
        doc = inspect.getdoc(entry.function) or ""
        lines += [f"### `{ref.id}`", "", doc.replace(":func:", "").replace("``", "`"), ""]
        reasons = not_assessable(entry.function)
        if reasons:
            lines += ["Not assessable when: " + " / ".join(f"*{r}*" for r in reasons), ""]
        for key, names, (good, bad), unit in THRESHOLDS:
            if key == ref.id:
                lines += [
                    f"Thresholds (`careflow.scoring.indicators.{names}`): 1 at ≤ "
                    f"{_fmt(good)}, 0 at ≥ {_fmt(bad)} {unit}, linear between.",
                    "",
                ]
    scores, values = _example_values(target.id)
    lines += [
        "## In the bundled examples",
        "",
        "`careflow score examples/*.yaml` gives (– is not assessable):",
        "",
        "| | " + " | ".join(f"`{n}`" for n in EXAMPLES) + " |",
        "|---|" + "---|" * len(EXAMPLES),
        *[f"| `{k}` | " + " | ".join(v) + " |" for k, v in values.items()],
        f"| **målbild {target.id}** | " + " | ".join(f"**{x}**" for x in scores) + " |",
        "",
        "## What it cannot see",
        "",
        limits,
        "",
        "## Sources",
        "",
        *[f"- {s}" for s in sources],
        "",
    ]
    return "\n".join(lines)


def overview() -> str:
    """docs/targets/README.md: how scoring works and the list of målbilder."""
    framework = builtin_framework("malbilder")
    rows = [
        f"| {t.id} | [{t.name_sv}]({_slug(t)}) | {t.name_en} | "
        + ", ".join(f"`{r.id}` ({_fmt(r.weight)})" for r in t.indicators)
        + " |"
        for t in framework.targets
    ]
    nara = builtin_framework("nara-vard")
    nara_rows = [
        f"| {t.name_sv} | {t.name_en} | " + ", ".join(f"`{r.id}`" for r in t.indicators) + " |"
        for t in nara.targets
    ]
    return "\n".join(
        [
            "# Scoring against the målbilder",
            "",
            "careflow scores a journey against a **framework** of target images. The",
            "default is the ten målbilder that people with co-occurring addiction and mental",
            "ill-health, and their relatives, wrote with Experio Lab / Hälsolabb and the",
            "inquiry Samsjuklighetsutredningen (SOU 2021:93). Their Swedish names are the",
            "published wording, exactly.",
            "",
            "## How a score is made",
            "",
            "1. Each **indicator** is a pure function of the journey that gives a value in",
            "   [0, 1] or **not assessable** with the reason (the journey has no data for",
            "   it). It never gives a silent 0 or 1 for missing data. Each value carries",
            "   **evidence**: the ids of the events, transitions, contacts, plans or network",
            "   members that raised or lowered it, and one sentence in Swedish and English.",
            "2. A målbild's **score** is the weighted mean of its assessable indicators, or",
            "   not assessable when none is. While a **high-severity finding** is tied to the",
            "   målbild (see [findings](../findings.md)), the score is at most 0.5: a målbild",
            "   with an open serious problem is at best half met, and the profile says which",
            "   findings hold it there (`capped_by`). Its **gap** is 1 − score.",
            "3. The **overall** score is the plain mean of the assessable målbilder: each",
            "   målbild counts the same, as the people who wrote them meant. It says how many",
            "   målbilder it rests on, and is not given (with the reason) when fewer than",
            "   half are assessable.",
            "",
            "**Weights** are 2 for an indicator that measures the core of the målbild",
            "directly and 1 for one that supports it. Each page says why.",
            "",
            "**Thresholds** turn days and counts into [0, 1] with a straight line between a",
            "good and a bad value (`careflow.scoring.facts.linear`). They are named",
            "constants in `careflow.scoring.indicators`, the same ones the gap findings use,",
            "so a finding and the indicator it explains agree:",
            "",
            "| constant | good | bad | unit |",
            "|---|---|---|---|",
            *[
                f"| `{names}` | {_fmt(good)} | {_fmt(bad)} | {unit} |"
                for _, names, (good, bad), unit in THRESHOLDS
            ],
            "",
            "**Consent.** When the person has declined involving their network, the",
            "network indicators are not assessable (målbild 10 then has no score); the",
            "choice is respected and never counted against the journey.",
            "",
            "## The ten målbilder",
            "",
            "| id | målbild | English | indicators (weight) |",
            "|---|---|---|---|",
            *rows,
            "",
            "## Other frameworks",
            "",
            "A framework is data: a YAML or JSON file with targets and weighted indicator",
            "ids (`careflow.load_framework`, `--framework FILE`). A second one is built in,",
            "Region Östergötland's five focus areas for Nära vård (`--framework nara-vard`),",
            "drawn from the same indicators:",
            "",
            "| focus area | English | indicators |",
            "|---|---|---|",
            *nara_rows,
            "",
            "The file format: `src/careflow/targets/malbilder.yaml` is the example. Keys:",
            "`framework: 1`, `id`, `name_sv`, `name_en`, optional `source`, and `targets`, each",
            "with `id` (an integer), `name_sv`, `name_en`, optional `key`, `meaning_sv`,",
            "`meaning_en`, and `indicators`: a list of `{id, weight}` (weight > 0, default 1).",
            "",
            "A framework file is read and checked like a journey file: plain YAML or JSON",
            "data only, at most 1 MiB (read with a cap, so `--framework /dev/zero` stops at",
            "once), unknown keys refused, target ids whole numbers from 1 to 999 used once,",
            "weights finite numbers with 0 < weight <= 1000 (`careflow.targets.MAX_WEIGHT`),",
            "ids, keys and names at most 200 characters on one line, meanings and source at",
            "most 2,000, and no control characters (escape codes), bidirectional overrides",
            "or unpaired surrogates anywhere. Every problem is a `FrameworkError` naming the",
            "file, the line and the place (`targets[0].indicators[1].weight`).",
            "",
        ]
    )


def pages() -> dict[str, str]:
    """Every file of docs/targets/ by name."""
    framework = builtin_framework("malbilder")
    out = {"README.md": overview()}
    for target in framework.targets:
        out[_slug(target)] = page(target)
    return out


def main() -> int:
    """Write the pages; remove stale ones."""
    OUT.mkdir(parents=True, exist_ok=True)
    wanted = pages()
    for old in OUT.glob("*.md"):
        if old.name not in wanted:
            old.unlink()
    for name, text in wanted.items():
        (OUT / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(wanted)} pages to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
