"""REST handlers of tuned recommendations (``/workbench/api/...``). All need Jupyter auth.

- ``GET  workshops/ID/tuning?round&method&groups&draws&seed``: the preview (nothing stored);
- ``POST workshops/ID/tuning {"by", "round"?, "method"?, "groups"?, "draws"?, "seed"?}``:
  propose a version (201; ``created`` is false when the same inputs were tuned before);
- ``GET  recommendations?case&workshop``, ``GET recommendations/VERSION``;
- ``POST recommendations/VERSION/accept {"by", "reason"}`` and
  ``POST recommendations/VERSION/rollback {"by", "reason", "case"?}`` (VERSION ``evidence``
  with ``case``: the evidence-based proposal). These re-run and republish, so they answer
  when the runs are done.

Thin over :class:`workbench.participation.recommendations.RecommendationService`.
"""

from __future__ import annotations

from typing import Any

import tornado.web
from jupyter_server.utils import url_path_join

from workbench.server.base import ApiBase

__all__ = ["recommendation_routes"]

_METHODS = ("weighted-sum", "topsis")
_RULES = ("equal", "as-present", "expected-mix")
_MAX_DRAWS = 100_000


def _choice(value: Any, name: str, allowed: tuple[str, ...], default: str) -> str:
    if value is None:
        return default
    if value not in allowed:
        raise tornado.web.HTTPError(400, f"{name} must be one of {', '.join(allowed)}")
    return str(value)


def _number(value: Any, name: str, default: int | None, low: int, high: int) -> int | None:
    if value is None:
        return default
    if isinstance(value, str):
        if not value.isdigit() or len(value) > 9:
            raise tornado.web.HTTPError(400, f"{name} must be a whole number")
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise tornado.web.HTTPError(400, f"{name} must be a whole number from {low} to {high}")
    return value


def _options(get: Any) -> dict[str, Any]:
    return {
        "method": _choice(get("method"), "method", _METHODS, "weighted-sum"),
        "group_rule": _choice(get("groups"), "groups", _RULES, "equal"),
        "n_draws": _number(get("draws"), "draws", 1000, 1, _MAX_DRAWS),
        "seed": _number(get("seed"), "seed", 0, 0, 2**31 - 1),
    }


def _workshop(text: str) -> int:
    if len(text) > 9:
        raise tornado.web.HTTPError(404, "no such workshop")
    return int(text)


class TuningApi(ApiBase):
    """GET: the tuning preview of a round. POST: propose it as a version."""

    @tornado.web.authenticated
    async def get(self, workshop_id: str) -> None:
        from workbench.participation.tuning import tune_round

        options = _options(lambda k: self.get_argument(k, None))
        number = _number(self.get_argument("round", None), "round", None, 1, 10_000)

        def preview() -> dict[str, Any]:
            result = tune_round(self.wb, _workshop(workshop_id), number, **options)
            return {**result.to_dict(), "sensitivity_lines": result.sensitivity_lines()}

        await self.call(preview)

    @tornado.web.authenticated
    async def post(self, workshop_id: str) -> None:
        body = self.body()
        options = _options(body.get)
        number = _number(body.get("round"), "round", None, 1, 10_000)

        def propose() -> dict[str, Any]:
            found = self.wb.recommendations.propose(
                _workshop(workshop_id), number, by=body.get("by"), **options
            )
            return {**found.info.as_dict(), "created": found.created}

        await self.call(propose, status=201)


class RecommendationsApi(ApiBase):
    """GET: stored versions (``case``, ``workshop`` filters)."""

    @tornado.web.authenticated
    async def get(self) -> None:
        workshop = self.get_argument("workshop", None)
        await self.call(
            self.wb.recommendations.list,
            case_slug=self.get_argument("case", None),
            workshop_id=None if workshop is None else _number(workshop, "workshop", None, 1,
                                                              2**31 - 1),
        )  # fmt: skip


class RecommendationApi(ApiBase):
    """GET one version; POST accept or rollback (``by`` and ``reason`` required)."""

    @tornado.web.authenticated
    async def get(self, version: str, action: str | None = None) -> None:
        if action:
            raise tornado.web.HTTPError(405, "use POST to accept or roll back")
        await self.call(self.wb.recommendations.get, version)

    @tornado.web.authenticated
    async def post(self, version: str, action: str | None = None) -> None:
        if action not in ("accept", "rollback"):
            raise tornado.web.HTTPError(405, "POST recommendations/VERSION/accept or /rollback")
        body = self.body()
        service = self.wb.recommendations
        if action == "accept":
            await self.call(service.accept, version, by=body.get("by"), reason=body.get("reason"))
        else:
            case = body.get("case")
            await self.call(
                service.rollback, version, by=body.get("by"), reason=body.get("reason"),
                case_slug=None if case is None else str(case),
            )  # fmt: skip


def recommendation_routes(base: str) -> list[tuple[str, type[ApiBase]]]:
    """The routes of this module under ``base`` (``<base_url>/workbench``)."""
    version = r"(?P<version>[0-9a-f]{4,64}|evidence)"
    return [
        (url_path_join(base, r"api/workshops/(?P<workshop_id>\d+)/tuning"), TuningApi),
        (url_path_join(base, "api/recommendations"), RecommendationsApi),
        (
            url_path_join(base, f"api/recommendations/{version}(?:/(?P<action>accept|rollback))?"),
            RecommendationApi,
        ),
    ]
