"""Benchmark: a round change and a reload wave after the first join burst (issue 10).

The second half of benchmarks/bench_workshop.py (``--waves`` there runs this after the
join bursts; it also runs alone). One app server, ``python -m workbench.appserver``, with
a warmed workshop of N (default 30) participants, in the same run as a baseline server
whose reload grace period is 0 (``WORKBENCH_RELOAD_GRACE_S=0``: every reload needs a
kernel, as before this issue):

1. **wave 1**: N pages join at once (as in bench_workshop: GET, kernel websocket,
   ``request_states``); TTI per page;
2. **round change**: with the N pages open, the facilitator starts round 2; each page's
   widget mirror (benchmarks/_driver.py) is watched until its banner says "Round 2 is
   open": the time until every page shows round 2, and the kernels before and after
   (no page may need a new kernel: each page's websocket stays on the kernel it had);
3. **wave 2**: ``--gap`` seconds (default 30) after wave 1 started, every page reloads as a
   browser does (the tab-close beacon, then the same personal link again), all at once;
   TTI per page, how many pages got their own kernel back ("reattached") and memory.

Targets (issue 10): wave-2 p95 <= 3 s on 2 cores; every page shows round 2 within 5 s with
no new kernel for any page. The ratio printed is baseline wave-2 p95 / ours wave-2 p95.
SYNTHETIC demo data (es61-manufacturing-youth), as in bench_workshop.

Usage: python benchmarks/bench_waves.py [--n 30] [--gap 30] [--no-baseline] [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_workshop as bw
from _driver import Page, open_pages
from tornado.httpclient import AsyncHTTPClient, HTTPClientError

from workbench.config import Settings
from workbench.service import Workbench

TARGET_WAVE2_P95 = 3.0
TARGET_ROUND_S = 5.0
ROUND_TEXT = "Round 2 is open"


@dataclass
class Waves:
    """What one server did in the three phases."""

    name: str
    n: int
    wave1: list[float] = field(default_factory=list)
    wave1_failed: list[str] = field(default_factory=list)
    round_s: list[float] = field(default_factory=list)  # per page; missing = never switched
    round_kernels: tuple[int, int] = (0, 0)
    round_same_kernel: int = 0
    wave2: list[float] = field(default_factory=list)
    wave2_failed: list[str] = field(default_factory=list)
    reattached: int = 0
    same_kernel: int = 0
    mem_after: tuple[float, float | None] = (0.0, None)
    kernels_after: int = 0


def _shows_round_two(page: Page) -> bool:
    return any(ROUND_TEXT in text for text in page.texts())


async def _beacon(http: AsyncHTTPClient, port: int, kernel_id: str) -> None:
    """The tab-close request a browser sends on unload (navigator.sendBeacon)."""
    url = f"http://127.0.0.1:{port}/voila/api/shutdown/{kernel_id}"
    with contextlib.suppress(HTTPClientError):
        await http.fetch(url, method="POST", body=b"", request_timeout=10)


async def run_server(
    name: str, extra_env: dict[str, str], args: argparse.Namespace, home: Path, root: Path,
    env: dict[str, str],
) -> Waves:  # fmt: skip
    n = args.n
    port = bw.free_port()
    server_env = {**env, **extra_env, "WORKBENCH_APP_PORT": str(port)}
    service = Workbench(Settings(home=home, db_url=env["WORKBENCH_DB_URL"], app_port=port))
    info = service.create_workshop(bw.SLUG, expected=n, title=f"Waves {name}")
    service.workshops.open(info.id)
    urls = [link.url for link in service.workshops.links(info.id, n)]
    log = root / f"waves-{name.split()[0]}.log"
    server = bw.Server(name, [sys.executable, "-m", "workbench.appserver"], server_env, log)
    out = Waves(name, n)
    pages: list[Page] = []
    try:
        await bw.wait_pool(port, n, server, timeout=900)
        await bw.wait_quiet(server, timeout=300)
        print(f"  {name}: wave 1 ({n} join) ...", end=" ", flush=True)
        start = time.perf_counter()
        pages, results, http = await open_pages(urls, None, timeout=args.timeout)
        out.wave1 = sorted(r.tti for r in results if r.ok and r.tti is not None)
        out.wave1_failed = [r.error for r in results if not r.ok]
        print(f"p95 {bw.fmt(bw.percentile(out.wave1, 95)).strip()}", flush=True)

        live = [p for p, r in zip(pages, results, strict=True) if r.ok]
        kernels_before = len(server.kernels())
        ids_before = {id(p): p.kernel_id for p in live}
        changed_at = time.perf_counter()
        service.workshops.next_round(info.id)
        seen: dict[int, float] = {}
        deadline = changed_at + 30
        while len(seen) < len(live) and time.perf_counter() < deadline:
            for p in live:
                if id(p) not in seen and _shows_round_two(p):
                    seen[id(p)] = time.perf_counter() - changed_at
            await asyncio.sleep(0.05)
        out.round_s = sorted(seen.values())
        out.round_kernels = (kernels_before, len(server.kernels()))
        out.round_same_kernel = sum(
            1 for p in live if not p.closed and p.kernel_id == ids_before[id(p)]
        )
        slowest = bw.fmt(out.round_s[-1] if out.round_s else None).strip()
        print(f"  {name}: round change: {len(seen)}/{len(live)} pages show round 2, "
              f"max {slowest}", flush=True)  # fmt: skip

        await asyncio.sleep(max(0.0, args.gap - (time.perf_counter() - start)))
        old = {p.url: p.kernel_id for p in live}
        await asyncio.gather(*(_beacon(http, port, p.kernel_id) for p in live))
        for p in pages:
            p.close()
        http.close()
        print(f"  {name}: wave 2 ({n} reload) ...", end=" ", flush=True)
        pages, results, http = await open_pages(urls, None, timeout=args.timeout)
        out.wave2 = sorted(r.tti for r in results if r.ok and r.tti is not None)
        out.wave2_failed = [r.error for r in results if not r.ok]
        out.same_kernel = sum(
            1 for p, r in zip(pages, results, strict=True) if r.ok and old.get(p.url) == r.kernel_id
        )
        health = await bw.get_json(f"http://127.0.0.1:{port}/workbench/health") or {}
        out.reattached = int(health.get("reattached", 0))
        out.mem_after = server.memory()
        out.kernels_after = len(server.kernels())
        print(f"p95 {bw.fmt(bw.percentile(out.wave2, 95)).strip()}, "
              f"{len(out.wave2_failed)} failed", flush=True)  # fmt: skip
        for p in pages:
            p.close()
        http.close()
    finally:
        left = server.stop()
        if left:
            print(f"WARNING: {name}: processes left after shutdown: {left}")
        service.workshops.close(info.id)
        service.close()
    return out


def report(runs: list[Waves]) -> bool:
    """Print the table and the targets; True if every target passed."""
    print()
    cols = ["server", "wave1 p95", "round p95", "round max", "switched", "kernels",
            "wave2 p95", "wave2 max", "failed", "own kernel", "RSS after", "PSS after"]  # fmt: skip
    widths = [24, 10, 10, 10, 9, 10, 10, 10, 7, 11, 10, 10]

    def row(cells: list[str]) -> str:
        return " ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in
                        enumerate(zip(cells, widths, strict=True)))  # fmt: skip

    print(row(cols))
    print("-" * (sum(widths) + len(widths) - 1))
    for w in runs:
        pss = w.mem_after[1]
        print(row([
            w.name, bw.fmt(bw.percentile(w.wave1, 95)), bw.fmt(bw.percentile(w.round_s, 95)),
            bw.fmt(w.round_s[-1] if w.round_s else None),
            f"{len(w.round_s)}/{w.n - len(w.wave1_failed)}",
            f"{w.round_kernels[0]}->{w.round_kernels[1]}",
            bw.fmt(bw.percentile(w.wave2, 95)), bw.fmt(w.wave2[-1] if w.wave2 else None),
            str(len(w.wave2_failed)), f"{w.same_kernel}/{w.n}",
            f"{w.mem_after[0]:.0f} MB", "-" if pss is None else f"{pss:.0f} MB",
        ]))  # fmt: skip
    print("round: facilitator's next-round -> the page's banner says round 2 (widget update).")
    print("kernels: app kernels before -> after the round change (pool refills included).")
    print("own kernel: reloaded pages that came back on the kernel they had (reattached).")
    for w in runs:
        for error in sorted(set(w.wave1_failed + w.wave2_failed)):
            count = (w.wave1_failed + w.wave2_failed).count(error)
            print(f"  {w.name}: {count} x {error}")

    ours = runs[0]
    print("\ntargets:")
    p95 = bw.percentile(ours.wave2, 95)
    good_wave = p95 is not None and p95 <= TARGET_WAVE2_P95 and not ours.wave2_failed
    print(f"  wave-2 p95 <= {TARGET_WAVE2_P95:.0f} s (ours)              : {bw.fmt(p95)}   "
          f"{'PASS' if good_wave else 'MISS'}")  # fmt: skip
    slowest = ours.round_s[-1] if ours.round_s else None
    switched_all = len(ours.round_s) == ours.n - len(ours.wave1_failed)
    good_round = (
        switched_all and slowest is not None and slowest <= TARGET_ROUND_S
        and ours.round_same_kernel == len(ours.round_s)
    )  # fmt: skip
    print(f"  every page in round 2 <= {TARGET_ROUND_S:.0f} s, same kernels: {bw.fmt(slowest)}   "
          f"{'PASS' if good_round else 'MISS'}")  # fmt: skip
    if len(runs) > 1:
        base = bw.percentile(runs[1].wave2, 95)
        if base and p95:
            print(f"  baseline/ours wave-2 p95: {base / p95:.1f} x "
                  f"(baseline {len(runs[1].wave2_failed)} failed pages)")  # fmt: skip
        else:
            print(f"  baseline/ours wave-2 p95: n/a (baseline: {len(runs[1].wave2)} pages ok, "
                  f"{len(runs[1].wave2_failed)} failed)")  # fmt: skip
    return good_wave and good_round


async def run_all(args: argparse.Namespace, home: Path, root: Path, env: dict[str, str]) -> bool:
    runs = [await run_server("ours", {}, args, home, root, env)]
    if not args.no_baseline:
        runs.append(
            await run_server(
                "baseline (no reload grace)", {"WORKBENCH_RELOAD_GRACE_S": "0"}, args, home,
                root, env,
            )
        )  # fmt: skip
    return report(runs)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of this benchmark (also offered by bench_workshop --waves)."""
    parser.add_argument("--gap", type=float, default=30.0, help="s from wave 1 to wave 2")
    parser.add_argument("--no-baseline", action="store_true", help="skip the baseline server")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30, help="participants (default 30)")
    parser.add_argument("--timeout", type=float, default=120.0, help="s per page")
    parser.add_argument("--keep", type=Path, help="keep the workspace and server logs here")
    add_arguments(parser)
    args = parser.parse_args()
    root = (args.keep or Path(tempfile.mkdtemp(prefix="wb-bench-waves-"))).resolve()
    root.mkdir(parents=True, exist_ok=True)
    try:
        print(f"setup: workspace, `workbench run {bw.SLUG}`, publish ...", flush=True)
        home, env = bw.setup(root)
        asyncio.run(run_all(args, home, root, env))
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
