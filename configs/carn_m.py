"""CARN-M (Ahn et al., ECCV 2018): configs/carn.py's official settings with the mobile model,
`--model carn_m --group 4` (shared residual-E units, 4-group convolutions).

Presets x2 / x3 / x4 (default x4).
"""
import pathlib

from sr_jax.config import load_recipe, preset

PRESETS = ("x4", "x2", "x3", "x4_291", "x2_291", "x3_291")  # carn.py's; the first is the default


def get_config(arg=None):
  c = load_recipe(pathlib.Path(__file__).with_name("carn.py"), preset("carn_m", arg, PRESETS))
  c.model.name = "carn_m"
  c.model.efficient = True
  c.model.groups = 4
  return c
