"""The REST body parser (``workbench.server.body``) on its own: what it accepts and refuses.

The same refusals through the real server are in ``test_handlers.py``; here each rule is
checked exactly, including the boundaries, and the parser is fuzzed with hypothesis.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.server.body import (
    MAX_BODY,
    MAX_DEPTH,
    MAX_SAFE_INTEGER,
    BodyError,
    nesting_depth,
    parse_object,
)

JSON = "application/json"


def refused(raw: bytes, content_type: str | None = JSON) -> BodyError:
    with pytest.raises(BodyError) as caught:
        parse_object(raw, content_type)
    return caught.value


def nested(levels: int) -> bytes:
    """``{"a": {"a": ... 1 ...}}`` with ``levels`` objects."""
    return b'{"a":' * levels + b"1" + b"}" * levels


def test_accepts_a_flat_object() -> None:
    raw = '{"case": "es61", "count": 3, "valid_hours": 1.5, "shared": true, "t": null}'
    assert parse_object(raw.encode(), JSON) == {
        "case": "es61",
        "count": 3,
        "valid_hours": 1.5,
        "shared": True,
        "t": None,
    }
    assert parse_object(
        '{"title": "Zürich — ✓ 日本"}'.encode(), "application/json; charset=utf-8"
    ) == {"title": "Zürich — ✓ 日本"}
    assert parse_object(b'{"a": 1}', "application/merge-patch+json") == {"a": 1}


def test_an_empty_body_is_an_empty_object() -> None:
    for raw in (None, b"", b"  \r\n"):
        assert parse_object(raw, None) == {}


def test_nesting_depth_ignores_brackets_in_strings() -> None:
    assert nesting_depth(b'{"a": "[[[{{{", "b": ["\\"]]]"]}') == 2
    assert nesting_depth(b"[]") == 1 and nesting_depth(b"1") == 0
    assert nesting_depth(nested(40)) == 40
    assert nesting_depth(b"[" * 20_000 + b"]" * 20_000) == 20_000


def test_depth_limit_is_exact() -> None:
    assert parse_object(nested(MAX_DEPTH), JSON)["a"]["a"]["a"]
    err = refused(nested(MAX_DEPTH + 1))
    assert err.status == 400
    assert str(err) == f"the JSON body is nested too deeply (33 levels; the limit is {MAX_DEPTH})"


def test_deep_nesting_under_the_size_limit_is_refused_without_recursion() -> None:
    raw = b"[" * 20_000 + b"]" * 20_000
    assert len(raw) < MAX_BODY
    err = refused(raw)
    assert err.status == 400 and "nested too deeply (20000 levels" in str(err)
    err = refused(b'{"a":' * 10_000 + b"1" + b"}" * 10_000)
    assert "nested too deeply (10000 levels" in str(err)


def test_escaped_quotes_do_not_end_a_string() -> None:
    # (the scan is one pass over tokens: an unterminated string full of escaped quotes,
    # which makes a naive string-matching regex quadratic, is read once)
    assert nesting_depth(b'{"a": "\\"[[[\\"", "b": [[1]]}') == 3
    raw = b'{"a": "' + b'\\"[' * 20_000
    assert len(raw) < MAX_BODY and nesting_depth(raw) == 1
    err = refused(raw)
    assert err.status == 400 and "not valid JSON: Unterminated string" in str(err)


def test_size_limit_is_exact() -> None:
    body = b'{"t": "' + b"x" * (MAX_BODY - 9) + b'"}'
    assert len(body) == MAX_BODY
    assert len(parse_object(body, JSON)["t"]) == MAX_BODY - 9
    err = refused(body + b" ")
    assert err.status == 413 and str(err) == f"the request body is larger than {MAX_BODY} bytes"


@pytest.mark.parametrize(
    "content_type", [None, "", "text/plain", "application/x-www-form-urlencoded", "jsonx"]
)
def test_a_body_must_be_sent_as_json(content_type: str | None) -> None:
    err = refused(b'{"case": "es61"}', content_type)
    assert err.status == 415
    assert str(err) == "the request body must be JSON, sent with Content-Type: application/json"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"case": "\xff"}', "the request body is not valid UTF-8 (byte 10 is not allowed)"),
        (
            '{"a": 1}'.encode("utf-16"),
            "the request body is not valid UTF-8 (byte 0 is not allowed)",
        ),
        (b'{"a": NaN}', "the JSON body contains NaN, which is not a valid JSON number"),
        (b'{"a": -Infinity}', "the JSON body contains -Infinity, which is not a valid JSON number"),
        (b'{"a": 1e400}', "the number 1e400 in the JSON body is too large"),
        (
            b'{"a": 9007199254740992}',
            "the number 9007199254740992 in the JSON body is too large "
            "(integers must lie within \u00b19007199254740991)",
        ),
        (
            b'{"a": -' + b"9" * 5000 + b"}",
            "the number -9999999999999999999\u2026 in the JSON body is too large "
            "(integers must lie within \u00b19007199254740991)",
        ),
        (b'{"a": 1, "a": 2}', "the key 'a' appears twice in the JSON body"),
        (b'{"a": "x\\u0000y"}', "a text value in the JSON body contains a NUL character"),
        (
            b'{"a": ["\\ud800"]}',
            "a text value in the JSON body contains an unpaired surrogate escape",
        ),
        (b'{"\\udfff": 1}', "a key in the JSON body contains an unpaired surrogate escape"),
        (b'{"a": [{"b": "\\u0000"}]}', "a text value in the JSON body contains a NUL character"),
        (
            b'{"case": ',
            "the request body must be a JSON object; it is not valid JSON: "
            "Expecting value at character 9",
        ),
        (
            b'{"a": 1} x',
            "the request body must be a JSON object; it is not valid JSON: "
            "Extra data at character 9",
        ),
        (b'["es61"]', "the request body must be a JSON object, not an array"),
        (b'"es61"', "the request body must be a JSON object, not a string"),
        (b"17", "the request body must be a JSON object, not a number"),
        (b"true", "the request body must be a JSON object, not a boolean"),
        (b"null", "the request body must be a JSON object, not null"),
    ],
)
def test_refusals_name_the_problem(raw: bytes, message: str) -> None:
    err = refused(raw)
    assert err.status == 400
    assert str(err) == message


def test_boundary_values_are_accepted() -> None:
    data = parse_object(
        b'{"big": 9007199254740991, "small": -9007199254740991, "f": 1.7976931348623157e308,'
        b' "pair": "\\ud83d\\ude00", "tab": "a\\tb"}',
        JSON,
    )
    assert data == {
        "big": MAX_SAFE_INTEGER,
        "small": -MAX_SAFE_INTEGER,
        "f": 1.7976931348623157e308,
        "pair": "\U0001f600",
        "tab": "a\tb",
    }


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**60), 2**60)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(st.characters(codec=None), max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(value=json_values)
def test_fuzz_parse_or_refuse(value: Any) -> None:
    """Any JSON-ish value: parsed back exactly, or refused with a BodyError (never else)."""
    raw = json.dumps({"v": value}).encode("utf-8", errors="surrogatepass")
    try:
        data = parse_object(raw, JSON)
    except BodyError as exc:
        assert exc.status == 400 and str(exc).startswith(("the ", "a "))
        return
    assert json.dumps(data, sort_keys=True) == json.dumps({"v": value}, sort_keys=True)


@settings(max_examples=300, deadline=None)
@given(raw=st.binary(max_size=200))
def test_fuzz_raw_bytes(raw: bytes) -> None:
    try:
        data = parse_object(raw, JSON)
    except BodyError as exc:
        assert exc.status in (400, 413) and str(exc)
        return
    assert isinstance(data, dict)
