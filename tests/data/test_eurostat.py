"""Tests for the Eurostat SDMX-TSV reader and writer: hand-made and real-format samples,
malformed variants located by line and column, and hypothesis fuzzing of the parser."""

from __future__ import annotations

import gzip
import io
import math
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.data.eurostat import (
    EurostatFormatError,
    geo_codes,
    read_sdmx_tsv,
    read_tsv,
    write_sdmx_tsv,
)

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
    assert str(info.value).startswith(f"{path}: line {line}")


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


# -- real-format samples (lines cut verbatim from the real pack; see eurostat_samples/) -------
SAMPLES = Path(__file__).parent / "eurostat_samples"
RYB = SAMPLES / "lfst_r_lfu3rt__2025__ryb2026__cut.tsv"
LFE = SAMPLES / "lfst_r_lfe2en2__2008-2015__euhackathon2017__cut.tsv"
JVS = SAMPLES / "jvs_a_nace2__2008-2015__euhackathon2017__cut.tsv"


def cell(df: pd.DataFrame, time: str, **codes: str) -> tuple[float, str]:
    """(value, flags) of the one observation with these codes."""
    mask = df["time"] == time
    for dim, code in codes.items():
        mask &= df[dim] == code
    [row] = df.loc[mask, ["value", "flags"]].itertuples(index=False, name=None)
    return row


def check_frame(df: pd.DataFrame, dims: list[str]) -> None:
    """The documented columns and dtypes of a parsed frame."""
    assert list(df.columns) == [*dims, "time", "value", "flags"]
    assert df["value"].dtype == "float64"
    for col in [*dims, "time", "flags"]:
        assert pd.api.types.is_string_dtype(df[col].dtype), col
        assert all(isinstance(v, str) for v in df[col]), col


def test_real_samples_values_checked_by_hand() -> None:
    # Expected values are read off the sample files' text.
    ryb = read_tsv(RYB)
    check_frame(ryb, ["freq", "isced11", "sex", "age", "unit", "geo"])
    assert len(ryb) == 13 * 3
    assert ryb["time"].unique().tolist() == ["2023", "2024", "2025"]  # "2023 " in the header
    # "A,TOTAL,T,Y15-29,PC,ES61\t: \t: \t24.8 d"
    assert cell(ryb, "2025", age="Y15-29", geo="ES61") == (24.8, "d")
    assert math.isnan(cell(ryb, "2024", age="Y15-29", geo="ES61")[0])
    assert cell(ryb, "2024", age="Y15-29", geo="ES61")[1] == ""
    # "A,TOTAL,T,Y15-29,PC,FRM0\t: \t31.2 du\t: " and "...RO32\t6.5 u\t: \t: "
    assert cell(ryb, "2024", age="Y15-29", geo="FRM0") == (31.2, "du")
    assert cell(ryb, "2023", age="Y15-29", geo="RO32") == (6.5, "u")
    # "A,TOTAL,T,Y15-74,PC,DEB2\t: \t: \t: u": missing with a flag
    value, flags = cell(ryb, "2025", age="Y15-74", geo="DEB2")
    assert math.isnan(value) and flags == "u"

    lfe = read_tsv(LFE)
    check_frame(lfe, ["freq", "unit", "nace_r2", "age", "geo"])
    # "A,THS,A,Y15-24,AT1\t4.0 bu\t4.4 u\t..."
    assert cell(lfe, "2008", geo="AT1") == (4.0, "bu")
    assert cell(lfe, "2009", geo="AT1") == (4.4, "u")
    # "A,THS,A,Y15-24,AT13\t: bc\t: u\t: c\t..."
    assert [cell(lfe, t, geo="AT13")[1] for t in ("2008", "2009", "2010")] == ["bc", "u", "c"]
    # "A,THS,A,Y15-64,ES61\t217.8 b\t...\t215.8 "
    assert cell(lfe, "2008", age="Y15-64", geo="ES61") == (217.8, "b")
    assert cell(lfe, "2015", age="Y15-64", geo="ES61") == (215.8, "")

    jvs = read_tsv(JVS)
    # "A,B,GE10,TOTAL,CH_Y_Y,FR\t: \t-0.3 p\t0.1 bp\t..."
    assert cell(jvs, "2009", indic_em="CH_Y_Y", geo="FR") == (-0.3, "p")
    assert cell(jvs, "2010", indic_em="CH_Y_Y", geo="FR") == (0.1, "bp")
    # "A,B-S,TOTAL,TOTAL,JOBRATE,EU28\t: \t1.2 p\t...\t1.7 p"
    assert cell(jvs, "2015", nace_r2="B-S", geo="EU28") == (1.7, "p")
    assert geo_codes(JVS) == {"HU", "LV", "FR", "EU28"}
    assert geo_codes(JVS, dim="indic_em") == {"CH_Y_Y", "JOBOCC", "JOBRATE"}


@pytest.mark.parametrize("sample", [RYB, LFE, JVS], ids=lambda p: p.name.split("__")[0])
def test_every_kind_of_input_gives_the_same_frame(sample: Path, tmp_path: Path) -> None:
    expected = read_tsv(sample)
    raw = sample.read_bytes()
    packed = gzip.compress(raw)
    gz_path = tmp_path / (sample.name + ".gz")
    gz_path.write_bytes(packed)
    with sample.open(encoding="utf-8") as text_file, gz_path.open("rb") as binary_file:
        frames = [
            read_tsv(str(sample)),
            read_sdmx_tsv(gz_path),
            read_tsv(text_file),
            read_tsv(binary_file),
            read_tsv(io.StringIO(raw.decode("utf-8"))),
            read_tsv(io.BytesIO(raw)),
            read_tsv(io.BytesIO(packed)),
            read_tsv(raw),
            read_tsv(raw.replace(b"\n", b"\r\n")),  # the API answers with CRLF line ends
            read_tsv(b"\xef\xbb\xbf" + raw),  # UTF-8 BOM
            read_tsv(gzip.compress(raw[:200]) + gzip.compress(raw[200:])),  # two gzip members
        ]
    for frame in frames:
        pd.testing.assert_frame_equal(frame, expected)
    assert geo_codes(gz_path) == geo_codes(sample)


# Each malformed variant of RYB: (line, new text of that line or None to delete it),
# then the expected line, column, column label and message fragment.
RYB_LINES = RYB.read_text(encoding="utf-8").splitlines()
MALFORMED = {
    "decimal comma": (3, "A,TOTAL,T,Y15-29,PC,DEB2\t: \t: \t12,3 ", 3, 4, "period 2025", "12,3"),
    "junk after value": (2, "A,TOTAL,T,Y15-29,PC,DE21\t: \t: \t5.2 p 7", 2, 4, "period 2025", ""),
    "flags glued": (6, "A,TOTAL,T,Y15-29,PC,FRM0\t: \t31.2du\t: ", 6, 3, "period 2024", ""),
    "nan text": (7, "A,TOTAL,T,Y15-29,PC,IS00\tnan\t6.6 \t: ", 7, 2, "period 2023", ""),
    "inf text": (7, "A,TOTAL,T,Y15-29,PC,IS00\t: \t-inf\t: ", 7, 3, "period 2024", ""),
    "missing cell": (4, "A,TOTAL,T,Y15-29,PC,EL30\t: \t: ", 4, 4, "period 2025", "found 3"),
    "extra cell": (4, "A,TOTAL,T,Y15-29,PC,EL30\t: \t: \t13.4 \t1 ", 4, 5, None, "found 5"),
    "short key": (5, "A,TOTAL,T,Y15-29,ES61\t: \t: \t24.8 d", 5, 1, "series key", "6 dim"),
    "space in code": (5, "A,TOTAL,T,Y15-29,PC,ES 61\t: \t: \t24.8 d", 5, 1, "series key", ""),
    "duplicate key": (9, RYB_LINES[1], 9, 1, "series key", "first on line 2"),
    "duplicate period": (1, RYB_LINES[0].replace("2024 ", "2023 "), 1, 3, "period 2023", ""),
    "bad header": (1, RYB_LINES[0].replace("\\TIME_PERIOD", ""), 1, 1, "header", ""),
}
MESSAGES = {
    "decimal comma": "non-numeric value",
    "junk after value": "unexpected text after the value",
    "flags glued": "non-numeric value '31.2du'",
    "nan text": "non-numeric value 'nan'",
    "inf text": "non-numeric value '-inf'",
    "missing cell": "expected 4 tab-separated cells",
    "extra cell": "expected 4 tab-separated cells",
    "short key": "does not give one code for each",
    "space in code": "invalid code 'ES 61'",
    "duplicate key": "duplicate series key",
    "duplicate period": "duplicate time periods",
    "bad header": "not an SDMX-TSV header",
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
@pytest.mark.parametrize("packed", [False, True], ids=["tsv", "gz"])
def test_malformed_real_lines_name_line_and_column(case: str, packed: bool, tmp_path: Path) -> None:
    at, text, line, column, label, fragment = MALFORMED[case]
    lines = list(RYB_LINES)
    lines[at - 1] = text
    data = ("\n".join(lines) + "\n").encode("utf-8")
    path = tmp_path / ("lfst_r_lfu3rt.tsv" + (".gz" if packed else ""))
    path.write_bytes(gzip.compress(data) if packed else data)
    with pytest.raises(EurostatFormatError) as info:
        read_tsv(path)
    error = info.value
    assert isinstance(error, ValueError)
    assert (error.line, error.column) == (line, column)
    where = f"{path}: line {line}, column {column}" + (f" ({label})" if label else "") + ": "
    message = str(error)
    assert message.startswith(where), message
    assert MESSAGES[case] in message and fragment in message
    with pytest.raises(EurostatFormatError, match=MESSAGES[case]) as in_buffer:
        read_tsv(io.BytesIO(data))
    assert str(in_buffer.value).startswith(f"<buffer>: line {line}, column {column}")


def test_bad_bytes_and_truncated_gzip_name_the_line(tmp_path: Path) -> None:
    raw = RYB.read_bytes()
    # line 6 is "A,TOTAL,T,Y15-29,PC,FRM0\t: \t31.2 du\t: ": a Latin-1 byte in its 3rd cell
    lines = raw.split(b"\n")
    lines[5] = lines[5].replace(b"31.2 du", b"31.2 d\xfc")
    path = tmp_path / "latin1.tsv"
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(EurostatFormatError, match="not UTF-8") as info:
        read_tsv(path)
    assert str(info.value).startswith(f"{path}: line 6, column 3 (period 2024): ")

    packed = gzip.compress(raw)
    cut = tmp_path / "cut.tsv.gz"
    cut.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(EurostatFormatError, match="truncated") as info:
        read_tsv(cut)
    assert info.value.line is not None and info.value.line >= 1
    assert str(info.value).startswith(f"{cut}: line {info.value.line}: ")
    with gzip.open(cut, "rt", encoding="utf-8") as stream, pytest.raises(EurostatFormatError):
        read_tsv(stream)  # an open gzip text stream that breaks off

    with pytest.raises(EurostatFormatError, match="empty file"):
        read_tsv(b"")
    with pytest.raises(EurostatFormatError, match="empty file"):
        read_tsv(gzip.compress(b"\n\n"))
    with pytest.raises(EurostatFormatError, match="after the end of the gzip stream"):
        read_tsv(packed + b"trailing junk")


def test_blank_and_odd_cells() -> None:
    text = "geo\\TIME_PERIOD\t2014 \t2015\nES61\t\t 1.5  p \n\nDE21\t: \t+2e1\n"
    df = read_tsv(io.StringIO(text))
    assert math.isnan(df["value"][0]) and df["flags"][0] == ""
    assert (df["value"][1], df["flags"][1]) == (1.5, "p")
    assert df["value"][3] == 20.0
    with pytest.raises(TypeError):
        read_tsv(42)  # type: ignore[arg-type]


# -- fuzzing: any input gives a frame with the documented columns or the module's error ------
def parse_or_error(source: bytes | str) -> pd.DataFrame | None:
    """The frame, or None after a clean EurostatFormatError (any other error fails)."""
    try:
        df = read_tsv(io.StringIO(source) if isinstance(source, str) else source)
    except EurostatFormatError as exc:
        assert str(exc).startswith("<buffer>: ")
        return None
    dims = list(df.columns[:-3])
    check_frame(df, dims)
    return df


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400) | st.binary(max_size=200).map(lambda b: b"\x1f\x8b" + b))
def test_fuzz_random_bytes(data: bytes) -> None:
    parse_or_error(data)


CELL_PIECES = [":", " ", " ", "1", "0.5", "-3", "1e3", "p", "bu", ",", "\\", "\t", "\n", "\r",
               "nan", "é", "\x00", "."]  # fmt: skip
CODE_PIECES = ["A", "ES61", "DE21", "Y15-74", "", " ", "é", ",", "\\"]
VALID_CELLS = st.tuples(
    st.sampled_from([":", "1", "0.5", "-3", "1e3", ".5", "12.30", "007"]),
    st.sampled_from(["", " ", " p", " bu", "  c", " u "]),
).map("".join)
JUNK_CELLS = st.lists(st.sampled_from(CELL_PIECES), max_size=4).map("".join)


GOOD_DIMS = st.lists(
    st.sampled_from(["freq", "geo", "unit", "sex"]), min_size=1, max_size=3, unique=True
)
ODD_DIMS = st.lists(st.sampled_from(["freq", "GEO", "time", "", "a b", "x"]), max_size=3)
GOOD_PERIODS = st.lists(
    st.sampled_from(["2014 ", "2015", "2014-Q1", "2016 "]), min_size=1, max_size=3, unique=True
)
ODD_PERIODS = st.lists(st.sampled_from(["2014 ", "2014", " ", "", "20 14"]), max_size=3)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_fuzz_random_headers_and_cells(data: st.DataObject) -> None:
    """Mostly well-formed headers, keys and cells, with junk mixed in."""
    odd = data.draw(st.integers(0, 5))  # 1 and 2: an odd header; 0-5: junk cells now and then
    dims = data.draw(ODD_DIMS if odd == 1 else GOOD_DIMS)
    periods = data.draw(ODD_PERIODS if odd == 2 else GOOD_PERIODS)
    header = ",".join(dims) + "\\TIME_PERIOD" + "".join(f"\t{p}" for p in periods)
    lines = [header]
    codes = st.sampled_from(CODE_PIECES[:4]) | st.sampled_from(CODE_PIECES)
    cells = VALID_CELLS if odd > 3 else VALID_CELLS | VALID_CELLS | JUNK_CELLS
    for row in range(data.draw(st.integers(0, 5))):
        key = [f"{data.draw(codes)}{row}" for _ in dims]
        width = len(periods) + data.draw(st.sampled_from([0] * 8 + [-1, 1]))
        lines.append("\t".join([",".join(key), *(data.draw(cells) for _ in range(width))]))
    text = "\n".join(lines) + "\n"
    parse_or_error(text)
    parse_or_error(gzip.compress(text.encode("utf-8")))


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, len(RYB.read_bytes()) - 1),
    st.integers(0, 3),
    st.binary(min_size=0, max_size=3),
)
def test_fuzz_edits_of_a_real_sample(position: int, delete: int, insert: bytes) -> None:
    raw = RYB.read_bytes()
    parse_or_error(raw[:position] + insert + raw[position + delete :])


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.integers(-99999, 99999)),
            st.sampled_from(["", "p", "u", "bu", "c"]),
        ),
        min_size=1,
        max_size=12,
    ),
    st.integers(1, 4),
)
def test_fuzz_valid_tables_parse_to_what_was_written(
    cells: list[tuple[int | None, str]], n_periods: int
) -> None:
    """Observations written in Eurostat's style (tenths, ': ' when missing) come back."""
    periods = [str(2000 + i) for i in range(n_periods)]
    rows = [cells[i : i + n_periods] for i in range(0, len(cells), n_periods)]
    rows = [row for row in rows if len(row) == n_periods]
    lines = ["freq,geo\\TIME_PERIOD" + "".join(f"\t{p} " for p in periods)]
    for r, row in enumerate(rows):
        text = [(": " if v is None else f"{v / 10:.1f} ") + f for v, f in row]
        lines.append(f"A,R{r}\t" + "\t".join(text))
    df = read_tsv(io.StringIO("\n".join(lines) + "\n"))
    expected = [(math.nan if v is None else v / 10, f) for row in rows for v, f in row]
    got = list(zip(df["value"], df["flags"], strict=True))
    assert len(got) == len(expected)
    for (value, flags), (want, want_flags) in zip(got, expected, strict=True):
        assert flags == want_flags
        assert (math.isnan(value) and math.isnan(want)) or value == pytest.approx(want)
    assert df["geo"].tolist() == [f"R{r}" for r in range(len(rows)) for _ in periods]
    assert df["time"].tolist() == periods * len(rows)
