"""Joining a workshop: a display name (a pseudonym is fine), a stakeholder group, consent."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

import ipywidgets as w

from workbench.classifications import STAKEHOLDER_GROUPS
from workbench.exceptions import InputError, WorkbenchError
from workbench.i18n import ENGLISH, N_, Translator, error_text
from workbench.widgets.base import StatusLine
from workbench.widgets.guard import report_to

CONSENT_TEXT = N_(
    "Your answers are stored under a pseudonymous id and used only to prepare this "
    "workshop's results and minutes. Your name is shown to the facilitator, never to other "
    "participants. You can ask the facilitator to export or erase everything about you."
)


class RegistrationForm:
    """Calls ``register(name, group, consent)``; ``on_joined`` gets its result.

    Texts, stakeholder groups and refusals are shown in ``t``'s language."""

    def __init__(
        self,
        register: Callable[..., Any],
        on_joined: Callable[[Any], None],
        *,
        t: Translator = ENGLISH,
    ) -> None:
        self._register = register
        self._on_joined = on_joined
        self.t = t
        self.name = w.Text(description=t._("Your name"), placeholder=t._("a pseudonym is fine"))
        self.group = w.Dropdown(
            options=[(t._("Choose…"), None)]
            + [(t._(label), key) for key, label in STAKEHOLDER_GROUPS.items()],
            value=None,
            description=t._("You represent"),
            style={"description_width": "initial"},
        )
        self.consent = w.Checkbox(value=False, description=t._("I agree"), indent=False)
        self.join = w.Button(
            description=t._("Join the workshop"), button_style="primary", icon="sign-in"
        )
        self.join.on_click(lambda _b: self.submit())
        self.status = StatusLine(t=t)
        welcome = t._("Welcome")
        intro = t._("Tell us who you are to take part.")
        self.widget = w.VBox(
            [
                w.HTML(f"<h2>{escape(welcome)}</h2><p>{escape(intro)}</p>"),
                self.name,
                self.group,
                w.HTML(f'<p class="wb-help">{escape(t._(CONSENT_TEXT))}</p>'),
                self.consent,
                self.join,
                self.status,
            ]
        )
        self.widget.add_class("wb-card")
        self.joined = False
        report_to([self.name, self.group, self.consent], self.status)

    def submit(self) -> None:
        """Register; show what is wrong if refused. Once joined, further clicks (a
        replayed or flooded message from the page) do nothing."""
        if self.joined:
            return
        t = self.t
        self.join.disabled = True
        try:
            result = self._register(
                display_name=self.name.value, group=self.group.value, consent=self.consent.value
            )
        except InputError as exc:
            problems = getattr(exc, "problems", [])
            text = "; ".join(p.message for p in problems) if problems else error_text(exc, t)
            self.status.show(
                text=t._("Please check: {problems}").format(problems=text), status="refused"
            )
            return
        except WorkbenchError as exc:
            self.status.show(text=error_text(exc, t), status="refused")
            return
        finally:
            self.join.disabled = False
        self.joined = True
        self.join.disabled = True
        self._on_joined(result)
