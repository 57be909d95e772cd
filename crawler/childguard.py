"""A crawl child dies with its parent, from its very first instant.

The child is started with `spawn`: a fresh interpreter that imports Scrapy (seconds) before any of
our code would run. `guarded` is the child's entry point and lives in this import-light module: it
asks the kernel to SIGKILL the child when the parent dies (Linux `prctl(PR_SET_PDEATHSIG)`), checks
that the parent is still the one that started it (it may have died before the `prctl`), and keeps a
watchdog thread for systems without `prctl`. Only then does it import and run the crawl."""

from __future__ import annotations

import ctypes
import importlib
import os
import signal
import sys
import threading
import time
from typing import Any

from monitor.teardown import ending

PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int) -> None:
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before the kernel was told to watch it
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def guarded(parent_pid: int, target: str, *args: Any) -> None:
    """Run `module:function`(*args) in this child once it is bound to `parent_pid`'s life."""
    die_with_parent(parent_pid)
    module, name = target.split(":")
    getattr(importlib.import_module(module), name)(*args)
    ending()  # the run waits for this process to exit
