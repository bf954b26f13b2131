"""sr_jax's recipes: `get_config(arg)` per file, found by name with `--config=NAME[:PRESET]`.

In a checkout they live here, in `configs/`; an installed wheel carries them as the package
`sr_jax.configs` (sr_jax.recipes).
"""
