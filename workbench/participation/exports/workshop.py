"""A workshop read into the export's tidy tables (one row per answer).

Participants appear only by their pseudonymous id (``p-…``): display names and token
hashes are never read. Hidden content is left out: comments hidden by moderation and
votes on hidden statements (hidden by moderation, or redacted when their author's data
was erased).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from workbench.db import Database, records
from workbench.db.models import Feedback, Moderation, Participant, Statement, Workshop
from workbench.exceptions import WorkshopNotFound
from workbench.participation.exports import content, tuning
from workbench.participation.exports.tables import TABLES, iso, make_frame
from workbench.participation.feedback import VOTES, template_version_pin

if TYPE_CHECKING:
    import pandas as pd

_VOTE_NAMES = {value: name for name, value in VOTES.items()}


def workshop_tables(db: Database, workshop_id: int) -> dict[str, pd.DataFrame]:
    """A workshop's tidy tables (see :data:`TABLES`), read from one database snapshot."""
    with db.session() as s:
        records.snapshot(s)
        found = records.workshop_with_publication(s, workshop_id=workshop_id)
        if found is None:
            raise WorkshopNotFound(f"no workshop with id {workshop_id}")
        workshop, pub = found
        rounds = records.rounds_of(s, workshop_id=workshop_id)
        participants = records.participants_of(s, workshop_id=workshop_id)
        feedback = records.feedback_with_authors(s, workshop_id=workshop_id)
        statements = records.statements_with_authors(s, workshop_id=workshop_id)
        moderation = records.moderation_of(s, workshop_id=workshop_id)
        tuned = tuning.tuning_tables(s, workshop)
    rows: dict[str, list[list[Any]]] = {name: [] for name in TABLES}
    default, offered = content.workshop_languages(workshop.spec)
    rows["workshop"].append(
        [
            workshop.id,
            workshop.title,
            workshop.case_slug,
            workshop.state,
            workshop.current_round,
            workshop.scale_max,
            workshop.expected_participants,
            iso(workshop.created_at),
            iso(workshop.opened_at),
            iso(workshop.closed_at),
            workshop.retention_days,
            pub.bundle_hash,
            template_version_pin(pub),
            pub.synthetic_data,
            default,
            ";".join(offered),
            int(workshop.spec.get("points") or 0),
            ";".join(f"{g}={n}" for g, n in (workshop.spec.get("expected_mix") or {}).items()),
        ]
    )
    rows["rounds"] = [
        [
            r.number,
            iso(r.opened_at),
            iso(r.closed_at),
            "all" if r.reask is None else ";".join(r.reask),
        ]
        for r in rounds
    ]
    rows["participants"] = [_participant_row(p) for p in participants]
    groups = {p.public_id: p.stakeholder_group or "" for p in participants}
    rows.update(_answer_rows(workshop, feedback, statements, groups))
    rows["statements"] = [
        [st.id, st.text, st.origin, st.status, author or "", st.language or ""]
        for st, author in statements
    ]
    rows["moderation"] = [_moderation_row(m) for m in moderation]
    # the tables with variable columns: (columns, rows) each
    variable = {
        **tuned,
        content.CONTENT: content.content_table(workshop.spec, [st for st, _ in statements]),
    }
    rows.update({name: r for name, (_, r) in variable.items()})
    columns = {name: c for name, (c, _) in variable.items()}
    return {name: make_frame(name, rows[name], columns.get(name)) for name in TABLES}


def _participant_row(p: Participant) -> list[Any]:
    return [
        p.public_id,
        p.stakeholder_group or "",
        iso(p.consent_at),
        iso(p.created_at),
        iso(p.last_seen_at),
    ]


def _moderation_row(m: Moderation) -> list[Any]:
    return [m.target_kind, m.target_id, m.action, m.reason, m.actor, iso(m.created_at)]


def _answer_rows(
    workshop: Workshop,
    feedback: Sequence[tuple[Feedback, str]],
    statements: Sequence[tuple[Statement, str | None]],
    groups: dict[str, str],
) -> dict[str, list[list[Any]]]:
    spec = workshop.spec
    options = {o["key"]: (i, o["label"]) for i, o in enumerate(spec.get("options", []))}
    criteria = {c["key"]: (i, c["label"]) for i, c in enumerate(spec.get("criteria", []))}

    def option(key: str) -> tuple[int, str]:
        return options.get(key, (len(options), key))

    def criterion(key: str) -> tuple[int, str]:
        return criteria.get(key, (len(criteria), key))

    votable = {st.id for st, _ in statements if st.status != "hidden"}
    keyed: dict[str, list[tuple[tuple[Any, ...], list[Any]]]] = {
        "ratings": [],
        "approvals": [],
        "rankings": [],
        "points": [],
        "comments": [],
        "votes": [],
    }
    for row, who in feedback:
        head = [row.round, who]
        if row.kind == "rating":
            _, opt, crit = row.item.split(":", 2)
            (oi, olabel), (ci, clabel) = option(opt), criterion(crit)
            keyed["ratings"].append(
                (
                    (row.round, who, oi, opt, ci, crit),
                    [
                        *head,
                        opt,
                        olabel,
                        crit,
                        clabel,
                        int(row.value),
                        row.revision,
                        iso(row.updated_at),
                    ],
                )
            )
        elif row.kind == "approval":
            opt = row.item.removeprefix("approval:")
            oi, olabel = option(opt)
            keyed["approvals"].append(
                ((row.round, who, oi, opt), [*head, opt, olabel, bool(row.value)])
            )
        elif row.kind == "ranking":
            for rank, opt in enumerate(row.value or [], start=1):
                keyed["rankings"].append(
                    ((row.round, who, rank), [*head, opt, option(opt)[1], rank])
                )
        elif row.kind == "points":
            crit = row.item.removeprefix("points:")
            ci, clabel = criterion(crit)
            keyed["points"].append(
                (
                    (row.round, who, ci, crit),
                    [*head, groups.get(who, ""), crit, clabel, int(row.value)],
                )
            )
        elif row.kind == "comment" and row.status == "visible":
            about = row.item.removeprefix("comment:")
            order = -1 if about == "general" else option(about)[0]
            keyed["comments"].append(
                (
                    (row.round, who, order, about, row.id),
                    [row.id, *head, about, str(row.value), row.language or ""],
                )
            )
        elif row.kind == "vote":
            sid = int(row.item.removeprefix("vote:"))
            if sid in votable:
                value = int(row.value)
                keyed["votes"].append(
                    ((row.round, who, sid), [*head, sid, _VOTE_NAMES[value], value])
                )
    return {
        name: [r for _, r in sorted(items, key=lambda x: x[0])] for name, items in keyed.items()
    }
