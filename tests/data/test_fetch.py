"""Tests for the Eurostat downloader against a real local HTTP server.

The server (``http.server`` on 127.0.0.1, a free port) answers with stand-ins for recorded
Eurostat responses: gzip copies of slices of the real files (lines cut verbatim from
``workbench/data/packs/real/eurostat/``, see ``eurostat_samples/README.md``), since this
machine cannot reach Eurostat. It logs each request so the URL the client sent is checked.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest
from _recorded_api import RecordedApi, closed_port, recorded_api

from workbench.config import PACKAGE_DIR
from workbench.data.eurostat import read_tsv
from workbench.data.fetch import (
    EurostatFetchError,
    EurostatRequestError,
    build_url,
    default_output,
    fetch_eurostat,
    parse_filters,
)
from workbench.exceptions import InputError, InvalidInput

SAMPLE = Path(__file__).parent / "eurostat_samples" / "lfst_r_lfu3rt__2025__ryb2026__cut.tsv"
LINES = SAMPLE.read_text(encoding="utf-8").splitlines()
DATASET = "lfst_r_lfu3rt"


def recorded(*keep: str) -> bytes:
    """Gzip copy of the sample's header plus the lines of these geo codes (all if none)."""
    lines = [LINES[0]] + [
        line for line in LINES[1:] if not keep or line.split("\t")[0][-4:] in keep
    ]
    return gzip.compress(("\n".join(lines) + "\n").encode("utf-8"), mtime=0)


@pytest.fixture
def eurostat() -> Iterator[RecordedApi]:
    with recorded_api() as api:
        yield api


def test_fetch_sends_filters_and_writes_the_checked_answer(
    eurostat: RecordedApi, tmp_path: Path
) -> None:
    body = recorded("ES61")
    eurostat.answer(DATASET, 200, body)
    out = tmp_path / "data" / "eurostat" / "lfst_r_lfu3rt.tsv.gz"
    result = fetch_eurostat(
        DATASET,
        out,
        base_url=eurostat.base + "/",
        filters={"geo": ["ES61"], "sex": ["T"]},
        start=2023,
        end=2025,
    )
    [(path, query)] = eurostat.sent()
    assert path == "/sdmx/2.1/data/lfst_r_lfu3rt"
    assert query == {
        "format": ["TSV"],
        "compressed": ["true"],
        "startPeriod": ["2023"],
        "endPeriod": ["2025"],
        "geo": ["ES61"],
        "sex": ["T"],
    }
    assert out.read_bytes() == body  # the server applied the filters: its bytes are kept
    assert not list(out.parent.glob("*.part"))
    df = read_tsv(out)
    # The sample's ES61 lines: "...,Y15-29,PC,ES61\t: \t: \t24.8 d" and "...Y15-74...\t15.2 d"
    assert df["value"].dropna().tolist() == [24.8, 15.2]
    assert df.loc[df["value"].notna(), "flags"].tolist() == ["d", "d"]
    assert (result.rows, result.series, result.values, result.geo_count) == (6, 2, 2, 1)
    assert result.periods == ("2023", "2024", "2025")
    assert not result.filtered_locally
    assert result.path == out and result.size == len(body)
    assert "6 rows: 2 series x 3 periods (2023 to 2025), 2 with a value; 1 geo codes" in (
        result.summary()
    )


def test_a_server_that_ignores_filters_is_filtered_here(
    eurostat: RecordedApi, tmp_path: Path
) -> None:
    eurostat.answer(DATASET, 200, recorded())  # every series of the sample, all years
    out = tmp_path / "mirror.tsv"
    result = fetch_eurostat(
        DATASET, out, base_url=eurostat.base, filters={"geo": ["ES61", "DE21"]}, start=2024
    )
    assert eurostat.sent()[0][1]["geo"] == ["ES61", "DE21"]
    # By hand from the sample: DE21 and ES61, each for Y15-29 and Y15-74, years 2024-2025.
    assert out.read_text(encoding="utf-8").splitlines() == [
        "freq,isced11,sex,age,unit,geo\\TIME_PERIOD\t2024 \t2025 ",
        "A,TOTAL,T,Y15-29,PC,DE21\t: \t5.2 ",
        "A,TOTAL,T,Y15-29,PC,ES61\t: \t24.8 d",
        "A,TOTAL,T,Y15-74,PC,DE21\t: \t3.0 ",
        "A,TOTAL,T,Y15-74,PC,ES61\t: \t15.2 d",
    ]
    assert result.filtered_locally
    assert (result.rows, result.series, result.values, result.geo_count) == (8, 4, 4, 2)


@pytest.mark.parametrize(
    ("filters", "start", "fragment"),
    [
        ({"nace_r2": ["C"]}, None, "has no dimension 'nace_r2'; its dimensions are freq, isced11"),
        ({"geo": ["XX99"]}, None, "no series of lfst_r_lfu3rt match the filters in the answer"),
        ({}, 2030, "has no periods from 2030"),
    ],
)
def test_filters_that_match_nothing_write_nothing(
    eurostat: RecordedApi, tmp_path: Path, filters: dict[str, list[str]], start: int, fragment: str
) -> None:
    eurostat.answer(DATASET, 200, recorded())
    out = tmp_path / "x.tsv.gz"
    with pytest.raises(EurostatRequestError, match=fragment) as info:
        fetch_eurostat(DATASET, out, base_url=eurostat.base, filters=filters, start=start)
    assert info.value.exit_code == 2
    assert not out.exists()


@pytest.mark.parametrize(
    ("status", "body", "error", "fragments"),
    [
        (404, b"<S:Fault><faultstring>No results found</faultstring></S:Fault>",
         EurostatRequestError, ["no dataset 'lfst_r_lfu3rt'", "HTTP 404", "No results found"]),
        (413, b"Request too large", EurostatRequestError, ["too big", "--filter"]),
        (500, b"Internal error", EurostatFetchError, ["HTTP 500", "Try again later",
                                                      "WORKBENCH_EUROSTAT_API_URL"]),
    ],
)  # fmt: skip
def test_http_errors(
    eurostat: RecordedApi,
    tmp_path: Path,
    status: int,
    body: bytes,
    error: type[Exception],
    fragments: list[str],
) -> None:
    eurostat.answer(DATASET, status, body)
    out = tmp_path / "x.tsv.gz"
    with pytest.raises(error) as info:
        fetch_eurostat(DATASET, out, base_url=eurostat.base)
    for fragment in fragments:
        assert fragment in str(info.value)
    assert getattr(info.value, "status", None) == status
    assert isinstance(info.value, InputError) == (status < 500)
    assert not out.exists()


def test_a_malformed_answer_is_not_written_and_the_old_file_stays(
    eurostat: RecordedApi, tmp_path: Path
) -> None:
    lines = list(LINES)
    lines[2] = lines[2].replace("\t: u", "\t1O.4 u")  # a letter O for a zero, line 3, 2025
    eurostat.answer(DATASET, 200, gzip.compress(("\n".join(lines) + "\n").encode()))
    out = tmp_path / "lfst_r_lfu3rt.tsv.gz"
    out.write_bytes(b"previous download")
    with pytest.raises(EurostatFetchError, match="not valid SDMX-TSV") as info:
        fetch_eurostat(DATASET, out, base_url=eurostat.base)
    assert "line 3, column 4 (period 2025): non-numeric value '1O.4 u'" in str(info.value)
    assert out.read_bytes() == b"previous download"
    assert [p.name for p in tmp_path.iterdir()] == [out.name]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (recorded()[:-30], "gzip stream is truncated"),
        (b"<html><body>Service unavailable</body></html>", "sent XML/HTML instead of TSV"),
        (b"", "empty file"),
    ],
)
def test_answers_that_do_not_parse(
    eurostat: RecordedApi, tmp_path: Path, body: bytes, fragment: str
) -> None:
    eurostat.answer(DATASET, 200, body)
    with pytest.raises(EurostatFetchError, match=fragment) as info:
        fetch_eurostat(DATASET, tmp_path / "x.tsv.gz", base_url=eurostat.base)
    assert not isinstance(info.value, InputError)
    assert not (tmp_path / "x.tsv.gz").exists()


def test_plain_answer_is_compressed_for_a_gz_output(eurostat: RecordedApi, tmp_path: Path) -> None:
    plain = gzip.decompress(recorded("EL30"))
    eurostat.answer(DATASET, 200, plain)
    out = tmp_path / "el30.tsv.gz"
    result = fetch_eurostat(DATASET, out, base_url=eurostat.base, progress=True)
    assert gzip.decompress(out.read_bytes()) == plain
    assert result.series == 2 and result.values == 2  # EL30: 13.4 and 8.1 in 2025


def test_connection_refused_says_offline_and_how_to_use_a_mirror(tmp_path: Path) -> None:
    port = closed_port()
    with pytest.raises(EurostatFetchError) as info:
        fetch_eurostat(DATASET, tmp_path / "x.tsv.gz", base_url=f"http://127.0.0.1:{port}/api")
    message = str(info.value)
    assert f"could not reach http://127.0.0.1:{port}/api/data/lfst_r_lfu3rt?" in message
    assert "offline" in message and "WORKBENCH_EUROSTAT_API_URL" in message
    assert not (tmp_path / "x.tsv.gz").exists()


def test_build_url() -> None:
    url = build_url(
        "https://example.org/sdmx/2.1/",
        "une_rt_a",
        filters={"geo": ["ES61", "DE21"], "age": ["Y15-74"]},
        start=2014,
        end=2020,
    )
    assert url == (
        "https://example.org/sdmx/2.1/data/une_rt_a?format=TSV&compressed=true"
        "&startPeriod=2014&endPeriod=2020&geo=ES61&geo=DE21&age=Y15-74"
    )
    assert build_url("http://h/x", "d1").endswith("/x/data/d1?format=TSV&compressed=true")
    with pytest.raises(InvalidInput) as info:
        build_url("file:///etc", "../secret", start=2020, end=2010)
    assert [p.source for p in info.value.problems] == [
        "eurostat_api_url",
        "DATASET",
        "--start/--end",
    ]


def test_parse_filters() -> None:
    assert parse_filters(["geo=ES61, DE21", "SEX=T", "geo=ES61,FR10"]) == {
        "geo": ["ES61", "DE21", "FR10"],
        "sex": ["T"],
    }
    assert parse_filters([]) == {}
    with pytest.raises(InvalidInput) as info:
        parse_filters(["geo", "=ES61", "geo=ES 61", "geo=", "age=Y15-74"])
    assert [p.key for p in info.value.problems] == ["geo", "=ES61", "geo=ES 61", "geo="]
    assert "DIM=CODE" in str(info.value.problems[0])


def test_default_output(tmp_path: Path) -> None:
    assert (
        default_output(tmp_path / "data", "une_rt_a")
        == (tmp_path / "data" / "eurostat" / "une_rt_a.tsv.gz").resolve()
    )
    with pytest.raises(InputError, match="--output"):
        default_output(PACKAGE_DIR / "data" / "packs" / "demo", "une_rt_a")


def test_output_folder_is_refused(eurostat: RecordedApi, tmp_path: Path) -> None:
    with pytest.raises(EurostatRequestError, match="is a folder"):
        fetch_eurostat(DATASET, tmp_path, base_url=eurostat.base)
    assert eurostat.requests == []


def test_an_answer_without_series(eurostat: RecordedApi, tmp_path: Path) -> None:
    eurostat.answer(DATASET, 200, gzip.compress((LINES[0] + "\n").encode("utf-8")))
    with pytest.raises(EurostatRequestError, match="no series of lfst_r_lfu3rt in the answer"):
        fetch_eurostat(DATASET, tmp_path / "x.tsv.gz", base_url=eurostat.base)
    assert not (tmp_path / "x.tsv.gz").exists()
