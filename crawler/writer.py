"""The store process and the reader process: reading pages (monitor.ingest.reading) and storing them
(crawler.storeside) run in processes of their own beside the crawl, so that the work uses every core.
In one process the GIL makes them take turns: reading a page on a thread of the crawl process kept
its reactor waiting for the GIL, and the crawl process was the slowest of the three.

A page to read goes to the reader process, which passes the page and its reading on to the store
process as the call `ingest_page`; the answer comes back from the store process like any other. The
pipeline awaits each page's answer before the source's closing calls, so those never overtake a page.

One store process (and one reader) per crawl process, shared by every source's spider, the store
doing one call at a time in the order they arrive: run statistics and repeal links are
read-modify-write across sources, and SQLite has one writer anyway. The crawl side sends a call and
gets its answer as a Deferred; a page already sent is stored while the next ones download (Scrapy
bounds how many wait: its scraper slot).

If the store or the reader process dies (a crash, the OOM killer, a kill point) nothing more can be
stored: the crawl process says so and exits 1, as if it had died itself. What was committed stays;
the next run fetches the rest again."""

from __future__ import annotations

import dataclasses
import itertools
import logging
import multiprocessing
import operator
import os
import queue
import signal
import threading
import traceback
from collections.abc import Callable
from contextlib import suppress
from multiprocessing.reduction import ForkingPickler
from typing import Any, ClassVar

from twisted.internet import reactor
from twisted.internet.defer import Deferred

from monitor.derive import PageInputs, ParsedPage
from monitor.ingest.reading import Reading
from monitor.ingest.triage import Triage
from monitor.lifecycle import DateRule, Lifecycle, RepealTarget
from monitor.normalise import Clause, Document

log = logging.getLogger("policywatch.crawl")

POLL_SECONDS = 0.5  # how soon a dead store or reader process is noticed


def _by_fields(cls: type) -> Callable[[Any], tuple[type, tuple[Any, ...]]]:
    """A dataclass pickled as the call of its class with its fields."""
    values = operator.attrgetter(*(f.name for f in dataclasses.fields(cls)))
    return lambda obj: (cls, values(obj))


# A page's reading crosses from the reader to the store process as ~30 of these. Python 3.11 pickles
# a frozen dataclass with slots through `dataclasses.fields()` on each object, both ways: a third of
# what sending and receiving a reading cost (0.29 → 0.195 ms a page on the benchmark's pages). Each
# has two fields or more, so `values` gives a tuple.
for _cls in (Reading, Triage, ParsedPage, PageInputs, Document, Clause, Lifecycle, DateRule, RepealTarget):
    ForkingPickler.register(_cls, _by_fields(_cls))


class StoreFailed(Exception):
    """A call the store process could not do (its traceback is in the log)."""


class StoreProcess:
    _shared: ClassVar[StoreProcess | None] = None

    def __init__(self) -> None:
        # fork: the children start at once with what this process imported and its logging set up.
        # They run only serve() and read(): no reactor, no database connection of this process.
        ctx: Any = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
        self._requests: Any = ctx.Queue()  # unbounded on this side (a feeder thread): sending never blocks the reactor
        self._replies: Any = ctx.Queue()
        self._to_read: Any = ctx.Queue()
        self._process = ctx.Process(
            target=serve, args=(self._requests, self._replies, os.getpid()), name="policywatch-store", daemon=True
        )
        self._process.start()
        self._reader = ctx.Process(
            target=read,
            args=(self._to_read, self._requests, self._replies, os.getpid()),
            name="policywatch-reader",
            daemon=True,
        )
        self._reader.start()
        self._pending: dict[int, Deferred[Any]] = {}
        self._ids = itertools.count()
        self._users = 0
        self._stopping = False
        threading.Thread(target=self._read_replies, name="policywatch-store-replies", daemon=True).start()

    @classmethod
    def acquire(cls) -> StoreProcess:
        """The crawl process's store process, started for one more user (a spider's pipeline)."""
        if cls._shared is None:
            cls._shared = cls()
        cls._shared._users += 1
        return cls._shared

    def call(self, method: str, *args: Any) -> Deferred[Any]:
        """`method` of the store process's StoreSide, called with `args` (pickled). On the reactor thread."""
        call_id, answer = self._awaited()
        self._requests.put((call_id, method, args))
        return answer

    def read_and_ingest(self, key: int, item: Any, source: Any, list_fields: Any) -> Deferred[Any]:
        """Read a fetched page in the reader process, then store it (`ingest_page` of the store process)."""
        call_id, answer = self._awaited()
        self._to_read.put((call_id, key, item, source, list_fields))
        return answer

    def _awaited(self) -> tuple[int, Deferred[Any]]:
        """A new call's id and the Deferred its answer (from the store process) will settle."""
        call_id = next(self._ids)
        answer: Deferred[Any] = Deferred()
        self._pending[call_id] = answer
        return call_id, answer

    def release(self, result: Any) -> Any:
        """One user is done; the process ends with the last, after its calls. Passes `result` through."""
        self._users -= 1
        if self._users == 0:
            self._stopping = True
            self._to_read.put(None)  # the reader passes it on to the store process after the pages before it
            self._reader.join()
            self._process.join()
            StoreProcess._shared = None
        return result

    def _read_replies(self) -> None:
        while True:
            try:
                replies = [self._replies.get(timeout=POLL_SECONDS)]
            except queue.Empty:
                # Told to stop, the reader ends first (exit code 0) while the store still commits:
                # only a process that failed is a death; the store's clean exit ends this thread.
                stopped = (p for p in (self._process, self._reader) if not p.is_alive())
                dead = next((p for p in stopped if not (self._stopping and p.exitcode == 0)), None)
                if dead is None:
                    if self._stopping and not self._process.is_alive():
                        return
                    continue
                log.error(
                    "the %s process died (exit code %s): nothing more can be stored, the crawl stops here; "
                    "what was stored so far is kept and the next run fetches the rest",
                    dead.name.removeprefix("policywatch-"),
                    dead.exitcode,
                )
                os._exit(1)
            with suppress(queue.Empty):
                while True:  # all that arrived, handed to the reactor in one wake-up
                    replies.append(self._replies.get_nowait())
            reactor.callFromThread(self._settle, replies)

    def _settle(self, replies: list[tuple[int, bool, Any]]) -> None:
        for call_id, ok, result in replies:
            answer = self._pending.pop(call_id)
            if ok:
                answer.callback(result)
            else:
                answer.errback(StoreFailed(result))


def _helper_start(crawl_pid: int) -> None:
    from crawler.childguard import die_with_parent

    die_with_parent(crawl_pid)
    # Ctrl+C and a TERM reach the whole process group: the crawl process shuts down gracefully and
    # still needs this process to store what is in flight and to close the run's books.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.set_wakeup_fd(-1)  # the reactor's wake-up pipe is the crawl process's, not ours


def read(pages: Any, requests: Any, replies: Any, crawl_pid: int) -> None:
    """The reader process: reads each page and sends it on to the store process, until told to stop
    (None, passed on too)."""
    from crawler.pipelines import read_for_store

    _helper_start(crawl_pid)
    while (page := pages.get()) is not None:
        call_id, key, item, source, list_fields = page
        try:
            sent, reading = read_for_store(item, source, list_fields)
        except Exception as exc:  # read_page answers for the page's own faults; this is a bug
            log.error("reader: %s failed: %s\n%s", item.url, exc, traceback.format_exc())
            replies.put((call_id, False, f"{type(exc).__name__}: {exc}"))
            continue
        requests.put((call_id, "ingest_page", (key, sent, reading)))
    requests.put(None)


def serve(requests: Any, replies: Any, crawl_pid: int) -> None:
    """The store process: one call at a time until told to stop (None)."""
    from crawler.storeside import StoreSide

    _helper_start(crawl_pid)
    side = StoreSide()
    while True:
        try:
            request = requests.get_nowait()
        except queue.Empty:
            side.commit()  # the crawl is not keeping up with storing: commit now rather than wait
            request = requests.get()
        if request is None:
            side.close()
            return
        call_id, method, args = request
        try:
            replies.put((call_id, True, getattr(side, method)(*args)))
        except Exception as exc:
            log.error("store: %s failed: %s\n%s", method, exc, traceback.format_exc())
            replies.put((call_id, False, f"{type(exc).__name__}: {exc}"))
