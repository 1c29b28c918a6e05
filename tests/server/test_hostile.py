"""Hostile input at the facilitator REST API, on the real JupyterLab of ``served``.

Every request here is refused with a clear 4xx and a JSON message (never a 5xx, never a
traceback), writes nothing, and the server answers a valid request right after it.
The bodies are then fuzzed with hypothesis: each POST endpoint gets arbitrary JSON-ish
values and raw bytes, and must answer with a valid store (2xx) or a clean 4xx.
Traversal attempts on the lab's REST and facilitator paths are at the end.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

CASE = "es61-manufacturing-youth"
W = "/workbench/api/workshops"
JSON = {"Content-Type": "application/json"}


@dataclass
class Reply:
    status: int
    body: str

    def message(self) -> str:
        """The error message of a JSON error reply (``error`` or ``message``)."""
        data = json.loads(self.body)
        text = data.get("error") or data.get("message")
        assert isinstance(text, str) and text, self.body
        return text


class Lab:
    """Raw HTTP to the analyst JupyterLab with the token; paths are sent verbatim."""

    def __init__(self, served: Any) -> None:
        parts = urlsplit(served.lab_url)
        self.host, self.port, self.token = parts.hostname, parts.port, served.token

    def __call__(
        self,
        method: str,
        path: str,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        hdrs = {"Authorization": f"token {self.token}", **(headers or {})}
        try:
            conn.request(method, path, body=raw if raw is not None else b"", headers=hdrs)
            resp = conn.getresponse()
            return Reply(resp.status, resp.read().decode("utf-8", errors="replace"))
        finally:
            conn.close()

    def post(self, path: str, raw: bytes, content_type: str = "application/json") -> Reply:
        return self("POST", path, raw, {"Content-Type": content_type})


def assert_clean_refusal(reply: Reply, status: int | tuple[int, ...], expected: str = "") -> None:
    """A 4xx with a JSON message containing ``expected``; no traceback."""
    statuses = (status,) if isinstance(status, int) else status
    assert reply.status in statuses, (reply.status, reply.body[:300])
    assert "Traceback" not in reply.body and 'File "' not in reply.body
    assert expected in reply.message(), reply.body[:300]


@pytest.fixture(scope="module")
def lab(served: Any) -> Lab:
    return Lab(served)


@pytest.fixture(scope="module")
def draft(served: Any) -> Iterator[int]:
    """A draft workshop of this module's own, so that fuzzed links and moderation touch
    nothing the other tests look at."""
    wb = served.service()
    try:
        info = wb.create_workshop(CASE, title="Hostile input", expected=2)
    finally:
        wb.close()
    yield info.id


def snapshot(served: Any, wid: int) -> tuple[int, str, int, int]:
    """Workshop count, and state, round and invited count of ``wid``."""
    wb = served.service()
    try:
        part = wb.workshops.participation(wid)
        info = wb.workshops.get(wid)
        return len(wb.workshops.list()), info.state, info.current_round, part.invited
    finally:
        wb.close()


def still_serving(lab: Lab, wid: int) -> None:
    """The follow-up valid request."""
    reply = lab("GET", f"{W}/{wid}")
    assert reply.status == 200 and json.loads(reply.body)["id"] == wid


# -- hostile bodies -------------------------------------------------------------------------
NESTED = b"[" * 20_000 + b"]" * 20_000
HOSTILE_BODIES: list[tuple[str, bytes, str, int, str]] = [
    # (name, body, content type, status, expected message)
    ("deeply nested array", NESTED, "application/json", 400,
     "the JSON body is nested too deeply (20000 levels; the limit is 32)"),
    ("deeply nested object", b'{"case":' * 5000 + b"1" + b"}" * 5000, "application/json", 400,
     "the JSON body is nested too deeply (5000 levels; the limit is 32)"),
    ("huge", b'{"title": "' + b"x" * 70_000 + b'"}', "application/json", 413,
     "the request body is larger than 64000 bytes"),
    ("invalid UTF-8", b'{"case": "\xc3\x28"}', "application/json", 400,
     "the request body is not valid UTF-8 (byte 10 is not allowed)"),
    ("UTF-16", '{"case": "x"}'.encode("utf-16"), "application/json", 400,
     "the request body is not valid UTF-8 (byte 0 is not allowed)"),
    ("array", b'["es61-manufacturing-youth"]', "application/json", 400,
     "the request body must be a JSON object, not an array"),
    ("string", b'"es61-manufacturing-youth"', "application/json", 400,
     "the request body must be a JSON object, not a string"),
    ("NaN", b'{"case": "es61-manufacturing-youth", "expected": NaN}', "application/json", 400,
     "the JSON body contains NaN, which is not a valid JSON number"),
    ("Infinity", b'{"count": Infinity}', "application/json", 400,
     "the JSON body contains Infinity, which is not a valid JSON number"),
    ("float overflow", b'{"valid_hours": 1e999}', "application/json", 400,
     "the number 1e999 in the JSON body is too large"),
    ("integer too large", b'{"expected": 123456789012345678901234567890}', "application/json",
     400, "the number 123456789012345678901234567890 in the JSON body is too large"),
    ("5000 digits", b'{"expected": ' + b"7" * 5000 + b"}", "application/json", 400,
     "in the JSON body is too large"),
    ("duplicate key", b'{"case": "no-such-case", "case": "es61-manufacturing-youth"}',
     "application/json", 400, "the key 'case' appears twice in the JSON body"),
    ("NUL", b'{"case": "es61-manufacturing-youth", "title": "a\\u0000b"}', "application/json",
     400, "a text value in the JSON body contains a NUL character"),
    ("lone surrogate", b'{"case": "es61-manufacturing-youth", "title": "\\udc80"}',
     "application/json", 400, "a text value in the JSON body contains an unpaired surrogate"),
    ("form encoded", b"case=es61-manufacturing-youth", "application/x-www-form-urlencoded",
     415, "the request body must be JSON, sent with Content-Type: application/json"),
    ("text/plain JSON", b'{"case": "es61-manufacturing-youth"}', "text/plain", 415,
     "Content-Type: application/json"),
    ("truncated", b'{"case": "es61-manufacturing-youth", ', "application/json", 400,
     "the request body must be a JSON object; it is not valid JSON: Expecting property name"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "raw", "content_type", "status", "expected"),
    HOSTILE_BODIES,
    ids=[case[0] for case in HOSTILE_BODIES],
)
def test_hostile_bodies_are_refused_clearly(
    served: Any, lab: Lab, draft: int, name: str, raw: bytes, content_type: str, status: int,
    expected: str,
) -> None:  # fmt: skip
    before = snapshot(served, draft)
    for path in ("/workbench/api/apps", W, f"{W}/{draft}/links", f"{W}/{draft}/moderation"):
        reply = lab.post(path, raw, content_type)
        assert_clean_refusal(reply, status, expected)
    assert snapshot(served, draft) == before
    still_serving(lab, draft)


def test_numbers_outside_the_database_range_are_refused(served: Any, lab: Lab, draft: int) -> None:
    before = snapshot(served, draft)
    cases = [
        (f"{W}/{draft}/moderation", {"target_kind": "comment", "target_id": 2**31, "action": "hide",
                                     "reason": "r"}, "target_id 2147483648 is out of range"),
        (f"{W}/{draft}/moderation", {"target_kind": "comment", "target_id": -(2**31) - 1,
                                     "action": "hide", "reason": "r"},
         "target_id -2147483649 is out of range"),
        (W, {"case": CASE, "expected": 2**40}, "expected 1099511627776 is out of range"),
        (W, {"case": CASE, "scale": -(2**33)}, "scale -8589934592 is out of range"),
        (W, {"case": CASE, "expected_mix": {"employers": 2**32}}, "employers 4294967296 is out"),
        (f"{W}/{draft}/links", {"count": 2**31}, "count 2147483648 is out of range"),
    ]  # fmt: skip
    for path, body, expected in cases:
        assert_clean_refusal(lab.post(path, json.dumps(body).encode()), 400, expected)
    # ids and rounds past the database range simply do not exist
    for digits in ("2147483648", "9" * 30, "9" * 5000):
        shown = digits if len(digits) <= 20 else f"{digits[:20]}\u2026"
        for method, path in [
            ("GET", f"{W}/{digits}"),
            ("POST", f"{W}/{digits}/open"),
            ("POST", f"{W}/{digits}/links"),
            ("GET", f"{W}/{digits}/participation"),
            ("GET", f"{W}/{digits}/moderation"),
            ("GET", f"{W}/{digits}/analysis"),
            ("GET", f"{W}/{digits}/export?format=json"),
            ("GET", f"{W}/{digits}/minutes"),
        ]:
            reply = lab(method, path, b"{}" if method == "POST" else None, JSON)
            assert_clean_refusal(reply, 404, f"no workshop with id {shown}")
        reply = lab("GET", f"{W}/{served.workshop_id}/analysis?round={digits}")
        assert_clean_refusal(reply, 400, f"round {shown} does not exist")
    assert snapshot(served, draft) == before
    still_serving(lab, draft)


# -- fuzzing ----------------------------------------------------------------------------------
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(st.characters(codec=None), max_size=30)
    | st.sampled_from([CASE, "general", "comment", "hide", "approve", "statement", 0, 1, 500])
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
FIELDS = [
    "case", "title", "expected", "expected_mix", "scale", "count", "valid_hours", "shared",
    "target_kind", "target_id", "action", "reason",
]  # fmt: skip
bodies = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=10), json_values, max_size=6)
#: bodies close to valid ones, so that the fuzzing also reaches the services' own checks
near_valid = st.fixed_dictionaries(
    {"case": st.just(CASE)},
    optional={
        "title": st.text(st.characters(codec=None), max_size=220),
        "expected": st.integers(-2, 600),
        "scale": st.sampled_from([5, 9, 7, 0]),
        "expected_mix": st.dictionaries(
            st.sampled_from(["employers", "unions", "ngos", "pirates"]), st.integers(-1, 600)
        ),
        "count": st.integers(-1, 600),
        "valid_hours": st.integers(-1, 10_000) | st.floats(-1, 10_000),
        "shared": st.booleans(),
        "target_kind": st.sampled_from(["comment", "statement", "x"]),
        "target_id": st.integers(-1, 10),
        "action": st.sampled_from(["hide", "approve", "reject", "show", "x"]),
        "reason": st.text(max_size=100),
    },
)


def encode(value: Any) -> bytes:
    """JSON text of a generated value, NaN, Infinity and lone surrogates included."""
    return json.dumps(value).encode("utf-8", errors="surrogatepass")


def check_reply(reply: Reply, path: str, body: Any) -> None:
    """2xx with JSON, or a clean 4xx; never 5xx or a traceback."""
    assert reply.status < 500, (path, body, reply.status, reply.body[:300])
    assert "Traceback" not in reply.body and 'File "' not in reply.body
    if reply.status >= 400:
        assert 400 <= reply.status < 500
        reply.message()
    else:
        json.loads(reply.body)


FUZZ = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def post_paths(draft: int) -> list[str]:
    # (the workshop actions open|close|next-round take no body)
    return ["/workbench/api/apps", W, f"{W}/{draft}/links", f"{W}/{draft}/moderation"]


@pytest.mark.parametrize("endpoint", range(4), ids=["apps", "workshops", "links", "moderation"])
def test_fuzz_json_bodies(served: Any, lab: Lab, draft: int, endpoint: int) -> None:
    path = post_paths(draft)[endpoint]
    created: list[int] = []

    @FUZZ
    @given(body=near_valid | bodies | json_values)
    def run(body: Any) -> None:
        if endpoint == 0 and isinstance(body, dict) and body.get("case") == CASE:
            body = {**body, "case": "no-such-case"}  # never re-publish the shared app
        reply = lab.post(path, encode(body))
        check_reply(reply, path, body)
        if reply.status == 201 and endpoint == 1:
            info = json.loads(reply.body)
            assert info["case_slug"] == body["case"] and info["state"] == "draft"
            if isinstance(body.get("title"), str) and body["title"].strip():
                assert info["title"] == body["title"].strip() or info["title"] == body["title"]
            if body.get("expected") is not None:
                assert info["expected_participants"] == body["expected"]
            created.append(info["id"])
        if reply.status == 201 and endpoint == 2:
            data = json.loads(reply.body)
            if body.get("shared") is True:
                assert "code=" in data["url"]
            else:
                assert len(data) == body.get("count", 1)

    run()
    if endpoint == 1:
        assert created, "no valid workshop body was generated"
    still_serving(lab, draft)
    wb = served.service()
    try:
        for wid in created:  # what a 201 said was stored is stored
            assert wb.workshops.get(wid).state == "draft"
    finally:
        wb.close()


@pytest.mark.parametrize("endpoint", range(4), ids=["apps", "workshops", "links", "moderation"])
def test_fuzz_raw_bytes(served: Any, lab: Lab, draft: int, endpoint: int) -> None:
    path = post_paths(draft)[endpoint]
    count, state, rnd, invited = snapshot(served, draft)
    links: list[int] = []

    @FUZZ
    @given(
        raw=st.binary(max_size=300)
        | st.lists(
            st.sampled_from([b"{", b"[", b"}", b"]", b'"', b"\\", b":", b",", b"1", b" "])
        ).map(b"".join),
        content_type=st.sampled_from(["application/json", "text/plain", ""]),
    )
    def run(raw: bytes, content_type: str) -> None:
        reply = lab.post(path, raw, content_type)
        check_reply(reply, path, raw)
        if reply.status < 400:  # only an empty body or "{}" is a valid request here
            assert json.loads(raw.strip() or b"{}") == {}, (raw, reply.status, reply.body[:300])
            assert endpoint == 2 and reply.status == 201
            links.append(len(json.loads(reply.body)))

    run()
    # nothing was written but the one link each accepted request made
    assert snapshot(served, draft) == (count, state, rnd, invited + sum(links))
    assert set(links) <= {1}
    still_serving(lab, draft)


# -- traversal on the lab's own paths ------------------------------------------------------
TRAVERSALS = [
    "../../../../etc/passwd",
    "..%2f..%2f..%2f..%2fetc%2fpasswd",
    "%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "%252e%252e%252f%252e%252e%252fetc%252fpasswd",
    "..%5c..%5c..%5cetc%5cpasswd",
    "..\\..\\..\\etc\\passwd",
    "....//....//etc/passwd",
    "%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd",
]


@pytest.mark.parametrize("attack", TRAVERSALS)
def test_traversal_on_lab_rest_paths(served: Any, lab: Lab, attack: str) -> None:
    wid = served.workshop_id
    for method, path in [
        ("GET", f"{W}/{attack}"),
        ("GET", f"{W}/{wid}/{attack}"),
        ("POST", f"{W}/{wid}/{attack}"),
        ("GET", f"{W}/{wid}/export?format={attack}"),
        ("GET", f"{W}/{wid}/analysis?round={attack}"),
        ("GET", f"/workbench/api/{attack}"),
        ("GET", f"/workbench/facilitator/{attack}"),
        ("GET", f"/workbench/{attack}"),
    ]:
        reply = lab(method, path, b"{}" if method == "POST" else None, JSON)
        assert reply.status in (400, 403, 404, 405), (path, reply.status, reply.body[:300])
        assert "root:" not in reply.body and "Traceback" not in reply.body, path
    reply = lab("GET", f"{W}?state={attack}")
    assert_clean_refusal(reply, 400, "state")
    still_serving(lab, wid)
