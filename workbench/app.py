"""The stakeholder app that runs inside a published notebook's (preheated) kernel.

:meth:`StakeholderApp.preload` runs while the kernel waits in the pool: imports, the
database connection and the case study's artefacts. :meth:`StakeholderApp.show` runs
when the participant's request arrives: it checks the join token, then builds the page.
It computes nothing; diagnosis and evidence come from the published runs' artefacts.
"""

from __future__ import annotations

import logging
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
)
from workbench.classifications import STAKEHOLDER_GROUPS
from workbench.config import Settings
from workbench.db import Database
from workbench.exceptions import AccessDenied, StaleRound, WorkbenchError, WorkshopClosed
from workbench.participation.feedback import VOTES, FeedbackService
from workbench.participation.workshops import INVALID_LINK, Admission, WorkshopInfo
from workbench.publish import load_artefacts
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


def _figure(latest: dict[str, Any], key: str, code: str) -> str:
    value = latest.get(key, {}).get(code, {}).get("value")
    return "–" if value is None else f"{value:.1f}%"


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

    @classmethod
    def preload(cls, case_slug: str) -> StakeholderApp:
        """Do everything that does not depend on the participant (pool time)."""
        settings = Settings()
        app = cls(case_slug, settings, Database(settings.database_url, migrate=False))
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
            self.root.children = [
                error_card("Sorry, the page could not be built. Please tell the facilitator.")
            ]
        display(self.root)

    def page(self, query_string: str) -> list[w.Widget]:
        """The widgets for one participant."""
        query = {k: v[-1] for k, v in parse_qs(query_string).items()}
        workshop_id = query.get("workshop", "")
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
            return [self._banner(None), error_card(str(exc))]
        if info.case_slug != self.case_slug:
            return [self._banner(None), error_card(INVALID_LINK)]
        self.token, self.info, self.admission = token, info, admission
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

    # -- changes made by the facilitator while the page is open ---------------------------
    def _render_feedback(self) -> None:
        """(Re)build the feedback section for the current round and state."""
        with self._render_lock:
            if self.admission.registered:
                self.feedback_box.children = self._feedback(self.admission)
            elif self.info.state != "open":
                self.feedback_box.children = [error_card(_state_message(self.info))]
            else:
                form = RegistrationForm(self._register, self._joined)
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
            self.notice.value = _change_notice(old, new)

    def _answer_refused(self, kind: str, payload: dict[str, Any], exc: WorkbenchError) -> None:
        """Keep an answer the new round (or the close) refused, and show the new state."""
        if isinstance(exc, StaleRound):
            message = (
                f"{exc} Your answer is still here: check it and press Save to send it for "
                f"round {exc.current_round}."
            )
        else:
            message = "Not saved: the workshop was closed before your answer arrived."
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
        parts = ['<header class="wb-card"><h1>ALMP co-design workshop</h1>']
        if info is not None:
            art = self.artefacts(info.publication_id)
            synthetic = any(
                (entry.get("json") or {}).get(name, {}).get("synthetic")
                for entry in art.values()
                for name in entry.get("json", {})
            )
            parts.append(f"<h2>{escape(info.title)}</h2>")
            state = {
                "open": f"Round {info.current_round} is open",
                "closed": "Closed",
                "draft": "Not started",
            }
            parts.append(
                f'<p class="wb-muted">{escape(state.get(info.state, info.state))} · '
                f"evidence version {escape(info.bundle_hash)}</p>"
            )
            if synthetic:
                parts.append(
                    '<p class="wb-synthetic" role="note"><strong>SYNTHETIC DEMO DATA.</strong> '
                    "The figures below are generated for demonstration and are not "
                    "official statistics.</p>"
                )
            elif tables := synthetic_parts(art):
                parts.append(
                    '<p class="wb-synthetic" role="note"><strong>Real data, with SYNTHETIC '
                    "tables.</strong> Figures come from Eurostat and ESCO, except: "
                    f"{escape('; '.join(tables))}. Those are marked where they appear.</p>"
                )
        parts.append("</header>")
        return "".join(parts)

    def _evidence(self, info: WorkshopInfo) -> list[w.Widget]:
        art = self.artefacts(info.publication_id)
        out: list[w.Widget] = []
        real = art.get("diagnosis", {})
        if real.get("json", {}).get("diagnosis"):
            out.append(
                card(diagnosis_html(info.publication_id, real["json"]["diagnosis"], real["images"]))
            )
        mix = art.get("policy_mix", {})
        if mix.get("json", {}).get("policy_mix"):
            out.append(
                card(policy_mix_html(info.publication_id, mix["json"]["policy_mix"], mix["images"]))
            )
        ev_new = art.get("evidence", {})
        if ev_new.get("json", {}).get("evidence"):
            out.append(
                card(
                    evidence_html(info.publication_id, ev_new["json"]["evidence"], ev_new["images"])
                )
            )
        diag = art.get("regional_diagnosis", {})
        d = diag.get("json", {}).get("diagnosis")
        if d:
            code = d["region"]["code"]
            latest = d.get("latest", {})
            ctx = d.get("context", {})
            html = [
                f"<h2>1. The region: {escape(d['region']['name'])} ({escape(code)})</h2>",
                "<ul>",
                f"<li>Unemployment rate {d['years']['latest']}: "
                f"<strong>{_figure(latest, 'unemployment_rate', code)}</strong> "
                f"(EU-27 {_figure(latest, 'unemployment_rate', 'EU27_2020')})</li>",
                f"<li>Youth unemployment: <strong>"
                f"{_figure(latest, 'youth_unemployment_rate', code)}</strong></li>",
                f"<li>Job vacancy rate: {_figure(latest, 'vacancy_rate', code)}</li>",
                f"<li>Sector: {escape(d['sector']['name'])} "
                f"({escape(d['sector'].get('skill_level', ''))}-skilled jobs), "
                "unemployment is <strong>"
                f"{escape(str(ctx.get('unemployment', '?')))}</strong></li>",
                "</ul>",
            ]
            images = diag.get("images", {})
            alts = {
                "unemployment": "Unemployment rate over time: region, country and EU-27",
                "sector": "Employment in the sector over time",
                "beveridge": "Beveridge curve: vacancy rate against unemployment rate",
            }
            for name, alt in alts.items():
                if name in images:
                    html.append(_img(info.publication_id, "regional_diagnosis", name, alt))
            out.append(card("".join(html)))
        ev = art.get("evidence_review", {})
        e = ev.get("json", {}).get("evidence")
        if e:
            rows = "".join(
                f"<tr><td>{r['rank']}</td><td>{escape(r['programme'])}</td><td>{r['score']:+d}</td>"
                f"<td>{r['n_positive']} / {r['n_neutral']} / {r['n_negative']}</td></tr>"
                for r in e.get("ranking", [])
                if r.get("status") == "ranked"
            )
            html = [
                "<h2>2. What works: the evidence</h2>",
                f'<p class="wb-muted">{escape(e.get("method", ""))}</p>',
                '<table class="wb-table"><caption>Programmes ranked by published findings</caption>'
                '<thead><tr><th scope="col">Rank</th><th scope="col">Programme</th>'
                '<th scope="col">Score</th><th scope="col">Positive / neutral / negative</th>'
                f"</tr></thead><tbody>{rows}</tbody></table>",
            ]
            if "evidence_scores" in ev.get("images", {}):
                html.append(
                    _img(
                        info.publication_id,
                        "evidence_review",
                        "evidence_scores",
                        "Evidence score per programme",
                    )
                )
            out.append(card("".join(html)))
        if footer := attribution_html(art):
            out.append(card(footer))
        return out

    def _feedback(self, admission: Admission) -> list[w.Widget]:
        info = self.info
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
                )
            except (StaleRound, WorkshopClosed) as exc:
                self._answer_refused(kind, payload, exc)
                raise

        self.results = w.HTML()
        common = {"readonly": readonly, "on_saved": self._refresh_results}
        self.votes = StatementVotes(send, statements=statements, initial=mine, **common)
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
                **common,
            ),
            *_points_form(send, info, mine, common),
            ApprovalForm(send, options=info.options, initial=mine, **common),
            RankingForm(send, options=info.options, initial=mine, **common),
            self.votes,
            ProposeStatement(send, **common),
            CommentForm(send, options=info.options, initial=mine, **common),
        ]
        self.forms = {form.kind: form for form in forms}
        for kind, (payload, message) in unsent.items():
            _restore_text(self.forms[kind], kind, payload)
            self.forms[kind].status.show(text=message, status="refused")
        group = STAKEHOLDER_GROUPS.get(admission.stakeholder_group or "", "")
        intro = (
            f"<h2>3. Your feedback</h2><p>You take part as <strong>"
            f"{escape(admission.display_name or '')}</strong> ({escape(group)}). "
            "Each part is saved separately: you will see “Saved” once it is stored.</p>"
        )
        if self.personal_link:
            intro += (
                '<p class="wb-help">Bookmark your personal link to come back later: '
                f'<code class="wb-personal-link">{escape(self.personal_link)}</code></p>'
            )
        top: list[w.Widget] = [card(intro)]
        if readonly:
            top.append(error_card(_state_message(info)))
        if previous:
            top.append(card(_previous_round_html(delphi, info)))
        self._refresh_results()
        return [*top, *(f.widget for f in forms), self.results]

    def _refresh_results(self) -> None:
        try:
            res = self.feedback.results(workshop_id=self.info.id, token=self.token)
        except WorkbenchError:
            return
        self.votes.show_results(res["votes"])
        labels = {o["key"]: o["label"] for o in self.info.options}
        crit = {c["key"]: c["label"] for c in self.info.criteria}
        items = []
        for key, stat in sorted(res["ratings"].items()):
            option, criterion = key.split(":", 1)
            items.append(
                f"<li>{escape(labels.get(option, option))} – "
                f"{escape(crit.get(criterion, criterion))}: "
                f"median {stat['median']:g} of {self.info.scale} ({stat['n']} ratings)</li>"
            )
        if res["points"] and self.info.points:
            weights = [
                f"{escape(crit.get(key, key))} {stat['mean'] / self.info.points:.0%}"
                for key, stat in sorted(res["points"].items(), key=lambda kv: -kv[1]["mean"])
            ]
            n = max(stat["n"] for stat in res["points"].values())
            items.append(
                f"<li>What matters most (average weights from {n} participant"
                f"{'' if n == 1 else 's'}): {', '.join(weights)}</li>"
            )
        if res["approvals"]:
            n = res["approvals"]["n"]
            for key, count in res["approvals"]["counts"].items():
                items.append(
                    f"<li>{escape(labels.get(key, key))}: supported by {count} of {n}</li>"
                )
        if items:
            self.results.value = (
                '<div class="wb-card"><h3>The group so far</h3>'
                '<p class="wb-muted">Shown for what you have answered yourself.</p>'
                f"<ul>{''.join(items)}</ul></div>"
            )


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


def _change_notice(old: tuple[str, int], new: tuple[str, int]) -> str:
    """An announcement of what the facilitator changed (a polite live region)."""
    (old_state, old_round), (state, number) = old, new
    if state == "closed":
        text = "The facilitator has closed the workshop. Your answers are shown read-only."
    elif state == "open" and old_state != "open":
        text = "The workshop has started. You can join and answer now."
    elif number != old_round:
        text = (
            f"Round {number} has started. The results of round {old_round} are shown below, "
            "with the items the group is asked about again."
        )
    else:
        return ""
    return (
        '<div class="wb-card wb-notice" role="status" aria-live="polite">'
        f"<p><strong>{escape(text)}</strong></p></div>"
    )


def _previous_round_html(delphi: dict[str, Any], info: WorkshopInfo) -> str:
    """The Delphi summary shown before re-rating: what changed, what is re-asked, and why."""
    previous = delphi["previous"]
    number = previous["round"]
    items = previous.get("items", {})
    reask = delphi["reask"]
    settled = sum(1 for key, stat in items.items() if stat.get("consensus"))
    asked = "all items" if reask is None else f"{len(reask)} item(s) without consensus"
    labels = {o["key"]: o["label"] for o in info.options}
    parts = [
        f"<h2>Results of round {number}</h2>",
        f"<p>{previous.get('participants', 0)} participants rated in round {number}. "
        f"The group agreed on {settled} of {len(info.options) * len(info.criteria)} items; "
        "this round asks again "
        f"about {asked}. Each rating below shows the round-{number} median and the middle "
        "half of the answers. Answers are anonymous.</p>",
    ]
    reasons = delphi["reasons"]
    if reasons:
        lines = "".join(
            f"<li><strong>{escape(labels.get(r['about'], 'General'))}:</strong> "
            f"{escape(r['text'])}</li>"
            for r in reasons
        )
        parts.append(f'<h3>The group\'s reasons</h3><ul class="wb-reasons">{lines}</ul>')
    return "".join(parts)


def _state_message(info: WorkshopInfo) -> str:
    if info.state == "closed":
        return "This workshop is closed. Your answers are shown read-only."
    return "This workshop has not started yet. Please wait for the facilitator to open it."


__all__ = ["AccessDenied", "StakeholderApp"]
