"""Planning with a case's accepted tuned recommendation (the reserved ``tuning`` parameter)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from workbench.config import Settings
from workbench.exceptions import InvalidInput
from workbench.service import Workbench
from workbench.templates import load_template
from workbench.workspace import init_workspace

SLUG = "es61-andalucia-jobs"
DOC = {"version": "f" * 64, "short": "f" * 12, "ranking": [{"option": "training"}]}


@pytest.fixture
def wb(tmp_path: Path) -> Any:
    home = tmp_path / "ws"
    init_workspace(home, cases=[SLUG])
    service = Workbench(Settings(home=home))
    yield service
    service.close()


def test_only_templates_that_take_a_tuning_get_it_and_it_enters_the_hash(wb: Any) -> None:
    plain = {s.template: s for s in wb.plan([SLUG])}
    assert wb.templates.get("policy_mix").tuning
    assert not wb.templates.get("diagnosis").tuning
    tuned = {s.template: s for s in wb.plan([SLUG], tuning={SLUG: DOC})}
    assert tuned["policy_mix"].parameters["tuning"] == DOC
    assert tuned["policy_mix"].content_hash != plain["policy_mix"].content_hash
    for name in ("diagnosis", "evidence"):
        assert "tuning" not in tuned[name].parameters
        assert tuned[name].content_hash == plain[name].content_hash
    # no tuning ({}): exactly the untuned hashes, so a rollback is a cache hit
    empty = {s.template: s for s in wb.plan([SLUG], tuning={SLUG: {}})}
    assert {k: s.content_hash for k, s in empty.items()} == {
        k: s.content_hash for k, s in plain.items()
    }
    other = {s.template: s for s in wb.plan([SLUG], tuning={SLUG: {**DOC, "version": "e" * 64}})}
    assert other["policy_mix"].content_hash != tuned["policy_mix"].content_hash


def test_a_case_study_cannot_set_the_tuning_itself(wb: Any) -> None:
    path = wb.settings.case_studies_dir / SLUG / "case.yaml"
    text = path.read_text(encoding="utf-8")
    assert "policy_mix:" in text
    path.write_text(
        text.replace("  policy_mix:\n", "  policy_mix:\n    tuning: {}\n", 1), encoding="utf-8"
    )
    with pytest.raises(InvalidInput, match="set by the workbench itself"):
        wb.plan([SLUG])


def test_a_template_that_takes_a_tuning_must_assign_it(tmp_path: Path, make_template: Any) -> None:
    import json

    path = make_template(tmp_path / "t.ipynb", {}, ["pass"])
    nb = json.loads(path.read_text())
    nb["metadata"]["workbench"]["tuning"] = True
    path.write_text(json.dumps(nb))
    with pytest.raises(InvalidInput, match=r"assigns no default for \['tuning'\]"):
        load_template(path, tmp_path)
