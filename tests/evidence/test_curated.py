"""Checks of the shipped evidence base against its quotes and its sources."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from workbench.evidence.base import EVIDENCE_PATH, packaged_evidence

ROOT = Path(__file__).parents[2]
SHIPPED = ROOT / EVIDENCE_PATH
SOURCE = ROOT.parent / "shared" / "data" / "evidence" / "published_estimates.csv"
FINDINGS = ROOT / "shared_models" / "almp_evidence" / "findings.csv"

# The normalisation documented in shared_models/almp_effectiveness/evidence/README.md.
MINUS = dict.fromkeys(map(ord, "\u2212\u2013\u2012\u2010\u2011\ufe63\uff0d"), "-")
WORDS = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen", "twenty",
]  # fmt: skip
DECREASE = ("lower", "less", "fewer", "decrease", "reduc", "negative", "fell", "fall", "drop")


def normalise(text: str) -> str:
    text = text.translate(MINUS)
    text = re.sub(r"(?<=\d)[,\u202f\u2009](?=\d{3}(?!\d))", "", text)
    for value, word in enumerate(WORDS):
        text = re.sub(rf"\b{word}\b", str(value), text, flags=re.IGNORECASE)
    return text


def carried(number: str, quote: str) -> bool:
    """Whether ``quote`` prints ``number`` (as a whole token) after normalisation."""
    q, n = normalise(quote), normalise(number)

    def has(s: str) -> bool:
        return re.search(rf"(?<![\d.\-]){re.escape(s)}(?!\.?\d)", q) is not None

    if has(n):
        return True
    worded_decrease = any(w in q.lower() for w in DECREASE)
    return n.startswith("-") and has(n[1:]) and worded_decrease


def test_normalisation_by_hand() -> None:
    assert carried("5", "raised transitions by about 5 percentage points")
    assert carried("-6", "six percentage points lower")
    assert not carried("-6", "six percentage points higher")
    assert carried("1599", "earnings of 1,599 dollars")
    assert carried("-537", "year0 = \u2212537")
    assert carried("0.068", "a 0.068 higher probability")
    assert not carried("5", "5.4 percentage points")
    assert not carried("5", "15 percent")
    assert not carried("0.05", "p = 0.051")
    assert not carried("4", "-4 percent")


def shipped_rows() -> list[dict[str, str]]:
    with SHIPPED.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_shipped_base_validates_with_the_expected_rows() -> None:
    df = packaged_evidence(ROOT)
    assert df["kind"].value_counts().to_dict() == {"estimate": 89, "finding": 22}
    assert df["id"].is_unique
    assert "synthetic" not in set(df["kind"]) | set(df["source_type"])
    assert not df["notes"].str.contains("SYNTHETIC").any()
    estimates = df[df["kind"] == "estimate"]
    assert estimates["id"].tolist() == [f"E{i:03d}" for i in range(1, 90)]
    assert (estimates["source_url"] != "").all() and (estimates["quote"] != "").all()
    findings = df[df["kind"] == "finding"]
    assert findings["id"].tolist() == [f"F{i:03d}" for i in range(1, 23)]


def test_every_number_is_in_its_quote() -> None:
    missing = [
        (row["id"], col, row[col])
        for row in shipped_rows()
        if row["kind"] == "estimate"
        for col in ("estimate", "se", "p_value", "ci_low", "ci_high")
        if row[col] and not carried(row[col], row["quote"])
    ]
    assert missing == []


def test_findings_keep_their_source() -> None:
    with FINDINGS.open(encoding="utf-8", newline="") as fh:
        source = list(csv.DictReader(fh))
    rows = [r for r in shipped_rows() if r["kind"] == "finding"]
    sign = {"1": "positive", "0": "none", "-1": "negative"}
    assert len(rows) == len(source) == 22
    for ours, theirs in zip(rows, source, strict=True):
        assert f"finding_id {theirs['finding_id']};" in ours["notes"]
        assert ours["citation"] == theirs["citation"]
        assert ours["quote"] == theirs["note"]
        assert ours["direction"] == sign[theirs["direction"]]
        assert ours["estimate"] == theirs["effect_size"]
        assert ours["se"] == theirs["se"]
        assert ours["horizon"] == theirs["horizon"]


@pytest.mark.skipif(not SOURCE.is_file(), reason="../shared/data/evidence not present")
def test_matches_the_source_table() -> None:
    with SOURCE.open(encoding="utf-8", newline="") as fh:
        source = {r["id"]: r for r in csv.DictReader(fh)}
    rows = {r["id"]: r for r in shipped_rows() if r["kind"] == "estimate"}
    assert set(rows) == set(source)
    secondary_there = {i for i, r in source.items() if r["secondary"] == "yes"}
    secondary_here = {i for i, r in rows.items() if r["secondary"] == "true"}
    assert secondary_here == secondary_there
    assert len(secondary_here) == 37
    for i, ours in rows.items():
        theirs = source[i]
        assert ours["quote"] == theirs["quote"], i
        assert ours["source_url"] == theirs["source_url"], i
        assert ours["source_type"] == theirs["source_type"], i
        # a number is kept exactly as printed, or dropped with the reason in notes
        for col in ("estimate", "se"):
            if ours[col] != theirs[col]:
                assert ours[col] == "" and "dropped" in ours["notes"], (i, col)
