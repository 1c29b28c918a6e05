"""The feedback widgets in the page's language (issue 16).

The shipped catalogs are still empty, so a translator that wraps every message in
«…» (:class:`Marked`) shows what goes through the translator: walking each widget tree,
every visible text must be wrapped, apart from the workshop's own content (labels,
descriptions, statements) and numbers. Forms save through the real FeedbackService
(SQLite and, with ``WORKBENCH_TEST_DB_URL``, PostgreSQL).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import ipywidgets as w
import pytest

from workbench.classifications import STAKEHOLDER_GROUPS
from workbench.config import Settings
from workbench.db import Database
from workbench.db import participation as store
from workbench.exceptions import (
    InputError,
    InvalidInput,
    Problem,
    StoreUnavailable,
    WorkshopClosed,
)
from workbench.i18n import ENGLISH, N_, Localized, Translator, translator
from workbench.participation.feedback import FeedbackService
from workbench.participation.spec import WorkshopSpec
from workbench.participation.workshops import WorkshopInfo, WorkshopService
from workbench.widgets import guard
from workbench.widgets.approval import ApprovalForm, RankingForm
from workbench.widgets.base import FeedbackForm, as_html, as_plain, item_text
from workbench.widgets.comment import CommentForm
from workbench.widgets.points import PointsForm
from workbench.widgets.rating import RatingGrid
from workbench.widgets.registration import RegistrationForm
from workbench.widgets.statements import ProposeStatement, StatementVotes
from workbench.widgets.submitter import Submitter

CASE = "es61-test"
OPTIONS = [
    {
        "key": "training",
        "label": "Training",
        "description": "Courses for jobseekers",
        "translations": {"es": {"label": "Formación", "description": "Cursos"}},
    },
    {"key": "wage_subsidy", "label": "Wage subsidy"},
]
CRITERIA = [
    {"key": "effectiveness", "label": "Effectiveness", "description": "Does it work?"},
    {"key": "feasibility", "label": "Feasibility"},
]
STATEMENTS = ["Results should be published yearly.", "Small firms need help to hire."]
BUDGET = 100
PREVIOUS = {"training:effectiveness": {"median": 3.5, "q1": 3.0, "q3": 4.25, "n": 6}}


class Marked(Translator):
    """Every message wrapped in «…»; numbers and dates as the language's."""

    def gettext(self, message: str) -> str:
        return f"«{message}»"

    _ = gettext

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return f"«{singular if n == 1 else plural}»"

    def pgettext(self, context: str, message: str) -> str:
        return f"«{message}»"


class _Text(HTMLParser):
    """The text and the read-aloud attributes of an HTML fragment."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text = ""  # one string: a sentence may have markup inside
        self.attributes: list[str] = []

    def handle_data(self, data: str) -> None:
        self.text += data

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.attributes += [v for k, v in attrs if k in ("title", "aria-label", "alt") and v]


def visible(widget: w.Widget) -> list[str]:
    """Every text a participant sees or hears in a widget tree (not what they typed)."""
    out: list[str] = []
    if isinstance(widget, w.HTML):
        parser = _Text()
        parser.feed(widget.value)
        out += [parser.text, *parser.attributes]
    elif isinstance(widget, w.Label):
        out.append(widget.value)
    for trait in ("description", "tooltip", "placeholder"):
        if widget.has_trait(trait) and getattr(widget, trait):
            out.append(getattr(widget, trait))
    if widget.has_trait("_options_labels"):
        out += list(widget._options_labels)
    if widget.has_trait("tooltips"):
        out += list(widget.tooltips or [])
    for child in getattr(widget, "children", ()):
        out += visible(child)
    return out


def content(info: WorkshopInfo) -> list[str]:
    """The workshop's own texts (in any of its languages): shown as they are."""
    texts = list(STATEMENTS)
    for item in [*info.options, *info.criteria]:
        texts += [item.get("label", ""), item.get("description", "")]
        for more in (item.get("translations") or {}).values():
            texts += [more.get("label", ""), more.get("description", "")]
    return [text for text in texts if text]


def leaks(texts: list[str], data: list[str]) -> list[str]:
    """Words outside «…» that are neither workshop content nor numbers."""
    found: list[str] = []
    for text in texts:
        rest = text
        for piece in sorted(data, key=len, reverse=True):
            rest = rest.replace(piece, " ")
        while (inner := re.sub(r"«[^«»]*»", " ", rest)) != rest:
            rest = inner
        found += [f"{word!r} in {text!r}" for word in re.findall(r"[^\W\d_]+", rest)]
    return found


@dataclass
class Env:
    db: Database
    workshops: WorkshopService
    feedback: FeedbackService
    info: WorkshopInfo
    token: str

    def send(self, kind: str, payload: dict[str, Any], key: str) -> Any:
        """``send`` as in ``StakeholderApp._feedback``."""
        return self.feedback.submit(
            workshop_id=self.info.id,
            token=self.token,
            round_number=self.info.current_round,
            kind=kind,
            payload=payload,
            idempotency_key=key,
        )

    def statements(self) -> list[dict[str, Any]]:
        return self.feedback.statements(workshop_id=self.info.id)


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> Iterator[Env]:
    settings = Settings(home=tmp_path, db_url=db_url, rate_limit=1000)
    db = Database(db_url)
    with db.session(write=True) as s:
        store.add_publication(
            s,
            case_slug=CASE,
            title="ES61 test",
            app_path="es61-test.ipynb",
            run_hashes={"evidence_review": "ab" * 32},
            template_versions={"evidence_review": "1.0.0"},
            bundle_hash="0123456789abcdef",
            app_version="1",
            synthetic_data=True,
        )
    workshops = WorkshopService(db, settings)
    spec = WorkshopSpec(
        title="Language test",
        language="en",
        languages=["en", "es", "el"],
        options=OPTIONS,
        criteria=CRITERIA,
        statements=STATEMENTS,
        points=BUDGET,
    )
    info = workshops.open(workshops.create(case_slug=CASE, spec=spec).id)
    token = parse_qs(urlsplit(workshops.links(info.id, 1)[0].url).query)["token"][0]
    workshops.register(info.id, token, display_name="Ana", group="employers", consent=True)
    yield Env(db, workshops, FeedbackService(db, settings), info, token)
    db.dispose()


def all_forms(env: Env, t: Translator, **common: Any) -> dict[str, FeedbackForm]:
    """Every feedback form of the stakeholder app, as app.py builds them."""
    send, info = env.send, env.info
    common = {"t": t, "default_language": "en", **common}
    return {
        "vote": StatementVotes(send, statements=env.statements(), **common),
        "rating": RatingGrid(
            send,
            options=info.options,
            criteria=info.criteria,
            scale=5,
            reask=["training:effectiveness"],
            previous=PREVIOUS,
            previous_round=1,
            **common,
        ),
        "approval": ApprovalForm(send, options=info.options, **common),
        "ranking": RankingForm(send, options=info.options, **common),
        "proposal": ProposeStatement(send, **common),
        "comment": CommentForm(send, options=info.options, **common),
        "points": PointsForm(send, criteria=info.criteria, budget=BUDGET, **common),
    }


def answer(forms: dict[str, FeedbackForm]) -> None:
    """Valid answers in every form."""
    next(iter(forms["vote"].toggles.values())).value = "agree"
    forms["rating"].cells[("training", "effectiveness")].value = "4"
    forms["approval"].boxes["training"].value = True
    forms["proposal"].text.value = "Apprenticeships should include small firms."
    forms["comment"].text.value = "Keep the courses short."
    for field, value in zip(forms["points"].fields.values(), (60, 40), strict=True):
        field.value = value


def registration(t: Translator, register: Callable[..., Any] | None = None) -> RegistrationForm:
    return RegistrationForm(register or (lambda **_kw: None), lambda _r: None, t=t)


# -- (a) the real languages ---------------------------------------------------------------
@pytest.mark.parametrize("code", ["es", "el"])
def test_every_widget_builds_and_saves_in_spanish_and_greek(env: Env, code: str) -> None:
    t = translator(code)
    forms = all_forms(env, t)
    answer(forms)
    for kind, form in forms.items():
        outcome = form.submit()
        assert outcome.status == "saved", (kind, outcome)
    # numbers in the language's format (Babel's): the previous round's median and quartile
    previous = "".join(visible(forms["rating"].widget))
    assert f"{t.number(3.5, 1)}" in previous and f"{t.number(4.25, 2)}" in previous
    join = registration(t)
    assert list(join.group._options_labels)[1:] == [
        t._(label) for label in STAKEHOLDER_GROUPS.values()
    ]
    forms["vote"].show_results(
        {str(env.statements()[0]["id"]): {"agree": 2, "disagree": 1, "pass": 0}}
    )
    assert t.percent(0.66) in "".join(visible(forms["vote"].widget))


# -- (b) nothing English leaks --------------------------------------------------------------
def test_every_visible_text_goes_through_the_translator(env: Env) -> None:
    t = Marked("es")
    data = content(env.info)
    forms = all_forms(env, t)
    refused = {
        kind: form.submit() for kind, form in forms.items() if kind not in ("ranking", "approval")
    }
    assert {o.status for o in refused.values()} == {"refused"}
    texts = [text for form in forms.values() for text in visible(form.widget)]
    assert texts and leaks(texts, data) == []

    answer(forms)
    saved = {kind: form.submit() for kind, form in forms.items()}
    assert {o.status for o in saved.values()} == {"saved"}
    assert re.fullmatch(r"«Saved at \d\d:\d\d:\d\d\.»", saved["approval"].message)
    assert "» «It is held for moderation.»</div>" in forms["proposal"].status.value
    forms["vote"].show_results(
        {str(env.statements()[0]["id"]): {"agree": 1, "disagree": 0, "pass": 0}}
    )
    forms["points"].fields["feasibility"].value = -5  # the counter's "cannot be negative"
    texts = [text for form in forms.values() for text in visible(form.widget)]
    assert leaks(texts, data) == []
    assert "«Points cannot be negative (Feasibility «(not translated)»).»" in "".join(texts)

    closed = all_forms(env, t, readonly=True)
    for form in closed.values():
        assert form.submit().message == "«This workshop is closed; answers are read-only.»"
    join = registration(t)
    assert leaks(visible(join.widget), data) == []


class Recording(Marked):
    """:class:`Marked` that notes every message asked for."""

    asked: ClassVar[set[str]] = set()

    def gettext(self, message: str) -> str:
        self.asked.add(message)
        return super().gettext(message)

    _ = gettext

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        self.asked.add(singular)
        return super().ngettext(singular, plural, n)


def test_every_message_shown_is_one_babel_extracts(env: Env) -> None:
    """The catalog can only translate what ``pybabel extract`` finds (string literals in
    ``_()``/``N_()`` calls, not inside f-strings)."""
    from babel.messages.extract import extract_from_file

    import workbench.classifications
    import workbench.widgets

    t = Recording("es")
    forms = all_forms(env, t, readonly=False)
    for form in forms.values():
        form.submit()
    answer(forms)
    for form in forms.values():
        form.submit()
    forms["vote"].show_results(
        {str(env.statements()[0]["id"]): {"agree": 1, "disagree": 1, "pass": 1}}
    )
    registration(t, _raises(InputError("x"))).submit()
    files = [
        *Path(workbench.widgets.__file__).parent.glob("*.py"),
        Path(workbench.classifications.__file__),
    ]
    keywords = {"_": None, "N_": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}
    extracted = set()
    for path in files:
        for _line, message, _comments, _context in extract_from_file(
            "python", path, keywords=keywords
        ):
            extracted.add(message[0] if isinstance(message, tuple) else message)
    assert len(t.asked) > 40 and t.asked - extracted == set()


def test_the_leak_check_finds_english(env: Env) -> None:
    """The same walk over the English forms finds words outside «…» (it can fail)."""
    forms = all_forms(env, ENGLISH)
    texts = [text for form in forms.values() for text in visible(form.widget)]
    found = " ".join(leaks(texts, content(env.info)))
    assert "'Save'" in found and "'Rate'" in found


def test_the_guard_explains_a_refused_input_in_the_forms_language(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(guard, "budget", guard.Budget())
    t = Marked("es")
    form = all_forms(env, t)["comment"]
    huge = "x" * (guard.MAX_INPUT_CHARS + 1)
    form.text._handle_msg(
        {"content": {"data": {"method": "update", "state": {"value": huge}}}, "buffers": []}
    )
    assert form.text.value == ""
    assert leaks(visible(form.status), []) == []
    assert t.number(guard.MAX_INPUT_CHARS + 1, 0) in form.status.value
    join = registration(t)
    join.group._handle_msg(
        {"content": {"data": {"method": "update", "state": {"index": 99}}}, "buffers": []}
    )
    assert f"«{guard.REFUSED}»" in join.status.value


# -- (c) content shown untranslated is marked -------------------------------------------------
def test_an_untranslated_option_label_is_marked_with_its_language(env: Env) -> None:
    es = translator("es")
    marker = es._("(not translated)")
    forms = all_forms(env, es)
    boxes = [box.description for box in forms["approval"].boxes.values()]
    assert boxes == ["Formación", f"Wage subsidy {marker}"]
    grid = "".join(html for html in _html(forms["rating"].widget))
    assert "<h4>Formación</h4>" in grid  # translated: the page's language, no span
    assert f'<h4><span lang="en">Wage subsidy</span> <span class="wb-muted">{marker}' in grid
    assert '<span lang="en">Does it work?</span>' in grid  # an untranslated description
    assert list(forms["comment"].target._options_labels)[1:] == boxes
    assert forms["ranking"].labels["wage_subsidy"] == f"Wage subsidy {marker}"
    # in the workshop's own language nothing is marked
    english = all_forms(env, ENGLISH)
    assert [box.description for box in english["approval"].boxes.values()] == [
        "Training",
        "Wage subsidy",
    ]
    assert "lang=" not in "".join(_html(english["rating"].widget))


def test_item_text_falls_back_to_the_workshops_language() -> None:
    item = {"label": "Formación", "translations": {"en": {"label": "Training"}}}
    assert item_text(item, "label", ENGLISH, "es") == Localized("Training", "en")
    greek = translator("el")
    shown = item_text(item, "label", greek, "es")
    assert shown == Localized("Formación", "es", fallback=True)
    assert as_plain(shown, greek) == f"Formación {greek._('(not translated)')}"
    assert as_html(shown, greek).startswith('<span lang="es">Formación</span> ')
    # no description at all is not an untranslated one
    assert item_text(item, "description", greek, "es") == Localized("", "es")
    assert as_html(Localized("<b>", "es", fallback=True), greek).count("&lt;b&gt;") == 1


def test_a_statement_in_another_language_is_marked(env: Env) -> None:
    statements = [
        {"id": 1, "text": "Hay que publicar los resultados.", "language": "es", "translations": {}},
        {
            "id": 2,
            "text": "Zu viel Papier.",
            "language": "de",
            "translations": {"en": "Too much paper."},
        },
    ]
    votes = StatementVotes(env.send, statements=statements, t=ENGLISH)
    html = "".join(_html(votes.widget))
    assert '<span lang="es">Hay que publicar los resultados.</span>' in html
    assert "<strong>Too much paper.</strong>" in html and "Zu viel" not in html


def _html(widget: w.Widget) -> list[str]:
    out = [widget.value] if isinstance(widget, w.HTML) else []
    for child in getattr(widget, "children", ()):
        out += _html(child)
    return out


# -- (d) errors in the page's language --------------------------------------------------------
def _raises(error: Exception) -> Callable[..., Any]:
    def send(*_args: Any, **_kwargs: Any) -> Any:
        raise error

    return send


def test_a_say_error_is_shown_translated_on_the_forms_status() -> None:
    closed = WorkshopClosed.say(N_("Workshop {id} is closed"), id=3)
    for t, expected in [
        (Marked("es"), "«Not saved: «Workshop 3 is closed»»"),
        (ENGLISH, "Not saved: Workshop 3 is closed"),
    ]:
        form = CommentForm(_raises(closed), options=OPTIONS, t=t)
        form.text.value = "A comment."
        outcome = form.submit()
        assert (outcome.status, outcome.message) == ("refused", expected)
        assert expected in form.status.value
    join = registration(Marked("es"), _raises(closed))
    join.submit()
    assert "«Please check: «Workshop 3 is closed»»" in join.status.value


def test_other_errors_keep_their_text_under_a_translated_lead() -> None:
    t = Marked("es")
    plain = CommentForm(_raises(InputError("the text is odd")), options=OPTIONS, t=t)
    plain.text.value = "A comment."
    assert plain.submit().message == "«Not saved: the text is odd»"
    problems = InvalidInput([Problem("input", "points_total", "add up to 90, not 100")])
    assert Submitter(_raises(problems), t=t).submit("points", {}).message == (
        "«Not saved: points total add up to 90, not 100»"
    )
    busy = StoreUnavailable.say(N_("The database is busy"))
    outcome = Submitter(_raises(busy), t=t, retries=0).submit("comment", {})
    assert (outcome.status, outcome.message) == ("error", "«Not saved: «The database is busy»»")


def test_a_participants_statement_keeps_its_words_and_shows_its_language() -> None:
    from workbench.widgets.statements import StatementVotes

    statements = [
        {"id": 1, "text": "Formación dual", "origin": "seed", "language": "es",
         "translations": {"en": "Dual training"}},
        {"id": 2, "text": "Más becas", "origin": "seed", "language": "es", "translations": {}},
        {"id": 3, "text": "Apprenticeships first", "origin": "participant", "language": "en"},
    ]  # fmt: skip
    form = StatementVotes(lambda *a: None, statements=statements, t=ENGLISH, default_language="es")
    html = " ".join(_html_values(form.widget))
    assert "Dual training" in html and "Formación dual" not in html
    assert '<span lang="es">Más becas</span>' in html and "(not translated)" in html
    assert "Apprenticeships first" in html and "[EN]" not in html  # the page's own language
    spanish = StatementVotes(lambda *a: None, statements=statements, t=translator("es"),
                             default_language="es")  # fmt: skip
    html = " ".join(_html_values(spanish.widget))
    assert '<span lang="en">Apprenticeships first</span>' in html and "[EN]" in html


def _html_values(widget: Any) -> Iterator[str]:
    """Every HTML widget's value under ``widget``."""
    if isinstance(widget, w.HTML):
        yield widget.value
    for child in getattr(widget, "children", ()):
        yield from _html_values(child)
