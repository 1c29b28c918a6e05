"""Keyed pseudonyms: stable, distinct, key-dependent; the key kept private and outside
the workspace."""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.exceptions import InvalidInput
from workbench.profiling.pseudonym import (
    KEY_ENV,
    create_key,
    is_pseudonym,
    key_path,
    load_key,
    pseudonymise,
    pseudonymise_frame,
)

KEY_A = bytes(range(32))
KEY_B = bytes(range(1, 33))
ids = st.one_of(
    st.text(min_size=1, max_size=40).filter(lambda s: s.strip() != ""),
    st.integers(min_value=-(10**12), max_value=10**12),
)
keys = st.binary(min_size=32, max_size=64)


@settings(max_examples=200, deadline=None)
@given(ids, keys)
def test_stable_and_well_formed(person_id: str | int, key: bytes) -> None:
    first = pseudonymise(person_id, key)
    assert first == pseudonymise(person_id, key)
    assert is_pseudonym(first) and len(first) == 2 + 32  # 128 bits of hex


@settings(max_examples=200, deadline=None)
@given(ids, ids, keys)
def test_distinct_ids_get_distinct_pseudonyms(a: str | int, b: str | int, key: bytes) -> None:
    if str(a).strip() == str(b).strip():
        assert pseudonymise(a, key) == pseudonymise(b, key)
    else:
        assert pseudonymise(a, key) != pseudonymise(b, key)


@settings(max_examples=200, deadline=None)
@given(ids, keys, keys)
def test_the_key_matters(person_id: str | int, key1: bytes, key2: bytes) -> None:
    if key1 != key2:
        assert pseudonymise(person_id, key1) != pseudonymise(person_id, key2)


def test_it_is_hmac_sha256_not_a_plain_hash() -> None:
    value = pseudonymise("ES-123", KEY_A)
    assert value[2:] != hashlib.sha256(b"ES-123").hexdigest()[:32]
    expected = hmac.new(KEY_A, b"almp-workbench/person/v1\x00ES-123", "sha256").hexdigest()
    assert value == "p_" + expected[:32]


@pytest.mark.parametrize("bad", ["", "   ", None, 1.5, True])
def test_unusable_ids_are_refused(bad: object) -> None:
    with pytest.raises(InvalidInput, match="person_id"):
        pseudonymise(bad, KEY_A)  # type: ignore[arg-type]


def test_short_keys_are_refused() -> None:
    with pytest.raises(InvalidInput, match="at least 32 bytes"):
        pseudonymise("x", b"short")


def test_frame_replaces_ids_and_keeps_no_raw_id() -> None:
    frame = pd.DataFrame({"person_id": ["A1", "B2", "A1", 7], "region": ["ES61"] * 4})
    out = pseudonymise_frame(frame, KEY_A)
    assert list(out["person_id"]) == [
        pseudonymise("A1", KEY_A),
        pseudonymise("B2", KEY_A),
        pseudonymise("A1", KEY_A),
        pseudonymise(7, KEY_A),
    ]
    assert not out.isin(["A1", "B2", 7, "7"]).any().any()
    assert list(frame["person_id"]) == ["A1", "B2", "A1", 7]  # the input is not changed
    assert list(pseudonymise_frame(out, KEY_A)["person_id"]) == list(out["person_id"])


def test_frame_names_the_rows_with_bad_ids() -> None:
    frame = pd.DataFrame({"person_id": ["A1", "", None]})
    with pytest.raises(InvalidInput) as caught:
        pseudonymise_frame(frame, KEY_A)
    text = str(caught.value)
    assert "row 2" in text and "row 3" in text and "row 1" not in text


def test_create_then_load(tmp_path: Path) -> None:
    path = create_key(tmp_path / "conf" / "pseudonym.key")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) & 0o077 == 0
    key = load_key(path)
    assert len(key) == 32
    assert load_key(path) == key
    other = create_key(tmp_path / "other.key")
    assert load_key(other) != key  # random, not derived from the path


def test_create_never_replaces_a_key(tmp_path: Path) -> None:
    path = create_key(tmp_path / "k")
    before = path.read_bytes()
    with pytest.raises(InvalidInput, match="already exists"):
        create_key(path)
    assert path.read_bytes() == before


def test_world_or_group_readable_key_is_refused(tmp_path: Path) -> None:
    path = create_key(tmp_path / "k")
    os.chmod(path, 0o644)
    with pytest.raises(InvalidInput, match="readable by others"):
        load_key(path)
    os.chmod(path, 0o640)
    with pytest.raises(InvalidInput, match="readable by others"):
        load_key(path)


def test_key_inside_the_workspace_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    (home / "var").mkdir(parents=True)
    with pytest.raises(InvalidInput, match="inside the workspace"):
        create_key(home / "var" / "pseudonym.key", home=home)
    assert not (home / "var" / "pseudonym.key").exists()
    # a key file put there by hand is refused as well, and so is any folder that
    # looks like a workspace even when the caller did not say which one
    outside = create_key(tmp_path / "outside.key")
    (home / "pseudonym.key").write_bytes(outside.read_bytes())
    os.chmod(home / "pseudonym.key", 0o600)
    with pytest.raises(InvalidInput, match="inside the workspace"):
        load_key(home / "pseudonym.key", home=home)
    for marker in ("case_studies", "templates"):
        (home / marker).mkdir()
    with pytest.raises(InvalidInput, match="inside the workspace"):
        load_key(home / "pseudonym.key")


def test_missing_and_malformed_keys(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="not found"):
        load_key(tmp_path / "none.key")
    bad = tmp_path / "bad.key"
    bad.write_text("not hex\n")
    os.chmod(bad, 0o600)
    with pytest.raises(InvalidInput, match="not a hex key"):
        load_key(bad)
    bad.write_text("ab" * 8 + "\n")
    with pytest.raises(InvalidInput, match="too short"):
        load_key(bad)


def test_key_location_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, str(tmp_path / "env.key"))
    assert key_path() == (tmp_path / "env.key").resolve()
    created = create_key()
    assert created == (tmp_path / "env.key").resolve()
    assert load_key() == load_key(created)
    monkeypatch.delenv(KEY_ENV)
    assert key_path() == Path("~/.config/almp-workbench/pseudonym.key").expanduser().resolve()


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ids, min_size=1, max_size=30))
def test_frame_matches_the_scalar_function(values: list[str | int]) -> None:
    frame = pd.DataFrame({"person_id": pd.Series(values, dtype=object)})
    out = pseudonymise_frame(frame, KEY_B)
    assert list(out["person_id"]) == [pseudonymise(v, KEY_B) for v in values]


def test_require_pseudonyms_refuses_raw_ids_without_echoing_them() -> None:
    import pandas as pd

    from workbench.profiling.pseudonym import require_pseudonyms

    key = b"k" * 32
    good = pd.DataFrame({"person_id": [pseudonymise("ES-1", key), pseudonymise("ES-2", key)]})
    assert require_pseudonyms(good) is good
    raw = pd.DataFrame({"person_id": [pseudonymise("ES-1", key), "ES-SECRET-77", "ES-9"]})
    with pytest.raises(InvalidInput) as err:
        require_pseudonyms(raw, source="jobseekers.csv")
    text = str(err.value)
    assert "2 row(s) hold a raw id" in text and "rows 2, 3" in text
    assert "jobseekers.csv" in text and "workbench pathways pseudonymise" in text
    assert "ES-SECRET-77" not in text and "ES-9" not in text
