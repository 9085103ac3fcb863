"""The executor seam on a Dask cluster (``dask.distributed``).

:class:`DaskExecutor` hands the runner's batches to a ``distributed.Client``: its
``submit(fn, *args)`` returns a standard :class:`concurrent.futures.Future` (through
``Client.get_executor``), so :func:`simulation.runner.run_setup` treats the cluster like the
local process pool. Tasks are submitted ``pure=False`` (two batches with the same arguments
are still two pieces of work, never merged by Dask's key hashing), and the compiled setup —
the same object for every batch of a run — is scattered to the workers once instead of being
pickled into every task.

    with DaskExecutor.connect("tcp://scheduler:8786") as ex:
        run_whatif(sc, 60, 20_000, 7, executor=ex, workers=ex.workers())

    with DaskExecutor.local(n_workers=2) as ex:     # a LocalCluster of worker processes
        ...

``distributed`` is imported only here, and only when a Dask executor is made: the local runs
and the web server do not pay its import time. Ray is the documented alternative (see
``simulation/README.md``): ``ray.remote(fn).remote(*args).future()`` is also a concurrent future.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from simulation.setup import Setup

if TYPE_CHECKING:
    from distributed import Client


class DaskExecutor:
    """Submit the runner's batches to a Dask cluster through ``client``."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self._executor = client.get_executor(pure=False)  # type: ignore[no-untyped-call]
        self._scattered: tuple[Setup, Any] | None = None  # (the setup, its future on the cluster)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        return self._executor.submit(fn, *(self._remote(a) for a in args), **kwargs)  # type: ignore[no-any-return]

    def _remote(self, arg: Any) -> Any:
        if not isinstance(arg, Setup):
            return arg
        if self._scattered is None or self._scattered[0] is not arg:
            # broadcast: every worker gets it once, before its first batch asks for it
            fut = self.client.scatter(arg, broadcast=True, hash=False)  # type: ignore[no-untyped-call]
            self._scattered = (arg, fut)
        return self._scattered[1]

    def workers(self) -> int:
        """Threads across the cluster's workers now (the runner's ``workers``)."""
        # nthreads() lists every worker (scheduler_info() may list only the first few)
        threads: dict[str, int] = self.client.nthreads()  # type: ignore[no-untyped-call]
        return max(1, sum(threads.values()))

    @classmethod
    @contextlib.contextmanager
    def connect(cls, address: str) -> Iterator[DaskExecutor]:
        """A client of the scheduler at ``address`` for the block, closed after."""
        from distributed import Client

        with Client(address) as client:  # type: ignore[no-untyped-call]
            yield cls(client)

    @classmethod
    @contextlib.contextmanager
    def local(cls, n_workers: int = 2, threads_per_worker: int = 1) -> Iterator[DaskExecutor]:
        """A ``LocalCluster`` of ``n_workers`` worker *processes* for the block, closed after
        (even on error). The GIL makes thread workers useless for this pure-Python model."""
        from distributed import Client, LocalCluster

        with (
            LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=n_workers,
                processes=True,
                threads_per_worker=threads_per_worker,
                # loopback and free ports only: the machine is shared, and the scheduler's
                # HTTP server takes 8787 when given no address (None does not disable it)
                host="127.0.0.1",
                dashboard_address="127.0.0.1:0",
            ) as cluster,
            Client(cluster) as client,  # type: ignore[no-untyped-call]
        ):
            yield cls(client)


@contextlib.contextmanager
def dask_executor(address: str) -> Iterator[DaskExecutor]:
    """``local:N`` starts a LocalCluster of N worker processes; anything else is a scheduler
    address (``tcp://host:8786``)."""
    if address.startswith("local:"):
        try:
            n = int(address.removeprefix("local:"))
        except ValueError:
            raise ValueError(f"dask address {address!r}: local:N takes a number") from None
        if n < 1:
            raise ValueError(f"dask address {address!r}: at least one worker")
        with DaskExecutor.local(n_workers=n) as ex:
            yield ex
    else:
        with DaskExecutor.connect(address) as ex:
            yield ex
