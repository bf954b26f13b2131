"""sr_jax: single-image super-resolution in JAX/Flax."""
