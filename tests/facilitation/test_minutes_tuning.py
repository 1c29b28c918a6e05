"""The minutes' "Tuned recommendation" section: the case's accepted version (who, when, why,
what changed, rank probabilities), this workshop's proposed versions, or none.

On SQLite and PostgreSQL. Versions are proposed through the real service; accepting re-runs
notebooks (tested end to end in ``tests/test_tuning_loop.py``), so accept and rollback
events are written directly here, in the tests only.
"""

from __future__ import annotations

import re
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import _axe
import pytest

from workbench.db import recommendations as store
from workbench.facilitation.minutes import SECTIONS, tuning_section
from workbench.i18n import ENGLISH
from workbench.participation.spec import WorkshopSpec
from workbench.tuning.tune import ordinal

RATINGS = {
    "training": {"effectiveness": 5, "feasibility": 1},
    "wage_subsidy": {"effectiveness": 1, "feasibility": 5},
    "job_search": {"effectiveness": 3, "feasibility": 3},
}
POINTS = {
    "employers": {"effectiveness": 80, "feasibility": 20},
    "unions": {"effectiveness": 20, "feasibility": 80},
}
REASON = "Employers <b>and</b> unions agreed & signed"


def _points_and_ratings(room: Any) -> None:
    """Every participant of the room (alternately employers, unions) rates all and spreads
    their points, so the round can be tuned."""
    for p in range(len(room.tokens)):
        room.submit(p, "rating", {"ratings": RATINGS})
        room.submit(p, "points", POINTS[("employers", "unions")[p % 2]])


def _event(room: Any, action: str, version: str, actor: str, reason: str, **kw: Any) -> None:
    """An accept or rollback event without the re-run (test only, see the module doc)."""
    with room.wb.db.session(write=True) as s:
        store.add_event(s, case_slug="es61-test", version=version, action=action, actor=actor,
                        reason=reason, **kw)  # fmt: skip


def _section(room: Any, workshop_id: int | None = None) -> str:
    info = room.wb.workshops.get(workshop_id or room.wid)
    return "".join(tuning_section(room.wb, info))


def _when(value: Any) -> str:
    return ENGLISH.datetime(value)


def _rank_rows(v: Any) -> list[str]:
    """What the rank table states for each option of version ``v``, in order."""
    return [
        f"<td class='wb-num'>{r.rank}</td><th scope='row'>{escape(v.labels[r.option])}</th>"
        f"<td class='wb-num'>{r.p_first:.0%} of draws</td><td>"
        + ", ".join(f"{ordinal(k)} {p:.0%}" for k, p in enumerate(r.rank_probabilities, 1))
        for r in v.result.ranking
    ]


def test_without_versions_the_section_says_none_was_proposed(room: Any) -> None:
    assert SECTIONS.index("tuning") == SECTIONS.index("sensitivity") + 1
    html = _section(room)
    assert "No tuned version has been accepted for case study es61-test" in html
    assert "No tuned version was proposed from this workshop's answers." in html
    assert "<img" not in html and "<table" not in html


def test_a_proposed_version_is_shown_as_proposed_with_its_rank_probabilities(room: Any) -> None:
    _points_and_ratings(room)
    v = room.wb.recommendations.propose(room.wid, by="Ana", n_draws=100).info
    html = _section(room)
    assert "No tuned version has been accepted for case study es61-test" in html
    assert (
        f"Proposed from this workshop, not accepted: version <code>{v.short}</code></strong>, "
        "tuned from this workshop's round 1 with method weighted-sum (weighted sum of the "
        "scores) and group rule equal (each stakeholder group counts the same), 100 draws; "
        f"proposed by Ana on {_when(v.created_at)}."
    ) in html
    assert f"<p>Against {escape(v.changes['against'])}:</p>" in html
    for line in v.changes["lines"]:
        assert f"<li>{escape(line)}</li>" in html
    rows = _rank_rows(v)
    assert all(row in html for row in rows)
    assert html.index(rows[0]) < html.index(rows[1]) < html.index(rows[2])
    [img] = re.findall(r"<img\b[^>]*>", html)
    top = v.result.ranking[0]
    assert (
        escape(
            f"Rank probabilities of version {v.short}, best first, as shares of 100 draws: "
            f"1. {v.labels[top.option]}: first in {top.p_first:.0%}"
        )
        in img
    )
    assert f"<td>{escape(v.status)}</td><td>Ana</td>" in html and v.status == "proposed"


def test_the_accepted_version_states_who_when_why_and_a_newer_proposal(room: Any) -> None:
    _points_and_ratings(room)
    recs = room.wb.recommendations
    first = recs.propose(room.wid, by="Ana", n_draws=100).info
    _event(room, "accept", first.version, "Ben <i>B.</i>", REASON)
    second = recs.propose(room.wid, by="Ana", n_draws=100, method="topsis").info
    assert second.parent == first.version
    accepted = recs.get(first.version)
    [decision] = [e for e in recs.history("es61-test") if e.action == "accept"]
    html = _section(room)
    assert (
        f"<strong>Accepted for case study es61-test: version <code>{first.short}</code></strong>"
        ", tuned from this workshop's round 1 with method weighted-sum"
    ) in html
    assert (
        f"Accepted by Ben &lt;i&gt;B.&lt;/i&gt; on {_when(decision.created_at)}: "
        f"“{escape(REASON)}”."
    ) in html
    assert "<b>and</b>" not in html and "<i>B.</i>" not in html
    # what changed and the rank probabilities are the accepted version's
    assert f"<p>Against {escape(accepted.changes['against'])}:</p>" in html
    assert all(row in html for row in _rank_rows(accepted))
    assert len(re.findall(r"<img\b", html)) == 1
    assert f"Rank probabilities of version {first.short}" in html
    assert f"Tuned ranking of version {first.short}" in html
    # the newer proposal is named, not detailed
    assert f"Proposed from this workshop, not accepted: version <code>{second.short}" in html
    assert "with method topsis (TOPSIS, closest to the ideal option)" in html
    assert f"Tuned ranking of version {second.short}" not in html
    assert "<td>accepted</td>" in html and "<td>proposed</td>" in html


def test_what_changed_is_against_what_was_shown_when_it_was_accepted(room: Any) -> None:
    _points_and_ratings(room)
    recs = room.wb.recommendations
    first = recs.propose(room.wid, by="Ana", n_draws=100).info
    second = recs.propose(room.wid, by="Ana", n_draws=100, group_rule="as-present").info
    assert second.parent is None  # nothing was accepted when it was proposed
    _event(room, "accept", first.version, "Ben", "first go")
    _event(room, "accept", second.version, "Cem", "count everyone", from_version=first.version)
    html = _section(room)
    assert f"version <code>{second.short}</code></strong>" in html
    assert f"<p>Against version {first.short}, accepted before it:</p>" in html
    lines = recs.diff(first.version, second.version)[1:]
    assert any(line.startswith("weights: ") for line in lines)
    for line in lines:
        assert f"<li>{escape(line)}</li>" in html
    assert escape(second.changes["against"]) not in html
    assert "“count everyone”" in html and "<td>was accepted</td>" in html


def test_a_rollback_to_the_evidence_and_a_version_of_another_workshop(room: Any) -> None:
    _points_and_ratings(room)
    recs = room.wb.recommendations
    mine = recs.propose(room.wid, by="Ana", n_draws=100).info
    _event(room, "accept", mine.version, "Ben", "ok")
    _event(room, "rollback", "", "Cem", "back to the evidence", from_version=mine.version)
    html = _section(room)
    assert "No tuned version is accepted for case study es61-test" in html
    assert "Rolled back to it by Cem on" in html and "“back to the evidence”." in html
    assert "<img" not in html and "not accepted" not in html
    assert "<td>was accepted</td>" in html

    # another workshop of the case tunes its own round; its version is accepted
    other = _other_workshop(room)
    theirs = recs.propose(other, by="Dana", n_draws=100).info
    _event(room, "accept", theirs.version, "Dana", "second workshop")
    html = _section(room)
    assert f"version <code>{theirs.short}</code></strong>, tuned from workshop {other}'s " in html
    assert "No tuned version was proposed" not in html  # this workshop has one (was accepted)
    assert all(row in html for row in _rank_rows(recs.get(theirs.version)))
    html = _section(room, other)
    assert "tuned from this workshop's round 1" in html
    assert "“second workshop”." in html


def _other_workshop(room: Any) -> int:
    """A second open workshop of the same case, with six tuned-ready participants."""
    wb, info = room.wb, room.wb.workshops.get(room.wid)
    spec = WorkshopSpec.model_validate(
        {"title": "Second workshop", "scale": 5, "expected_participants": 6,
         "options": info.options, "criteria": info.criteria}
    )  # fmt: skip
    wid = wb.workshops.create(case_slug="es61-test", spec=spec).id
    wb.workshops.open(wid)
    for i, link in enumerate(wb.workshops.links(wid, 6)):
        token = parse_qs(urlsplit(link.url).query)["token"][0]
        group = ("employers", "unions")[i % 2]
        wb.workshops.register(wid, token, display_name=f"X{i}", group=group, consent=True)
        for kind, payload in (("rating", {"ratings": RATINGS}), ("points", POINTS[group])):
            wb.feedback.submit(workshop_id=wid, token=token, round_number=1, kind=kind,
                               payload=payload, idempotency_key=f"other-{i}-{kind}")  # fmt: skip
    return wid


@pytest.mark.slow
def test_the_minutes_carry_the_accepted_version(room: Any, tmp_path: Path, db_url: str) -> None:
    _points_and_ratings(room)
    v = room.wb.recommendations.propose(room.wid, by="Ana", n_draws=100).info
    _event(room, "accept", v.version, "Ben", REASON)
    path = tmp_path / "minutes.html"
    room.wb.workshop_minutes(room.wid, path)
    html = path.read_text(encoding="utf-8")
    titles = re.findall(r"<h2[^>]*>(.*?)<", html)
    assert titles.index("Tuned recommendation") == titles.index("Do the top options hold?") + 1
    assert f"version <code>{v.short}</code>" in html
    assert "Accepted by Ben on" in html and escape(REASON, quote=False) in html
    images = re.findall(r"<img\b[^>]*>", html)
    assert len(images) == 9  # the 8 of every workshop and the rank probabilities
    assert sum(f"Rank probabilities of version {v.short}" in i for i in images) == 1
    assert all(escape(n) not in html and n not in html for n in room.NAMES)
    if db_url.startswith("sqlite"):  # one look at it in Chromium is enough
        _screenshot(path)


def _screenshot(path: Path) -> None:
    """The section as a reader sees it, and axe-core on the whole minutes (offline)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 1400})
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
                ("file:", "data:")) else r.abort())  # fmt: skip
            page.goto(path.as_uri())
            heading = page.get_by_role("heading", name="Tuned recommendation")
            heading.wait_for(timeout=10_000)
            heading.evaluate("h => window.scrollTo(0, h.getBoundingClientRect().top"
                             " + window.scrollY - 16)")  # fmt: skip
            page.screenshot(path=str(_axe.ARTIFACTS / "minutes-tuning.png"))
            _axe.check_axe(page, "minutes-tuning")
        finally:
            browser.close()
