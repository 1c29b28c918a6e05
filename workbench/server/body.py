"""Strict parsing of REST request bodies: one small JSON object, or a clear refusal.

The REST API takes JSON objects of a few flat fields. :func:`parse_object` accepts exactly
that and refuses anything else with a :class:`BodyError` that carries an HTTP status and a
message naming the problem, before any of it reaches a service:

- more than :data:`MAX_BODY` bytes (413);
- a ``Content-Type`` other than JSON for a non-empty body (415);
- bytes that are not UTF-8 (RFC 8259 requires UTF-8 between systems);
- nesting deeper than :data:`MAX_DEPTH` levels (checked by a scan *before* parsing, so a
  deeply nested body cannot exhaust the parser's recursion);
- ``NaN`` / ``Infinity``, numbers that overflow a float, and integers outside the range
  every JSON implementation holds exactly (±(2**53 - 1), as in I-JSON, RFC 7493);
- a key given twice (I-JSON: names must be unique), unpaired surrogate escapes
  (``"\\ud800"``) and NUL characters, which no database text column stores;
- valid JSON that is not an object.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_BODY = 64_000
MAX_DEPTH = 32
MAX_SAFE_INTEGER = 2**53 - 1
_MAX_INT_DIGITS = len(str(MAX_SAFE_INTEGER))

_TOKEN = re.compile(rb'\\.|["\[\]{}]', re.DOTALL)
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class BodyError(ValueError):
    """A request body was refused; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def nesting_depth(raw: bytes) -> int:
    """The deepest nesting of ``[`` and ``{`` in a JSON text, ignoring string contents."""
    depth = deepest = 0
    in_string = False
    for match in _TOKEN.finditer(raw):  # one linear pass; escapes are skipped whole
        token = match.group()
        if token == b'"':
            in_string = not in_string
        elif in_string or len(token) == 2:
            continue
        elif token in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _is_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def _constant(name: str) -> Any:
    raise BodyError(400, f"the JSON body contains {name}, which is not a valid JSON number")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BodyError(400, f"the number {text[:40]} in the JSON body is too large")
    return value


def _int(text: str) -> int:
    digits = text.lstrip("-")
    if len(digits) > _MAX_INT_DIGITS or abs(int(text)) > MAX_SAFE_INTEGER:
        shown = text if len(text) <= 40 else f"{text[:20]}…"
        raise BodyError(
            400,
            f"the number {shown} in the JSON body is too large "
            f"(integers must lie within ±{MAX_SAFE_INTEGER})",
        )
    return int(text)


def _check_text(value: str, what: str) -> str:
    bad = _UNSTORABLE.search(value)
    if bad is not None:
        kind = "a NUL character" if bad.group() == "\x00" else "an unpaired surrogate escape"
        raise BodyError(400, f"a {what} in the JSON body contains {kind}")
    return value


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        _check_text(key, "key")
        if key in out:
            raise BodyError(400, f"the key {key[:40]!r} appears twice in the JSON body")
        if isinstance(value, str):
            _check_text(value, "text value")
        out[key] = value
    return out


def _check_list_texts(value: Any) -> None:
    """Strings directly inside lists (object values and keys are checked while parsing)."""
    if isinstance(value, list):
        for item in value:
            if isinstance(item, str):
                _check_text(item, "text value")
            else:
                _check_list_texts(item)
    elif isinstance(value, dict):
        for item in value.values():
            _check_list_texts(item)


def parse_object(raw: bytes | None, content_type: str | None) -> dict[str, Any]:
    """The JSON object in a request body (an empty body is ``{}``), or raise BodyError."""
    raw = raw or b""
    if len(raw) > MAX_BODY:
        raise BodyError(413, f"the request body is larger than {MAX_BODY} bytes")
    if not raw.strip():
        return {}
    if not _is_json(content_type):
        raise BodyError(
            415, "the request body must be JSON, sent with Content-Type: application/json"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyError(
            400, f"the request body is not valid UTF-8 (byte {exc.start} is not allowed)"
        ) from None
    depth = nesting_depth(raw)
    if depth > MAX_DEPTH:
        raise BodyError(
            400, f"the JSON body is nested too deeply ({depth} levels; the limit is {MAX_DEPTH})"
        )
    try:
        data = json.loads(
            text,
            object_pairs_hook=_object,
            parse_constant=_constant,
            parse_float=_float,
            parse_int=_int,
        )
    except BodyError:
        raise
    except (ValueError, RecursionError) as exc:
        where = (
            f": {exc.msg} at character {exc.pos}" if isinstance(exc, json.JSONDecodeError) else ""
        )
        raise BodyError(
            400, f"the request body must be a JSON object; it is not valid JSON{where}"
        ) from None
    if not isinstance(data, dict):
        raise BodyError(400, f"the request body must be a JSON object, not {_json_type(data)}")
    _check_list_texts(data)
    return data


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "null"
