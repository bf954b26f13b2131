"""sr_jax: single-image super-resolution in JAX/Flax."""
from sr_jax import xla_flags as _xla_flags

_xla_flags.apply()  # before JAX starts a backend: XLA reads XLA_FLAGS once
