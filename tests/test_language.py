"""Language and numbers: --lang in any case, a default from the environment, and more.

Decimal commas in Swedish human output, points in machine output, translated words in
sentences, right plurals.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import careflow
from careflow.cli import main
from careflow.gaps import find_gaps
from careflow.i18n import count, default_lang, normalize_lang, number, word
from careflow.labels import LABELS
from careflow.model import Channel, Need
from careflow.scoring import score_journey
from tests.conftest import EXAMPLES

FRAGMENTED = str(EXAMPLES / "fragmented.yaml")
COORDINATED = str(EXAMPLES / "coordinated.yaml")
DECIMAL_POINT = re.compile(r"\d\.\d")
DECIMAL_COMMA = re.compile(r"\d,\d\d")


def _clear_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CAREFLOW_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "en"),
        ({"LANG": "sv_SE.UTF-8"}, "sv"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "sv_SE.UTF-8", "LC_ALL": "en_GB.UTF-8"}, "en"),
        ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "sv_FI"}, "sv"),
        ({"LC_ALL": "", "LANG": "SV_se"}, "sv"),
        ({"CAREFLOW_LANG": "SV", "LANG": "en_US.UTF-8"}, "sv"),
        ({"CAREFLOW_LANG": "en", "LC_ALL": "sv_SE.UTF-8"}, "en"),
        ({"CAREFLOW_LANG": "de", "LANG": "sv_SE.UTF-8"}, "sv"),
    ],
)
def test_default_language_comes_from_the_environment(env: dict[str, str], expected: str) -> None:
    """CAREFLOW_LANG wins when valid; then LC_ALL, LC_MESSAGES, LANG; else English."""
    assert default_lang(env) == expected


def test_lang_option_is_case_insensitive(runner: CliRunner) -> None:
    """`--lang SV` and `--lang En` mean sv and en; another language is a usage error."""
    for upper, lower in (("SV", "sv"), ("En", "en")):
        a = runner.invoke(main, ["score", FRAGMENTED, "--lang", upper])
        b = runner.invoke(main, ["score", FRAGMENTED, "--lang", lower])
        assert a.exit_code == 0
        assert a.output == b.output
    assert runner.invoke(main, ["score", FRAGMENTED, "--lang", "de"]).exit_code == 2
    assert normalize_lang(" SV ") == "sv"


def test_cli_default_follows_the_locale(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --lang, a Swedish LANG gives Swedish tables and an English one English."""
    _clear_locale(monkeypatch)
    monkeypatch.setenv("LANG", "sv_SE.UTF-8")
    assert "Målbild" in runner.invoke(main, ["score", FRAGMENTED]).output
    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    assert "Target" in runner.invoke(main, ["score", FRAGMENTED]).output
    monkeypatch.setenv("CAREFLOW_LANG", "sv")
    assert "Målbild" in runner.invoke(main, ["score", FRAGMENTED]).output


def test_swedish_tables_use_a_decimal_comma_and_machines_a_point(runner: CliRunner) -> None:
    """The score and compare tables in Swedish have commas; JSON and CSV keep points."""
    sv = runner.invoke(main, ["score", FRAGMENTED, "--lang", "sv"]).output
    en = runner.invoke(main, ["score", FRAGMENTED, "--lang", "en"]).output
    profile = score_journey(careflow.load_journey(FRAGMENTED))
    assert profile.overall is not None
    assert f"{profile.overall:.2f}".replace(".", ",") in sv
    assert f"{profile.overall:.2f}" in en
    assert not DECIMAL_POINT.search(sv)
    many = runner.invoke(main, ["score", FRAGMENTED, COORDINATED, "--lang", "sv"]).output
    assert DECIMAL_COMMA.search(many)
    assert not DECIMAL_POINT.search(many)
    compare = runner.invoke(main, ["compare", FRAGMENTED, COORDINATED, "--lang", "sv"]).output
    assert re.search(r"\+\d,\d\d", compare)
    assert not DECIMAL_POINT.search(compare)
    data = json.loads(runner.invoke(main, ["score", FRAGMENTED, "--format", "json"]).output)
    assert isinstance(data["overall"], float)
    rows = list(
        csv.reader(
            io.StringIO(
                runner.invoke(main, ["score", FRAGMENTED, "--format", "csv", "--lang", "sv"]).output
            )
        )
    )
    assert rows[1][1] == f"{profile.overall:.4f}"


def test_number_and_plural_helpers() -> None:
    """number() writes commas in Swedish only; count() picks singular or plural."""
    assert number(0.5, "sv") == "0,50"
    assert number(0.5, "en") == "0.50"
    assert number(0.25, "sv", sign=True) == "+0,25"
    assert number(None, "en") == "–"
    assert [count(n, "event", "sv") for n in (0, 1, 2)] == [
        "0 händelser",
        "1 händelse",
        "2 händelser",
    ]
    assert [count(n, "finding", "en") for n in (1, 3)] == ["1 finding", "3 findings"]
    assert count(1, "actor", "sv") == "1 aktör"


def test_vocabulary_words_in_sentences_are_translated() -> None:
    """Needs and channels inside Swedish sentences appear as Swedish words, lower-case."""
    for need in Need:
        sv = LABELS[Need][need.value][0]
        assert word(need.value, "sv") == sv[0].lower() + sv[1:]
    assert word(Channel.DIGITAL, "sv") == "digitalt"
    journey = careflow.Journey(
        id="j",
        person=careflow.Person(id="p", needs=["housing", "substance_use"]),
        actors=[careflow.Actor(id="psy", name="Psykiatrin", principal="region")],
        events=[
            careflow.Event(
                id="e1", date=dt.date(2024, 1, 1), actor="psy", kind="contact", channel="phone"
            ),
            careflow.Event(
                id="e2", date=dt.date(2024, 2, 1), actor="psy", kind="contact", channel="digital"
            ),
        ],
    )
    texts = [f.text_sv for f in find_gaps(journey)]
    assert any(t.startswith("Ingen insats för behovet boende") for t in texts)
    assert not any("housing" in t for t in texts)
    profile = score_journey(journey)
    channels = next(i for t in profile.targets for i in t.indicators if i.id == "channels")
    assert channels.result.explanation("sv") == "Kontaktvägar utöver besök: telefon, digitalt."
    assert channels.result.explanation("en") == "Channels besides visits: phone, digital."


def test_plurals_in_validate_summary_and_report(runner: CliRunner, tmp_path: Path) -> None:
    """A journey with one event says '1 event' (validate) and '1 händelse' (report)."""
    journey = careflow.Journey(
        id="one",
        person=careflow.Person(id="p"),
        actors=[careflow.Actor(id="a", name="A", principal="region")],
        events=[careflow.Event(id="e1", date=dt.date(2024, 1, 1), actor="a", kind="contact")],
    )
    path = tmp_path / "one.yaml"
    careflow.dump_journey(journey, path)
    out = runner.invoke(main, ["validate", str(path)]).output
    assert "1 event (" in out
    assert "1 actor," in out
    assert "0 plans" in out
    import shutil

    from careflow.render.report import report_html

    if shutil.which("dot") is None:
        pytest.skip("the report needs Graphviz's dot")
    page = report_html(journey, score_journey(journey), find_gaps(journey), lang="sv")
    assert "1 händelse<" in page
    assert "1 händelser" not in page
