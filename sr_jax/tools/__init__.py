"""Command-line tools (`python -m sr_jax.tools.NAME`)."""
