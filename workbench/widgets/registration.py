"""Joining a workshop: a display name (a pseudonym is fine), a stakeholder group, consent."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

import ipywidgets as w

from workbench.classifications import STAKEHOLDER_GROUPS
from workbench.exceptions import InputError, WorkbenchError
from workbench.widgets.base import StatusLine
from workbench.widgets.guard import report_to

CONSENT_TEXT = (
    "Your answers are stored under a pseudonymous id and used only to prepare this "
    "workshop's results and minutes. Your name is shown to the facilitator, never to other "
    "participants. You can ask the facilitator to export or erase everything about you."
)


class RegistrationForm:
    """Calls ``register(name, group, consent)``; ``on_joined`` gets its result."""

    def __init__(self, register: Callable[..., Any], on_joined: Callable[[Any], None]) -> None:
        self._register = register
        self._on_joined = on_joined
        self.name = w.Text(description="Your name", placeholder="a pseudonym is fine")
        self.group = w.Dropdown(
            options=[("Choose…", None)]
            + [(label, key) for key, label in STAKEHOLDER_GROUPS.items()],
            value=None,
            description="You represent",
            style={"description_width": "initial"},
        )
        self.consent = w.Checkbox(value=False, description="I agree", indent=False)
        self.join = w.Button(
            description="Join the workshop", button_style="primary", icon="sign-in"
        )
        self.join.on_click(lambda _b: self.submit())
        self.status = StatusLine()
        self.widget = w.VBox(
            [
                w.HTML("<h2>Welcome</h2><p>Tell us who you are to take part.</p>"),
                self.name,
                self.group,
                w.HTML(f'<p class="wb-help">{escape(CONSENT_TEXT)}</p>'),
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
        self.join.disabled = True
        try:
            result = self._register(
                display_name=self.name.value, group=self.group.value, consent=self.consent.value
            )
        except InputError as exc:
            problems = getattr(exc, "problems", [])
            text = "; ".join(p.message for p in problems) if problems else str(exc)
            self.status.show(text=f"Please check: {text}", status="refused")
            return
        except WorkbenchError as exc:
            self.status.show(text=str(exc), status="refused")
            return
        finally:
            self.join.disabled = False
        self.joined = True
        self.join.disabled = True
        self._on_joined(result)
