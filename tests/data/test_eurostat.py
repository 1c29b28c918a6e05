"""Tests for the Eurostat SDMX-TSV reader and writer."""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import pandas as pd
import pytest

from workbench.data.eurostat import geo_codes, read_sdmx_tsv, write_sdmx_tsv

SAMPLE = (
    "freq,unit,sex,age,geo\\TIME_PERIOD\t2014 \t2015 \t2016 \n"
    "A,PC,T,Y15-74,ES61\t34.8 \t31.5 p\t: \n"
    "A,PC,T,Y15-74,DE21\t: c\t7.1 bu\t2.0\n"
    "A,PC,F,Y15-24,DE21\t12 \t-0.5 e\t:\n"
)
DIMS = ["freq", "unit", "sex", "age", "geo"]


def write(tmp_path: Path, text: str, name: str = "data.tsv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_parses_values_flags_and_missing(tmp_path: Path) -> None:
    df = read_sdmx_tsv(write(tmp_path, SAMPLE))
    assert list(df.columns) == [*DIMS, "time", "value", "flags"]
    assert len(df) == 9
    assert df["time"].tolist()[:3] == ["2014", "2015", "2016"]
    es = df[df["geo"] == "ES61"].set_index("time")
    assert es.loc["2014", "value"] == pytest.approx(34.8)
    assert es.loc["2014", "flags"] == ""
    assert es.loc["2015", "value"] == pytest.approx(31.5)
    assert es.loc["2015", "flags"] == "p"
    assert math.isnan(es.loc["2016", "value"])
    de = df[(df["geo"] == "DE21") & (df["sex"] == "T")].set_index("time")
    assert math.isnan(de.loc["2014", "value"])
    assert de.loc["2014", "flags"] == "c"
    assert de.loc["2015", "flags"] == "bu"
    young = df[df["age"] == "Y15-24"].set_index("time")
    assert young.loc["2015", "value"] == pytest.approx(-0.5)
    assert young.loc["2015", "flags"] == "e"
    assert df["value"].dtype == "float64"


def test_quarterly_periods_and_gzip(tmp_path: Path) -> None:
    text = "freq,geo\\TIME_PERIOD\t2020-Q1 \t2020-Q2 \nQ,EL30\t1.5 \t1.7 p\n"
    path = tmp_path / "q.tsv.gz"
    path.write_bytes(gzip.compress(text.encode("utf-8")))
    df = read_sdmx_tsv(path)
    assert df["time"].tolist() == ["2020-Q1", "2020-Q2"]
    assert df["value"].tolist() == [1.5, 1.7]
    assert geo_codes(path) == {"EL30"}


def test_header_only_gives_empty_frame(tmp_path: Path) -> None:
    df = read_sdmx_tsv(write(tmp_path, "geo\\TIME_PERIOD\t2014 \n"))
    assert list(df.columns) == ["geo", "time", "value", "flags"]
    assert df.empty


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("freq,geo\t2014\nA,ES61\t1.0\n", 1, "not an SDMX-TSV header"),
        ("", 1, "empty file"),
        ("freq,geo\\TIME_PERIOD\n", 1, "no time periods"),
        ("freq,geo\\TIME_PERIOD\t2014 \t2014 \n", 1, "duplicate time periods"),
        ("freq,geo\\TIME_PERIOD\t2014 \t2015 \nA,ES61\t1.0 \n", 2, "expected 3 tab-separated"),
        ("freq,geo\\TIME_PERIOD\t2014 \nA,ES61,X\t1.0 \n", 2, "one code for each"),
        ("freq,geo\\TIME_PERIOD\t2014 \nA,ES61\t1.0 \nA,DE21\tabc\n", 3, "non-numeric value"),
        ("freq,geo\\TIME_PERIOD\t2014 \nA,ES61\t1.0 2.0\n", 2, "unexpected text"),
        ("freq,geo\\TIME_PERIOD\t2014 \nA,ES61\t1.0 \nA,ES61\t2.0 \n", 3, "duplicate series"),
        ("freq,geo\\TIME_PERIOD\t2014 \nA,ES61\tnan\n", 2, "non-numeric value"),
    ],
)
def test_malformed_input_names_file_and_line(
    tmp_path: Path, text: str, line: int, fragment: str
) -> None:
    path = write(tmp_path, text, "bad.tsv")
    with pytest.raises(ValueError, match=fragment) as info:
        read_sdmx_tsv(path)
    assert f"{path}:{line}:" in str(info.value)


def test_round_trip(tmp_path: Path) -> None:
    original = read_sdmx_tsv(write(tmp_path, SAMPLE))
    out = write_sdmx_tsv(original, DIMS, tmp_path / "out" / "copy.tsv")
    back = read_sdmx_tsv(out)
    key = [*DIMS, "time"]
    pd.testing.assert_frame_equal(
        back.sort_values(key).reset_index(drop=True),
        original.sort_values(key).reset_index(drop=True),
    )
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "freq,unit,sex,age,geo\\TIME_PERIOD\t2014 \t2015 \t2016 "
    assert "A,PC,T,Y15-74,DE21\t: c\t7.1 bu\t2.0 " in lines
    # Series are sorted by key, as in Eurostat files.
    assert lines[1:] == sorted(lines[1:], key=lambda line: line.split("\t")[0])


def test_writer_formats_decimals_and_fills_gaps(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {
            "geo": ["ES61", "ES61", "DE21"],
            "time": ["2014", "2015", "2015"],
            "value": [12.345, -0.01, float("nan")],
            "flags": ["", "p", "c"],
        }
    )
    path = write_sdmx_tsv(df, ["geo"], tmp_path / "x.tsv")
    assert path.read_text(encoding="utf-8").splitlines() == [
        "geo\\TIME_PERIOD\t2014 \t2015 ",
        "DE21\t: \t: c",
        "ES61\t12.3 \t0.0 p",
    ]


def test_writer_rejects_duplicates_and_separators(tmp_path: Path) -> None:
    dup = pd.DataFrame({"geo": ["ES61", "ES61"], "time": ["2014", "2014"], "value": [1.0, 2.0]})
    with pytest.raises(ValueError, match="duplicate observation"):
        write_sdmx_tsv(dup, ["geo"], tmp_path / "d.tsv")
    comma = pd.DataFrame({"geo": ["ES,61"], "time": ["2014"], "value": [1.0]})
    with pytest.raises(ValueError, match="separators"):
        write_sdmx_tsv(comma, ["geo"], tmp_path / "c.tsv")
    with pytest.raises(ValueError, match="lacks columns"):
        write_sdmx_tsv(comma, ["sex", "geo"], tmp_path / "m.tsv")


def test_geo_codes(tmp_path: Path) -> None:
    path = write(tmp_path, SAMPLE)
    assert geo_codes(path) == {"ES61", "DE21"}
    assert geo_codes(path, dim="sex") == {"T", "F"}
    with pytest.raises(ValueError, match="no 'nace_r2' dimension"):
        geo_codes(path, dim="nace_r2")
