"""Tuned recommendation versions in a workshop export (issue 14): three tables.

- ``recommendations``: one row per tuned version of the workshop (oldest first) with its
  parameters, weights, ranking, "what changed" lines and status;
- ``recommendation_ranks``: one row per version and option, with the option's rank,
  P(first) and its probability of each place (``p_rank_1`` … ``p_rank_<n>``, ``n`` the
  number of options);
- ``recommendation_events``: the case study's audit log (proposals, acceptances,
  rollbacks), oldest first, with who and why.

:func:`tuning_tables` reads them inside the export's database snapshot
(:mod:`workbench.participation.exports.workshop`), and every format writes them like the
other tables. They hold no participant data: weights and ranks are aggregates, and the
only names are those of the facilitators who proposed, accepted or rolled back a version
(in that role).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from workbench.db import recommendations as store
from workbench.db.models import RecommendationEvent, RecommendationVersion, Workshop
from workbench.participation.exports.columns import ColumnSpec, ExtraColumns
from workbench.tuning.tune import TuningResult
from workbench.tuning.versions import short

__all__ = ["EXTRA", "RANKS", "TABLE_SPECS", "extra_columns", "rank_column", "tuning_tables"]

RANKS = "recommendation_ranks"
_VERSION = ("version", "string", "Tuned version (SHA-256 content hash).")

#: (name, description, columns) of the tuning tables, in export order; a column is
#: (name, Frictionless type, description)
TABLE_SPECS: tuple[tuple[str, str, tuple[ColumnSpec, ...]], ...] = (
    (
        "recommendations",
        "Tuned recommendation versions stored from this workshop's rounds, oldest first.",
        (
            _VERSION,
            ("short", "string", "The version's first 12 characters, as the workbench shows it."),
            (
                "status",
                "string",
                "When exported: accepted (the case's current one), was accepted, or proposed.",
            ),
            ("round", "integer", "Round whose points and ratings were tuned."),
            ("method", "string", "Ranking method: weighted-sum or topsis."),
            (
                "group_rule",
                "string",
                "How stakeholder groups count: equal, as-present or expected-mix.",
            ),
            ("n_draws", "integer", "Bootstrap draws behind the rank probabilities."),
            ("seed", "integer", "Random seed of the draws."),
            (
                "evidence_model",
                "string",
                "Effectiveness model of the evidence criterion; empty if none.",
            ),
            (
                "parent",
                "string",
                "Version accepted for the case when this one was proposed; "
                "empty if none (compared with the evidence-based proposal).",
            ),
            ("input_hash", "string", "Content hash of the tuning's inputs and parameters."),
            ("feedback_rows", "integer", "Points and rating rows the version rests on."),
            ("weights", "string", "Criteria weights used, as JSON {criterion: weight}."),
            (
                "group_weights",
                "string",
                "Mean criteria weights per stakeholder group, as "
                "JSON {group: {criterion: weight}}.",
            ),
            (
                "ranking",
                "string",
                "The tuned ranking, best first, as JSON "
                "[{rank, option, p_first}]; details in recommendation_ranks.",
            ),
            ("changes_against", "string", "What the 'what changed' lines compare with."),
            ("changes", "string", "What changed, one plain-language line each."),
            (
                "sensitivity",
                "string",
                "The ranking under other rules, method and without each group, one line each.",
            ),
            ("created_by", "string", "Facilitator who proposed it."),
            ("created_at", "datetime", "When it was stored (UTC)."),
        ),
    ),
    (
        RANKS,
        "Each tuned version's ranking: one row per option, with the share of bootstrap "
        "draws in which it took each place (p_rank_1 … p_rank_n).",
        (
            _VERSION,
            ("option", "string", "Option key."),
            ("option_label", "string", "Option label shown to participants."),
            ("rank", "integer", "Tuned rank, 1 = best."),
            ("preference", "number", "Score the ranking sorts by (higher is better)."),
            ("p_first", "number", "Share of draws in which the option came first."),
            ("insufficient_evidence", "boolean", "True if the evidence on it was too thin."),
        ),
    ),
    (
        "recommendation_events",
        "The case study's tuned-recommendation log: proposals, acceptances and rollbacks, "
        "oldest first.",
        (
            ("created_at", "datetime", "When (UTC)."),
            ("action", "string", "propose, accept or rollback."),
            (
                "version",
                "string",
                "Version concerned; empty for the evidence-based proposal "
                "without tuning (a rollback to it).",
            ),
            ("from_version", "string", "Version accepted before; empty if none."),
            (
                "of_this_workshop",
                "boolean",
                "True if the version was tuned from this workshop's answers.",
            ),
            ("actor", "string", "Facilitator who acted."),
            ("reason", "string", "Why."),
            ("run_hash", "string", "Policy-mix run the decision produced; empty for a proposal."),
            ("publication_id", "string", "App the decision published; empty for a proposal."),
        ),
    ),
)


def rank_column(k: int) -> ColumnSpec:
    """The ``p_rank_<k>`` column of :data:`RANKS`."""
    return (f"p_rank_{k}", "number", f"Share of draws in which the option was ranked {k}.")


def rank_columns(names: Sequence[str]) -> list[ColumnSpec] | None:
    """The typed ``p_rank_1`` … ``p_rank_n`` columns of :data:`RANKS`; None if ``names``
    are not those."""
    expected = [rank_column(k) for k in range(1, len(names) + 1)]
    return expected if [c[0] for c in expected] == list(names) else None


#: the tuning tables with variable columns after their fixed ones
EXTRA = {RANKS: ExtraColumns(rank_columns, "p_rank_1, p_rank_2, … numbered from 1")}


def extra_columns(name: str, names: Sequence[str]) -> list[ColumnSpec] | None:
    """The typed columns after a table's fixed ones: ``p_rank_1`` … ``p_rank_n`` of
    :data:`RANKS`; None if ``names`` are not those (or the table has no extra columns)."""
    extra = EXTRA.get(name)
    return None if extra is None else extra.columns(names)


def tuning_tables(session: Any, workshop: Workshop) -> dict[str, tuple[list[str], list[list[Any]]]]:
    """The three tables of ``workshop`` (see the module doc): name -> (columns, rows).

    Read with ``session``, inside the export's snapshot.
    """
    versions = list(store.find_versions(session, workshop_id=workshop.id))
    events = list(store.find_events(session, case_slug=workshop.case_slug))
    current, ever = store.decisions(events)
    labels = {str(o["key"]): str(o.get("label") or o["key"]) for o in workshop.spec["options"]}
    results = [TuningResult.from_dict(json.loads(v.result)) for v in versions]
    n = max([len(labels), *(len(r.rank_probabilities) for x in results for r in x.ranking)])
    ranks: list[list[Any]] = []
    for v, result in zip(versions, results, strict=True):
        for r in result.ranking:
            places = list(r.rank_probabilities) + [None] * (n - len(r.rank_probabilities))
            ranks.append(
                [
                    v.version,
                    r.option,
                    labels.get(r.option, r.option),
                    r.rank,
                    r.preference,
                    r.p_first,
                    r.insufficient_evidence,
                    *places,
                ]
            )
    own = {v.version for v in versions}
    fixed = {name: [c[0] for c in columns] for name, _, columns in TABLE_SPECS}
    return {
        "recommendations": (
            fixed["recommendations"],
            [
                _version_row(v, r, store.version_status(v.version, current, ever))
                for v, r in zip(versions, results, strict=True)
            ],
        ),
        RANKS: (fixed[RANKS] + [rank_column(k)[0] for k in range(1, n + 1)], ranks),
        "recommendation_events": (
            fixed["recommendation_events"],
            [_event_row(e, e.version in own) for e in events],
        ),
    }


def _version_row(v: RecommendationVersion, result: TuningResult, status: str) -> list[Any]:
    changes = json.loads(v.changes)
    ranking = [{"rank": r.rank, "option": r.option, "p_first": r.p_first} for r in result.ranking]
    return [
        v.version,
        short(v.version),
        status,
        v.round,
        v.method,
        v.group_rule,
        v.n_draws,
        v.seed,
        v.evidence_model,
        v.parent or "",
        v.input_hash,
        len(json.loads(v.feedback_rows)),
        _json(result.weights),
        _json(result.group_weights),
        _json(ranking),
        str(changes.get("against", "")),
        "\n".join(str(line) for line in changes.get("lines", [])),
        "\n".join(result.sensitivity_lines()),
        v.created_by,
        _iso(v.created_at),
    ]


def _event_row(e: RecommendationEvent, own: bool) -> list[Any]:
    return [
        _iso(e.created_at),
        e.action,
        e.version,
        e.from_version or "",
        own,
        e.actor,
        e.reason,
        e.run_hash or "",
        "" if e.publication_id is None else str(e.publication_id),
    ]


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
