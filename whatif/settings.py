"""Settings of the what-if service (``simulation.*`` in the config, ``METRO_SIMULATION__*``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SimulationSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    """What-if runs (``/api/simulations``): worker processes, limits and the queue."""

    workers: int | None = Field(default=None, ge=1, description="worker processes; all cores")
    max_run_s: float = Field(
        default=1800.0, gt=0, description="wall-clock limit of one run, then it fails"
    )
    queue_per_user: int = Field(
        default=3, ge=1, description="runs one user may have queued or running, then 429"
    )
    queue_total: int = Field(
        default=20, ge=1, description="runs queued or running server-wide, then 429"
    )
    dask_address: str | None = Field(
        default=None,
        description="sensitivity sweeps on a Dask cluster: tcp://scheduler:8786, or local:N "
        "(a LocalCluster of N worker processes per sweep); default: a local process pool",
    )
