"""The counsellor view's logic without a browser: its widgets driven in-process against
the real :class:`~workbench.pathways.oversight.OversightService` on a real database
(``db_url``: SQLite, and PostgreSQL when ``WORKBENCH_TEST_DB_URL`` is set).

The pathway is a fixture dict in the contract's shape (``Pathway.to_dict()``), with
hostile markup in its text fields; where :mod:`workbench.pathways.build` imports, the same
dict also goes through ``Pathway.from_dict`` so the view is tested on the real type.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from hypothesis import given
from hypothesis import strategies as st

from workbench.config import Settings
from workbench.db import Database
from workbench.pathways.notebook import (
    COUNSELLOR_PATH,
    counsellor_url,
    write_counsellor_notebook,
)
from workbench.pathways.oversight import OversightService
from workbench.widgets import counsellor_cards as cards
from workbench.widgets.counsellor import (
    COUNSELLOR_ENV,
    MAX_REASON,
    CounsellorView,
    check_decision,
    counsellor_name,
)

PERSON = "p_" + "a1" * 16
OTHER = "p_" + "b2" * 16
HOSTILE = "<img src=x onerror='window.__xss=1'>"


def make_pathway(person: str = PERSON, *, risk: float = 0.62, synthetic: bool = True) -> dict:
    """A pathway dict in the contract's shape: three steps, two notes."""
    step = {
        "target_isco": None,
        "target_occupation": None,
        "skill_gap": [],
        "effect_low": 0.41,
        "effect_high": 0.83,
        "evidence_ids": ["E12", "E40"],
        "return_to_work": None,
        "return_to_work_n": 0,
        "return_to_work_basis": "",
    }
    steps = [
        {
            **step,
            "step_id": "1-job_search_assistance",
            "order": 1,
            "kind": "job_search_assistance",
            "label": "Job search assistance",
            "when": "now",
            "expected_effect": 0.64,
            "evidence_count": 14,
            "studies": 6,
            "reason": f"First step for every jobseeker. {HOSTILE}",
            "sources": ["E12 · Card et al. 2018 · https://doi.org/10.1093/jeea/jvx028"],
            "return_to_work": 0.41,
            "return_to_work_n": 132,
            "return_to_work_basis": "job_search_assistance · ES61, 132 people",
        },
        {
            **step,
            "step_id": "2-training",
            "order": 2,
            "kind": "training",
            "label": "Training",
            "when": "within 3 months",
            "target_isco": "7212",
            "target_occupation": "Welders and flamecutters",
            "skill_gap": ["arc welding", "read blueprints"],
            "expected_effect": 0.71,
            "evidence_count": 23,
            "studies": 9,
            "reason": "Close in skills to a shortage occupation.",
            "sources": ["E40 · Kluve 2010"],
        },
        {
            **step,
            "step_id": "3-private_sector_subsidy",
            "order": 3,
            "kind": "private_sector_subsidy",
            "label": "Private sector incentive",
            "when": "if still unemployed after 6 months",
            "expected_effect": None,
            "effect_low": None,
            "effect_high": None,
            "evidence_count": 0,
            "studies": 0,
            "evidence_ids": [],
            "reason": "Pathway rule for high risk.",
            "sources": [],
        },
    ]
    return {
        "person": person,
        "region": "ES61",
        "model_version": "profiling-1.0.0",
        "evidence_version": "almp-3",
        "risk": risk,
        "risk_low": risk - 0.08,
        "risk_high": risk + 0.07,
        "risk_band": "high" if risk >= 0.5 else "medium",
        "threshold": 0.5,
        "context": None,
        "groups": {"sex": "F", "age_band": "16-24", "origin": "national", "disability": "false"},
        "steps": steps,
        "notes": ["No outcome data for private sector incentive in ES61.", HOSTILE],
        "synthetic": synthetic,
    }


@pytest.fixture
def service(db_url: str) -> Iterator[OversightService]:
    db = Database(db_url)
    yield OversightService(db)
    db.dispose()


@pytest.fixture
def saved(service: OversightService) -> tuple[OversightService, int, int]:
    """Two pathways of PERSON (the newest has risk 0.62) and one of OTHER."""
    service.save_pathway(make_pathway(risk=0.30), by="builder")
    newest = service.save_pathway(make_pathway(), by="builder")
    other = service.save_pathway(make_pathway(OTHER, risk=0.2, synthetic=False), by="builder")
    return service, newest, other


def _view(service: OversightService, **query: str) -> CounsellorView:
    view = CounsellorView(service, "Ana Counsellor", "configured for the test")
    view.start(**query)
    return view


def _page(view: CounsellorView) -> str:
    """All HTML the view shows (header, message and the open pathway's cards)."""
    out = [view.header.value, view.message.value]

    def walk(widget: Any) -> None:
        if hasattr(widget, "children"):
            for child in widget.children:
                walk(child)
        elif hasattr(widget, "value") and isinstance(widget.value, str):
            out.append(widget.value)

    walk(view.body)
    return "\n".join(out)


def _text(html: str) -> str:
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


# -- the decision rule -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "reason", "change_to", "problem"),
    [
        (None, "", "", "Choose Accept, Change or Reject"),
        ("accept", "", "", None),
        ("reject", "", "", "Give a reason to reject this step"),
        ("reject", "   \n", "", "Give a reason to reject this step"),
        ("reject", "Already in a course", "", None),
        ("change", "too early", "", "Say what the step becomes"),
        ("change", "", "Training in 6 months", "Give a reason to change this step"),
        ("change", "too early", "Training in 6 months", None),
        ("reject", "x" * (MAX_REASON + 1), "", f"Shorten the reason to {MAX_REASON} characters"),
    ],
)
def test_check_decision(action: Any, reason: str, change_to: str, problem: str | None) -> None:
    assert check_decision(action, reason, change_to) == problem


@given(reason=st.text(max_size=60), change_to=st.text(max_size=20))
def test_a_reject_or_change_is_savable_only_with_a_reason(reason: str, change_to: str) -> None:
    assert (check_decision("reject", reason, change_to) is None) == bool(reason.strip())
    change_ok = bool(reason.strip()) and bool(change_to.strip())
    assert (check_decision("change", reason, change_to) is None) == change_ok
    assert check_decision("accept", reason, change_to) is None


def test_counsellor_name_prefers_the_hub_user() -> None:
    hub = {"JUPYTERHUB_USER": "maria", COUNSELLOR_ENV: "Somebody"}
    assert counsellor_name(hub) == ("maria", "signed in to JupyterHub")
    assert counsellor_name({COUNSELLOR_ENV: " Jo Smith "})[0] == "Jo Smith"
    name, source = counsellor_name({})
    assert name and source == "the user running this JupyterLab"


# -- rendering -------------------------------------------------------------------------


def test_the_view_lists_pathways_newest_first_and_opens_the_newest(saved: Any) -> None:
    service, newest, other = saved
    view = _view(service)
    ids = [value for _label, value in view.picker.options]
    assert ids == sorted(ids, reverse=True) and len(ids) == 3
    assert view.picker.value == other == view.pathway_id  # the newest saved
    assert PERSON[:10] in view.picker.options[1][0]
    view.picker.value = newest  # picking one opens it
    assert view.pathway_id == newest and len(view.steps) == 3


def test_the_view_shows_risk_notes_steps_evidence_and_reasons(saved: Any) -> None:
    service, newest, _other = saved
    view = _view(service, person=PERSON)
    assert view.pathway_id == newest  # the person's newest pathway, not the older one
    html = _page(view)
    text = _text(html)
    assert cards.BANNER in text
    assert "Counsellor: Ana Counsellor" in text
    assert "SYNTHETIC data and model" in text
    assert "Estimated risk: 62% (interval 54% to 69%); decision threshold 50%." in text
    assert "HIGH risk" in text
    # the risk is drawn: an image whose text alternative states the same figures
    assert "aria-label='Risk of long-term unemployment: 62%; interval 54% to 69%; " in html
    assert "No outcome data for private sector incentive in ES61." in text
    assert len(view.steps) == 3 and len(view.body.children) == 4 + 3  # label, risk, notes, heading
    assert "Step 1: now Job search assistance" in text
    assert "14 estimates from 6 studies" in text and "23 estimates from 9 studies" in text
    assert "0 estimates from 0 studies" in text
    assert "64% chance of a significantly positive effect (interval 41% to 83%)" in text
    assert "Welders and flamecutters (ISCO 7212)" in text
    assert "arc welding, read blueprints" in text
    assert "41% of 132 people were in work for at least a month within 6 months" in text
    assert "(basis: job_search_assistance · ES61, 132 people)" in text
    assert "Close in skills to a shortage occupation." in text
    # the source's address is a link; a citation without one stays text
    assert "<a href='https://doi.org/10.1093/jeea/jvx028' target='_blank'" in html
    assert "E40 · Kluve 2010" in text
    assert "unknown: the evidence gives no estimate" in text  # step 3 has none
    assert "Not decided yet" in text
    # hostile text from the pathway is shown as text, never as markup
    assert HOSTILE not in html and "&lt;img src=x" in html
    # protected attributes are not shown
    assert "16-24" not in text and "national" not in text


def test_a_real_data_pathway_is_not_labelled_synthetic(saved: Any) -> None:
    service, _newest, other = saved
    view = _view(service, pathway=str(other))
    assert "SYNTHETIC" not in _page(view)
    assert "MEDIUM risk" in _text(_page(view))


def test_the_view_works_on_the_built_pathway_type(service: OversightService) -> None:
    build = pytest.importorskip("workbench.pathways.build")
    pathway = build.Pathway.from_dict(make_pathway())
    pid = service.save_pathway(pathway, by="builder")
    got, _ = service.get_pathway(pid)
    assert isinstance(got, build.Pathway)
    view = _view(service)
    assert "14 estimates from 6 studies" in _text(_page(view))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"person": "12345678A"}, "named by a pseudonym"),
        ({"person": OTHER.replace("b", "c")}, "no saved pathway for p_"),
        ({"pathway": "1;drop"}, "must be a pathway number"),
        ({"pathway": "9999"}, "no pathway 9999"),
    ],
)
def test_a_bad_request_is_said_on_the_page(saved: Any, query: dict, message: str) -> None:
    view = _view(saved[0], **query)
    assert "role='alert'" in view.message.value and message in view.message.value
    assert "12345678A" not in _page(view)  # a raw id is never echoed


def test_a_jobseeker_can_be_opened_by_pseudonym(saved: Any) -> None:
    service, newest, other = saved
    view = _view(service)
    assert view.pathway_id == other
    view.find.value = f"  {PERSON} "
    view.find_button.click()
    assert view.pathway_id == newest == view.picker.value and view.message.value == ""
    view.find.value = "12345678A"  # a raw id: refused, the open pathway stays
    view.find_button.click()
    assert "named by a pseudonym" in view.message.value and view.pathway_id == newest


def test_with_no_pathways_the_view_says_so(service: OversightService) -> None:
    view = _view(service)
    assert "No pathways have been saved yet" in view.message.value
    assert view.steps == []


# -- decisions -------------------------------------------------------------------------


def test_reject_needs_a_reason_and_lands_in_the_log(saved: Any) -> None:
    service, newest, _other = saved
    view = _view(service, pathway=str(newest))
    step = view.steps[2]
    assert step.save.disabled and step.save.description == "Choose Accept, Change or Reject"
    step.action.value = "reject"
    assert step.save.disabled and step.save.description == "Give a reason to reject this step"
    assert step.submit() is None and "Not saved" in step.status.value
    assert service.reviews(newest) == []
    step.reason.value = "  She starts an apprenticeship next month.  "
    assert not step.save.disabled and step.save.description == "Save decision: Reject"
    step.save.click()
    [review] = service.reviews(newest)
    assert (review.step_id, review.action, review.counsellor) == (
        "3-private_sector_subsidy",
        "reject",
        "Ana Counsellor",
    )
    assert review.reason == "She starts an apprenticeship next month."
    assert review.at.tzinfo is not None and review.change_to is None
    assert "Saved: Rejected by Ana Counsellor" in step.status.value
    assert "wb-status-ok" in step.status.value
    # the log is shown under the step, the decision above it, and the form is empty again
    assert "She starts an apprenticeship next month." in step.history.value
    assert "Current decision: Rejected, by Ana Counsellor" in step.decision.value
    assert step.action.value is None and step.reason.value == "" and step.save.disabled
    # the other steps are untouched
    assert "Not decided yet" in view.steps[0].decision.value


def test_change_needs_what_the_step_becomes(saved: Any) -> None:
    service, newest, _other = saved
    view = _view(service, pathway=str(newest))
    step = view.steps[1]
    step.action.value = "change"
    assert step.change_to.layout.display == "flex"
    step.reason.value = "Welding courses are full until spring."
    assert step.save.disabled and step.save.description == "Say what the step becomes"
    step.change_to.value = "Training towards machine operator (ISCO 8189)"
    step.save.click()
    [review] = service.reviews(newest)
    assert review.action == "change"
    assert review.change_to == "Training towards machine operator (ISCO 8189)"
    assert "machine operator" in step.decision.value
    step.action.value = "accept"  # accepting needs no reason; a second decision is appended
    assert step.change_to.layout.display == "none" and not step.save.disabled
    step.save.click()
    assert [r.action for r in service.reviews(newest)] == ["change", "accept"]
    assert "Current decision: Accepted" in step.decision.value
    assert step.history.value.count("<tr>") == 1 + 2  # header and two decisions


class _Flaky:
    """The real service, whose ``record_review`` fails in a chosen way."""

    def __init__(self, real: OversightService, mode: str) -> None:
        self.real, self.mode = real, mode
        self.keys: list[str | None] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def record_review(self, *args: Any, **kwargs: Any) -> Any:
        self.keys.append(kwargs.get("idempotency_key"))
        if self.mode == "down":
            raise ConnectionError("server closed the connection")
        if self.mode == "lost-ack":  # committed, but the answer never came back
            self.mode = "ok"
            self.real.record_review(*args, **kwargs)
            raise TimeoutError("no answer")
        return self.real.record_review(*args, **kwargs)


def test_a_failed_save_says_so_and_never_says_saved(saved: Any) -> None:
    service, newest, _other = saved
    flaky = _Flaky(service, "down")
    view = _view(flaky, pathway=str(newest))  # type: ignore[arg-type]
    step = view.steps[0]
    step.action.value = "accept"
    step.save.click()
    assert "Not saved: the database did not answer (ConnectionError)" in step.status.value
    assert "Saved:" not in step.status.value and "role='alert'" in step.status.value
    assert not step.save.disabled and step.action.value == "accept"  # kept, to try again
    assert service.reviews(newest) == []


def test_a_retry_after_a_lost_answer_records_once(saved: Any) -> None:
    service, newest, _other = saved
    flaky = _Flaky(service, "lost-ack")
    view = _view(flaky, pathway=str(newest))  # type: ignore[arg-type]
    step = view.steps[2]
    step.action.value = "reject"
    step.reason.value = "Not in her interest"
    step.save.click()
    assert "Not saved" in step.status.value
    step.save.click()  # the same decision again: the same idempotency key
    assert flaky.keys[0] == flaky.keys[1] is not None
    assert len(service.reviews(newest)) == 1
    assert "Saved: Rejected" in step.status.value and "already been recorded" in step.status.value


def test_a_refused_decision_is_explained(saved: Any) -> None:
    service, newest, _other = saved
    view = _view(service, pathway=str(newest))
    step = view.steps[0]
    step.step_id = "9-not-a-step"  # e.g. the payload changed under the page
    step.action.value = "accept"
    step.save.click()
    assert "Not saved: review: step_id: '9-not-a-step' is not a step" in _text(step.status.value)


# -- pieces ----------------------------------------------------------------------------


def test_interval_bar_positions_and_names_the_figures() -> None:
    html = cards.interval_bar(0.62, 0.54, 0.69, name="Risk", threshold=0.5)
    assert "left:54.0%;width:15.0%" in html  # the band
    assert "wb-cv-dot' style='left:62.0%'" in html
    assert "wb-cv-threshold' style='left:50.0%'" in html
    assert "aria-label='Risk: 62%; interval 54% to 69%; threshold 50%'" in html
    clamped = cards.interval_bar(1.3, -0.1, 1.2, name="x")
    assert "left:0.0%;width:100.0%" in clamped and "left:100.0%" in clamped
    assert cards.interval_bar(None, None, None, name="Effect") == (
        "<p class='wb-muted'>Effect: unknown.</p>"
    )
    assert cards.interval_bar(float("nan"), 0.1, 0.2, name="E").endswith("unknown.</p>")


@given(st.text(max_size=80))
def test_linked_escapes_everything_but_its_links(text: str) -> None:
    html = cards.linked(text)
    outside = re.sub(r"<a href='[^']*' target='_blank' rel='noopener noreferrer'>", "", html)
    outside = outside.replace("</a>", "")
    assert "<" not in outside and ">" not in outside


def test_linked_links_only_web_addresses() -> None:
    html = cards.linked("E1 · Study · https://x.org/a?b=1&c=2. javascript:alert(1)")
    assert "<a href='https://x.org/a?b=1&amp;c=2'" in html
    assert html.count("<a ") == 1 and "javascript:alert(1)" in html


def test_the_notebook_and_its_url(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "ws")
    path = write_counsellor_notebook(settings)
    assert path == settings.home / COUNSELLOR_PATH
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata["voila"] == {"template": "workbench"}
    assert "view = CounsellorView.show(query_string())" in nb.cells[0].source
    before = path.stat().st_mtime_ns
    write_counsellor_notebook(settings)  # idempotent: not rewritten
    assert path.stat().st_mtime_ns == before
    base = "http://127.0.0.1:8888/"
    assert counsellor_url(base) == f"{base}voila/render/dashboards/counsellor.ipynb"
    assert counsellor_url(base, PERSON, "t&k") == (
        f"{base}voila/render/dashboards/counsellor.ipynb?person={PERSON}&token=t%26k"
    )
