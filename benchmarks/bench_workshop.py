"""Benchmark: stakeholder-app time to interactive (TTI) when N participants join at once.

Two servers on the same app notebook, one after the other in the same run:

- ours:  ``python -m workbench.appserver`` (locked-down Voilà with preheated kernels),
  with a *warmed* workshop: the workshop is open with ``expected=N`` before the server
  starts, and the burst waits until the pool holds N started kernels
  (``/workbench/health`` ready >= N) and the server's process tree is idle (the pool
  kernels have run the app's first cell);
- plain: ``voila <published app>.ipynb`` with default settings (a fresh kernel per page,
  the whole notebook executed on request). In single-notebook mode Voilà serves the app
  at ``/`` (``/voila/render/...`` redirects to the files handler), so the same personal
  join links are used with their query string moved to ``/``.

Each simulated participant (benchmarks/_wsclient.py) does what a browser does: GET the
join link and read the whole streamed page, open the kernel websocket, ask the widget
manager for its state (``request_states``) and wait for ``update_states``. TTI is from
the start of the GET to ``update_states``; all N GETs start at the same instant. A page
counts only if its widgets are the app (banner + "Join the workshop" button); timeouts
and failures are counted and printed, never dropped. Static assets are not fetched.

Memory is the RSS (and PSS, which does not double-count shared pages) of the server
process plus all its child processes (the kernels), read with psutil (else /proc), before
the burst and right after it (every participant's tab still open); "one idle preheated
kernel" is the median RSS of the warm pool's kernels. "burst CPU" is the CPU time the
server tree used during the burst: unlike the wall times it does not depend on what else
the machine is doing, so it bounds what TTI can be on an idle machine (CPU / cores).
The health endpoint's "ready" counts *started* pool kernels, which may still be running
the app's first cell; hence the extra wait for an idle process tree.

Targets: ours p95 <= 1.5 s at N=30 with a warmed workshop; plain/ours p95 >= 3x.

The app shows the demo case study es61-manufacturing-youth, computed from the SYNTHETIC
demo data pack. Nothing here is random (tokens are, but they do not change the work).
The machine's other load is not controlled: run it on a quiet machine.

Usage: python benchmarks/bench_workshop.py [--n 10 30] [--quick] [--timeout 120]
                                           [--pool-size K] [--keep DIR] [--waves]

``--waves`` then runs benchmarks/bench_waves.py on the same workspace: with N=30 pages
open, a round change (time until every page shows round 2, kernels before and after) and
a second wave of 30 reloads 30 s after the first (p95 next to the first wave's, memory),
against a baseline server without the reload grace period.

``--quick`` runs plain Voilà only at N=10 (plain at N=30 can take minutes) and ours at
N=10 and 30; the ratio is then reported at N=10 only. ``--pool-size`` sets our server's
WORKBENCH_POOL_SIZE (preheated kernels kept when no workshop needs more; default 2).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _wsclient import Result, burst
from tornado.httpclient import AsyncHTTPClient, HTTPClientError

from workbench.config import Settings
from workbench.service import Workbench
from workbench.workspace import init_workspace

try:
    import psutil
except ImportError:  # pragma: no cover - psutil is in the venv; /proc fallback otherwise
    psutil = None

SLUG = "es61-manufacturing-youth"
NOTEBOOK = f"{SLUG}.ipynb"
BIN = Path(sys.executable).parent
MB = 1024 * 1024
TARGET_P95 = 1.5  # s, ours at N=30
TARGET_RATIO = 3.0  # plain p95 / ours p95


# -- processes --------------------------------------------------------------------------
def free_port() -> int:
    """A port outside the kernels' range (one allocator: benchmarks/_serve.py)."""
    from _serve import free_port as pick

    return pick()


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class Server:
    """A server subprocess in its own session; every descendant is tracked for cleanup."""

    def __init__(self, name: str, cmd: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.log_path = log
        self._log = open(log, "wb")  # noqa: SIM115 - closed in stop()
        self.popen = subprocess.Popen(
            cmd, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.seen: dict[int, object] = {}  # pid -> psutil.Process (or None)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def tree(self) -> list[int]:
        """Pids of the server and all its descendants (remembered for cleanup)."""
        if psutil is None:
            from _serve import descendants

            pids = [self.pid, *descendants(self.pid)]
            for p in pids:
                self.seen.setdefault(p, None)
            return pids
        try:
            root = psutil.Process(self.pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []
        for p in procs:
            self.seen.setdefault(p.pid, p)
        return [p.pid for p in procs]

    def kernels(self) -> list[int]:
        """Pids of the kernel processes below the server."""
        out = []
        for pid in self.tree()[1:]:
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"ipykernel" in cmdline:
                out.append(pid)
        return out

    def memory(self, pids: list[int] | None = None) -> tuple[float, float | None]:
        """(RSS, PSS) in MB summed over ``pids`` (default: the whole tree)."""
        rss = pss = 0.0
        have_pss = psutil is not None
        for pid in self.tree() if pids is None else pids:
            if psutil is None:
                rss += _status_kb(pid, "VmRSS") * 1024
                continue
            try:
                info = psutil.Process(pid).memory_full_info()
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            rss += info.rss
            if hasattr(info, "pss"):
                pss += info.pss
            else:
                have_pss = False
        return rss / MB, (pss / MB if have_pss else None)

    def cpu_seconds(self) -> dict[int, float]:
        """CPU seconds used so far by each process of the tree."""
        out = {}
        for pid in self.tree():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            out[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return out

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, grace: float = 30.0) -> list[int]:
        """SIGINT (Voilà shuts its kernels down), then SIGKILL the group and every process
        ever seen in the tree. Returns the pids still alive afterwards (should be [])."""
        self.tree()
        if self.alive():
            self.popen.send_signal(signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(grace)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        self.popen.wait(10)
        for pid, proc in self.seen.items():
            if pid == self.pid:
                continue
            with contextlib.suppress(Exception):  # already gone, or not ours any more
                if proc is not None:
                    if proc.is_running():  # also checks the pid was not reused
                        proc.kill()
                else:
                    os.kill(pid, signal.SIGKILL)
        time.sleep(0.5)
        left = []
        for pid, proc in self.seen.items():
            if proc is not None:
                with contextlib.suppress(psutil.Error):
                    if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                        left.append(pid)
            elif Path(f"/proc/{pid}").exists():
                left.append(pid)
        self._log.close()
        return left

    def log_tail(self, lines: int = 15) -> str:
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


async def get_json(url: str) -> dict | None:
    http = AsyncHTTPClient(force_instance=True)
    try:
        response = await http.fetch(url, request_timeout=5, connect_timeout=2)
        return json.loads(response.body)
    except (OSError, HTTPClientError, ValueError):
        return None
    finally:
        http.close()


async def wait_http(url: str, server: Server, timeout: float) -> None:
    """Until the server answers anything at ``url`` (a 404 is fine)."""
    http = AsyncHTTPClient(force_instance=True)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if not server.alive():
                raise RuntimeError(f"{server.name} exited:\n{server.log_tail()}")
            try:
                await http.fetch(url, request_timeout=5, connect_timeout=1)
                return
            except HTTPClientError as exc:
                if exc.code != 599:
                    return
            except OSError:
                pass
            await asyncio.sleep(0.2)
    finally:
        http.close()
    raise RuntimeError(f"{server.name} did not answer within {timeout:.0f} s")


async def wait_pool(port: int, n: int, server: Server, timeout: float) -> dict:
    """Until ``/workbench/health`` reports ready >= n for the app."""
    deadline = time.monotonic() + timeout
    health: dict | None = None
    while time.monotonic() < deadline:
        if not server.alive():
            raise RuntimeError(f"{server.name} exited:\n{server.log_tail()}")
        health = await get_json(f"http://127.0.0.1:{port}/workbench/health")
        if health and health.get("ready", {}).get(NOTEBOOK, 0) >= n:
            return health
        await asyncio.sleep(0.5)
    raise RuntimeError(f"pool not ready within {timeout:.0f} s: {health}")


async def wait_quiet(server: Server, timeout: float, cores: float = 0.10, calm: int = 3) -> None:
    """Until the server tree uses < ``cores`` CPU for ``calm`` consecutive seconds."""
    deadline = time.monotonic() + timeout
    before, streak = server.cpu_seconds(), 0
    while time.monotonic() < deadline and streak < calm:
        await asyncio.sleep(1.0)
        now = server.cpu_seconds()
        used = sum(now[p] - before.get(p, 0.0) for p in now)
        streak = streak + 1 if used < cores else 0
        before = now


# -- one measurement --------------------------------------------------------------------
@dataclass
class Measurement:
    server: str
    n: int
    results: list[Result]
    ready_s: float  # server start -> ready for the burst
    mem_before: tuple[float, float | None]
    mem_after: tuple[float, float | None]
    kernels_before: int
    kernels_after: int
    cpu_s: tuple[float, float]  # CPU seconds used during the burst: server, its children
    idle_kernel: tuple[float, float | None] | None = None  # median RSS/PSS of a pool kernel
    health_after: dict | None = None
    leftovers: list[int] = field(default_factory=list)

    @property
    def tti(self) -> list[float]:
        return sorted(r.tti for r in self.results if r.ok and r.tti is not None)

    @property
    def failures(self) -> Counter[str]:
        return Counter(r.error for r in self.results if not r.ok)


def percentile(values: list[float], q: float) -> float | None:
    """Linear-interpolation percentile (numpy's default); None for no values."""
    if not values:
        return None
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def median_memory(server: Server, pids: list[int]) -> tuple[float, float | None] | None:
    rows = [server.memory([pid]) for pid in pids]
    if not rows:
        return None
    rss = percentile([r[0] for r in rows], 50) or 0.0
    pss = [r[1] for r in rows if r[1] is not None]
    return rss, percentile(pss, 50) if pss else None


def rebase(url: str, port: int, root: bool) -> str:
    """A join link pointed at ``port``; ``root`` moves it to ``/`` (single-notebook Voilà)."""
    parts = urlsplit(url)
    path = "/" if root else parts.path
    return urlunsplit((parts.scheme, f"127.0.0.1:{port}", path, parts.query, ""))


async def measure(
    kind: str,
    n: int,
    links: list[str],
    home: Path,
    root: Path,
    env: dict[str, str],
    timeout: float,
    pool_size: int | None = None,
) -> Measurement:
    port = free_port()
    env = {**env, "WORKBENCH_APP_PORT": str(port)}
    if kind == "ours" and pool_size is not None:
        env["WORKBENCH_POOL_SIZE"] = str(pool_size)
    log = root / f"{kind}-n{n}.log"
    if kind == "ours":
        cmd = [sys.executable, "-m", "workbench.appserver"]
    else:
        cmd = [str(BIN / "voila"), str(home / "published" / NOTEBOOK), "--no-browser",
               f"--port={port}", "--Voila.ip=127.0.0.1", "--Voila.port_retries=0"]  # fmt: skip
    t0 = time.perf_counter()
    server = Server(kind, cmd, env, log)
    try:
        idle_kernel = None
        if kind == "ours":
            await wait_pool(port, n, server, timeout=900)
            await wait_quiet(server, timeout=300)
            idle_kernel = median_memory(server, server.kernels())
        else:
            await wait_http(f"http://127.0.0.1:{port}/voila/static/none", server, timeout=120)
            await wait_quiet(server, timeout=60)
        ready_s = time.perf_counter() - t0
        mem_before, kernels_before = server.memory(), len(server.kernels())
        cpu_before = server.cpu_seconds()
        urls = [rebase(u, port, root=kind == "plain") for u in links]
        results, tabs = await burst(urls, timeout)
        cpu_after = server.cpu_seconds()
        used = {pid: t - cpu_before.get(pid, 0.0) for pid, t in cpu_after.items()}
        cpu_s = (used.get(server.pid, 0.0), sum(used.values()) - used.get(server.pid, 0.0))
        mem_after, kernels_after = server.memory(), len(server.kernels())
        health = None
        if kind == "ours":
            health = await get_json(f"http://127.0.0.1:{port}/workbench/health")
        for tab in tabs:
            tab.close()
        await asyncio.sleep(0.2)
    finally:
        leftovers = server.stop()
    return Measurement(kind, n, results, ready_s, mem_before, mem_after, kernels_before,
                       kernels_after, cpu_s, idle_kernel, health, leftovers)  # fmt: skip


# -- setup and report -------------------------------------------------------------------
def setup(root: Path) -> tuple[Path, dict[str, str]]:
    """Workspace with the demo case run and published; the environment of both servers."""
    home = root / "ws"
    init_workspace(home, cases=("de21-ict-older-workers", "es61-manufacturing-youth"))
    runtime, config = root / "jupyter-runtime", root / "jupyter-config"
    runtime.mkdir()
    config.mkdir()  # empty: no user config changes either server's defaults
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WORKBENCH_", "VOILA_"))}
    env.update(
        WORKBENCH_HOME=str(home),
        WORKBENCH_DB_URL=f"sqlite:///{home / 'var' / 'workbench.sqlite'}",
        JUPYTER_RUNTIME_DIR=str(runtime),
        JUPYTER_CONFIG_DIR=str(config),
        PYTHONUNBUFFERED="1",
    )
    subprocess.run([str(BIN / "workbench"), "--home", str(home), "run", SLUG, "--workers", "2",
                    "--no-progress"], env=env, check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    service = Workbench(Settings(home=home, db_url=env["WORKBENCH_DB_URL"]))
    service.publish(SLUG)
    service.close()
    return home, env


def fmt(value: float | None, unit: str = "s", width: int = 7) -> str:
    if value is None:
        return "-".rjust(width + len(unit) + 1)
    return f"{value:{width}.2f} {unit}"


def report(measurements: list[Measurement], args: argparse.Namespace) -> bool:
    """Print the table and the targets; returns True if every measured target passed."""
    print()
    options = [f"per-participant timeout {args.timeout:.0f} s"]
    if args.quick:
        options.append("--quick")
    if args.pool_size is not None:
        options.append(f"ours with WORKBENCH_POOL_SIZE={args.pool_size}")
    print(f"app: {SLUG} (SYNTHETIC demo data), cores: {os.cpu_count()}, {', '.join(options)}")
    mem_src = "psutil" if psutil is not None else "/proc VmRSS"
    load = "/".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine load average now (1/5/15 min): {load} -- other load inflates every number")
    print(f"memory: server + kernel processes ({mem_src}); PSS counts shared pages once")
    print()
    cols = ["server", "N", "ok", "fail", "TTI p50", "TTI p95", "TTI max", "page p50",
            "burst CPU", "ready in", "kernels", "RSS before", "RSS after", "PSS after"]  # fmt: skip
    widths = [6, 3, 3, 4, 9, 9, 9, 9, 11, 9, 9, 11, 11, 11]

    def row(cells: list[str]) -> str:
        pairs = enumerate(zip(cells, widths, strict=True))
        return " ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in pairs)

    print(row(cols))
    print("-" * (sum(widths) + len(widths) - 1))
    for m in measurements:
        pages = [r.html_s for r in m.results if r.ok and r.html_s is not None]
        pss = m.mem_after[1]
        cells = [
            m.server, str(m.n), str(len(m.tti)), str(sum(m.failures.values())),
            fmt(percentile(m.tti, 50)), fmt(percentile(m.tti, 95)),
            fmt(m.tti[-1] if m.tti else None), fmt(percentile(pages, 50)),
            f"{m.cpu_s[0]:.1f}+{m.cpu_s[1]:.1f} s", fmt(m.ready_s),
            f"{m.kernels_before} -> {m.kernels_after}",
            f"{m.mem_before[0]:.0f} MB", f"{m.mem_after[0]:.0f} MB",
            "-" if pss is None else f"{pss:.0f} MB",
        ]  # fmt: skip
        print(row(cells))
    print("TTI: GET start -> widget state received. page: GET start -> last byte of the page.")
    print("burst CPU: CPU seconds used during the burst by the server process + its kernels.")
    print("ready in: server start -> burst could start. kernels: before -> after the burst.")

    failed = [m for m in measurements if m.failures]
    if failed:
        print("\nfailures:")
        for m in failed:
            for error, count in m.failures.most_common():
                print(f"  {m.server} N={m.n}: {count} x {error}")
        where = f"in {args.keep}" if args.keep else "with --keep DIR"
        print(f"  (server logs <server>-n<N>.log are kept {where})")
    for m in measurements:
        if m.leftovers:
            print(f"\nWARNING: {m.server} N={m.n}: processes left after shutdown: {m.leftovers}")

    for m in measurements:
        sizes = [(r.page_bytes, r.state_bytes) for r in m.results if r.ok]
        if sizes:
            page_kb = percentile([a / 1024 for a, _ in sizes], 50)
            state_kb = percentile([b / 1024 for _, b in sizes], 50)
            print(f"{m.server} N={m.n}: per participant, page {page_kb:.0f} KB, "
                  f"widget state {state_kb:.0f} KB (median)")  # fmt: skip
    idle = [m.idle_kernel for m in measurements if m.idle_kernel]
    if idle:
        rss, pss = idle[-1]
        extra = f", PSS {pss:.0f} MB" if pss is not None else ""
        print(f"\none idle preheated kernel (median over the warm pool): RSS {rss:.0f} MB{extra}")
    for m in measurements:
        if m.health_after is not None:
            h = m.health_after
            print(f"ours N={m.n}: after the burst the app server reports kernels={h['kernels']}, "
                  f"pool={h['pools'].get(NOTEBOOK)}, ready={h['ready'].get(NOTEBOOK)}")  # fmt: skip

    print("\ntargets:")
    ok = True
    by = {(m.server, m.n): m for m in measurements}
    ours30 = by.get(("ours", 30))
    if ours30 is not None:
        p95 = percentile(ours30.tti, 95)
        good = p95 is not None and p95 <= TARGET_P95 and not ours30.failures
        ok &= good
        note = " (failures)" if ours30.failures else ""
        verdict = "PASS" if good else "MISS"
        print(f"  ours p95 at N=30 <= {TARGET_P95} s          : {fmt(p95)}   {verdict}{note}")
    for n in sorted({m.n for m in measurements}):
        ours, plain = by.get(("ours", n)), by.get(("plain", n))
        if ours is None or plain is None:
            continue
        p_ours, p_plain = percentile(ours.tti, 95), percentile(plain.tti, 95)
        if p_ours and p_plain and not plain.failures and not ours.failures:
            ratio = p_plain / p_ours
            good = ratio >= TARGET_RATIO
            print(f"  plain/ours p95 at N={n:<2} >= {TARGET_RATIO:.0f}x        : {ratio:7.1f} x   "
                  f"{'PASS' if good else 'MISS'}")  # fmt: skip
        else:
            # Failed pages have no TTI: a ratio of the survivors would flatter the loser.
            good = bool(p_ours) and not ours.failures and bool(plain.failures)
            fails = f"ours {sum(ours.failures.values())}, plain {sum(plain.failures.values())}"
            print(f"  plain/ours p95 at N={n:<2} >= {TARGET_RATIO:.0f}x        : "
                  f"n/a (failures: {fails})   {'PASS' if good else 'MISS'}")  # fmt: skip
        ok &= good
    return ok


async def run_all(args: argparse.Namespace, home: Path, root: Path, env: dict[str, str]) -> list:
    ours_ns = [10, 30] if args.quick else sorted(set(args.n))
    plain_ns = [10] if args.quick else sorted(set(args.n))
    service = Workbench(Settings(home=home, db_url=env["WORKBENCH_DB_URL"]))
    measurements = []
    try:
        for n in sorted(set(ours_ns) | set(plain_ns)):
            workshop = service.create_workshop(SLUG, expected=n, title=f"Benchmark N={n}")
            service.workshops.open(workshop.id)
            links = [link.url for link in service.workshops.links(workshop.id, n)]
            for kind in ("ours", "plain"):
                if n not in (ours_ns if kind == "ours" else plain_ns):
                    continue
                load = os.getloadavg()[0]
                print(f"  {kind:<5} N={n:<3} (load avg {load:.1f}) ...", end=" ", flush=True)
                t = time.perf_counter()
                m = await measure(kind, n, links, home, root, env, args.timeout, args.pool_size)
                measurements.append(m)
                p95 = percentile(m.tti, 95)
                print(f"p95 {fmt(p95).strip()}, {sum(m.failures.values())} failed "
                      f"({time.perf_counter() - t:.0f} s)", flush=True)  # fmt: skip
            service.workshops.close(workshop.id)
    finally:
        service.close()
    return measurements


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[10, 30],
                        help="participants per burst (default: 10 30)")  # fmt: skip
    parser.add_argument("--quick", action="store_true",
                        help="plain Voila only at N=10; ours at N=10 and 30")  # fmt: skip
    parser.add_argument("--timeout", type=float, default=120.0, help="s per participant")
    parser.add_argument("--pool-size", type=int, help="WORKBENCH_POOL_SIZE of our server")
    parser.add_argument("--keep", type=Path, help="keep the workspace and server logs here")
    parser.add_argument("--waves", action="store_true",
                        help="then a round change and a reload wave (bench_waves.py)")  # fmt: skip
    args = parser.parse_args()

    root = (args.keep or Path(tempfile.mkdtemp(prefix="wb-bench-ws-"))).resolve()
    root.mkdir(parents=True, exist_ok=True)
    try:
        t = time.perf_counter()
        print(f"setup: workspace, `workbench run {SLUG}`, publish ...", end=" ", flush=True)
        home, env = setup(root)
        print(f"{time.perf_counter() - t:.0f} s")
        measurements = asyncio.run(run_all(args, home, root, env))
        report(measurements, args)
        if args.waves:
            import bench_waves  # imports this module: only here, not at the top

            wave_args = argparse.Namespace(n=30, gap=30.0, no_baseline=False,
                                           timeout=args.timeout)  # fmt: skip
            print("\nround change and reload wave (bench_waves.py):")
            asyncio.run(bench_waves.run_all(wave_args, home, root, env))
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
