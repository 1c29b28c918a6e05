"""The guard on what a page may send to its widgets (workbench.widgets.guard).

Messages are handed to the widgets' real message handler as the kernel's comm manager
does; what the kernel sends back to the page is recorded from the widget's comm.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as w
import pytest
from ipywidgets.widgets.widget import _instances

from workbench.widgets import guard
from workbench.widgets.approval import RankingForm
from workbench.widgets.base import StatusLine
from workbench.widgets.registration import RegistrationForm


def _record(widget: w.Widget) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    widget.comm.send = lambda data=None, metadata=None, buffers=None: sent.append(data)
    return sent


def _update(widget: w.Widget, **state: Any) -> None:
    data = {"method": "update", "state": state, "buffer_paths": []}
    widget._handle_msg({"content": {"data": data}, "buffers": []})


def _click(widget: w.Widget) -> None:
    data = {"method": "custom", "content": {"event": "click"}}
    widget._handle_msg({"content": {"data": data}, "buffers": []})


@pytest.fixture(autouse=True)
def fresh_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(guard, "budget", guard.Budget())


def test_a_value_outside_the_options_changes_nothing_and_is_explained() -> None:
    toggle = w.ToggleButtons(options=["1", "2", "3"], value=None)
    status = StatusLine()
    guard.report_to([toggle], status)
    sent = _record(toggle)
    _update(toggle, index=99)
    assert toggle.index is None
    # ipywidgets echoes first; the guard then sends the kernel's value back.
    assert sent[-1] == {"method": "update", "state": {"index": None}, "buffer_paths": []}
    assert "Not changed: the page sent a value this form does not accept." in status.value
    _update(toggle, index=1)
    assert toggle.value == "2"


@pytest.mark.parametrize(
    ("make", "state"),
    [
        (lambda: w.Checkbox(value=False), {"value": "yes"}),
        (lambda: w.ToggleButtons(options=["1", "2"], value=None), {"index": "abc"}),
        (lambda: w.Dropdown(options=["a", "b"], value="a"), {"index": [1]}),
        (lambda: w.Text(value="kept"), {"value": {"nested": 1}}),
        (lambda: w.Dropdown(options=["a", "b"], value="a"), {"_options_labels": ["x", "y"]}),
        (lambda: w.Button(description="Save"), {"description": "Delete", "disabled": True}),
        (lambda: w.VBox([w.HTML("a")]), {"children": []}),
    ],
)
def test_wrong_types_and_traits_a_page_does_not_set_keep_the_kernel_value(
    make: Any, state: Any
) -> None:
    widget = make()
    before = widget.get_state()
    sent = _record(widget)
    _update(widget, **state)
    assert widget.get_state() == before
    assert sent[-1]["method"] == "update"
    assert sent[-1]["state"] == {k: before[k] for k in state}


def test_huge_text_is_refused_before_it_is_echoed_or_set() -> None:
    area = w.Textarea(value="mine")
    status = StatusLine()
    guard.report_to([area], status)
    sent = _record(area)
    _update(area, value="x" * (guard.MAX_INPUT_CHARS + 1))
    assert area.value == "mine"
    assert sent == [{"method": "update", "state": {"value": "mine"}, "buffer_paths": []}]
    assert f"that text has {guard.MAX_INPUT_CHARS + 1:,} characters" in status.value
    _update(area, value="y" * guard.MAX_INPUT_CHARS)  # the cap itself is accepted
    assert len(area.value) == guard.MAX_INPUT_CHARS


def test_malformed_messages_are_ignored() -> None:
    text = w.Text(value="kept")
    sent = _record(text)
    for data in ({"method": "update", "state": ["value", "x"]}, {"method": "bogus"}, "x"):
        text._handle_msg({"content": {"data": data}, "buffers": []})
    assert text.value == "kept"
    assert sent == []


def test_budget_refills_at_its_rate() -> None:
    now = [0.0]
    budget = guard.Budget(rate=2, burst=3, clock=lambda: now[0])
    assert [budget.take() for _ in range(4)] == [True, True, True, False]
    now[0] = 0.5  # one token back
    assert [budget.take(), budget.take()] == [True, False]
    assert budget.dropped == 2


def test_a_flood_beyond_the_burst_is_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(guard, "budget", guard.Budget(rate=10, burst=50, clock=lambda: 0.0))
    text = w.Text()
    seen: list[str] = []
    text.observe(lambda change: seen.append(change["new"]), "value")
    for i in range(1000):
        _update(text, value=f"v{i}")
    assert seen == [f"v{i}" for i in range(50)]
    assert guard.budget.dropped == 950


def test_ranking_clicks_reuse_their_widgets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(guard, "budget", guard.Budget(burst=1000))
    options = [{"key": k, "label": k.title()} for k in ("a", "b", "c")]
    form = RankingForm(lambda *a: None, options=options)
    before = set(_instances)
    down = form._buttons[1]  # the first row's "move down"
    for _ in range(501):
        _click(down)
    assert set(_instances) == before
    assert form.order == ["b", "a", "c"]
    assert [label.value for label in form._labels] == ["1. B", "2. A", "3. C"]
    assert [b.disabled for b in form._buttons] == [True, False, False, False, False, True]


def test_joining_twice_registers_once() -> None:
    calls: list[dict[str, Any]] = []
    joined: list[Any] = []
    form = RegistrationForm(lambda **kw: calls.append(kw) or "admission", joined.append)
    form.name.value, form.group.value, form.consent.value = "Ana", "employers", True
    for _ in range(5):
        _click(form.join)
    assert calls == [{"display_name": "Ana", "group": "employers", "consent": True}]
    assert joined == ["admission"]
    assert form.join.disabled is True
