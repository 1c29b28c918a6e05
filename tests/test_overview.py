"""The sidebar's service functions (``workbench.overview``): rights as the Hub identity
grants them, and which case study a notebook publishes. No runs are needed here; running
and publishing through a real lab are in ``tests/server/test_case_handlers.py``."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.config import Settings
from workbench.exceptions import AccessDenied, CaseStudyNotFound, InputError
from workbench.hub.rights import RIGHT_SCOPES, HubIdentity
from workbench.overview import RunJobs, case_overview, notebook_case, publish_notebook
from workbench.service import Workbench

ES61, DE21 = "es61-manufacturing-youth", "de21-ict-older-workers"


def _analyst(*groups: str) -> HubIdentity:
    return HubIdentity(
        name="ana", groups=frozenset(groups), scopes=frozenset(RIGHT_SCOPES.values())
    )


def test_rights_refuse_before_anything_is_queued(workspace: Path) -> None:
    wb = Workbench(Settings(home=workspace), identity=_analyst("region-es"))
    jobs = RunJobs()
    try:
        with pytest.raises(AccessDenied, match=r"may not run case study 'de21-ict-older-workers'"):
            jobs.start(wb, DE21)
        assert jobs.get(DE21) is None
        with pytest.raises(AccessDenied, match="region-de"):
            publish_notebook(wb, "templates/regional_diagnosis.ipynb", DE21)
        with pytest.raises(CaseStudyNotFound, match="no-such"):
            jobs.start(wb, "no-such")
        assert case_overview(wb, jobs)["cases"][0]["job"] is None  # listing stays open
    finally:
        jobs.shutdown()
        wb.close()


def test_which_case_a_notebook_publishes(workspace: Path) -> None:
    wb = Workbench(Settings(home=workspace))
    try:
        assert notebook_case(wb, "templates/regional_diagnosis.ipynb", ES61) == ES61
        assert notebook_case(wb, "/templates/evidence_review.ipynb", DE21) == DE21
        with pytest.raises(InputError, match=r"used by 2 case studies \(de21"):
            notebook_case(wb, "templates/regional_diagnosis.ipynb")
        with pytest.raises(InputError, match="no case study uses template 'policy_mix'"):
            notebook_case(wb, "templates/policy_mix.ipynb")
        (workspace / "notes.ipynb").write_text("{}")
        with pytest.raises(InputError, match="neither a template"):
            notebook_case(wb, "notes.ipynb")
        for bad in ("", "../ws/notes.ipynb", "case_studies/x/case.yaml"):
            with pytest.raises(InputError, match="must be a notebook"):
                notebook_case(wb, bad)
        (workspace / "runs" / ES61 / "x" / "y").mkdir(parents=True)
        (workspace / "runs" / ES61 / "x" / "y" / "output.ipynb").write_text("{}")
        with pytest.raises(InputError, match="not the output of a recorded run"):
            notebook_case(wb, f"runs/{ES61}/x/y/output.ipynb")
    finally:
        wb.close()
