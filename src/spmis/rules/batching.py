"""Answer concurrent requests together: a ``Batcher`` gives the items waiting at a moment to one
function call on its own thread, and each caller its own result.

The rules engine computes over arrays, so most of a simulation's cost is the same for one
household or fifty (``spmis.rules.screener.screen_many``). A process serving many public checks
at once gathers them here: while one batch is computed, the next requests wait in the queue and
form the next batch. Nobody waits for a batch to fill: a lone request is computed at once, alone.
One thread computes, so a worker process runs one simulation at a time instead of one per
thread of the pool fighting over the interpreter lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

__all__ = ["Batcher"]

In = TypeVar("In")
Out = TypeVar("Out")


class Batcher(Generic[In, Out]):
    """Calls ``compute`` (items -> one result per item, in order) on a thread of its own with
    the items submitted so far, at most ``most`` at a time. When a whole batch fails, each of
    its items is computed alone, so one bad item fails only its own caller."""

    def __init__(self, compute: Callable[[Sequence[In]], Sequence[Out]], most: int = 64,
                 name: str = "batcher") -> None:
        self.compute = compute
        self.most = most
        self.name = name
        self._queue: queue.SimpleQueue[tuple[In, asyncio.AbstractEventLoop,
                                             asyncio.Future[Out]]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    async def submit(self, item: In) -> Out:
        """The result of ``item`` (computed with whatever else is waiting)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Out] = loop.create_future()
        self._start()
        self._queue.put((item, loop, future))
        return await future

    def _start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self.most:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._answer(batch)

    def _answer(self, batch: list[tuple[In, asyncio.AbstractEventLoop,
                                        asyncio.Future[Out]]]) -> None:
        try:
            results: Sequence[Out | BaseException] = self.compute([item for item, _l, _f in batch])
        except Exception as exc:
            if len(batch) > 1:  # find the item that fails: each alone
                for one in batch:
                    self._answer([one])
                return
            results = [exc]  # its caller meets the error as if it had computed it itself
        for (_item, loop, future), result in zip(batch, results, strict=True):
            with contextlib.suppress(RuntimeError):  # a closed event loop: nobody waits
                loop.call_soon_threadsafe(_settle, future, result)


def _settle(future: asyncio.Future[Out], result: Out | BaseException) -> None:
    if future.done():  # the caller gave up (cancelled)
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)
