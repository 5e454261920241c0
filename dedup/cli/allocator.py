"""The C allocator of a ``dedup`` process: freed memory kept for the next stage.

A scan allocates and frees arrays of tens of megabytes stage after stage. glibc's malloc
serves each such array with a fresh ``mmap`` of its own, returned to the system when freed,
and then lowers what it keeps at the top of its heap: every array of the next stage is fresh
memory again, and each of its pages costs a page fault when first written (on a virtual
machine, about 0.5 s of system time in a 10,000-article scan of 4 s). Kept instead, the freed
memory is reused: the peak is the same, but pages are faulted in once.

Threads get one arena, the main one, instead of one each: glibc gives each thread an arena
of its own whose heaps it maps and unmaps as the thread's jobs come and go, so that with
``-j 2`` the worker threads faulted in fresh memory job after job (where the main thread,
once warm, reuses its memory) and each arena kept its own freed memory. The arrays a
stage allocates are few and large, so the lock the threads now share costs nothing
measurable.

The command owns its process, so only the command line asks for this (:func:`keep_freed_memory`
is called when a command runs, not on import): a program that imports ``dedup`` keeps its own
allocator settings. Elsewhere than on glibc it does nothing.

No transparent huge pages (:func:`no_huge_pages`): numpy asks the kernel for 2 MiB pages
for every array of 4 MiB or more, and on such a range the kernel zeroes a whole 2 MiB page
at the first write anywhere in it (and may first compact memory to find one). A scan's
arrays are made larger than what is written in them (the words of a batch, sized by its
characters) and come and go stage after stage; on a 2-core virtual machine a 30,000-article
scan spent about a fifth of its CPU time in the kernel zeroing such pages. With 4 KiB
pages only the pages written are zeroed. The setting is the process's (and its children's):
only the command line asks for it.
"""

from __future__ import annotations

import os
import sys

#: Linux's ``prctl`` option that turns transparent huge pages off for the process.
_PR_SET_THP_DISABLE = 41
#: glibc's ``mallopt`` parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
#: Arrays below this come from the heap, and are reused there once freed (glibc's ceiling
#: for the setting on 64-bit systems: half its 64 MiB heap).
MMAP_THRESHOLD = 32 * 1024 * 1024
#: Free memory at the top of the heap is handed back to the system only above this.
TRIM_THRESHOLD = 1024 * 1024 * 1024


def is_glibc() -> bool:
    """Whether this process runs on GNU libc (Linux, not musl)."""
    try:
        return (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc")
    except (ValueError, OSError, AttributeError):  # no such name here, or no confstr at all
        return False


def keep_freed_memory() -> bool:
    """Have glibc's malloc keep freed memory for reuse (see the module's docstring); returns
    whether the settings took (False elsewhere than on glibc)."""
    if not is_glibc():
        return False
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    # both or neither: a trim threshold alone would also pin the mmap threshold at 128 KiB
    if mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) != 1:
        return False
    return mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1 and mallopt(_M_ARENA_MAX, 1) == 1


def no_huge_pages() -> bool:
    """Turn transparent huge pages off for this process and the processes it starts (see
    the module's docstring); returns whether the setting took (False elsewhere than on
    Linux, or on a kernel before 3.15)."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        prctl = ctypes.CDLL(None).prctl
    except (OSError, AttributeError):
        return False
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    return prctl(_PR_SET_THP_DISABLE, 1, 0, 0, 0) == 0
