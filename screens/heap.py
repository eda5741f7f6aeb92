"""Python's cycle collector and a large caseload: what the app holds is set aside at rest.

Now and then Python's cycle collector walks every object the app holds (a full collection).
With a large caseload (home's list of 10,000 clients) one walk took about 150 ms on the UI
thread, and it fell in whatever came next, often the opening of a client's page: the page cost
more in a larger caseload, though it shows one client.

So while the clinician rests on a row (home prepares that client's page), :func:`settle`
collects the young objects and sets the rest aside (``gc.freeze``): the collections that follow
walk only what was made since (a page's few thousand objects), whatever the caseload's size.
What was set aside and has since become garbage (a page closed, a list replaced) is not lost:
once what is set aside has grown by a quarter since the last full collection (Python's own
rule for one), a full collection is made when the app has been idle a while
(:func:`reclaim_if_grown`, from the app's idle check), or at the next rest once it doubled;
locking or ending the app hands it all back to the collector (:func:`release`). Reference
counting frees everything else at once, as always.

When home is made, what lives is set aside without a walk first (:func:`set_aside`): a full
collection there (25-100 ms with the UI thread held) fell inside home's first paint. What of it
was already garbage is collected by the first full collection the idle rule makes.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

# A full collection when idle once what is set aside grew by this much since the last one;
# at the next rest, idle or not, once it grew by the second.
GROWTH_BEFORE_FULL_COLLECTION = 1.25
GROWTH_BEFORE_FULL_COLLECTION_AT_ONCE = 2.0

_lock = threading.Lock()
_held_after_full: int | None = None  # objects set aside right after the last full collection
_walk_owed = False  # set aside without a full collection first: the next idle check makes one
_unwalked_reads = 0  # reads in progress that the collector does not walk (unwalked_read)
_enable_after_reads = False  # the collector was on when the first of them began
_reads_ended = 0  # counts release(): a read begun before it changes nothing when it ends


def settle() -> None:
    """At rest: collect the young generations and set aside what the app holds. Called from
    a worker thread (home's page preparation); the collector runs under the GIL."""
    global _held_after_full
    with _lock:
        gc.collect(1)  # the young objects: what is garbage among them is not set aside
        gc.freeze()
        held = gc.get_freeze_count()
        if _held_after_full is None:
            # The first rest: no walk now (home's list was just read; the walk owed since
            # set_aside is made when the app is idle).
            _held_after_full = held
        elif held > _held_after_full * GROWTH_BEFORE_FULL_COLLECTION_AT_ONCE:
            _reclaim()


def set_aside() -> None:
    """Set aside what lives now, without walking it (on the UI thread, as home is made: a
    young collection and a freeze cost well under a millisecond). What of it is garbage
    already is collected when the app is next idle (:func:`reclaim_if_grown`)."""
    global _walk_owed
    with _lock:
        gc.collect(0)
        gc.freeze()
        _walk_owed = True


@contextlib.contextmanager
def unwalked_read() -> Iterator[None]:
    """A read that makes what will live while it is shown (home's list of clients, in its
    worker): the collector does not run meanwhile, and what was made is set aside at the end
    without a walk. A collection started by those allocations walked them all while holding
    the GIL (at 10,000 clients 25-120 ms with the UI thread stopped, as the list was about to
    be painted). Reference counting frees memory meanwhile, as always; what of it is garbage
    is reclaimed by the rules above."""
    global _unwalked_reads, _enable_after_reads
    with _lock:
        ended = _reads_ended
        if _unwalked_reads == 0:
            _enable_after_reads = gc.isenabled()
            gc.disable()
        _unwalked_reads += 1
    try:
        yield
    finally:
        with _lock:
            # (The app locked or ended meanwhile: release() gave the collector back already;
            # a read that outlives its app does not pause the collector for what comes next.)
            if ended == _reads_ended:
                _unwalked_reads -= 1
                if _unwalked_reads == 0:
                    gc.freeze()
                    if _enable_after_reads:
                        gc.enable()


def reclaim_if_grown() -> None:
    """When the app is idle: a full collection if what is set aside grew by a quarter, or
    was set aside without one (:func:`set_aside`)."""
    with _lock:
        if _walk_owed or (
            _held_after_full is not None
            and gc.get_freeze_count() > _held_after_full * GROWTH_BEFORE_FULL_COLLECTION
        ):
            _reclaim()


def reclaim() -> None:
    """One full collection of everything (set aside or not), then set aside what is left."""
    with _lock:
        _reclaim()


def _reclaim() -> None:
    global _held_after_full, _walk_owed
    _walk_owed = False
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    _held_after_full = gc.get_freeze_count()


def release() -> None:
    """Hand everything back to the collector (the app locks: what it held of the vault is
    collected as Python sees fit, as if it had never been set aside)."""
    global _held_after_full, _walk_owed, _unwalked_reads, _reads_ended
    with _lock:
        if _unwalked_reads and _enable_after_reads:
            gc.enable()  # a read still running (in a worker) no longer pauses the collector
        _unwalked_reads = 0
        _reads_ended += 1
        gc.unfreeze()
        _held_after_full = None
        _walk_owed = False
