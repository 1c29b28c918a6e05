"""Delphi rounds: what the next round shows and re-asks, frozen when it opens.

When a facilitator starts round r+1, the ratings of round r are summarised per item
(``option:criterion``): number of ratings, median, quartiles, IQR, the 70/15 agreement
and consensus. Participants see that summary (no names, no individual answers) and are
asked again only about the items without consensus.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.db.models import Workshop


def delphi_setup(
    session: Any, workshop: Workshop
) -> tuple[list[str] | None, dict[str, Any] | None]:
    """(items to re-ask, anonymised results) of the workshop's current round.

    Without any rating in the current round, every item is asked again (None, None).
    """
    from workbench.db.analytics import load_frame
    from workbench.participation.aggregates import rating_stats

    assert workshop.id is not None
    frame = load_frame(session, workshop_id=workshop.id, round_number=workshop.current_round)
    if not len(frame.rating_value):
        return None, None
    stats = rating_stats(
        frame.rating_item, frame.rating_value, n_items=frame.n_items, scale_max=frame.scale_max
    )
    keys = frame.item_keys()
    items = {}
    for i, key in enumerate(keys):
        row = stats.row(i)
        if not row["n"]:
            continue
        items[key] = {
            name: row[name] for name in ("n", "median", "q1", "q3", "iqr", "agreement", "consensus")
        }
    results = {
        "round": workshop.current_round,
        "scale_max": frame.scale_max,
        "participants": len(np.unique(frame.rating_participant)),
        "items": items,
    }
    reask = [key for key in keys if not items.get(key, {}).get("consensus", False)]
    return reask, results
