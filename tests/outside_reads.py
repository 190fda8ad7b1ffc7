"""Notice a test reading files that sit beside the checkout instead of inside it.

A fresh clone has nothing beside it, so such a read passes on the machine that has the file and
fails (or skips) everywhere else. Python's audit hooks see every ``open``, ``os.listdir`` and
``os.scandir`` in this process; a watcher records those whose path lies under the checkout's
parent folder but not under the checkout itself. The virtual environment, the temporary folder
and hidden folders (tools' caches in a home folder) are allowed wherever they live. Child
processes are not watched (they run our own CLI, which reads the same package files).
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from pathlib import Path

_EVENTS = {"open", "os.listdir", "os.scandir"}


class Watcher:
    """Records reads of paths beside ``root`` (under its parent, outside it)."""

    def __init__(self, root: Path):
        self.root = Path(os.path.realpath(root))
        self.parent = self.root.parent
        # A checkout at the top of the file system has no "beside": everything would be.
        self._parent_prefix = os.path.join(str(self.parent), "") if self.parent != self.parent.parent else "\0"
        self.allowed = tuple(Path(os.path.realpath(p)) for p in {sys.prefix, sys.base_prefix, tempfile.gettempdir()})
        self.reads: list[str] = []
        self._lock = threading.Lock()

    def beside(self, path: str | os.PathLike) -> bool:
        """True for a path under the root's parent folder that is neither in the root nor allowed."""
        if not os.path.abspath(path).startswith(self._parent_prefix):
            return False  # the cheap test first: this runs on every open of the process
        resolved = Path(os.path.realpath(path))
        if not resolved.is_relative_to(self.parent) or resolved.is_relative_to(self.root):
            return False
        if any(resolved.is_relative_to(a) for a in self.allowed):
            return False
        # Hidden folders beside a checkout in a home folder are tools' caches and settings.
        return not resolved.relative_to(self.parent).parts[0].startswith(".")

    def see(self, path: str | os.PathLike) -> None:
        if self.beside(path):
            with self._lock:
                self.reads.append(os.fspath(path))

    def take(self) -> list[str]:
        """The reads recorded since the last call."""
        with self._lock:
            reads, self.reads = self.reads, []
        return reads


_watchers: list[Watcher] = []
_installed = False


def _hook(event: str, args: tuple) -> None:
    if event not in _EVENTS or not _watchers or not args:
        return
    path = args[0]
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not isinstance(path, (str, os.PathLike)):
        return  # a file descriptor, or scandir() of the working folder
    for watcher in list(_watchers):
        watcher.see(path)


def watch(watcher: Watcher) -> Watcher:
    """Start recording for ``watcher`` (audit hooks cannot be removed: one hook serves all)."""
    global _installed
    if not _installed:
        sys.addaudithook(_hook)
        _installed = True
    _watchers.append(watcher)
    return watcher


def unwatch(watcher: Watcher) -> None:
    _watchers.remove(watcher)
