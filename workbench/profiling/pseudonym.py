"""Keyed pseudonyms for jobseekers: a PES id never reaches a notebook, table or file.

``pseudonymise(person_id, key)`` is HMAC-SHA256 over the id under a secret key, cut to
128 bits: ``p_`` + 32 hex digits. The same id and key always give the same pseudonym (so
pathways, reviews and outcomes can be joined); without the key nobody can recompute it
from an id, nor reverse it (GDPR Art. 4(5): the "additional information" kept separately).

The key is 32 random bytes (:mod:`secrets`) in a file readable by its owner only (0600),
**outside the workspace** (notebooks, exports and backups of the workspace never carry
it). Its place: ``path``, else the environment variable ``WORKBENCH_PSEUDONYM_KEY_FILE``,
else ``~/.config/almp-workbench/pseudonym.key``. Losing the key breaks the link between
old and new pseudonyms; destroying it on purpose anonymises what was written with it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.config import WORKSPACE_MARKERS
from workbench.exceptions import InvalidInput, Problem

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEFAULT_KEY_FILE",
    "KEY_ENV",
    "PSEUDONYM",
    "create_key",
    "is_pseudonym",
    "key_path",
    "load_key",
    "pseudonymise",
    "pseudonymise_frame",
    "require_pseudonyms",
]

KEY_ENV = "WORKBENCH_PSEUDONYM_KEY_FILE"
DEFAULT_KEY_FILE = Path("~/.config/almp-workbench/pseudonym.key")
#: what a pseudonym looks like: "p_" and 128 bits as lower-case hex
PSEUDONYM = re.compile(r"^p_[0-9a-f]{32}$")
KEY_BYTES = 32
#: domain separation: a key shared with another tool still gives other values here
_CONTEXT = b"almp-workbench/person/v1\x00"


def _problem(path: Path | str, message: str) -> InvalidInput:
    return InvalidInput([Problem(str(path), "pseudonym key", message)])


def key_path(path: Path | str | None = None) -> Path:
    """Where the key lives: ``path``, else ``$WORKBENCH_PSEUDONYM_KEY_FILE``, else the default."""
    chosen = path or os.environ.get(KEY_ENV) or DEFAULT_KEY_FILE
    return Path(chosen).expanduser().resolve()


def _inside_workspace(path: Path, home: Path | None) -> Path | None:
    """The workspace that contains ``path`` (``home``, or any folder that looks like one)."""
    if home is not None and path.is_relative_to(Path(home).expanduser().resolve()):
        return Path(home)
    for folder in path.parents:
        if all((folder / marker).is_dir() for marker in WORKSPACE_MARKERS):
            return folder
    return None


def _refuse_in_workspace(path: Path, home: Path | None) -> None:
    workspace = _inside_workspace(path, home)
    if workspace is not None:
        raise _problem(
            path,
            f"is inside the workspace {workspace}; keep the key outside it (default "
            f"{DEFAULT_KEY_FILE}, or set {KEY_ENV}) so that notebooks, exports and "
            "backups of the workspace never carry it",
        )


def create_key(path: Path | str | None = None, *, home: Path | None = None) -> Path:
    """Write a new random key (0600, folder 0700); never overwrites an existing file.

    Raises :class:`InvalidInput` if the file exists or would be inside the workspace.
    """
    target = key_path(path)
    _refuse_in_workspace(target, home)
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise _problem(
            target, "already exists; refusing to replace it (old pseudonyms would be orphaned)"
        ) from None
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secrets.token_hex(KEY_BYTES) + "\n")
    os.chmod(target, 0o600)  # the umask may have narrowed it further; never wider
    return target


def load_key(path: Path | str | None = None, *, home: Path | None = None) -> bytes:
    """Read the key; refuses one inside the workspace (``home`` or any folder that looks
    like a workspace) or readable by anyone but its owner, and a malformed one."""
    target = key_path(path)
    _refuse_in_workspace(target, home)
    if not target.is_file():
        raise _problem(
            target,
            "not found; create one with `workbench pathways key init` (outside the workspace)",
        )
    mode = stat.S_IMODE(target.stat().st_mode)
    if mode & 0o077:
        raise _problem(
            target, f"is readable by others (mode {mode:04o}); run `chmod 600 {target}` first"
        )
    text = target.read_text(encoding="ascii", errors="replace").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise _problem(target, "is not a hex key written by create_key") from None
    if len(key) < KEY_BYTES:
        raise _problem(target, f"is too short: {len(key)} bytes, at least {KEY_BYTES} needed")
    return key


def _checked_key(key: bytes) -> bytes:
    if not isinstance(key, bytes) or len(key) < KEY_BYTES:
        raise _problem("<key>", f"must be at least {KEY_BYTES} bytes (use load_key())")
    return key


def _id_text(person_id: object, source: str = "<input>", row: int | None = None) -> str:
    where = f"row {row}: " if row is not None else ""
    if isinstance(person_id, bool) or not isinstance(person_id, (str, int)):
        shown = repr(person_id)[:20]
        message = f"{where}must be a text or whole-number id (got {shown})"
        raise InvalidInput([Problem(source, "person_id", message)])
    text = str(person_id).strip()
    if not text:
        raise InvalidInput([Problem(source, "person_id", f"{where}is empty")])
    return text


def pseudonymise(person_id: str | int, key: bytes) -> str:
    """``p_`` + the first 128 bits of HMAC-SHA256(key, id) in hex. Surrounding spaces of the
    id are ignored; the id ``42`` and ``"42"`` give the same pseudonym."""
    mac = hmac.new(_checked_key(key), _CONTEXT + _id_text(person_id).encode("utf-8"), "sha256")
    return "p_" + mac.hexdigest()[:32]


def is_pseudonym(value: object) -> bool:
    """Whether ``value`` has the form of a pseudonym (``p_`` + 32 lower-case hex digits)."""
    return isinstance(value, str) and PSEUDONYM.match(value) is not None


def pseudonymise_frame(frame: pd.DataFrame, key: bytes, column: str = "person_id") -> pd.DataFrame:
    """A copy of ``frame`` whose ``column`` holds pseudonyms instead of ids.

    Values that already are pseudonyms are kept (pseudonymising twice changes nothing).
    The raw ids are not kept anywhere in the result. A missing or empty id is an
    :class:`InvalidInput` naming its row (1 = the first data row).
    """
    base = hmac.new(_checked_key(key), _CONTEXT, hashlib.sha256)
    if column not in frame.columns:
        raise InvalidInput([Problem("<frame>", column, "column is missing")])
    out = frame.copy()
    mapping: dict[object, str] = {}
    problems: list[Problem] = []
    for row, value in enumerate(out[column].tolist(), start=1):
        if value in mapping:
            continue
        if is_pseudonym(value):
            mapping[value] = value  # type: ignore[assignment]
            continue
        try:
            text = _id_text(value, "<frame>", row)
        except InvalidInput as exc:
            problems.extend(exc.problems)
            continue
        mac = base.copy()
        mac.update(text.encode("utf-8"))
        mapping[value] = "p_" + mac.hexdigest()[:32]
    if problems:
        raise InvalidInput(problems)
    out[column] = out[column].map(mapping).astype(str)
    out.attrs["pseudonymised"] = column
    return out


def require_pseudonyms(
    frame: pd.DataFrame, column: str = "person_id", source: str = "<frame>"
) -> pd.DataFrame:
    """``frame`` unchanged if every ``column`` value is a pseudonym; else InvalidInput.

    A notebook calls this on a jobseeker table before using it, so raw ids never reach a
    notebook: the table is pseudonymised outside the workspace's notebooks with
    ``workbench pathways pseudonymise``. The error names the first rows (1 = the first
    data row) but never echoes the raw ids.
    """
    if column not in frame.columns:
        raise InvalidInput([Problem(source, column, "column is missing")])
    bad = [i for i, v in enumerate(frame[column].tolist(), start=1) if not is_pseudonym(v)]
    if not bad:
        return frame
    rows = ", ".join(str(i) for i in bad[:10]) + (
        f" and {len(bad) - 10} more" if len(bad) > 10 else ""
    )
    raise InvalidInput(
        [
            Problem(
                source,
                column,
                f"{len(bad)} row(s) hold a raw id, not a pseudonym (rows {rows}); raw ids must "
                "not reach a notebook: run `workbench pathways pseudonymise --input TABLE "
                "--output PSEUDONYMISED.csv` and use its output",
            )
        ]
    )
