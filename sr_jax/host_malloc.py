"""glibc's malloc on the CPU: each run of a compiled program reuses the memory of the last.

XLA:CPU allocates the temporary buffers of each run of a compiled program with malloc, as one
block (116, 251 and 397 MiB for the benchmark's EDSR-baseline, RRDBNet and SwinIR ×4 steps),
from one of its worker threads, and frees it when the run ends. glibc cannot serve a block that
large from a thread's arena (its heaps hold 64 MiB at most) nor, above 32 MiB, reuse a freed
chunk for it: it maps fresh pages and unmaps them on free. So every step the kernel faults in
and zeroes the whole buffer again: 30,000, 64,000 and 102,000 minor page faults a step on the
2-core development VM (bench/NOTES.md, "Kept: malloc that reuses each step's memory").

`apply()` makes every thread allocate from the main arena (M_ARENA_MAX 1), serves large blocks
from the heap rather than new mappings (M_MMAP_MAX 0) and never trims the heap (M_TRIM_THRESHOLD
at its largest), so a step's buffer is the pages of the steps before. The price: the process
keeps what it freed, so its resident size stays at its peak, 0.4–1.2 GB above glibc's default
for those three steps, and its threads share one arena.

A thread keeps the arena it first allocated from, so this works only before JAX (or anything
else) starts threads: `import sr_jax` calls it, when the computation will run on the CPU
(JAX_PLATFORMS says "cpu", or no accelerator plugin, a `jax_plugins` entry point or libtpu, is
installed). A setting the user made in the environment (MALLOC_ARENA_MAX, MALLOC_MMAP_MAX_,
MALLOC_TRIM_THRESHOLD_, or their GLIBC_TUNABLES) is kept: setting all three to glibc's defaults
(8 × cores, 65536, 131072) turns this off. Only glibc has mallopt; elsewhere nothing changes.
"""
import ctypes
import importlib.metadata
import importlib.util
import os
import sys

# mallopt's parameters: {name: (number in glibc's malloc.h, value set, environment variable,
# GLIBC_TUNABLES name)}.
SETTINGS = {
    "M_ARENA_MAX": (-8, 1, "MALLOC_ARENA_MAX", "glibc.malloc.arena_max"),
    "M_MMAP_MAX": (-4, 0, "MALLOC_MMAP_MAX_", "glibc.malloc.mmap_max"),
    "M_TRIM_THRESHOLD": (-1, 2**31 - 1, "MALLOC_TRIM_THRESHOLD_", "glibc.malloc.trim_threshold"),
}


def _libc():
  """The C library Python runs on, if it is glibc (the one with mallopt)."""
  if not sys.platform.startswith("linux"):
    return None
  libc = ctypes.CDLL(None)
  return libc if hasattr(libc, "gnu_get_libc_version") else None  # not musl


def cpu_only(environ) -> bool:
  """Whether JAX will compute on the CPU: JAX_PLATFORMS names only "cpu", or it is unset and no
  accelerator plugin is installed (checked without starting JAX)."""
  platforms = environ.get("JAX_PLATFORMS", "")
  if platforms:
    return platforms.strip().lower() == "cpu"
  return (not importlib.metadata.entry_points(group="jax_plugins")
          and importlib.util.find_spec("libtpu") is None)


def to_set(environ) -> dict[str, int]:
  """{mallopt parameter: value} that `apply` sets under the environment `environ`: each of
  SETTINGS that `environ` does not set, where JAX computes on the CPU of a glibc host; else {}."""
  if _libc() is None or not cpu_only(environ):
    return {}
  tunables = environ.get("GLIBC_TUNABLES", "")
  return {name: value for name, (_, value, variable, tunable) in SETTINGS.items()
          if variable not in environ and f"{tunable}=" not in tunables}


def apply(environ=None) -> dict[str, int]:
  """Sets `to_set(environ)` (default: os.environ) with mallopt; returns what it set."""
  settings = to_set(os.environ if environ is None else environ)
  libc = _libc()
  return {name: value for name, value in settings.items()
          if libc.mallopt(SETTINGS[name][0], value) == 1}
