"""Benchmark: workshop join time through the JupyterHub proxy against the app server direct.

A real JupyterHub on 127.0.0.1 (``workbench.hub``: the generated ``jupyterhub_config.py``,
configurable-http-proxy, PostgreSQL for the Hub and the workbench) runs the stakeholder
app server as its service ``/services/workbench-apps/``, with its preheated pool. The
demo case study es61-manufacturing-youth is run and published first (SYNTHETIC data).

After one untimed join each way (the server's first page pays for its templates and
routes), ``--rounds`` times, alternating which way goes first: for each way, a new
workshop opened with ``expected=N``, a wait until the pool holds N started kernels and
the Hub's process tree is idle, and a burst of N simulated participants
(benchmarks/_wsclient.py: GET the join link, open the kernel websocket, wait for the
widget state) starting at the same instant:

- **proxy**: the join links as issued, ``http://127.0.0.1:<hub port>/services/workbench-apps/…``
  (through configurable-http-proxy, as participants join);
- **direct**: the same links at the app server's own port (same path and base URL).

Time to interactive (TTI) is from the GET to the widget state; failures are counted,
never timed. Prints p50/p95 of each way (all rounds pooled) and proxy/direct, the load
average before each burst, and the median RSS/PSS of one idle preheated kernel and of
the app server process (psutil, else /proc).

Usage: python benchmarks/bench_hub.py [--n 20] [--rounds 2] [--timeout 120] [--keep DIR]
       (PostgreSQL admin URL: --db-url or WORKBENCH_TEST_DB_URL)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from _setup import fresh_database
from _wsclient import Result, burst
from bench_workshop import (
    BIN,
    NOTEBOOK,
    SLUG,
    Server,
    free_port,
    get_json,
    median_memory,
    percentile,
    wait_quiet,
)

from workbench.config import Settings
from workbench.hub.config import APP_SERVICE, HubOptions, parse_team, proxy_command, write_config
from workbench.service import Workbench
from workbench.workspace import init_workspace

PASSWORD = "bench-hub-password"


def direct(url: str, port: int) -> str:
    """A join link at the app server's own port (same path, no proxy)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, f"127.0.0.1:{port}", parts.path, parts.query, ""))


def setup(home: Path, db_url: str, env: dict[str, str]) -> None:
    """The demo workspace on PostgreSQL, its case study run and published."""
    init_workspace(home, cases=("de21-ict-older-workers", "es61-manufacturing-youth"))
    run_env = {**env, "WORKBENCH_HOME": str(home), "WORKBENCH_DB_URL": db_url}
    subprocess.run([str(BIN / "workbench"), "run", SLUG, "--workers", "2", "--no-progress"],
                   env=run_env, check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    service = Workbench(Settings(home=home, db_url=db_url))
    service.publish(SLUG)
    service.close()


async def wait_ready(health_url: str, n: int, hub: Server, timeout: float) -> dict:
    """Until the app server's health reports ``ready >= n`` preheated kernels."""
    deadline = time.monotonic() + timeout
    health: dict | None = None
    while time.monotonic() < deadline:
        if not hub.alive():
            raise RuntimeError(f"the Hub exited:\n{hub.log_tail(40)}")
        health = await get_json(health_url)
        if health and health.get("ready", {}).get(NOTEBOOK, 0) >= n:
            return health
        await asyncio.sleep(0.5)
    raise RuntimeError(f"app pool not ready within {timeout:.0f} s: {health}\n{hub.log_tail(40)}")


async def rounds(
    args: argparse.Namespace, settings: Settings, hub: Server, app_port: int
) -> tuple[dict[str, list[Result]], list[float], list[tuple[int, float, int, int]]]:
    """Bursts through the proxy and direct, alternating: results per way, idle kernel
    RSS before each burst, and per burst (N, CPU seconds of the Hub's process tree, kernels
    started during it, kernels after it)."""
    health_url = f"http://127.0.0.1:{app_port}/services/{APP_SERVICE}/workbench/health"
    service = Workbench(settings)
    results: dict[str, list[Result]] = {"proxy": [], "direct": []}
    kernel_rss: list[float] = []
    usage: list[tuple[int, float, int, int]] = []  # N, CPU s, new kernels, kernels after
    try:
        # untimed: one join each way first, so that no timed burst pays for the first
        # page of the server (templates, routes, connections)
        info = service.create_workshop(SLUG, expected=2, title="warm-up")
        service.workshops.open(info.id)
        first = [link.url for link in service.workshops.links(info.id, 2)]
        await wait_ready(health_url, 2, hub, timeout=600)
        warm, tabs = await burst([first[0], direct(first[1], app_port)], args.timeout)
        for tab in tabs:
            tab.close()
        if not all(x.ok for x in warm):
            raise RuntimeError(f"warm-up join failed: {[x.error for x in warm]}")
        service.workshops.close(info.id)
        for r in range(args.rounds):
            ways = ("proxy", "direct") if r % 2 == 0 else ("direct", "proxy")
            for way in ways:
                info = service.create_workshop(SLUG, expected=args.n, title=f"{way} {r}")
                service.workshops.open(info.id)
                links = [link.url for link in service.workshops.links(info.id, args.n)]
                await wait_ready(health_url, args.n, hub, timeout=900)
                await wait_quiet(hub, timeout=300)
                idle = median_memory(hub, hub.kernels())
                if idle is not None:
                    kernel_rss.append(idle[0])
                urls = links if way == "proxy" else [direct(u, app_port) for u in links]
                load = os.getloadavg()[0]
                print(f"  round {r + 1} {way:<6} N={args.n} (load avg {load:.1f}) ...",
                      end=" ", flush=True)  # fmt: skip
                cpu_before, kernels_before = hub.cpu_seconds(), len(hub.kernels())
                got, tabs = await burst(urls, args.timeout)
                cpu_after, kernels_after = hub.cpu_seconds(), len(hub.kernels())
                for tab in tabs:
                    tab.close()
                cpu = sum(t - cpu_before.get(pid, 0.0) for pid, t in cpu_after.items())
                usage.append((args.n, cpu, kernels_after - kernels_before, kernels_after))
                results[way].extend(got)
                ok = sorted(x.tti for x in got if x.ok and x.tti is not None)
                print(f"p50 {percentile(ok, 50) or float('nan'):.2f} s, "
                      f"p95 {percentile(ok, 95) or float('nan'):.2f} s, "
                      f"{len(got) - len(ok)} failed", flush=True)  # fmt: skip
                for failure in sorted({x.error for x in got if not x.ok})[:3]:
                    print(f"    failure: {failure}")
                service.workshops.close(info.id)
                await asyncio.sleep(2)
    finally:
        service.close()
    return results, kernel_rss, usage


def app_server_rss(hub: Server) -> float | None:
    """RSS (MB) of the app server process (``workbench.appserver``) under the Hub."""
    for pid in hub.tree():
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"workbench.appserver" in cmdline:
            return hub.memory([pid])[0]
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20, help="participants per burst")
    parser.add_argument("--rounds", type=int, default=2, help="bursts per way")
    parser.add_argument("--timeout", type=float, default=120.0, help="s per participant")
    parser.add_argument("--db-url", default=os.environ.get("WORKBENCH_TEST_DB_URL"),
                        help="PostgreSQL admin URL (creates and drops two databases)")  # fmt: skip
    parser.add_argument("--keep", type=Path, help="keep the workspace and the Hub log here")
    args = parser.parse_args()
    if not args.db_url or not args.db_url.startswith("postgresql"):
        raise SystemExit("a PostgreSQL admin URL is needed: --db-url or WORKBENCH_TEST_DB_URL")
    proxy_command()  # a clear error if configurable-http-proxy is missing

    root = (args.keep or Path(tempfile.mkdtemp(prefix="wb-bench-hub-"))).resolve()
    root.mkdir(parents=True, exist_ok=True)
    home = root / "ws"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WORKBENCH_", "JUPYTERHUB_"))}
    for name in ("jupyter-runtime", "jupyter-config"):
        (root / name).mkdir(exist_ok=True)
    env.update(JUPYTER_RUNTIME_DIR=str(root / "jupyter-runtime"),
               JUPYTER_CONFIG_DIR=str(root / "jupyter-config"), PYTHONUNBUFFERED="1")  # fmt: skip
    hub: Server | None = None
    try:
        with (
            fresh_database("postgresql", root, args.db_url) as db_url,
            fresh_database("postgresql", root, args.db_url) as hub_db_url,
        ):
            t = time.perf_counter()
            print(f"setup: workspace on PostgreSQL, `workbench run {SLUG}`, publish ...",
                  end=" ", flush=True)  # fmt: skip
            setup(home, db_url, env)
            print(f"{time.perf_counter() - t:.0f} s")
            port, hub_port, proxy_port, app_port = (free_port() for _ in range(4))
            options = HubOptions(hub_db_url=hub_db_url, port=port, hub_port=hub_port,
                                 proxy_api_port=proxy_port, app_port=app_port,
                                 authenticator="shared-password",
                                 shared_password=PASSWORD)  # fmt: skip
            apps_url = f"{options.base_url}services/{APP_SERVICE}/"
            settings = Settings(home=home, db_url=db_url, app_port=app_port, public_url=apps_url)
            team = parse_team({"regions": {"ES": ["ana"]}, "facilitators": ["ana"]})
            config = write_config(settings, team, options)
            os.chdir(config.parent)  # the Hub keeps its cookie secret and pid file here
            t = time.perf_counter()
            print("starting JupyterHub ...", end=" ", flush=True)
            hub = Server("hub", [sys.executable, "-m", "jupyterhub", "-f", str(config)],
                         {**env, "WORKBENCH_POOL_SIZE": "1"}, root / "hub.log")  # fmt: skip
            health = f"{options.base_url}services/{APP_SERVICE}/workbench/health"
            asyncio.run(wait_ready(health, 1, hub, timeout=300))
            print(f"{time.perf_counter() - t:.0f} s (app service healthy through the proxy)")
            results, kernel_rss, usage = asyncio.run(rounds(args, settings, hub, app_port))
            server_rss = app_server_rss(hub)
            report(args, results, kernel_rss, server_rss, usage)
    finally:
        if hub is not None:
            left = hub.stop()
            if left:
                print(f"processes left running: {left}")
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


def report(
    args: argparse.Namespace,
    results: dict[str, list[Result]],
    kernel_rss: list[float],
    server_rss: float | None,
    usage: list[tuple[int, float, int, int]],
) -> None:
    """Print the p50/p95 table and the proxy/direct ratios."""
    print(f"\njoin time to interactive, N={args.n} at once, {args.rounds} burst(s) per way, "
          f"{os.cpu_count()} cores:")  # fmt: skip
    print(f"  {'way':<8}{'ok':>6}{'failed':>8}{'p50':>9}{'p95':>9}{'max':>9}")
    stats = {}
    for way in ("direct", "proxy"):
        ok = sorted(x.tti for x in results[way] if x.ok and x.tti is not None)
        p50, p95 = percentile(ok, 50), percentile(ok, 95)
        stats[way] = (p50, p95)
        cells = [f"{v:7.2f} s" if v is not None else "      - " for v in (p50, p95, max(ok or [0]))]
        print(f"  {way:<8}{len(ok):>6}{len(results[way]) - len(ok):>8}  " + "".join(cells))
    for way in ("direct", "proxy"):
        ok = [x for x in results[way] if x.ok]
        html = percentile([x.html_s for x in ok if x.html_s is not None], 50)
        ws = percentile([x.ws_s for x in ok if x.ws_s is not None], 50)
        if html is not None and ws is not None:
            print(f"  {way}: median page read {html:.2f} s, kernel websocket open {ws:.2f} s "
                  "(from the GET)")  # fmt: skip
    (d50, d95), (p50, p95) = stats["direct"], stats["proxy"]
    if d50 and p50 and d95 and p95:
        print(f"  proxy/direct: p50 {p50 / d50:.2f}x, p95 {p95 / d95:.2f}x")
    if kernel_rss:
        print(f"  one idle preheated kernel: median RSS {percentile(kernel_rss, 50):.0f} MB")
    if server_rss is not None:
        print(f"  app server process (after the bursts): RSS {server_rss:.0f} MB")
    for n, cpu, started, after in usage:
        print(
            f"  burst of {n}: {cpu:.1f} CPU s in the Hub's tree ({cpu / n:.2f} per join), "
            f"{started} kernels started during it, {after} kernels after it"
        )


if __name__ == "__main__":
    main()
