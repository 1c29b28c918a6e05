"""The participatory loop, end to end, through the real CLI and servers (issue 14).

A real-data case study (Andalucía) runs on real kernels and is served by ``workbench
serve``. Eleven simulated participants in two camps answer round 1: one employer and one
union member through the app server, over the kernel websocket as a browser does
(benchmarks/_driver.py: join, rate, allocate points; Save stays disabled at 95 points),
the other nine through the same service call the app makes; ``workbench tune`` proposes a
version, ``workbench recommendation accept`` re-runs the policy mix with it (the other
runs come from the cache) and republishes; in round 2 a participant opens the app in
headless Chromium and sees the tuned ranking and the "what changed since the last round"
panel. A rollback to the evidence-based proposal is a cache hit that restores the first
app's run hashes. Screenshot: ``test-artifacts/app-tuned-proposal.png``.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import _axe
import _participants as pt
import _serve
import pytest
from click.testing import CliRunner
from tornado.httpclient import AsyncHTTPClient

from workbench.cli import cli as workbench_cli
from workbench.config import Settings
from workbench.service import Workbench
from workbench.workspace import init_workspace

pytestmark = pytest.mark.databases("sqlite")

SLUG = "es61-andalucia-jobs"
#: camp -> (participants, points over the criteria)
CAMPS = {
    "employers": (6, {"effectiveness": 10, "feasibility": 30, "fairness": 0, "employer_fit": 60}),
    "unions": (5, {"effectiveness": 30, "feasibility": 30, "fairness": 40, "employer_fit": 0}),
}
IN_APP = 1  # per camp: participants who answer in the app (the rest through the service)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("loop") / "ws"
    init_workspace(path, cases=[SLUG])
    result = CliRunner().invoke(
        workbench_cli,
        ["--home", str(path), "run", SLUG, "--workers", "2", "--no-progress"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output + result.stderr
    yield path


def _cli(home: Path, *args: str) -> str:
    result = CliRunner().invoke(workbench_cli, ["--home", str(home), *args])
    assert result.exit_code == 0, result.output + result.stderr
    return result.output


def _ratings(options: list[str], criteria: list[str], rng: random.Random) -> dict:
    """Everyone rates the evidence's last option best on feasibility and employer fit."""
    last = options[-1]
    out = {}
    for i, option in enumerate(options):
        base = max(1, 4 - i)
        out[option] = {
            c: min(5, max(1, (5 if option == last and c in ("feasibility", "employer_fit")
                              else base) + rng.choice((-1, 0, 0, 1))))
            for c in criteria
        }  # fmt: skip
    return out


@dataclass(frozen=True)
class Answer:
    """One participant's round-1 answers and personal link."""

    group: str
    name: str
    url: str
    ratings: dict[str, dict[str, int]]
    points: dict[str, int]
    in_app: bool  # through the app server (else through the service)


def _plan_round_1(wb: Workbench, workshop_id: int) -> list[Answer]:
    """Everyone's answers: a fixed seed, so the ratings do not depend on who answers where."""
    info = wb.workshops.get(workshop_id)
    options = [o["key"] for o in info.options]
    criteria = [c["key"] for c in info.criteria]
    rng = random.Random(14)
    return [
        Answer(group, f"{group} {n}", link.url, _ratings(options, criteria, rng), points,
               in_app=n < IN_APP)
        for group, (count, points) in CAMPS.items()
        for n, link in enumerate(wb.workshops.links(workshop_id, count))
    ]  # fmt: skip


def _answer_through_service(wb: Workbench, workshop_id: int, answers: list[Answer]) -> None:
    """Register and submit as the app does, through the service call it makes."""
    for a in answers:
        token = parse_qs(urlsplit(a.url).query)["token"][0]
        wb.workshops.register(workshop_id, token, display_name=a.name, group=a.group, consent=True)
        for kind, payload in (("rating", {"ratings": a.ratings}), ("points", a.points)):
            receipt = wb.feedback.submit(
                workshop_id=workshop_id, token=token, round_number=1, kind=kind,
                payload=payload, idempotency_key=uuid.uuid4().hex,
            )  # fmt: skip
            assert receipt is not None


async def _answer_in_app(catalog: pt.Catalog, answers: list[Answer]) -> list[list[pt.Submission]]:
    """Each participant opens their link, joins, rates and allocates points (a first try
    5 points short is not saved: Save stays disabled and the counter says why). Pages
    open independently: one answers while the next waits for its kernel."""
    http = AsyncHTTPClient(force_instance=True)
    pages = [pt.Page(a.url, http, timeout=180, catalog=catalog) for a in answers]

    async def answer(page: pt.Page, a: Answer) -> None:
        result = await page.open()
        assert result.ok, result.error
        assert await page.join(a.name, a.group) == ""
        await page.rate({(o, c): v for o, per in a.ratings.items() for c, v in per.items()})
        await page.save("rating")
        first = next(k for k, v in a.points.items() if v >= 5)
        with pytest.raises(ValueError, match="5 of 100 points left"):
            await page.allocate({**a.points, first: a.points[first] - 5})
        assert not page.save_enabled("points")
        await page.allocate(a.points)

    try:
        await asyncio.gather(*(answer(page, a) for page, a in zip(pages, answers, strict=True)))
    finally:
        for page in pages:
            page.close()
        http.close()
    return [page.submissions for page in pages]


def _policy_mix_hash(wb: Workbench) -> str:
    (app,) = [a for a in wb.apps() if a.case_slug == SLUG]
    return str(app.run_hashes["policy_mix"])


def test_tune_accept_republish_show_the_change_then_roll_back(home: Path, browser) -> None:  # type: ignore[no-untyped-def]
    db_url = Settings(home=home).database_url
    serve = _serve.launch(home, db_url, expected=1, slug=SLUG)
    try:
        wid = serve.workshop_id
        wb = serve.service()
        try:
            before = wb.workshops.get(wid)
            evidence_order = [o["key"] for o in before.options]
            labels = {o["key"]: o["label"] for o in before.options}
            first_hash = _policy_mix_hash(wb)
            answers = _plan_round_1(wb, wid)
            in_app = [a for a in answers if a.in_app]
            # Playwright's loop runs in this thread (the browser fixture): the pages get
            # their own, and answer while the others go through the service
            with ThreadPoolExecutor(1) as pool:
                done = pool.submit(asyncio.run, _answer_in_app(serve.catalog(), in_app))
                _answer_through_service(wb, wid, [a for a in answers if not a.in_app])
                subs = done.result()
        finally:
            wb.close()
        assert [[(s.kind, s.status) for s in mine] for mine in subs] == [
            [("rating", "acknowledged"), ("points", "acknowledged")]
        ] * len(in_app)
        db = pt.stored(serve.db_url, wid)
        for a, mine in zip(in_app, subs, strict=True):
            (pid,) = [p for p, n in db.names.items() if n == a.name]
            rows = {f["item"]: f["value"] for f in db.feedback if f["participant_id"] == pid}
            assert mine[1].payload == a.points  # what the page showed is what the kernel sent
            assert rows == {
                **{f"points:{c}": v for c, v in a.points.items()},
                **{f"rating:{o}:{c}": v for o, per in a.ratings.items() for c, v in per.items()},
            }

        tuned = _cli(home, "tune", str(wid), "--round", "1", "--draws", "400", "--by", "Ana")
        version = re.search(r"stored as version ([0-9a-f]{12})", tuned)
        assert version, tuned
        short = version.group(1)
        assert "what changed (against the evidence-based proposal" in tuned
        # the same feedback again: the same version, nothing new stored
        again = _cli(home, "tune", str(wid), "--round", "1", "--draws", "400", "--by", "Ana")
        assert f"same inputs as the stored version {short}" in again
        listed = json.loads(_cli(home, "recommendation", "list", "--json"))
        assert [v["short"] for v in listed] == [short]
        assert listed[0]["status"] == "proposed"
        ranking = [r["option"] for r in listed[0]["result"]["ranking"]]
        assert ranking != evidence_order  # the camps moved the evidence's last option up
        assert ranking.index(evidence_order[-1]) < len(evidence_order) - 1

        accepted = _cli(home, "recommendation", "accept", short, "--by", "Ana Facilitator",
                        "--reason", "Round 1: both camps weigh feasibility")  # fmt: skip
        assert f"accepted for {SLUG}: {short}" in accepted
        assert "runs: 1 executed, 2 from the cache" in accepted
        assert f"workshop(s) {wid} now show it" in accepted
        wb = serve.service()
        try:
            tuned_hash = _policy_mix_hash(wb)
            assert tuned_hash != first_hash
            wb.workshops.next_round(wid)
            shown = wb.workshops.get(wid)
            assert shown.current_round == 2
        finally:
            wb.close()

        (link,) = serve.links(1)
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        try:
            page.goto(link, timeout=120_000)
            section = page.locator("section.wb-tuned")
            section.wait_for(timeout=120_000)
            text = section.inner_text()
            assert "The proposal after workshop round 1" in text
            assert f"Version {short}" in text
            assert "What changed since the last round" in text
            assert "Compared with the evidence-based proposal" in text
            assert f"{labels[evidence_order[-1]]} moved from {len(evidence_order)}th" in text
            rows = section.locator("tbody tr").all_inner_texts()
            assert [r.split("\t")[1] for r in rows] == [labels[o] for o in ranking]
            section.scroll_into_view_if_needed()
            page.wait_for_function(
                "[...document.querySelectorAll(\"img[src*='/tuned_ranking.png']\")]"
                ".every(e => e.complete && e.naturalWidth > 0)",
                timeout=30_000,
            )
            _axe.ARTIFACTS.mkdir(exist_ok=True)
            section.screenshot(path=str(_axe.ARTIFACTS / "app-tuned-proposal.png"))
            _axe.check_axe(page, "app-tuned-proposal")
        finally:
            page.close()

        # a second version (another method and group rule), accepted, then rolled back to
        # the first: the first's app again, from the cache; no version is changed
        other = _cli(home, "tune", str(wid), "--round", "1", "--draws", "400", "--by", "Ben",
                     "--method", "topsis", "--groups", "as-present")  # fmt: skip
        second = re.search(r"stored as version ([0-9a-f]{12})", other)
        assert second and second.group(1) != short, other
        accepted = _cli(home, "recommendation", "accept", second.group(1), "--by", "Ben",
                        "--reason", "TOPSIS as the council's check")  # fmt: skip
        assert "runs: 1 executed, 2 from the cache" in accepted
        back = _cli(home, "recommendation", "rollback", short, "--by", "Ana Facilitator",
                    "--reason", "back to the first round's version")  # fmt: skip
        assert "runs: 0 executed, 3 from the cache" in back
        wb = serve.service()
        try:
            assert _policy_mix_hash(wb) == tuned_hash
            assert wb.recommendations.accepted(SLUG).short == short
            assert wb.recommendations.get(second.group(1)).status == "was accepted"
            assert [r["option"] for r in wb.recommendations.get(short).doc()["ranking"]] == ranking
        finally:
            wb.close()
        (link,) = serve.links(1)
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        try:
            page.goto(link, timeout=120_000)
            page.locator("section.wb-tuned").wait_for(timeout=120_000)
            assert f"Version {short}" in page.locator("section.wb-tuned").inner_text()
        finally:
            page.close()

        # back to the evidence-based proposal: every run from the cache, the first hashes
        rolled = _cli(home, "recommendation", "rollback", "evidence", "--case", SLUG,
                      "--by", "Ana Facilitator", "--reason", "the council asked")  # fmt: skip
        assert "runs: 0 executed, 3 from the cache" in rolled
        wb = serve.service()
        try:
            assert _policy_mix_hash(wb) == first_hash
            assert wb.recommendations.accepted(SLUG) is None
            assert wb.recommendations.get(short).status == "was accepted"
            actions = [(e.action, e.version[:12]) for e in wb.recommendations.history(SLUG)]
            two = second.group(1)
            assert actions == [
                ("propose", short), ("accept", short), ("propose", two), ("accept", two),
                ("rollback", short), ("rollback", ""),
            ]  # fmt: skip
        finally:
            wb.close()
        (link,) = serve.links(1)
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        try:
            page.goto(link, timeout=120_000)
            page.get_by_text("What works here: the evidence-based policy mix").wait_for(
                timeout=120_000
            )
            assert page.locator("section.wb-tuned").count() == 0
        finally:
            page.close()
    finally:
        serve.stop()
