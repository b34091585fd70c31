"""A function run in a forked worker process that dies with its parent: a process of its own gives
back all the memory it used when it exits (docs/safety.md, "Processes")."""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
import threading
import time


class WorkerDied(RuntimeError):
    """The worker process ended without a result (killed, or out of memory)."""


class _Background:
    """The result of a function run in a forked worker process, waited for on demand."""

    _waited = None  # (pid, status) once reaped

    def __init__(self, function, args):
        self._read, write = os.pipe()
        parent = os.getpid()
        mask = _hold(_STOPPING)  # until the worker has its own handlers: never the parent's code in it
        try:
            self.pid = os.fork()
        except OSError:
            _release(mask)
            os.close(self._read)
            os.close(write)
            raise
        if self.pid == 0:  # the worker: never returns
            os.close(self._read)
            _worker(parent, write, function, args, mask)
        _release(mask)
        os.close(write)

    def __call__(self):
        if self._read is None:
            raise RuntimeError("the worker's result was already taken, or the worker cancelled")
        try:
            with os.fdopen(self._read, "rb") as pipe:
                self._read = None
                data = pipe.read()
            self._waited = os.waitpid(self.pid, 0)
        finally:
            self.cancel()
        _, status = self._waited
        if not data:
            raise WorkerDied(f"the worker process died ({_status_text(status)})")
        ok, value = pickle.loads(data)
        if not ok:
            raise value
        return value

    def cancel(self) -> None:
        """Stop the worker if it still runs and reap it: no process outlives its caller."""
        if self._read is not None:
            os.close(self._read)
            self._read = None
        if self._waited is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            self._waited = os.waitpid(self.pid, 0)


def _status_text(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"


def parent_death_signal():
    """A function asking the kernel to SIGKILL this process when its parent dies (Linux's
    `prctl(PR_SET_PDEATHSIG)`), or None where the system has no such call (macOS and the BSDs,
    a C library without prctl, no ctypes): the worker's watchdog thread alone then ends it
    (docs/safety.md, "Processes")."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (ImportError, OSError, AttributeError):
        return None
    PR_SET_PDEATHSIG = 1
    return lambda: prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _worker(parent: int, write: int, function, args, mask) -> None:
    """Run in the forked child: die with the parent, send (ok, value) pickled down the pipe, exit
    without running anything of the parent's (no atexit, no buffered output flushed twice)."""
    status = 1
    try:
        # Ctrl-C and SIGTERM reach the whole group: the worker just stops (the parent's handlers
        # would undo the parent's writes from here). One the caller ignored stays ignored.
        for stopping in _STOPPING:
            if signal.getsignal(stopping) != signal.SIG_IGN:
                signal.signal(stopping, signal.SIG_DFL)
        _release(mask)
        die_with_parent = parent_death_signal()
        if die_with_parent is not None:
            die_with_parent()
        if os.getppid() != parent:  # the parent died before the kernel was asked to tell us
            os._exit(1)

        def watchdog():  # everywhere, and on Linux as a second line
            while os.getppid() == parent:
                time.sleep(0.2)
            os._exit(1)

        threading.Thread(target=watchdog, daemon=True).start()
        try:
            message = (True, function(*args))
        except Exception as exc:  # returned to the parent, which raises it as its own
            message = (False, exc)
        try:
            data = pickle.dumps(message)
        except Exception as exc:  # an unpicklable value or error
            data = pickle.dumps((False, RuntimeError(f"the worker failed: {exc!r}")))
        with os.fdopen(write, "wb") as pipe:
            pipe.write(data)
        status = 0
    finally:
        os._exit(status)


_STOPPING = (signal.SIGINT, signal.SIGTERM)


def _hold(signals) -> set | None:
    """Block `signals` in this thread; the mask before, to give to `_release`. None where the
    system has no signal masks (Windows: no fork either)."""
    if not hasattr(signal, "pthread_sigmask"):
        return None
    return signal.pthread_sigmask(signal.SIG_BLOCK, signals)


def _release(mask: set | None) -> None:
    if mask is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def in_background(function, *args, worth_it: bool = True):
    """Start `function(*args)` in a forked process; return a callable that waits for its result
    (and has `cancel()`). A process of its own keeps the memory the function used from staying
    with this one (a freed heap is seldom given back). Runs it in this process instead where
    forking is unavailable or the work is too small to pay for a second process (`worth_it`).
    The worker dies with this process, whatever kills it (docs/safety.md, "Processes")."""
    if not worth_it or not hasattr(os, "fork"):
        return _Done(function(*args))
    try:
        return _Background(function, args)
    except OSError:  # no process or pipe to be had (EAGAIN, ENOMEM): the work is done here instead
        return _Done(function(*args))


class _Done:
    """A result already at hand, with the interface of `_Background`."""

    def __init__(self, value):
        self.value = value

    def __call__(self):
        return self.value

    def cancel(self) -> None:
        pass
