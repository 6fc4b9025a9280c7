"""Ending a process pool whose work is abandoned (an error, Ctrl-C, SIGTERM) at once."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

__all__ = ["end_pool"]


def end_pool(pool: ProcessPoolExecutor) -> None:
    """End a pool's workers now, whatever they are doing, rather than wait for their tasks.

    The workers are killed and joined here; the pool itself is not waited for: a worker
    killed (or interrupted by a Ctrl-C sent to the whole process group) while it held one
    of the pool's queue locks would leave the pool's own shutdown waiting for ever.
    """
    processes = dict(getattr(pool, "_processes", None) or {})
    for process in processes.values():
        if process.is_alive():
            process.kill()
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes.values():
        process.join()
