"""Join tokens and workshop codes: 192 random bits (README, tokens.py), stored hashed."""

import base64
import hashlib
import re

from sqlalchemy import inspect, text

from workbench.participation.tokens import (
    hash_token,
    looks_like_token,
    new_public_id,
    new_token,
)

URLSAFE = re.compile(r"^[A-Za-z0-9_-]+$")
#: what the README promises: "192-bit tokens"
PROMISED_BITS = 192


def _entropy_bits(token: str) -> int:
    """Bits carried by a URL-safe base64 token without padding (6 bits per character)."""
    assert URLSAFE.match(token), f"token {token!r} is not URL-safe base64"
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    return len(raw) * 8


def test_tokens_carry_exactly_the_promised_192_random_bits() -> None:
    tokens = [new_token() for _ in range(2000)]
    for token in tokens:
        assert _entropy_bits(token) == PROMISED_BITS
        assert len(token) == PROMISED_BITS // 6 == 32  # 6 bits per character, no padding
        assert looks_like_token(token)
    # The alphabet really is base64url (not, say, hex): all 64 symbols show up.
    assert len(set("".join(tokens))) == 64
    # and every one of the 192 bit positions varies (none is fixed by the encoding)
    raws = [int.from_bytes(base64.urlsafe_b64decode(t), "big") for t in tokens[:200]]
    ones = 0
    for raw in raws:
        ones |= raw
    zeros = 0
    for raw in raws:
        zeros |= ~raw & ((1 << PROMISED_BITS) - 1)
    assert ones == zeros == (1 << PROMISED_BITS) - 1


def test_public_ids_are_ten_hex_digits() -> None:
    ids = [new_public_id() for _ in range(200)]
    assert all(re.fullmatch(r"p-[0-9a-f]{10}", i) for i in ids), ids[:3]


def test_tokens_are_unique_over_10k() -> None:
    tokens = [new_token() for _ in range(10_000)]
    assert len(set(tokens)) == 10_000
    assert len({hash_token(t) for t in tokens}) == 10_000
    ids = [new_public_id() for _ in range(10_000)]
    assert len(set(ids)) == 10_000


def test_join_link_tokens_are_unique_and_strong(env) -> None:
    tokens = env.tokens(500) + env.tokens(500)
    assert len(set(tokens)) == 1000
    for token in tokens:
        assert _entropy_bits(token) == PROMISED_BITS
    hashes = env.rows("SELECT token_hash FROM participant")
    assert len({r["token_hash"] for r in hashes}) == 1000


def test_only_the_sha256_of_a_token_is_stored(env) -> None:
    env.open()
    shared_code = env.token_of(env.workshops.shared_link(env.wid))
    tokens = env.tokens(5)
    env.register(tokens[0])
    env.submit(tokens[0], "comment", {"text": "hello"})
    joined, _ = env.workshops.join_with_code(env.wid, shared_code)
    secrets = [*tokens, joined, shared_code]
    assert [_entropy_bits(s) for s in (joined, shared_code)] == [PROMISED_BITS] * 2

    participants = env.rows("SELECT * FROM participant")
    assert len(participants) == 6
    stored_hashes = {r["token_hash"] for r in participants}
    expected = {hashlib.sha256(t.encode()).hexdigest() for t in [*tokens, joined]}
    assert stored_hashes == expected
    for row in participants:
        for column, value in row.items():
            for secret in secrets:
                assert secret not in str(value), f"participant.{column} contains a join secret"
    # No table anywhere holds a token or the shared code in clear.
    with env.db.engine.connect() as conn:
        tables = inspect(conn).get_table_names()
        assert {"participant", "workshop", "submission", "feedback"} <= set(tables)
        for table in tables:
            for row in conn.execute(text(f"SELECT * FROM {table}")):
                dump = " ".join(str(v) for v in row)
                for secret in secrets:
                    assert secret not in dump, f"table {table} stores a join secret in clear"
    workshop = env.rows("SELECT code_hash FROM workshop WHERE id = :id", id=env.wid)[0]
    assert workshop["code_hash"] == hash_token(shared_code)
