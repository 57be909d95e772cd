"""The writer thread: the store's unit of work runs off Scrapy's reactor thread, serially and in
submission order. One per process, shared by every source's spider: run statistics and repeal links
are read-modify-write across sources, and SQLite has one writer anyway."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThreadPool
from twisted.python.threadpool import ThreadPool

T = TypeVar("T")


class WriterThread:
    _shared: ClassVar[WriterThread | None] = None

    def __init__(self) -> None:
        self._pool = ThreadPool(minthreads=1, maxthreads=1, name="policywatch-writer")
        self._users = 0

    @classmethod
    def acquire(cls) -> WriterThread:
        """The process's writer, started for one more user (a spider's pipeline)."""
        if cls._shared is None:
            cls._shared = cls()
        writer = cls._shared
        if writer._users == 0:
            writer._pool.start()
        writer._users += 1
        return writer

    def submit(self, fn: Callable[..., T], *args: Any) -> Deferred[T]:
        return deferToThreadPool(reactor, self._pool, fn, *args)

    def release(self, result: T) -> T:
        """One user is done; the thread stops with the last. Passes `result` (or a failure) through."""
        self._users -= 1
        if self._users == 0:
            self._pool.stop()
        return result
