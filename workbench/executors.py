"""Where planned runs execute: a local process pool (the default) or a Dask cluster.

One small interface, :class:`Executor`. :class:`workbench.runs.BatchRunner` hands it
job dicts (see :func:`workbench.execution.execute_job`) and records what comes back, so
caching, run rows, failure isolation and the progress bar are the same whichever
executor runs the jobs. An executor only moves jobs to processes and outcomes back:

- :meth:`Executor.prepare` starts the pool or connects to the cluster and checks that
  the jobs can run there. It is called before any run row is written, so a bad setup
  fails with nothing started.
- :meth:`Executor.results` submits the jobs and yields ``(index, outcome)`` in
  completion order; ``outcome`` is the job's result dict, or the exception that killed
  the process running it (the runner records that run as failed, the others go on).

papermill changes the working directory of the *process* it runs in (``os.chdir``), so
two jobs must never share a process at the same time. The local pool gives each job
a process of its own; on Dask every job asks for one unit of the worker resource
``kernels``, and :class:`DaskExecutor` refuses a worker that could run two at once.
"""

from __future__ import annotations

import os
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, as_completed
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Self

from workbench.exceptions import InputError, WorkbenchError
from workbench.execution import execute_job, warm_up

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

#: The executors by name (``WORKBENCH_EXECUTOR``, ``Workbench.run(executor=...)``).
EXECUTORS = ("local", "dask")
#: The Dask worker resource one run holds while its kernel runs.
KERNELS_RESOURCE = "kernels"
#: Seconds to wait for a Dask scheduler before giving up.
CONNECT_TIMEOUT_S = 5.0
#: How Dask workers for workbench runs are started (printed in errors, documented).
WORKER_COMMAND = "dask worker {address} --nthreads 1 --resources kernels=1"

Job = dict[str, Any]


class ExecutorUnavailable(WorkbenchError):
    """The executor cannot run jobs: its scheduler is unreachable or its workers unfit.

    Raised before any run is started.
    """

    exit_code = 2
    http_status = 503


class Executor(ABC):
    """Runs job dicts in worker processes; a context manager around one batch."""

    name: ClassVar[str]

    def prepare(self, jobs: Sequence[Job]) -> None:  # noqa: B027 (optional hook)
        """Start or connect (idempotent) and check ``jobs`` can run; raise if not."""

    @abstractmethod
    def results(self, jobs: Sequence[Job]) -> Iterator[tuple[int, Job | BaseException]]:
        """Submit ``jobs``; yield ``(index, outcome or exception)`` as each finishes."""

    @abstractmethod
    def cancel(self) -> None:
        """Drop the jobs not finished yet and release the workers (after an interrupt)."""

    @abstractmethod
    def close(self) -> None:
        """Release the workers once every job has finished."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.cancel()


class LocalExecutor(Executor):
    """A pool of ``workers`` spawned processes on this machine, one job per process."""

    name = "local"

    def __init__(self, workers: int, *, log_dir: str | None = None) -> None:
        self.workers = max(1, workers)
        self.log_dir = log_dir
        self._pool: ProcessPoolExecutor | None = None

    def prepare(self, jobs: Sequence[Job]) -> None:
        """Create the pool; its processes start as jobs arrive (at most one per job)."""
        if self._pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor  # loads multiprocessing: lazily

            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=warm_up,
                initargs=(self.log_dir,),
            )

    def results(self, jobs: Sequence[Job]) -> Iterator[tuple[int, Job | BaseException]]:
        """Submit every job to the pool; yield outcomes as they complete."""
        self.prepare(jobs)
        assert self._pool is not None
        futures: dict[Future[Job], int] = {
            self._pool.submit(execute_job, job): index for index, job in enumerate(jobs)
        }
        for future in as_completed(futures):
            outcome: Job | BaseException
            try:
                outcome = future.result()
            except Exception as exc:  # the worker process itself died
                outcome = exc
            yield futures[future], outcome

    def cancel(self) -> None:
        """Shut the pool down without waiting; queued jobs are dropped."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def close(self) -> None:
        """Shut the pool down, waiting for its processes to exit."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None


def _missing_paths(paths: list[str]) -> list[str]:
    """The ``paths`` that are not folders here (runs on each Dask worker)."""
    return [path for path in paths if not os.path.isdir(path)]


class DaskExecutor(Executor):
    """Jobs as tasks on a Dask cluster (``distributed``), one ``kernels`` unit each.

    Give the ``scheduler`` address (``tcp://host:8786``), or a connected ``client`` (for
    clusters that need credentials, e.g. ``dask_gateway``'s ``cluster.get_client()``),
    which is used as is and left open. The workers must import the same ``workbench``
    and see the workspace and data packs at the same paths as this process (a shared
    volume); :meth:`prepare` checks both.
    """

    name = "dask"

    def __init__(
        self,
        scheduler: str | None = None,
        *,
        client: Any = None,
        connect_timeout: float = CONNECT_TIMEOUT_S,
    ) -> None:
        try:
            import distributed
        except ImportError as exc:
            raise InputError(
                "executor 'dask' needs the distributed package, which is not installed: "
                "pip install 'almp-workbench[dask]'"
            ) from exc
        self._distributed = distributed
        self.connect_timeout = connect_timeout
        self._futures: list[Any] = []
        self._owns_client = client is None
        self._client: Any = client
        if client is not None:
            self.scheduler: str = scheduler or client.scheduler.address
            return
        if not scheduler:
            raise InputError("a Dask executor needs a scheduler address or a client")
        from distributed.comm.addressing import get_address_host_port, parse_address

        try:
            if parse_address(scheduler)[0] != "inproc":  # in-process clusters have no port
                get_address_host_port(scheduler)
        except (ValueError, TypeError) as exc:
            raise InputError(
                f"{scheduler!r} is not a Dask scheduler address ({exc}); expected e.g. "
                "tcp://dask-scheduler:8786"
            ) from None
        self.scheduler = scheduler

    def _connect(self) -> Any:
        if self._client is None:
            try:
                self._client = self._distributed.Client(
                    self.scheduler, timeout=self.connect_timeout, set_as_default=False
                )
            except OSError as exc:
                raise ExecutorUnavailable(
                    f"cannot reach the Dask scheduler at {self.scheduler} "
                    f"(gave up after {self.connect_timeout:g} s): {exc}"
                ) from None
        return self._client

    def _fit_workers(self) -> list[str]:
        """Addresses of the workers that may run jobs; raises when there are none."""
        workers = self._connect().scheduler_info(n_workers=-1)["workers"]
        start = WORKER_COMMAND.format(address=self.scheduler)
        if not workers:
            raise ExecutorUnavailable(
                f"the Dask scheduler at {self.scheduler} has no workers; start some "
                f"(`{start}`) or scale the cluster up"
            )
        fit = {
            address: info
            for address, info in workers.items()
            if info.get("resources", {}).get(KERNELS_RESOURCE, 0) >= 1
        }
        if not fit:
            raise ExecutorUnavailable(
                f"no worker of the Dask scheduler at {self.scheduler} has the "
                f"{KERNELS_RESOURCE!r} resource (workers: {', '.join(sorted(workers))}); "
                f"start them with `{start}`"
            )
        shared = {
            address: int(min(info["nthreads"], info["resources"][KERNELS_RESOURCE]))
            for address, info in fit.items()
        }
        unsafe = sorted(address for address, at_once in shared.items() if at_once > 1)
        if unsafe:
            raise ExecutorUnavailable(
                f"Dask worker(s) {', '.join(unsafe)} of {self.scheduler} could run "
                f"{max(shared.values())} kernels at once in one process, but papermill "
                f"changes the process's working directory: give each worker "
                f"`--nthreads 1 --resources {KERNELS_RESOURCE}=1`"
            )
        return sorted(fit)

    def prepare(self, jobs: Sequence[Job]) -> None:
        """Connect, then check the workers: ``kernels`` resource, one kernel per process,
        ``workbench`` importable, the jobs' templates and data visible at the same paths."""
        workers = self._fit_workers()
        paths = sorted(
            {os.path.dirname(job["template_path"]) for job in jobs}
            | {job["data_dir"] for job in jobs}
            | {job["models_dir"] for job in jobs}
        )
        try:
            missing = self._client.run(_missing_paths, paths, workers=workers)
        except ImportError as exc:
            raise ExecutorUnavailable(
                f"the Dask workers of {self.scheduler} cannot import workbench ({exc}): "
                "install the same almp-workbench on the workers"
            ) from None
        blind = {address: gone for address, gone in missing.items() if gone}
        if blind:
            address, gone = sorted(blind.items())[0]
            raise ExecutorUnavailable(
                f"Dask worker {address} of {self.scheduler} cannot see {gone[0]} "
                f"({len(blind)} worker(s) miss {sum(map(len, blind.values()))} folder(s)): "
                "workers need the workspace and data packs at the same paths (a shared volume)"
            )

    def results(self, jobs: Sequence[Job]) -> Iterator[tuple[int, Job | BaseException]]:
        """Submit one task per job holding one ``kernels`` unit; yield as they finish."""
        client = self._connect()
        index_of: dict[Any, int] = {}
        for index, job in enumerate(jobs):
            future = client.submit(
                execute_job,
                job,
                key=f"workbench-run-{job['case_slug']}-{job['template']}-{uuid.uuid4().hex[:8]}",
                resources={KERNELS_RESOURCE: 1},
                pure=False,
            )
            index_of[future] = index
        self._futures = list(index_of)
        for future in self._distributed.as_completed(self._futures, loop=client.loop):
            outcome: Job | BaseException
            try:
                outcome = future.result()
            except Exception as exc:  # the worker died (KilledWorker) or the task was lost
                outcome = exc
            future.release()
            yield index_of[future], outcome

    def cancel(self) -> None:
        """Cancel the tasks not finished yet and disconnect."""
        if self._client is not None:
            if self._futures:
                self._client.cancel(self._futures, force=True)
            self.close()

    def close(self) -> None:
        """Disconnect from the scheduler (the cluster itself keeps running); a client
        given by the caller stays open."""
        self._futures = []
        if self._client is not None and self._owns_client:
            self._client.close()
            self._client = None


def make_executor(
    name: str, *, workers: int, scheduler: str | None = None, log_dir: str | None = None
) -> Executor:
    """The executor called ``name``; nothing is started or connected yet.

    Raises:
        InputError: unknown name, no scheduler for ``dask``, or dask not installed.
    """
    if name == "local":
        return LocalExecutor(workers, log_dir=log_dir)
    if name == "dask":
        if not scheduler:
            raise InputError(
                "executor 'dask' needs a scheduler address, e.g. --scheduler "
                "tcp://dask-scheduler:8786 or WORKBENCH_SCHEDULER"
            )
        return DaskExecutor(scheduler)
    raise InputError(f"unknown executor {name!r}: use one of {', '.join(EXECUTORS)}")
