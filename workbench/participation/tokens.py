"""Join tokens, workshop codes and pseudonymous ids.

Tokens carry 192 random bits (``secrets``) and only their SHA-256 is stored: a token is
high-entropy, so a plain digest cannot be brute-forced, and a leaked database gives no
way in.
"""

from __future__ import annotations

import hashlib
import re
import secrets

TOKEN_BYTES = 24  # 192 bits
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{22,64}$")


def new_token() -> str:
    """A fresh URL-safe join token (192 random bits)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def looks_like_token(value: object) -> bool:
    """Cheap shape check before any database lookup."""
    return isinstance(value, str) and bool(_TOKEN_RE.match(value))


def new_public_id() -> str:
    """A pseudonymous participant id for exports, e.g. ``p-3f9c2a7d41``."""
    return "p-" + secrets.token_hex(5)
