"""``workbench data fetch eurostat`` end to end: the real click CLI in-process against a real
local HTTP server on 127.0.0.1.

The server answers with stand-ins for recorded Eurostat responses: gzip copies of a slice of
a real file (lines cut verbatim from ``workbench/data/packs/real/eurostat/``, see
``tests/data/eurostat_samples/README.md``), because this machine cannot reach Eurostat.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from _recorded_api import RecordedApi, closed_port, recorded_api

from workbench.config import PACKAGE_DIR
from workbench.data.eurostat import read_tsv

SAMPLE = (
    Path(__file__).parents[1]
    / "data"
    / "eurostat_samples"
    / "lfst_r_lfu3rt__2025__ryb2026__cut.tsv"
)
RECORDED = gzip.compress(SAMPLE.read_bytes(), mtime=0)  # every series of the slice
DATASET = "lfst_r_lfu3rt"
pytestmark = pytest.mark.databases("sqlite")  # downloads touch no database


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[RecordedApi]:
    with recorded_api() as api:
        api.answer(DATASET, 200, RECORDED)
        monkeypatch.setenv("WORKBENCH_EUROSTAT_API_URL", api.base)
        yield api


def test_fetch_into_the_workspace_data_folder(cli, server: RecordedApi) -> None:
    (cli.home / "data").mkdir()  # the workspace's own data pack
    result = cli("data", "fetch", "eurostat", DATASET, "--filter", "geo=ES61,EL30",
                 "--filter", "age=Y15-74", "--start", "2024", "--no-progress")  # fmt: skip
    assert result.exit_code == 0, result.output
    [request] = server.requests
    assert urlsplit(request).path == "/sdmx/2.1/data/lfst_r_lfu3rt"
    assert parse_qs(urlsplit(request).query) == {
        "format": ["TSV"],
        "compressed": ["true"],
        "startPeriod": ["2024"],
        "geo": ["ES61", "EL30"],
        "age": ["Y15-74"],
    }
    out = cli.home / "data" / "eurostat" / "lfst_r_lfu3rt.tsv.gz"
    df = read_tsv(out)
    # From the slice: "A,TOTAL,T,Y15-74,PC,EL30\t: \t: \t8.1 " and "...ES61\t: \t: \t15.2 d"
    assert df["geo"].tolist() == ["EL30", "EL30", "ES61", "ES61"]
    assert df["time"].tolist() == ["2024", "2025"] * 2
    assert df["value"].dropna().tolist() == [8.1, 15.2]
    assert f"wrote {out.resolve()}" in result.stdout
    assert "4 rows: 2 series x 2 periods (2024 to 2025), 2 with a value; 2 geo codes" in (
        result.stdout
    )
    assert "applied to its answer here" in result.stdout  # the server sent every series


def test_api_url_option_and_explicit_output(cli, server: RecordedApi, tmp_path: Path) -> None:
    server.answer("une_rt_a", 200, RECORDED)
    out = tmp_path / "une.tsv"
    result = cli("data", "fetch", "eurostat", "une_rt_a", "--output", str(out),
                 "--api-url", server.base + "/")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert urlsplit(server.requests[0]).path == "/sdmx/2.1/data/une_rt_a"
    assert out.read_bytes() == SAMPLE.read_bytes()  # the answer, stored uncompressed
    assert "13 series x 3 periods" in result.stdout


def test_packaged_data_pack_needs_output(
    cli, server: RecordedApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKBENCH_DATA_DIR", str(PACKAGE_DIR / "data" / "packs" / "demo"))
    result = cli("data", "fetch", "eurostat", DATASET, "--no-progress")
    assert result.exit_code == 2
    assert "read-only: give --output PATH" in result.stderr
    assert server.requests == []


@pytest.mark.parametrize(
    ("answer", "code", "fragments"),
    [
        ((404, b"<error>No such dataset</error>"), 2, ["no dataset 'lfst_r_lfu3rt'", "HTTP 404"]),
        ((500, b"Internal error"), 1, ["HTTP 500", "WORKBENCH_EUROSTAT_API_URL"]),
        ((200, RECORDED[:-40]), 1, ["not valid SDMX-TSV", "gzip stream is truncated"]),
        (
            (200, SAMPLE.read_bytes().replace(b"24.8 d", b"24.8 d?")),
            1,
            ["line 5, column 4 (period 2025): unexpected text after the value in '24.8 d?'"],
        ),
    ],
)
def test_server_errors_exit_with_a_message(
    cli,
    server: RecordedApi,
    tmp_path: Path,
    answer: tuple[int, bytes],
    code: int,
    fragments: list[str],
) -> None:
    server.answer(DATASET, *answer)
    out = tmp_path / "x.tsv.gz"
    result = cli("data", "fetch", "eurostat", DATASET, "--output", str(out), "--no-progress")
    assert result.exit_code == code, result.output
    assert result.stderr.startswith("error: ")
    for fragment in fragments:
        assert fragment in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists()


def test_offline(cli, tmp_path: Path) -> None:
    port = closed_port()
    result = cli("data", "fetch", "eurostat", DATASET, "--output", str(tmp_path / "x.tsv.gz"),
                 "--api-url", f"http://127.0.0.1:{port}")  # fmt: skip
    assert result.exit_code == 1
    assert "seems to be offline" in result.stderr
    assert "WORKBENCH_EUROSTAT_API_URL" in result.stderr


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--filter", "geo"], "--filter: geo: must look like DIM=CODE"),
        (["--start", "2020", "--end", "2010"], "start is after end"),
        (["--start", "20"], "Invalid value for '--start'"),
    ],
)
def test_bad_arguments_exit_2_without_a_request(
    cli, server: RecordedApi, tmp_path: Path, args: list[str], fragment: str
) -> None:
    out = str(tmp_path / "x.tsv.gz")
    result = cli("data", "fetch", "eurostat", DATASET, "--output", out, *args)
    assert result.exit_code == 2
    assert fragment in result.stderr
    assert server.requests == []


def test_help_lists_the_command(cli) -> None:
    result = cli("data", "fetch", "--help")
    assert result.exit_code == 0
    assert "eurostat" in result.stdout
    usage = cli("data", "fetch", "eurostat", "--help").stdout
    assert "--filter DIM=CODE[,CODE]" in usage and "--api-url" in usage
