"""The evaluation template: its schema loads, and it runs on a real kernel (SYNTHETIC default
pilot and a pilot CSV from a data pack) and writes its artefacts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from workbench.evaluation import METHODS
from workbench.exceptions import InvalidInput, Problem
from workbench.templates import TemplateLibrary

ROOT = Path(__file__).resolve().parents[2]
DEMO_PACK = ROOT / "workbench" / "data" / "packs" / "demo"


def _locate(key: str, message: str) -> Problem:
    return Problem("case.yaml", key, message)


def _execute(tmp_path: Path, data_dir: Path, **parameters: Any) -> dict[str, Any]:
    import papermill as pm

    out = tmp_path / "out"
    out.mkdir()
    pm.execute_notebook(
        str(ROOT / "templates" / "evaluation.ipynb"),
        str(out / "evaluation.ipynb"),
        parameters={
            **parameters,
            "data_dir": str(data_dir),
            "models_dir": str(ROOT / "shared_models"),
            "output_dir": str(out),
        },
        kernel_name="python3",
        cwd=str(out),
        progress_bar=False,
    )
    for png in ("evaluation_effects.png", "evaluation_balance.png"):
        assert (out / "artefacts" / png).stat().st_size > 1000
    return json.loads((out / "artefacts" / "evaluation.json").read_text(encoding="utf-8"))


def test_schema_loads_and_validates_parameters() -> None:
    template = TemplateLibrary(ROOT / "templates", ROOT).get("evaluation")
    assert template.inputs == () and template.models == ()
    defaults = template.validate({}, locate=_locate)
    assert defaults["method"] == "dr" and defaults["pilot_file"] == ""
    assert defaults["covariates"][0] == "age"
    with pytest.raises(InvalidInput) as info:
        template.validate({"method": "psm", "n_boot": 5, "covariates": []}, locate=_locate)
    keys = {p.key for p in info.value.problems}
    assert {"method", "n_boot", "covariates"} <= keys


@pytest.mark.slow
def test_synthetic_default_run_recovers_the_known_effect(tmp_path: Path) -> None:
    result = _execute(tmp_path, DEMO_PACK)
    assert result["synthetic"] is True
    true_att = result["data"]["true_att"]
    assert true_att == 1200.0  # the documented effect of the SYNTHETIC generator
    assert set(result["methods"]) == set(METHODS)
    for name, method in result["methods"].items():
        low, high = method["ci"]
        assert low <= true_att <= high, (name, method["att"], method["ci"])
        assert method["method"] == name and method["summary"]
        assert len(method["balance"]) == 5
    assert result["naive_difference"] < 0 < true_att  # confounding: the raw gap misleads
    assert result["headline_summary"] == result["methods"]["dr"]["summary"]


@pytest.mark.slow
def test_pilot_csv_from_the_data_pack(tmp_path: Path) -> None:
    rng = np.random.default_rng(9)
    n = 800
    x = rng.normal(size=n)
    z = rng.binomial(1, 0.5, n)
    took_part = rng.binomial(1, 1 / (1 + np.exp(-(0.8 * x - 0.3 * z))))
    months = 4 + 1.5 * x - z - 1.0 * took_part + rng.normal(0, 1, n)
    pack = tmp_path / "pack"
    (pack / "pilots").mkdir(parents=True)
    frame = pd.DataFrame({"took_part": took_part, "months_unemployed": months, "x": x, "z": z})
    frame.to_csv(pack / "pilots" / "pilot.csv", index=False)
    result = _execute(
        tmp_path,
        pack,
        pilot_file="pilots/pilot.csv",
        treatment="took_part",
        outcome="months_unemployed",
        covariates=["x", "z"],
        higher_is_better=False,
        method="ipw",
        trim="common_support",
        n_boot=50,
    )
    assert result["synthetic"] is False and result["data"]["rows"] == n
    assert result["data"]["true_att"] is None
    ipw = result["methods"]["ipw"]
    assert ipw["trimming"]["rule"] == "common_support" and ipw["n_boot"] == 50
    assert ipw["ci"][0] < -1.0 < ipw["ci"][1]
    assert result["headline_method"] == "ipw"
