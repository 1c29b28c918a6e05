"""The stakeholder app server: standalone Voilà, locked down, with preheated kernels.

Compared with plain ``voila`` it

- serves only the notebooks in ``<home>/published`` and no file listing, contents API
  or files; ``/`` is a gallery of the published apps;
- admits a page request only with a valid workshop token or code for that app
  (checked before any kernel is used; refused with a readable 403 page);
- keeps Voilà's message filter: page websockets may only talk widget comms, never
  ``execute_request``;
- sizes each app's pool of preheated kernels from the open workshops (warmed to the
  expected number of participants, then a headroom: :mod:`workbench.kernelpool`) and
  starts them a few at a time (Voilà would start every missing kernel at once);
- gives a participant who reloads within a grace period their page back on the kernel
  they had (:mod:`workbench.reattach`), so a wave of reloads needs no new kernels;
- answers a page request within ``page_wait_s`` even when no kernel can start: a
  readable "busy, retrying" page instead of a hang; replaces a pool kernel that is not
  ready within ``pool_start_timeout_s``;
- delivers each page request to its kernel through :mod:`workbench.requestinfo` (Voilà's
  request socket can lose it, and the page then hangs);
- culls kernels whose page is gone, including those leaked by voila#1458 (the
  tab-close shutdown request fails Voilà's XSRF check; here it is accepted, the kernel
  id being the page's secret).

Run by ``workbench serve``; ``python -m workbench.appserver`` runs it alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from jupyter_core.utils import ensure_async
from voila.app import Voila
from voila.tornado.handler import TornadoVoilaHandler

from workbench.apphandlers import harden_handlers
from workbench.apppages import (
    TEMPLATE_NAME,
    ArtefactHandler,
    BeaconShutdownHandler,
    GalleryHandler,
    GatedVoilaHandler,
    HealthHandler,
    extensions_dir,
    page_templates,
)
from workbench.classifications import COUNTRIES, NACE_SECTIONS
from workbench.config import Settings
from workbench.db import Database
from workbench.exceptions import AccessDenied, WorkbenchError
from workbench.kernelpool import (
    PoolPolicy,
    StartClock,
    drop_failed,
    drop_waiting_refills,
    failure,
    ready,
    started,
    starts_allowed,
)
from workbench.participation.languages import page_language
from workbench.participation.workshops import INVALID_LINK, WorkshopService
from workbench.publish import artefact_dirs, published_apps
from workbench.reattach import ReloadCache
from workbench.requestinfo import RequestInfoHandler, forget_kernels
from workbench.requestinfo import install as install_request_delivery

POOL_SYNC_SECONDS = 2.0


class AppServer(Voila):
    """Voilà, configured and restricted for workshop participants."""

    name = "workbench-apps"

    def initialize(self, argv: Any = None) -> None:
        """Parse ``argv`` and connect to the workspace database."""
        super().initialize(argv)
        self.settings_ = Settings()
        self.db = Database(self.settings_.database_url)
        self.workshops = WorkshopService(self.db, self.settings_)
        self.pages = page_templates()
        self.served: Counter[int] = Counter()
        self.demand: dict[str, int] = {}
        self._artefact_dirs: dict[int, dict[str, Path]] = {}
        self.policy = PoolPolicy(
            base=self.settings_.pool_size,
            headroom_share=self.settings_.pool_headroom,
            headroom_min=self.settings_.pool_headroom_min,
        )
        self.reloads = ReloadCache(grace_s=self.settings_.reload_grace_s)
        self.start_clock = StartClock(self.settings_.pool_start_timeout_s)
        self.reattached = 0
        self.waiting: Counter[str] = Counter()
        self._tasks: set[asyncio.Future[Any]] = set()  # fire-and-forget, kept referenced
        self._voila_fill: Any = None

    # -- request checks (run in a thread: they query the database) ----------------------
    def check_request(
        self, path: str, query: dict[str, str], accept_language: str | None = None
    ) -> tuple[int, str]:
        """The workshop a page request may open and the page's language; or AccessDenied."""
        wid, app_path = self.workshops.app_for_link(
            query.get("workshop", ""), token=query.get("token"), code=query.get("code")
        )
        if app_path != path:
            raise AccessDenied.say(INVALID_LINK)
        language = page_language(
            self.workshops,
            wid,
            token=query.get("token"),
            requested=query.get("lang"),
            accept_language=accept_language,
        )
        return wid, language

    def artefact_image(self, publication_id: int, template: str, name: str) -> Path | None:
        """A PNG artefact of a published run (folders cached: publications never change)."""
        if publication_id not in self._artefact_dirs:
            dirs = artefact_dirs(self.db, self.settings_, publication_id)
            if dirs is None:
                return None
            self._artefact_dirs[publication_id] = dirs
        folder = self._artefact_dirs[publication_id].get(template)
        if folder is None or not name.isidentifier():
            return None
        path = folder / f"{name}.png"
        return path if path.is_file() else None

    def gallery(self) -> list[dict[str, Any]]:
        """Published apps for the gallery page."""
        out = []
        for app in published_apps(self.db):
            case: dict[str, Any] = {}
            try:
                from workbench.casestudies import load_case

                c = load_case(self.settings_.case_studies_dir, app.case_slug)
                case = {"region": c.region, "sector": c.sector, "target_groups": c.target_groups}
            except WorkbenchError:
                pass
            out.append(
                {
                    "title": app.title,
                    "slug": app.case_slug,
                    "region_code": case.get("region", ""),
                    "region_name": COUNTRIES.get(str(case.get("region", ""))[:2], ""),
                    "sector": (
                        f"{case['sector']} – {NACE_SECTIONS.get(case['sector'], '')}"
                        if case.get("sector")
                        else ""
                    ),
                    "target_groups": [g.replace("_", " ") for g in case.get("target_groups", [])],
                    "published_at": app.published_at.strftime("%Y-%m-%d %H:%M UTC"),
                    "bundle_hash": app.bundle_hash,
                    "synthetic": app.synthetic_data,
                    "data_label": app.data_label,
                }
            )
        return out

    # -- kernel pools ---------------------------------------------------------------
    def open_demand(self, workshops: list[Any]) -> dict[str, int]:
        """Kernels wanted per app by its open workshops (see :class:`PoolPolicy`).

        Runs on the event loop, so ``served`` cannot change while it is summed.
        """
        return self.policy.demand(workshops, self.served)

    def pool_target(self, notebook: str) -> int:
        """Preheated kernels wanted for one app notebook."""
        return self.policy.target(self.demand.get(notebook, 0))

    def targets(self) -> dict[str, int]:
        """Pool targets of the apps with open workshops (for the health page)."""
        return {notebook: self.pool_target(notebook) for notebook in sorted(self.demand)}

    def admitted(self, workshop_id: int, notebook: str) -> None:
        """A participant's page takes a kernel: its workshop needs one fewer (the next
        pool sync, not Voilà, decides what to start)."""
        self.served[workshop_id] += 1

    def watch_restarts(self, kernel_id: str) -> None:
        """A page kernel that died is restarted by Jupyter under the same id, empty: no
        page can use it. Forget its page (a reload gets a fresh one) and shut it down,
        which closes the page's connection (the page then says so)."""

        def restarted() -> None:
            self.log.warning("page kernel %s died and was restarted empty", kernel_id)
            self.reloads.forget(kernel_id)
            self._spawn(self._shutdown([kernel_id]))

        with contextlib.suppress(KeyError):
            self.kernel_manager.get_kernel(kernel_id).add_restart_callback(restarted, "restart")

    def reattach(self, token_key: str, notebook: str, language: str = "en") -> Any:
        """The page a reload of a personal link gets back, or None (see :mod:`reattach`)."""
        alive = set(self.kernel_manager.list_kernel_ids())
        page = self.reloads.reattach(token_key, notebook, alive, language)
        if page is not None:
            self.reattached += 1
        return page

    async def warm_kernel(self, notebook: str) -> bool:
        """Wait (at most ``page_wait_s``) until a preheated kernel of ``notebook`` is ready
        and first in its pool, starting one if the pool is empty (someone is waiting)."""
        km = self.kernel_manager
        if not hasattr(km, "_pools"):
            return True  # no preheating: Voilà starts a kernel for the request
        deadline = time.monotonic() + self.settings_.page_wait_s
        self.waiting[notebook] += 1
        try:
            while True:
                pool = km._pools.setdefault(notebook, [])
                await self._shutdown(self._drop_failed(pool))
                if any(ready(t) for t in pool):
                    # Voilà takes the first one, with no await between here and there
                    pool.sort(key=lambda t: not ready(t))
                    return True
                starting = self._starting()
                allowed = starts_allowed(
                    missing=self.waiting[notebook] - len(pool),
                    starting=starting,
                    concurrency=self.settings_.pool_start_concurrency,
                )
                if allowed or not pool:  # one kernel at least for someone waiting
                    self._start(notebook, len(pool) + max(allowed, 1))
                if time.monotonic() >= deadline:
                    self.log.warning(
                        "no kernel of %s was ready within %.0f s (%d waiting)",
                        notebook, self.settings_.page_wait_s, self.waiting[notebook],
                    )  # fmt: skip
                    return False
                await asyncio.sleep(0.1)
        finally:
            self.waiting[notebook] -= 1

    def _start(self, notebook: str, size: int) -> None:
        """Grow one app's pool to ``size`` (the kernels start now)."""
        km = self.kernel_manager
        config = dict(km.kernel_pools_config)
        config[notebook] = {**config.get(notebook, {}), "pool_size": size}
        km.kernel_pools_config = config
        (self._voila_fill or km.fill_if_needed)(delay=0, notebook_name=notebook)

    def _drop_failed(self, pool: list[Any]) -> list[str]:
        """Remove entries that failed or never got ready; returns the launched kernels to
        shut down now (one still launching is shut down once it is)."""
        now = time.monotonic()
        self.start_clock.note(pool, now)
        kernel_ids = []
        for task in drop_failed(pool, self.log, self.start_clock, now):
            if not task.done():
                task.add_done_callback(self._shutdown_when_launched)
            elif started(task):
                kernel_ids.append(task.result()["kernel_id"])
        return kernel_ids

    def _shutdown_when_launched(self, task: Any) -> None:
        if started(task):
            self._spawn(self._shutdown([task.result()["kernel_id"]]))

    def _spawn(self, coroutine: Any) -> None:
        """Run ``coroutine`` in the background (kept referenced until done)."""
        future = asyncio.ensure_future(coroutine)
        self._tasks.add(future)
        future.add_done_callback(self._tasks.discard)

    def _take_over_refills(self) -> None:
        """Voilà refills a pool right after each use, every missing kernel at once; here
        :meth:`_sync_pools` refills instead, a few kernels at a time."""
        km = self.kernel_manager
        if not hasattr(km, "fill_if_needed") or self._voila_fill is not None:
            return
        self._voila_fill = km.fill_if_needed

        def fill_if_needed(delay: float | None = None, **kwargs: Any) -> None:
            if delay is not None:  # explicit fills (start-up); None is the refill-after-use
                self._voila_fill(delay=delay, **kwargs)

        km.fill_if_needed = fill_if_needed

    async def _sync_pools(self) -> None:
        try:
            workshops = await asyncio.get_running_loop().run_in_executor(
                None, self.workshops.list, "open"
            )
        except WorkbenchError:
            self.log.exception("could not read open workshops")
            return
        self.demand = self.open_demand(workshops)
        km = self.kernel_manager
        await self._release_expired()
        forget_kernels(km.list_kernel_ids())
        if not hasattr(km, "_pools"):
            return
        notebooks = {p.name for p in Path(self.root_dir).glob("*.ipynb")}
        starting = self._starting()
        for notebook in sorted(notebooks | set(self.demand)):
            target = self.pool_target(notebook)
            pool = km._pools.setdefault(notebook, [])
            await self._shutdown(self._drop_failed(pool))
            allowed = starts_allowed(
                missing=target - len(pool),
                starting=starting,
                concurrency=self.settings_.pool_start_concurrency,
            )
            if allowed:
                self.log.info(
                    "warming %s: %d -> %d of %d preheated kernels",
                    notebook, len(pool), len(pool) + allowed, target,
                )  # fmt: skip
                starting += allowed
                self._start(notebook, len(pool) + allowed)
            # shrink by ready entries wherever they are (one still starting at the end
            # must not keep the pool above its target)
            for task in [t for t in pool if ready(t)][: max(0, len(pool) - target)]:
                pool.remove(task)
                await ensure_async(km.shutdown_kernel(task.result()["kernel_id"]))

    def _starting(self) -> int:
        """Pool kernels of every app that are starting (neither ready nor failed)."""
        pools = getattr(self.kernel_manager, "_pools", {}).values()
        return sum(1 for pool in pools for t in pool if not ready(t) and failure(t) is None)

    async def _shutdown(self, kernel_ids: list[str]) -> None:
        """Shut kernels down (failed pool entries); one that is already gone is fine."""
        for kernel_id in kernel_ids:
            if kernel_id in self.kernel_manager.list_kernel_ids():
                await ensure_async(self.kernel_manager.shutdown_kernel(kernel_id))

    async def _release_expired(self) -> None:
        """Shut down kernels of closed pages whose reload grace period is over (unless a
        page is connected to them again, e.g. the same link open in another tab)."""
        km = self.kernel_manager
        alive = set(km.list_kernel_ids())
        connections = getattr(km, "_kernel_connections", {})
        connected = {kid for kid in alive if connections.get(kid, 0) > 0}
        for kernel_id in self.reloads.expired(time.monotonic(), alive, connected):
            self.log.info("reload grace over: shutting down kernel %s", kernel_id)
            await ensure_async(km.shutdown_kernel(kernel_id))

    def init_handlers(self) -> list[Any]:
        """Voilà's handlers minus listings and files, plus the gate, gallery and health."""
        self._take_over_refills()  # the kernel manager exists from init_settings on
        install_request_delivery()
        handlers = []
        ours = {"server": self}
        for handler in super().init_handlers():
            pattern, cls = handler[0], handler[1]
            kwargs = handler[2] if len(handler) > 2 else {}
            if "/voila/api/contents" in pattern or "/voila/tree" in pattern:
                continue
            if "/voila/files/" in pattern or pattern == self.server_url:
                continue
            if "/voila/api/shutdown/" in pattern:
                handlers.append((pattern, BeaconShutdownHandler, ours))
            elif "/voila/query/" in pattern:
                handlers.append((pattern, RequestInfoHandler, kwargs))
            elif cls is TornadoVoilaHandler or "/voila/render/" in pattern:
                handlers.append((pattern, GatedVoilaHandler, {**kwargs, **ours}))
            else:
                handlers.append(handler)
        handlers.insert(0, (self.server_url, GalleryHandler, ours))
        handlers.insert(0, (f"{self.server_url}workbench/health", HealthHandler, ours))
        handlers.insert(
            0,
            (
                f"{self.server_url}workbench/artefacts/(\\d{{1,9}})/([a-z_]+)/([a-z0-9_]+)\\.png",
                ArtefactHandler,
                ours,
            ),
        )
        return harden_handlers(handlers, self.app)

    def stop(self) -> None:
        """Stop: no more pool syncs, refills still waiting for their fill delay are
        dropped (not awaited), then Voilà shuts every kernel down."""
        if getattr(self, "_pool_sync", None) is not None:
            self._pool_sync.stop()
        dropped = drop_waiting_refills(self.kernel_manager)
        if dropped:
            self.log.info("stopping: %d pool refill(s) not started", dropped)
        super().stop()

    def start(self) -> None:
        """Start serving; the pools follow the open workshops every few seconds."""
        from tornado.ioloop import PeriodicCallback

        self._pool_sync = PeriodicCallback(self._sync_pools, POOL_SYNC_SECONDS * 1000)
        self._pool_sync.start()
        install_log_scrubber()
        super().start()


def voila_argv(settings: Settings) -> list[str]:
    """Command-line configuration of the app server."""
    return [
        str(settings.published_dir),
        "--no-browser",
        f"--port={settings.app_port}",
        "--Voila.port_retries=0",
        f"--Voila.ip={settings.bind_host}",
        f"--template={TEMPLATE_NAME}",
        "--VoilaConfiguration.preheat_kernel=True",
        f"--VoilaConfiguration.default_pool_size={settings.pool_size}",
        "--VoilaConfiguration.show_tracebacks=False",
        "--VoilaConfiguration.file_allowlist=[]",
        # the page's kernel picks the language the browser asks for (workbench.i18n)
        '--VoilaConfiguration.http_header_envs=["Accept-Language"]',
        # Refill after a burst, not during it (a refill competes with arriving pages).
        "--VoilaKernelManager.fill_delay=15",
        f"--MappingKernelManager.cull_idle_timeout={settings.cull_idle_timeout}",
        "--MappingKernelManager.cull_interval=30",
        "--MappingKernelManager.cull_connected=False",
        # Kernels talk to the server over Unix sockets, not TCP: no port of a starting
        # kernel can be taken by another process meanwhile (a TCP port is picked, released,
        # then bound by the kernel), and nothing listens on the network.
        "--KernelManager.transport=ipc",
    ]


_SECRET_PARAM = re.compile(r"\b(token|code)=[^&\s\"'<>]+")


class ScrubSecrets(logging.Filter):
    """Remove join tokens and workshop codes from log lines (they are credentials)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        scrubbed = _SECRET_PARAM.sub(r"\1=[secret]", message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        return True


def install_log_scrubber() -> None:
    """Scrub secrets in every log handler that exists now (call once logging is set up)."""
    scrubber = ScrubSecrets()
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    handlers = [logging.lastResort] if logging.lastResort else []
    for logger in loggers:
        handlers += getattr(logger, "handlers", [])
    for handler in handlers:
        if not any(isinstance(f, ScrubSecrets) for f in handler.filters):
            handler.addFilter(scrubber)


def main(argv: list[str] | None = None) -> None:
    """Run the app server for the workspace in WORKBENCH_HOME (or the current folder)."""
    settings = Settings()
    settings.published_dir.mkdir(parents=True, exist_ok=True)
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        p for p in (str(extensions_dir()), os.environ.get("JUPYTER_PATH", "")) if p
    )
    # Kernels inherit the environment: they must find the same workspace and database.
    os.environ["WORKBENCH_HOME"] = str(settings.home)
    os.environ["WORKBENCH_DB_URL"] = settings.database_url
    Database(settings.database_url)  # migrate before the first kernel connects
    AppServer.launch_instance(argv=voila_argv(settings) + list(argv or sys.argv[1:]))


if __name__ == "__main__":
    main()
