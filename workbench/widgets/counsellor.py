"""The counsellor view: a Voilà app in the analyst workspace (``dashboards/counsellor.ipynb``).

A counsellor picks a jobseeker's saved pathway (by pseudonym, newest first), reads the risk
with its interval, what is missing and why, and each proposed step with its effect,
evidence, reason, sources and return-to-work rate; then accepts, changes or rejects each
step with a reason. Every decision goes through
:meth:`workbench.pathways.oversight.OversightService.record_review` and is shown as
"Saved" only once that call returns, i.e. once it is committed. Nothing is decided
automatically: an undecided step stays a proposal.

The page is served by the JupyterLab server's Voilà, so it has the lab's login (token or
JupyterHub). The counsellor is the Hub user (``JUPYTERHUB_USER``), else the name in
``WORKBENCH_COUNSELLOR``, else the operating-system user running the lab
(:func:`counsellor_name`). The HTML is built in :mod:`workbench.widgets.counsellor_cards`.
"""

from __future__ import annotations

import getpass
import logging
import os
import uuid
from collections.abc import Mapping
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import ipywidgets as w
from IPython.display import display

from workbench.exceptions import InputError, WorkbenchError
from workbench.i18n import ENGLISH, error_text
from workbench.widgets import counsellor_cards as cards

if TYPE_CHECKING:
    from workbench.pathways.oversight import OversightService

log = logging.getLogger("workbench.counsellor")

#: Environment variable naming the counsellor outside JupyterHub.
COUNSELLOR_ENV = "WORKBENCH_COUNSELLOR"
#: Longest reason (the oversight service refuses longer ones).
MAX_REASON = 4000
#: The decisions, as the buttons show them.
CHOICES = [("Accept", "accept"), ("Change", "change"), ("Reject", "reject")]
#: Saved pathways listed in the picker.
LIST_LIMIT = 200


def counsellor_name(environ: Mapping[str, str] | None = None) -> tuple[str, str]:
    """(who the counsellor is, how we know): the Hub user, a configured name, or the
    operating-system user running the lab."""
    env = os.environ if environ is None else environ
    if name := env.get("JUPYTERHUB_USER", "").strip():
        return name, "signed in to JupyterHub"
    if name := env.get(COUNSELLOR_ENV, "").strip():
        return name, f"configured in {COUNSELLOR_ENV}"
    try:
        return getpass.getuser(), "the user running this JupyterLab"
    except (OSError, KeyError):  # no name for this uid (some containers)
        return f"uid {os.getuid()}", "the user running this JupyterLab"


def check_decision(action: str | None, reason: str, change_to: str) -> str | None:
    """Why this decision cannot be saved yet, or None when it can."""
    if action not in ("accept", "change", "reject"):
        return "Choose Accept, Change or Reject"
    if action == "change" and not change_to.strip():
        return "Say what the step becomes"
    if action in ("change", "reject") and not reason.strip():
        return f"Give a reason to {action} this step"
    if len(reason.strip()) > MAX_REASON:
        return f"Shorten the reason to {MAX_REASON} characters"
    return None


def as_dict(pathway: Any) -> dict[str, Any]:
    """A pathway (``Pathway`` or its dict) as a dict."""
    return dict(pathway.to_dict() if hasattr(pathway, "to_dict") else pathway)


def _html(body: str, *classes: str) -> w.HTML:
    block = w.HTML(body)
    for css in classes:
        block.add_class(css)
    return block


class StepReview:
    """One step's card: what the pathway proposes, the decision form and the review log."""

    def __init__(
        self,
        service: OversightService,
        pathway_id: int,
        step: Mapping[str, Any],
        number: int,
        counsellor: str,
        history: list[Any],
    ) -> None:
        self.service = service
        self.pathway_id = pathway_id
        self.step = step
        self.step_id = str(step.get("step_id"))
        self.counsellor = counsellor
        self._key = uuid.uuid4().hex
        self._quiet = False
        self.card = _html(cards.step_html(step, number))
        self.decision = _html(cards.decision_html(history[-1] if history else None))
        self.action = w.ToggleButtons(
            options=CHOICES,
            value=None,
            description="Decision:",
            style={"description_width": "initial"},
        )
        self.change_to = w.Text(
            description="Becomes:",
            placeholder="What the step becomes (e.g. another programme or date)",
            layout=w.Layout(width="100%", display="none"),
            style={"description_width": "initial"},
        )
        self.reason = w.Textarea(
            description="Reason:",
            placeholder="Why (required to change or reject)",
            rows=3,
            layout=w.Layout(width="100%"),
            style={"description_width": "initial"},
        )
        self.save = w.Button(button_style="primary", layout=w.Layout(width="auto"))
        self.save.on_click(lambda _b: self.submit())
        self.status = w.HTML(layout=w.Layout(width="auto"))
        self.history = _html(cards.history_html(history))
        for widget in (self.action, self.change_to, self.reason):
            widget.observe(self._edited, names="value")
        self._update()

    def widget(self) -> w.Widget:
        """The step's card (a CSS class names its step id)."""
        form = w.VBox([self.action, self.change_to, self.reason, w.HBox([self.save, self.status])])
        form.add_class("wb-cv-form")
        box = w.VBox([self.card, self.decision, form, self.history])
        box.add_class("wb-card")
        box.add_class("wb-cv-step")
        box.add_class(f"wb-cv-step-{_css_id(self.step_id)}")
        return box

    @property
    def problem(self) -> str | None:
        """Why the form cannot be saved yet (None: it can)."""
        return check_decision(self.action.value, self.reason.value, self.change_to.value)

    def _edited(self, _change: Any) -> None:
        if self._quiet:
            return
        self._key = uuid.uuid4().hex  # new content, new key: a retry of the same reuses it
        self.status.value = ""
        self._update()

    def _update(self) -> None:
        self.change_to.layout.display = "flex" if self.action.value == "change" else "none"
        problem = self.problem
        self.save.disabled = problem is not None
        self.save.button_style = "" if problem else "primary"  # disabled looks disabled
        if problem is None:
            word = dict((v, k) for k, v in CHOICES)[self.action.value]
            self.save.description = f"Save decision: {word}"
            self.save.tooltip = "Record this decision with your name, the time and the reason"
        else:
            self.save.description = problem
            self.save.tooltip = problem

    def submit(self) -> Any | None:
        """Record the decision; returns the stored review, or None (said on the status line)."""
        problem = self.problem
        if problem is not None:
            self._say(f"Not saved: {problem.lower()}.", ok=False)
            return None
        self.save.disabled = True
        self.status.value = "<p class='wb-muted' role='status'>Saving…</p>"
        change_to = self.change_to.value.strip() if self.action.value == "change" else None
        try:
            info = self.service.record_review(
                self.pathway_id,
                self.step_id,
                self.action.value,
                self.reason.value.strip(),
                self.counsellor,
                change_to,
                idempotency_key=self._key,
            )
        except WorkbenchError as exc:
            self._say(f"Not saved: {error_text(exc, ENGLISH)}", ok=False)
            self._update()
            return None
        except Exception as exc:  # the database or the connection: say so, keep the form
            log.exception("recording a review failed")
            self._say(
                f"Not saved: the database did not answer ({type(exc).__name__}). Try again: "
                "a decision is never recorded twice.",
                ok=False,
            )
            self._update()
            return None
        self._saved(info)
        return info

    def _saved(self, info: Any) -> None:
        what = cards.ACTION_WORDS.get(info.action, info.action)
        again = "" if getattr(info, "created", True) else " (it had already been recorded)"
        self._say(f"Saved: {what} by {info.counsellor} at {cards.when(info.at)}{again}.", ok=True)
        self.refresh_history()
        self._quiet = True
        try:  # an empty form again: the decision is in the log, a click cannot repeat it
            self.action.value = None
            self.reason.value = ""
            self.change_to.value = ""
        finally:
            self._quiet = False
        self._key = uuid.uuid4().hex
        self._update()

    def refresh_history(self) -> None:
        """Re-read this step's decisions from the log."""
        history = [r for r in self.service.reviews(self.pathway_id) if r.step_id == self.step_id]
        self.history.value = cards.history_html(history)
        self.decision.value = cards.decision_html(history[-1] if history else None)

    def _say(self, text: str, *, ok: bool) -> None:
        css, role = ("wb-status-ok", "status") if ok else ("wb-status-error", "alert")
        self.status.value = f"<p class='{css} wb-cv-status' role='{role}'>{escape(text)}</p>"


def _css_id(step_id: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in step_id)


class CounsellorView:
    """The whole page: who the counsellor is, the pathway picker and the open pathway."""

    def __init__(
        self, service: OversightService, counsellor: str | None = None, source: str | None = None
    ) -> None:
        self.service = service
        if counsellor is None:
            counsellor, source = counsellor_name()
        self.counsellor = counsellor
        self.header = _html(cards.header_html(counsellor, source or "configured"))
        self.picker = w.Dropdown(
            description="Jobseeker:",
            options=[],
            value=None,
            layout=w.Layout(width="min(100%, 44em)"),
            style={"description_width": "initial"},
        )
        self.picker.observe(self._picked, names="value")
        self.reload = w.Button(description="Refresh list", layout=w.Layout(width="auto"))
        self.reload.on_click(lambda _b: self.load_list(self.picker.value))
        self.message = w.HTML()
        self.body = w.VBox()
        self.steps: list[StepReview] = []
        self.pathway_id: int | None = None
        self._rows: dict[int, dict[str, Any]] = {}
        self.find = w.Text(
            description="Or open by pseudonym:",
            placeholder="p_ and 32 hex digits",
            layout=w.Layout(width="min(100%, 44em)"),
            style={"description_width": "initial"},
        )
        self.find_button = w.Button(description="Open", layout=w.Layout(width="auto"))
        self.find_button.on_click(lambda _b: self.open_person(self.find.value))
        flex_end = w.Layout(align_items="flex-end", flex_flow="row wrap")
        picker = w.VBox(
            [
                w.HBox([self.picker, self.reload], layout=flex_end),
                w.HBox([self.find, self.find_button], layout=flex_end),
            ]
        )
        picker.add_class("wb-card")
        self.root = w.VBox([self.header, picker, self.message, self.body])
        self.root.add_class("wb-app")
        self.root.add_class("wb-counsellor")

    # -- entry point --------------------------------------------------------------------
    @classmethod
    def show(
        cls, query_string: str | None, service: OversightService | None = None
    ) -> CounsellorView:
        """Display the view; ``?person=<pseudonym>`` (or ``?pathway=<id>``) opens one."""
        if service is None:
            from workbench.pathways.oversight import OversightService
            from workbench.service import Workbench

            service = OversightService(Workbench().db)
        view = cls(service)
        display(view.root)
        query = {k: v[-1] for k, v in parse_qs(query_string or "").items()}
        view.start(person=query.get("person"), pathway=query.get("pathway"))
        return view

    def start(self, person: str | None = None, pathway: str | None = None) -> None:
        """List the saved pathways and open the one asked for (else the newest)."""
        try:
            chosen = self._asked(person, pathway)
            self.load_list(chosen)
        except WorkbenchError as exc:
            self._error(error_text(exc, ENGLISH))

    def _asked(self, person: str | None, pathway: str | None) -> int | None:
        if pathway:
            if not (pathway.isascii() and pathway.isdigit()):
                raise InputError(f"?pathway= must be a pathway number, not {pathway!r}")
            return int(pathway)
        return self._latest(person) if person else None

    def _latest(self, person: str) -> int:
        """The id of a person's newest pathway; InputError for a raw id or none saved."""
        from workbench.profiling.pseudonym import is_pseudonym

        person = person.strip()
        if not is_pseudonym(person):
            raise InputError(
                "a jobseeker is named by a pseudonym (p_ and 32 hex digits): raw ids are "
                "never stored or shown"
            )
        found = self.service.latest_for(person)
        if found is None:
            raise InputError(f"no saved pathway for {person}")
        return int(found[1])

    def open_person(self, person: str) -> None:
        """Open a person's newest pathway (the "open by pseudonym" field)."""
        try:
            self.load_list(self._latest(person))
        except WorkbenchError as exc:
            self._error(error_text(exc, ENGLISH))

    # -- the picker ----------------------------------------------------------------------
    def load_list(self, select: int | None = None) -> None:
        """Fill the picker (newest first) and open ``select`` (default: the newest)."""
        rows = self.service.list_pathways(limit=LIST_LIMIT)
        self._rows = {int(r["id"]): r for r in rows}
        options = [(cards.pathway_label(r), int(r["id"])) for r in rows]
        if select is not None and select not in self._rows:  # older than the list's end
            options.append((f"pathway #{select}", select))
        if not options:
            self.picker.options = []
            self.body.children = []
            self.message.value = (
                "<p class='wb-card wb-muted' role='status'>No pathways have been saved yet. "
                "Pathways appear here once they are built and saved for review.</p>"
            )
            return
        target = select if select is not None else options[0][1]
        self.picker.unobserve(self._picked, names="value")
        try:
            self.picker.options = options
            self.picker.value = target
        finally:
            self.picker.observe(self._picked, names="value")
        self.open(target)

    def _picked(self, change: dict[str, Any]) -> None:
        if change["new"] is not None:
            self.open(int(change["new"]))

    # -- one pathway ---------------------------------------------------------------------
    def open(self, pathway_id: int) -> None:
        """Show one saved pathway and its review forms."""
        try:
            pathway, _id = self.service.get_pathway(pathway_id)
            p = as_dict(pathway)
            history = self.service.reviews(pathway_id)
        except WorkbenchError as exc:
            self._error(error_text(exc, ENGLISH))
            return
        except Exception as exc:  # a payload this version cannot read, a database error
            log.exception("opening pathway %s failed", pathway_id)
            self._error(f"Pathway #{pathway_id} cannot be shown: {type(exc).__name__}: {exc}")
            return
        self.pathway_id = pathway_id
        self.message.value = ""
        steps = list(p.get("steps") or ())
        self.steps = [
            StepReview(
                self.service,
                pathway_id,
                step,
                number,
                self.counsellor,
                [r for r in history if r.step_id == str(step.get("step_id"))],
            )
            for number, step in enumerate(steps, start=1)
        ]
        self.body.children = self._summary(p, pathway_id) + [s.widget() for s in self.steps]

    def _summary(self, p: dict[str, Any], pathway_id: int) -> list[w.Widget]:
        blocks: list[w.Widget] = []
        if p.get("synthetic"):
            blocks.append(_html(cards.synthetic_html()))
        facts = cards.facts_html(p, pathway_id, self._rows.get(pathway_id))
        protected = (
            "<p class='wb-muted'>Protected attributes (sex, origin, disability, age band) "
            "are kept for auditing only: they are not shown here and did not choose the "
            "steps.</p>"
        )
        blocks.append(_html(cards.risk_html(p) + facts + protected, "wb-card", "wb-cv-risk-card"))
        notes = cards.notes_html(list(p.get("notes") or ()))
        if notes:
            blocks.append(_html(notes, "wb-card", "wb-cv-notes-card"))
        n = len(p.get("steps") or ())
        heading = (
            f"<h2>Proposed steps ({n})</h2><p class='wb-muted'>Decide on each step: accept "
            "it, change it (say what it becomes) or reject it. A reason is required to "
            "change or reject. Until you decide, a step is only a proposal.</p>"
            if n
            else "<h2>Proposed steps</h2><p>This pathway proposes no steps; see what is "
            "missing above.</p>"
        )
        blocks.append(_html(heading))
        return blocks

    def _error(self, text: str) -> None:
        self.message.value = (
            f"<p class='wb-status-error wb-cv-error' role='alert'>{escape(text)}</p>"
        )


__all__ = [
    "COUNSELLOR_ENV",
    "CounsellorView",
    "StepReview",
    "as_dict",
    "check_decision",
    "counsellor_name",
]
