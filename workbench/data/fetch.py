"""Download Eurostat datasets as SDMX-TSV files, checked before they are written.

URL format (Eurostat's SDMX 2.1 dissemination API; the base is the ``eurostat_api_url``
setting, environment variable ``WORKBENCH_EUROSTAT_API_URL``)::

    {base}/data/{DATASET}?format=TSV&compressed=true[&startPeriod=YEAR][&endPeriod=YEAR]
                          [&DIM=CODE[&DIM=CODE2...]]...

e.g. ``{base}/data/lfst_r_lfu3rt?format=TSV&compressed=true&startPeriod=2020&geo=ES61&sex=T``.
Dimension filters are query parameters named after the dimension (one parameter per code),
as Eurostat's newer API accepts them, so the caller need not know a dataset's dimension
order (which the positional SDMX key ``A.PC.T.Y15-74.ES61`` would need). A server or mirror
that ignores these parameters is handled too: the response is filtered again here (series
whose codes match every filter, periods whose year lies in the start-end range), and the
result says so.

The response must parse with :func:`workbench.data.eurostat.read_tsv` before anything is
written; the file is then written atomically (temporary file + rename), gzip-compressed
when the output name ends in ``.gz``.
"""

from __future__ import annotations

import gzip
import http.client
import os
import re
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from workbench.config import PACKAGE_DIR
from workbench.data.eurostat import EurostatFormatError, read_tsv
from workbench.exceptions import InputError, InvalidInput, Problem, WorkbenchError

__all__ = [
    "EurostatFetchError",
    "EurostatRequestError",
    "FetchResult",
    "build_url",
    "default_output",
    "fetch_eurostat",
    "parse_filters",
]

#: Eurostat dataset codes: letters, digits and underscores (``lfst_r_lfu3rt``).
_DATASET_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_DIM_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_CODE_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_\-.]*")
_TAG_RE = re.compile(r"<[^>]*>")
_USER_AGENT = "almp-workbench (urllib)"
_READ_CHUNK = 64 * 1024
_MIRROR_HINT = (
    "to use a mirror, set WORKBENCH_EUROSTAT_API_URL (or pass --api-url) to its SDMX 2.1 base URL"
)


class EurostatFetchError(WorkbenchError):
    """The download failed: network, server error, or a response that is not SDMX-TSV."""

    def __init__(self, message: str, *, url: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


class EurostatRequestError(EurostatFetchError, InputError):
    """The request itself cannot be served: unknown dataset, bad filter, too big."""


@dataclass(frozen=True)
class FetchResult:
    """What :func:`fetch_eurostat` wrote."""

    path: Path
    url: str
    size: int
    rows: int
    series: int
    periods: tuple[str, ...]
    values: int
    geo_count: int | None
    filtered_locally: bool

    def summary(self) -> str:
        """A few lines for the terminal."""
        span = f" ({self.periods[0]} to {self.periods[-1]})" if self.periods else ""
        geo = "no geo dimension" if self.geo_count is None else f"{self.geo_count} geo codes"
        lines = [
            f"wrote {self.path} ({self.size:,} bytes) from {self.url}",
            f"  {self.rows:,} rows: {self.series:,} series x {len(self.periods)} periods{span}, "
            f"{self.values:,} with a value; {geo}",
        ]
        if self.filtered_locally:
            lines.append("  the server ignored some filters; they were applied to its answer here")
        return "\n".join(lines)


def parse_filters(pairs: Sequence[str]) -> dict[str, list[str]]:
    """``["geo=ES61,DE21", "sex=T"]`` -> ``{"geo": ["ES61", "DE21"], "sex": ["T"]}``.

    A dimension given twice gets the union of its codes.

    Raises:
        InvalidInput: a pair is not ``DIM=CODE[,CODE...]`` with plain codes.
    """
    filters: dict[str, list[str]] = {}
    problems = []
    for pair in pairs:
        dim, sep, codes_text = pair.partition("=")
        dim = dim.strip().lower()
        codes = [code.strip() for code in codes_text.split(",")]
        if not sep or not _DIM_RE.fullmatch(dim):
            problems.append(Problem("--filter", pair, "must look like DIM=CODE, e.g. geo=ES61"))
        elif bad := [code for code in codes if not _CODE_RE.fullmatch(code)]:
            problems.append(
                Problem("--filter", pair, f"invalid code {bad[0]!r} (e.g. geo=ES61,DE21)")
            )
        else:
            known = filters.setdefault(dim, [])
            known.extend(code for code in codes if code not in known)
    if problems:
        raise InvalidInput(problems)
    return filters


def build_url(
    base: str,
    dataset: str,
    *,
    filters: Mapping[str, Sequence[str]] | None = None,
    start: int | None = None,
    end: int | None = None,
) -> str:
    """The SDMX-TSV download URL (see the module docstring for the format).

    Raises:
        InvalidInput: a bad base URL, dataset code or year range.
    """
    problems = []
    if urllib.parse.urlsplit(base).scheme not in ("http", "https"):
        problems.append(Problem("eurostat_api_url", base, "must be an http:// or https:// URL"))
    if not _DATASET_RE.fullmatch(dataset):
        problems.append(
            Problem("DATASET", dataset, "must be a Eurostat code such as lfst_r_lfu3rt")
        )
    if start is not None and end is not None and start > end:
        problems.append(Problem("--start/--end", f"{start}-{end}", "start is after end"))
    if problems:
        raise InvalidInput(problems)
    query: list[tuple[str, str]] = [("format", "TSV"), ("compressed", "true")]
    if start is not None:
        query.append(("startPeriod", str(start)))
    if end is not None:
        query.append(("endPeriod", str(end)))
    for dim, codes in (filters or {}).items():
        query.extend((dim, code) for code in codes)
    return f"{base.rstrip('/')}/data/{dataset}?{urllib.parse.urlencode(query)}"


def default_output(data_dir: Path, dataset: str) -> Path:
    """``<data_dir>/eurostat/<dataset>.tsv.gz``.

    Raises:
        InputError: ``data_dir`` is a pack shipped inside the package (read-only).
    """
    data_dir = Path(data_dir).resolve()
    if data_dir.is_relative_to(PACKAGE_DIR):
        raise InputError(
            f"the data folder {data_dir} is a pack shipped with the workbench and stays "
            "read-only: give --output PATH for the downloaded file"
        )
    return data_dir / "eurostat" / f"{dataset}.tsv.gz"


def fetch_eurostat(
    dataset: str,
    output: Path,
    *,
    base_url: str,
    filters: Mapping[str, Sequence[str]] | None = None,
    start: int | None = None,
    end: int | None = None,
    timeout: float = 60.0,
    progress: bool = False,
) -> FetchResult:
    """Download ``dataset`` as SDMX-TSV, check that it parses, and write it to ``output``.

    Raises:
        InvalidInput: bad dataset code, filters or year range.
        EurostatRequestError: unknown dataset, a dimension it lacks, no matching data, a
            request too big to serve directly, or an unusable output path (exit code 2).
        EurostatFetchError: network failure, server error, or a response that is not
            SDMX-TSV (nothing is written then).
    """
    output = Path(output)
    if output.is_dir():
        raise EurostatRequestError(f"--output {output} is a folder; give a file name")
    filters = {dim.lower(): list(codes) for dim, codes in (filters or {}).items()}
    url = build_url(base_url, dataset, filters=filters, start=start, end=end)
    body = _download(url, dataset, timeout=timeout, progress=progress)
    try:
        frame = read_tsv(body)
    except EurostatFormatError as exc:
        raise EurostatFetchError(
            f"the response from {url} is not valid SDMX-TSV, so nothing was written: "
            f"{exc}{_looks_like(body)}",
            url=url,
        ) from None
    data = body  # kept byte for byte unless the server ignored some filters
    kept = _subset(_text_of(body), filters, start, end, dataset, url)
    if kept is not None:
        data = kept.encode("utf-8")
        frame = read_tsv(data)
    if frame.empty:
        hint = " match the filters" if filters else ""
        raise EurostatRequestError(
            f"no series of {dataset}{hint} in the answer from {url}; nothing was written",
            url=url,
        )
    compressed = data[:2] == b"\x1f\x8b"
    if output.name.endswith(".gz") and not compressed:
        data = gzip.compress(data, mtime=0)
    elif not output.name.endswith(".gz") and compressed:
        data = gzip.decompress(data)
    _write_atomically(output, data)
    periods = tuple(dict.fromkeys(frame["time"]))
    return FetchResult(
        path=output,
        url=url,
        size=len(data),
        rows=len(frame),
        series=len(frame) // len(periods),
        periods=periods,
        values=int(frame["value"].notna().sum()),
        geo_count=int(frame["geo"].nunique()) if "geo" in frame.columns else None,
        filtered_locally=kept is not None,
    )


def _download(url: str, dataset: str, *, timeout: float, progress: bool) -> bytes:
    """GET ``url`` with a progress bar; HTTP and network failures become clear errors."""
    from tqdm import tqdm

    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})  # noqa: S310
    try:
        response = urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 (http(s) only)
    except urllib.error.HTTPError as exc:
        raise _http_error(exc, url, dataset) from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        raise EurostatFetchError(
            f"could not reach {url}: {reason}. This machine seems to be offline or cannot "
            f"reach the server; {_MIRROR_HINT}",
            url=url,
        ) from None
    chunks: list[bytes] = []
    with response:
        length = response.headers.get("Content-Length", "")
        total = int(length) if length.isdigit() else None
        with tqdm(
            total=total, unit="B", unit_scale=True, desc=dataset, disable=not progress
        ) as bar:
            try:
                while chunk := response.read(_READ_CHUNK):
                    chunks.append(chunk)
                    bar.update(len(chunk))
            except (OSError, http.client.HTTPException) as exc:
                received = sum(map(len, chunks))
                raise EurostatFetchError(
                    f"the download from {url} broke off after {received:,} bytes ({exc!r}); "
                    f"try again, or {_MIRROR_HINT}",
                    url=url,
                ) from None
    return b"".join(chunks)


def _server_says(body: bytes) -> str:
    """A short plain-text excerpt of an error body (often XML or gzip)."""
    if body[:2] == b"\x1f\x8b":
        try:
            body = gzip.decompress(body)
        except (OSError, EOFError):
            return ""
    text = " ".join(_TAG_RE.sub(" ", body.decode("utf-8", "replace")).split())
    return f"; the server says: {text[:300]}" if text else ""


def _http_error(exc: urllib.error.HTTPError, url: str, dataset: str) -> EurostatFetchError:
    try:
        body = exc.read(4096)
    except (OSError, http.client.HTTPException):
        body = b""
    says = _server_says(body)
    status = exc.code
    if status == 404:
        return EurostatRequestError(
            f"Eurostat has no dataset {dataset!r}, or no data for this request "
            f"(HTTP 404 from {url}){says}",
            url=url,
            status=status,
        )
    if status == 413 or re.search(r"too (big|large)|asynchron", says, re.IGNORECASE):
        return EurostatRequestError(
            f"the request is too big to download directly (HTTP {status} from {url}){says}. "
            "Narrow it with --filter (e.g. --filter geo=ES61) or --start/--end",
            url=url,
            status=status,
        )
    if 400 <= status < 500:
        return EurostatRequestError(
            f"the server refused the request (HTTP {status} from {url}){says}. Check the "
            "dataset code and the --filter dimension names and codes",
            url=url,
            status=status,
        )
    return EurostatFetchError(
        f"the server failed (HTTP {status} from {url}){says}. Try again later; {_MIRROR_HINT}",
        url=url,
        status=status,
    )


def _looks_like(body: bytes) -> str:
    """A hint when a response is a web page or XML message instead of TSV."""
    head = body[:2048]
    if head[:2] == b"\x1f\x8b":
        return ""
    if head.lstrip().startswith(b"<"):
        return f" (the server sent XML/HTML instead of TSV{_server_says(body)})"
    return ""


def _text_of(body: bytes) -> str:
    """Decoded text of a response that :func:`read_tsv` accepted."""
    data = gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body
    text = data.decode("utf-8")
    return text[1:] if text.startswith("\ufeff") else text


def _subset(
    text: str,
    filters: Mapping[str, Sequence[str]],
    start: int | None,
    end: int | None,
    dataset: str,
    url: str,
) -> str | None:
    """The lines of ``text`` within the filters and years, or None if all are."""
    lines = text.replace("\r\n", "\n").split("\n")
    header = lines[0].split("\t")
    dims = [d.strip().lower() for d in re.split(r"[\\/]", header[0])[0].split(",")]
    unknown = sorted(set(filters) - set(dims))
    if unknown:
        raise EurostatRequestError(
            f"dataset {dataset} has no dimension {unknown[0]!r}; its dimensions are "
            f"{', '.join(dims)} (from {url}); nothing was written",
            url=url,
        )
    wanted = [(dims.index(dim), set(codes)) for dim, codes in filters.items()]
    columns = [0] + [
        i for i, cell in enumerate(header) if i > 0 and _in_years(cell.strip(), start, end)
    ]
    if len(columns) == 1:
        raise EurostatRequestError(
            f"{dataset} has no periods from {start or '...'} to {end or '...'} (from {url}; "
            f"it has {header[1].strip()} to {header[-1].strip()}); nothing was written",
            url=url,
        )
    kept = [lines[0]]
    dropped = len(columns) < len(header)
    for line in lines[1:]:
        if not line.strip():
            continue
        cells = line.split("\t")
        key = [code.strip() for code in cells[0].split(",")]
        if all(key[i] in codes for i, codes in wanted):
            kept.append(line)
        else:
            dropped = True
    if not dropped:
        return None
    return "\n".join("\t".join(line.split("\t")[i] for i in columns) for line in kept) + "\n"


def _in_years(period: str, start: int | None, end: int | None) -> bool:
    """Whether a period (``2014``, ``2014-Q1``, ``2014-01``...) lies in the year range."""
    year = period[:4]
    if not year.isdigit():
        return True
    return (start is None or int(year) >= start) and (end is None or int(year) <= end)


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file next to ``path``, then rename it into place."""
    temporary: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=".part"
        )
        temporary = Path(name)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        raise EurostatRequestError(f"cannot write {path}: {exc}") from None
