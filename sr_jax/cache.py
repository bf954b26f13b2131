"""The persistent XLA compilation cache, so that a restarted run loads its compiled steps.

`--compilation_cache=DIR` (main and bench; default $SR_JAX_COMPILATION_CACHE, else
~/.cache/sr_jax/xla; '' turns it off). Every compilation is cached, however quick: a resumed
run then starts with no compile at all.
"""
import os

import jax

DEFAULT_DIR = os.environ.get("SR_JAX_COMPILATION_CACHE", "~/.cache/sr_jax/xla")


def enable(path: str) -> str | None:
  """Points JAX's persistent cache at `path` (before the first compile); returns it, or None."""
  if not path:
    return None
  path = os.path.expanduser(path)
  jax.config.update("jax_compilation_cache_dir", path)
  jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
  jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
  return path
