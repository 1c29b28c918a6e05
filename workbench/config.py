"""One settings object shared by the CLI, the server extension and the app server.

Every option is declared once here, with help text, and takes its default from a
``WORKBENCH_*`` environment variable where that fits. Entry points build a
:class:`Settings` (optionally overriding fields from their own flags) and pass it on;
nothing else reads the environment.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: Folders whose presence marks a directory as a workbench workspace.
WORKSPACE_MARKERS = ("case_studies", "templates")
PACKAGE_DIR = Path(__file__).resolve().parent
#: The demo data pack shipped with the package (synthetic, see workbench/data/synthetic.py).
#: Data packs shipped with the package, by name: ``real`` (Eurostat + ESCO, the default)
#: and ``demo`` (synthetic, the offline test fixture).
PACKS_DIR = PACKAGE_DIR / "data" / "packs"
REAL_DATA_DIR = PACKS_DIR / "real"
DEMO_DATA_DIR = PACKS_DIR / "demo"
PACKAGED_DATA_DIR = REAL_DATA_DIR


def find_workspace(start: Path | None = None) -> Path:
    """Return the nearest directory at or above ``start`` that looks like a workspace.

    Falls back to ``start`` itself (the current directory by default).
    """
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if all((candidate / marker).is_dir() for marker in WORKSPACE_MARKERS):
            return candidate
    return here


class Settings(BaseSettings):
    """Workbench configuration.

    Environment variables use the ``WORKBENCH_`` prefix, e.g. ``WORKBENCH_HOME`` or
    ``WORKBENCH_DB_URL``.
    """

    model_config = SettingsConfigDict(env_prefix="WORKBENCH_", extra="forbid")

    home: Path = Field(
        default_factory=find_workspace,
        description="Workspace root (holds case_studies/, templates/, runs/, var/).",
    )
    db_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy database URL. Default: SQLite at <home>/var/workbench.sqlite. "
            "Use postgresql+psycopg://user:pass@host/db for PostgreSQL."
        ),
    )
    data_dir: Path | None = Field(
        default=None,
        description=(
            "Default data pack folder. Default: <home>/data if it exists, else the real "
            "pack shipped with the package (Eurostat and ESCO). A case study may name "
            "another pack with `data_pack:` (real, demo, or a folder of the workspace)."
        ),
    )
    workers: int = Field(
        default_factory=lambda: max(1, os.cpu_count() or 1),
        ge=1,
        le=64,
        description=(
            "Parallel notebook workers (separate processes) of the local executor for "
            "`workbench run`."
        ),
    )
    executor: Literal["local", "dask"] = Field(
        default="local",
        description=(
            "Where `workbench run` executes notebooks: `local` (a process pool on this "
            "machine) or `dask` (a Dask cluster at `scheduler`; pip install "
            "'almp-workbench[dask]')."
        ),
    )
    scheduler: str | None = Field(
        default=None,
        description=(
            "Address of the Dask scheduler for the `dask` executor, e.g. "
            "tcp://dask-scheduler:8786. Its workers need `--nthreads 1 --resources "
            "kernels=1` and the workspace at the same path."
        ),
    )
    kernel_name: str = Field(default="python3", description="Jupyter kernel for runs.")
    cell_timeout: int = Field(
        default=600, ge=1, description="Seconds a single notebook cell may run before it fails."
    )
    lab_port: int = Field(default=8888, ge=1, le=65535, description="JupyterLab port.")
    app_port: int = Field(default=8866, ge=1, le=65535, description="Stakeholder app port.")
    bind_host: str = Field(default="127.0.0.1", description="Interface the servers bind to.")
    public_url: str | None = Field(
        default=None,
        description=(
            "Base URL participants use to reach the app server (join links). "
            "Default: http://<bind_host>:<app_port>/"
        ),
    )
    lab_token: str | None = Field(
        default=None,
        description="Token of the analyst JupyterLab (default: a new random one per serve).",
    )
    token_valid_hours: float = Field(
        default=72, gt=0, le=24 * 365, description="How long a participant join link is valid."
    )
    rate_limit: int = Field(
        default=20, ge=1, description="Submissions one participant may make per rate window."
    )
    rate_window_s: float = Field(default=10, gt=0, description="Rate-limit window in seconds.")
    pool_size: int = Field(
        default=2,
        ge=0,
        le=200,
        description="Preheated app kernels kept per published app when no workshop is open.",
    )
    pool_headroom: float = Field(
        default=0.25,
        ge=0,
        le=1,
        description=(
            "Share of an open workshop's expected participants kept as warm app kernels "
            "after they have joined, for late joiners and new devices (each ~130 MB)."
        ),
    )
    pool_headroom_min: int = Field(
        default=2, ge=0, le=200, description="Warm app kernels kept per open workshop at least."
    )
    pool_start_concurrency: int = Field(
        default=2,
        ge=1,
        le=32,
        description=(
            "App kernels started at once when the pool refills, so a refill cannot starve "
            "the pages already open (about one per core)."
        ),
    )
    reload_grace_s: float = Field(
        default=180,
        ge=0,
        description=(
            "Seconds a closed participant page keeps its kernel: a reload with the same "
            "personal link within this time reattaches to it at once."
        ),
    )
    page_wait_s: float = Field(
        default=25,
        gt=0,
        description=(
            "Seconds a page request waits for a warm kernel before the participant gets a "
            "'busy, retrying' page instead."
        ),
    )
    pool_start_timeout_s: float = Field(
        default=120,
        gt=0,
        description=(
            "Seconds a preheated app kernel may take to start; one that is still not ready "
            "then is shut down and replaced (it would hold a start slot for ever)."
        ),
    )
    cull_idle_timeout: int = Field(
        default=900,
        ge=60,
        description="Seconds after which an app kernel with no open page is shut down.",
    )
    pathway_retention_days: int = Field(
        default=365,
        ge=1,
        le=3650,
        description=(
            "Days a jobseeker's pathways and counsellor reviews are kept after the last of "
            "them (GDPR storage limitation); `workbench pathways purge` erases older ones."
        ),
    )
    eurostat_api_url: str = Field(
        default="https://ec.europa.eu/eurostat/api/dissemination/sdmx/2.1",
        description=(
            "Base URL of Eurostat's SDMX 2.1 dissemination API, used by `workbench data fetch "
            "eurostat`; point it to a mirror when this machine cannot reach Eurostat."
        ),
    )

    @model_validator(mode="after")
    def _resolve_paths(self) -> Settings:
        self.home = Path(self.home).expanduser().resolve()
        if self.data_dir is None:
            local = self.home / "data"
            self.data_dir = local if local.is_dir() else PACKAGED_DATA_DIR
        self.data_dir = Path(self.data_dir).expanduser().resolve()
        return self

    def pack_dir(self, name: str | None) -> Path:
        """Folder of a named data pack: None is the default (``data_dir``), ``real`` and
        ``demo`` are the packaged packs, anything else a folder inside the workspace.

        Raises:
            InputError: no such pack.
        """
        from workbench.exceptions import InputError

        if name is None:
            return self.data_dir  # type: ignore[return-value]
        if (PACKS_DIR / name / "catalog.yaml").is_file() and "/" not in name:
            return PACKS_DIR / name
        candidate = (self.home / name).resolve()
        if candidate.is_relative_to(self.home) and candidate.is_dir():
            return candidate
        packaged = sorted(p.name for p in PACKS_DIR.iterdir() if (p / "catalog.yaml").is_file())
        raise InputError(
            f"no data pack {name!r}: use one of the packaged packs {packaged} or a folder "
            f"inside the workspace {self.home}"
        )

    # Derived locations: computed, never configured twice.
    @property
    def published_dir(self) -> Path:
        """Folder of published stakeholder app notebooks (the app server's root)."""
        return self.home / "published"

    @property
    def app_url(self) -> str:
        """Base URL of the stakeholder app server, ending in '/'."""
        base = self.public_url or f"http://{self.bind_host}:{self.app_port}/"
        return base if base.endswith("/") else base + "/"

    @property
    def case_studies_dir(self) -> Path:
        """Folder with one sub-folder per case study."""
        return self.home / "case_studies"

    @property
    def templates_dir(self) -> Path:
        """Folder with the parameterised template notebooks."""
        return self.home / "templates"

    @property
    def shared_models_dir(self) -> Path:
        """Folder with the versioned shared models."""
        return self.home / "shared_models"

    @property
    def runs_dir(self) -> Path:
        """Where run outputs go: runs/<case>/<template>/<hash>/."""
        return self.home / "runs"

    @property
    def var_dir(self) -> Path:
        """Runtime state (the default SQLite database)."""
        return self.home / "var"

    @property
    def database_url(self) -> str:
        """The effective database URL."""
        if self.db_url:
            return self.db_url
        return f"sqlite:///{self.var_dir / 'workbench.sqlite'}"
