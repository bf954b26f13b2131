"""sr_jax: single-image super-resolution in JAX/Flax."""
from sr_jax import host_malloc as _host_malloc
from sr_jax import xla_flags as _xla_flags

_xla_flags.apply()  # before JAX starts a backend: XLA reads XLA_FLAGS once
_host_malloc.apply()  # before any thread allocates: a thread keeps the malloc arena it has
