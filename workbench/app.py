"""The stakeholder app that runs inside a published notebook's (preheated) kernel.

:meth:`StakeholderApp.preload` runs while the kernel waits in the pool: imports, the
database connection and the case study's artefacts. :meth:`StakeholderApp.show` runs
when the participant's request arrives: it checks the join token, then builds the page.
It computes nothing; diagnosis and evidence come from the published runs' artefacts.
"""

from __future__ import annotations

import logging
import os
import threading
from html import escape
from typing import Any
from urllib.parse import parse_qs

import ipywidgets as w
from IPython.display import display

from workbench.appsections import (
    attribution_html,
    diagnosis_html,
    evidence_html,
    image_html,
    policy_mix_html,
    synthetic_parts,
    table_html,
)
from workbench.apptext import (
    banner_html,
    change_notice,
    language_switcher,
    previous_round_html,
    regional_html,
    results_html,
    state_message,
)
from workbench.classifications import STAKEHOLDER_GROUPS
from workbench.config import Settings
from workbench.db import Database
from workbench.exceptions import AccessDenied, StaleRound, WorkbenchError, WorkshopClosed
from workbench.i18n import ENGLISH, N_, Translator, error_text, translator, warm
from workbench.participation.feedback import VOTES, FeedbackService
from workbench.participation.languages import page_language, set_language
from workbench.participation.workshops import INVALID_LINK, Admission, WorkshopInfo
from workbench.publish import load_artefacts
from workbench.terms import run_text
from workbench.watch import StateWatcher
from workbench.widgets.approval import ApprovalForm, RankingForm
from workbench.widgets.base import FeedbackForm
from workbench.widgets.comment import CommentForm
from workbench.widgets.points import PointsForm
from workbench.widgets.rating import RatingGrid
from workbench.widgets.registration import RegistrationForm
from workbench.widgets.statements import ProposeStatement, StatementVotes

log = logging.getLogger("workbench.app")


def card(html: str, css: str = "wb-card") -> w.HTML:
    """An HTML block with a workbench CSS class (``html`` must already be escaped)."""
    block = w.HTML(html)
    block.add_class(css)
    return block


def error_card(message: str) -> w.HTML:
    """A readable, escaped error for the participant."""
    return card(f'<div role="alert" class="wb-status-error"><p>{escape(message)}</p></div>')


_img = image_html
_PAGE_FAILED = N_("Sorry, the page could not be built. Please tell the facilitator.")
_IMAGES = {
    "unemployment": N_("Unemployment rate over time: region, country and EU-27"),
    "sector": N_("Employment in the sector over time"),
    "beveridge": N_("Beveridge curve: vacancy rate against unemployment rate"),
}


class StakeholderApp:
    """One case study's app; one instance per kernel (i.e. per participant page)."""

    def __init__(self, case_slug: str, settings: Settings, db: Database) -> None:
        self.case_slug = case_slug
        self.settings = settings
        self.db = db
        self.feedback = FeedbackService(db, settings)
        self.workshops = self.feedback.workshops
        self._artefacts: dict[int, dict[str, Any]] = {}
        #: answers refused for a round that ended, by kind: (payload, message), shown
        #: again in the re-rendered forms so that nothing typed is lost
        self._unsent: dict[str, tuple[dict[str, Any], str]] = {}
        self._render_lock = threading.RLock()
        self.forms: dict[str, FeedbackForm] = {}
        self.watcher: StateWatcher[tuple[str, int]] | None = None
        self.root = w.VBox()
        self.root.add_class("wb-app")
        #: the page's language (see workbench.participation.languages)
        self.t: Translator = ENGLISH

    @classmethod
    def preload(cls, case_slug: str) -> StakeholderApp:
        """Do everything that does not depend on the participant (pool time)."""
        settings = Settings()
        app = cls(case_slug, settings, Database(settings.database_url, migrate=False))
        warm()  # every catalog, compiled while the kernel waits in the pool
        try:
            from workbench.db import participation as store

            with app.db.session() as s:
                pub = store.latest_publication(s, case_slug=case_slug)
            if pub is not None and pub.id is not None:
                app.artefacts(pub.id)
        except WorkbenchError:  # the page will say what is wrong once a request arrives
            log.exception("preload failed")
        return app

    def artefacts(self, publication_id: int) -> dict[str, Any]:
        """The artefacts of a publication (cached per kernel)."""
        if publication_id not in self._artefacts:
            self._artefacts[publication_id] = load_artefacts(self.db, self.settings, publication_id)
        return self._artefacts[publication_id]

    # -- entry point ------------------------------------------------------------------
    def show(self, query_string: str | None) -> None:
        """Display the page for the request's query string."""
        try:
            self.root.children = self.page(query_string or "")
        except Exception:  # never show a traceback to a participant
            log.exception("app page failed")
            self.root.children = [error_card(self.t._(_PAGE_FAILED))]
        display(self.root)

    def page(self, query_string: str) -> list[w.Widget]:
        """The widgets for one participant."""
        query = {k: v[-1] for k, v in parse_qs(query_string).items()}
        workshop_id = query.get("workshop", "")
        self.t = self._language(query)
        try:
            if "code" in query and "token" not in query:
                token, admission = self.workshops.join_with_code(workshop_id, query["code"])
                self.personal_link = self._personal_link(admission, token)
            else:
                token = query.get("token", "")
                admission = self.workshops.admit(workshop_id, token)
                self.personal_link = None
            info = self.workshops.get(admission.workshop_id)
        except WorkbenchError as exc:
            return [self._banner(None), error_card(error_text(exc, self.t))]
        if info.case_slug != self.case_slug:
            return [self._banner(None), error_card(self.t._(INVALID_LINK))]
        self.token, self.info, self.admission = token, info, admission
        self._remember_language(query)
        self.banner = self._banner(info)
        header = [self.banner, *self._evidence(info)]
        self.feedback_box = w.VBox()
        self.notice = w.HTML()
        self._render_feedback()
        self.watcher = StateWatcher(
            lambda: self.workshops.state(info.id),
            self._workshop_changed,
            initial=(info.state, info.current_round),
            final=lambda value: value[0] == "closed",
        )
        self.watcher.start()
        return [*header, self.notice, self.feedback_box]

    def _language(self, query: dict[str, str]) -> Translator:
        """The page's language: as the app server chose it for the page template (same
        question, same answer; see workbench.participation.languages)."""
        try:
            code = page_language(
                self.workshops,
                query.get("workshop", ""),
                token=query.get("token"),
                requested=query.get("lang"),
                accept_language=os.environ.get("HTTP_ACCEPT_LANGUAGE"),
            )
        except WorkbenchError:
            code = "en"
        return translator(code)

    def _remember_language(self, query: dict[str, str]) -> None:
        """A language picked on the page sticks to the participation."""
        picked = query.get("lang")
        if picked and picked == self.t.code and picked != self.admission.language:
            try:
                set_language(self.workshops, self.info.id, self.token, picked)
            except WorkbenchError:
                log.warning("could not remember the language %s", picked)

    # -- changes made by the facilitator while the page is open ---------------------------
    def _render_feedback(self) -> None:
        """(Re)build the feedback section for the current round and state."""
        with self._render_lock:
            if self.admission.registered:
                self.feedback_box.children = self._feedback(self.admission)
            elif self.info.state != "open":
                self.feedback_box.children = [error_card(state_message(self.info, self.t))]
            else:
                form = RegistrationForm(self._register, self._joined, t=self.t)
                self.feedback_box.children = [form.widget]

    def _workshop_changed(self, old: tuple[str, int], new: tuple[str, int]) -> None:
        """The workshop opened, moved to a new round or closed: re-render in place."""
        with self._render_lock:
            self.info = self.workshops.get(self.info.id)
            # a registration form in progress belongs to no round: keep it
            if self.admission.registered or not old[0] == new[0] == "open":
                self._render_feedback()
            # announced once the page shows it
            self.banner.value = self._banner_html(self.info)
            self.notice.value = change_notice(old, new, self.t)

    def _answer_refused(self, kind: str, payload: dict[str, Any], exc: WorkbenchError) -> None:
        """Keep an answer the new round (or the close) refused, and show the new state."""
        t = self.t
        if isinstance(exc, StaleRound):
            message = (
                error_text(exc, t)
                + " "
                + t._(
                    "Your answer is still here: check it and press Save to send it for "
                    "round {number}."
                ).format(number=exc.current_round)
            )
        else:
            message = t._("Not saved: the workshop was closed before your answer arrived.")
        with self._render_lock:
            self._unsent[kind] = (payload, message)
        # Not under the render lock: the watcher takes its own lock, then the render lock.
        if self.watcher is None or not self.watcher.check_now():
            self._render_feedback()  # the page already shows the new round: refill it

    def _personal_link(self, admission: Admission, token: str) -> str:
        return (
            f"{self.settings.app_url}voila/render/{self.case_slug}.ipynb"
            f"?workshop={admission.workshop_id}&token={token}"
        )

    def _register(self, **fields: Any) -> Admission:
        return self.workshops.register(self.info.id, self.token, **fields)

    def _joined(self, admission: Admission) -> None:
        with self._render_lock:
            self.admission = admission
            self.feedback_box.children = self._feedback(admission)

    # -- sections ---------------------------------------------------------------------
    def _banner(self, info: WorkshopInfo | None) -> w.HTML:
        return w.HTML(self._banner_html(info))

    def _banner_html(self, info: WorkshopInfo | None) -> str:
        if info is None:
            return banner_html(None, self.t)
        art = self.artefacts(info.publication_id)
        synthetic = any(
            (entry.get("json") or {}).get(name, {}).get("synthetic")
            for entry in art.values()
            for name in entry.get("json", {})
        )
        return banner_html(
            info,
            self.t,
            synthetic=synthetic,
            synthetic_tables=[] if synthetic else synthetic_parts(art),
            switcher=language_switcher(info, self.token, self.t),
        )

    def _evidence(self, info: WorkshopInfo) -> list[w.Widget]:
        t = self.t
        art = self.artefacts(info.publication_id)
        out: list[w.Widget] = []
        real = art.get("diagnosis", {})
        pid = info.publication_id
        if real.get("json", {}).get("diagnosis"):
            out.append(card(diagnosis_html(pid, real["json"]["diagnosis"], real["images"], t)))
        mix = art.get("policy_mix", {})
        if mix.get("json", {}).get("policy_mix"):
            out.append(card(policy_mix_html(pid, mix["json"]["policy_mix"], mix["images"], t)))
        ev_new = art.get("evidence", {})
        if ev_new.get("json", {}).get("evidence"):
            out.append(card(evidence_html(pid, ev_new["json"]["evidence"], ev_new["images"], t)))
        diag = art.get("regional_diagnosis", {})
        d = diag.get("json", {}).get("diagnosis")
        if d:
            html = [regional_html(d, t)]
            images = diag.get("images", {})
            for name, alt in _IMAGES.items():
                if name in images:
                    html.append(_img(pid, "regional_diagnosis", name, t._(alt)))
            out.append(card("".join(html)))
        ev = art.get("evidence_review", {})
        e = ev.get("json", {}).get("evidence")
        if e:
            out.append(
                card(self._evidence_review(pid, e, "evidence_scores" in ev.get("images", {})))
            )
        if footer := attribution_html(art, t):
            out.append(card(footer))
        return out

    def _evidence_review(self, pid: int, e: dict[str, Any], plot: bool) -> str:
        """The vote-count review of the demo case studies."""
        t = self.t
        rows = "".join(
            f"<tr><td>{r['rank']}</td><td>{run_text(r['programme'], t)}</td>"
            f"<td>{r['score']:+d}</td>"
            f"<td>{r['n_positive']} / {r['n_neutral']} / {r['n_negative']}</td></tr>"
            for r in e.get("ranking", [])
            if r.get("status") == "ranked"
        )
        method = escape(e.get("method", ""))
        if t.code != "en":
            method = f'<span lang="en">{method}</span>'
        heads = (t._("Rank"), t._("Programme"), t._("Score"), t._("Positive / neutral / negative"))
        html = [
            f"<h2>{escape(t._('2. What works: the evidence'))}</h2>",
            f'<p class="wb-muted">{method}</p>',
            table_html(t._("Programmes ranked by published findings"), heads, rows),
        ]
        if plot:
            alt = t._("Evidence score per programme")
            html.append(_img(pid, "evidence_review", "evidence_scores", alt))
        return "".join(html)

    def _feedback(self, admission: Admission) -> list[w.Widget]:
        info, t = self.info, self.t
        readonly = info.state != "open"
        mine = self.feedback.my_answers(workshop_id=info.id, token=self.token)
        unsent, self._unsent = self._unsent, {}
        for kind, (payload, _message) in unsent.items():
            mine.update(carried_answers(kind, payload, info.options))
        statements = self.feedback.statements(workshop_id=info.id)
        delphi = self.feedback.delphi(workshop_id=info.id, token=self.token)
        previous = delphi["previous"] or {}

        def send(kind: str, payload: dict[str, Any], key: str) -> Any:
            try:
                return self.feedback.submit(
                    workshop_id=info.id,
                    token=self.token,
                    round_number=info.current_round,
                    kind=kind,
                    payload=payload,
                    idempotency_key=key,
                    language=t.code,
                )
            except (StaleRound, WorkshopClosed) as exc:
                self._answer_refused(kind, payload, exc)
                raise

        self.results = w.HTML()
        common = {"readonly": readonly, "on_saved": self._refresh_results, "t": t}
        labelled = {**common, "default_language": info.language}
        self.votes = StatementVotes(send, statements=statements, initial=mine, **labelled)
        forms = [
            RatingGrid(
                send,
                options=info.options,
                criteria=info.criteria,
                scale=info.scale,
                initial=mine,
                reask=delphi["reask"],
                previous=previous.get("items"),
                previous_round=previous.get("round"),
                **labelled,
            ),
            *_points_form(send, info, mine, labelled),
            ApprovalForm(send, options=info.options, initial=mine, **labelled),
            RankingForm(send, options=info.options, initial=mine, **labelled),
            self.votes,
            ProposeStatement(send, **common),
            CommentForm(send, options=info.options, initial=mine, **labelled),
        ]
        self.forms = {form.kind: form for form in forms}
        for kind, (payload, message) in unsent.items():
            _restore_text(self.forms[kind], kind, payload)
            self.forms[kind].status.show(text=message, status="refused")
        group = STAKEHOLDER_GROUPS.get(admission.stakeholder_group or "", "")
        intro = (
            f"<h2>{escape(t._('3. Your feedback'))}</h2><p>"
            + escape(
                t._(
                    "You take part as {name} ({group}). Each part is saved separately: you "
                    "will see “Saved” once it is stored."
                )
            ).format(
                name=f"<strong>{escape(admission.display_name or '')}</strong>",
                group=escape(t._(group)) if group else "",
            )
            + "</p>"
        )
        if self.personal_link:
            intro += (
                '<p class="wb-help">'
                + escape(t._("Bookmark your personal link to come back later:"))
                + f' <code class="wb-personal-link">{escape(self.personal_link)}</code></p>'
            )
        top: list[w.Widget] = [card(intro)]
        if readonly:
            top.append(error_card(state_message(info, t)))
        if previous:
            top.append(card(previous_round_html(delphi, info, t)))
        self._refresh_results()
        return [*top, *(f.widget for f in forms), self.results]

    def _refresh_results(self) -> None:
        try:
            res = self.feedback.results(workshop_id=self.info.id, token=self.token)
        except WorkbenchError:
            return
        self.votes.show_results(res["votes"])
        html = results_html(res, self.info, self.t)
        if html:
            self.results.value = html


def _points_form(
    send: Any, info: WorkshopInfo, mine: dict[str, Any], common: dict[str, Any]
) -> list[FeedbackForm]:
    """The "what matters most" form, if the workshop asks for points."""
    if not info.points:
        return []
    return [PointsForm(send, criteria=info.criteria, budget=info.points, initial=mine, **common)]


def carried_answers(
    kind: str, payload: dict[str, Any], options: list[dict[str, str]]
) -> dict[str, Any]:
    """A refused payload as the ``item -> value`` answers a form starts from."""
    if kind == "rating":
        return {
            f"rating:{option}:{criterion}": value
            for option, per in payload.get("ratings", {}).items()
            for criterion, value in per.items()
        }
    if kind == "approval":
        approved = set(payload.get("approved", []))
        return {f"approval:{o['key']}": o["key"] in approved for o in options}
    if kind == "ranking":
        return {"ranking": list(payload.get("order", []))}
    if kind == "vote":
        return {f"vote:{sid}": VOTES[v] for sid, v in payload.get("votes", {}).items()}
    if kind == "comment":
        return {f"comment:{payload.get('target', 'general')}": payload.get("text", "")}
    if kind == "points":
        return {f"points:{criterion}": value for criterion, value in payload.items()}
    return {}


def _restore_text(form: FeedbackForm, kind: str, payload: dict[str, Any]) -> None:
    """Put back what the answer said where ``initial`` cannot (comment target, proposal)."""
    if kind == "comment" and isinstance(form, CommentForm):
        form.target.value = payload.get("target", "general")
    elif kind == "proposal" and isinstance(form, ProposeStatement):
        form.text.value = str(payload.get("text", ""))


__all__ = ["AccessDenied", "StakeholderApp"]
