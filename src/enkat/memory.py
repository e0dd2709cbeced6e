"""Keeping a job's resident memory to what it holds (glibc malloc's mmap threshold).

glibc serves an allocation above the mmap threshold (128 KiB) with its own mapping, given
back to the system when freed - but after the first such free it raises the threshold to
that size (up to 32 MiB), so the next arrays of a few million rows come from the heap and
stay resident after they are freed. A table job allocates and frees many such arrays
(codes, indexes, the design's temporaries): at 3 M responses that retention alone is about
70 MB. Fixing the threshold (`mallopt(M_MMAP_THRESHOLD)`, as MALLOC_MMAP_THRESHOLD_ does)
keeps large arrays in mappings of their own. Elsewhere than glibc this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util

M_MMAP_THRESHOLD = -3
THRESHOLD = 1 << 20  # arrays above 1 MiB (131 072 float64) get their own mapping


def return_freed_arrays() -> bool:
    """Fix glibc's mmap threshold for this process; whether it could be set."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        return bool(libc.mallopt(M_MMAP_THRESHOLD, THRESHOLD))
    except (OSError, AttributeError):
        return False
