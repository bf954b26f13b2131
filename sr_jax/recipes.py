"""The recipes (`configs/*.py`) by name, from a checkout or an installed wheel.

`--config=edsr:x4` is `--config=<recipes>/edsr.py:x4`: the wheel installs the recipes as the
package `sr_jax.configs`; a checkout has them in `configs/` beside `sr_jax/`. A value with a
'/' or ending in '.py' is a path, as before. Each recipe lists its presets in `PRESETS`, the
default first, and says what it trains in its docstring's first line.
"""
import importlib.util
import pathlib

_CHECKOUT = pathlib.Path(__file__).resolve().parents[1] / "configs"


def directory() -> pathlib.Path:
  """The installed package `sr_jax.configs`, else the checkout's `configs/`."""
  spec = importlib.util.find_spec("sr_jax.configs")
  if spec is not None and spec.submodule_search_locations:
    return pathlib.Path(next(iter(spec.submodule_search_locations)))
  return _CHECKOUT


def names() -> list[str]:
  return sorted(p.stem for p in directory().glob("*.py") if not p.stem.startswith("_"))


def resolve(value: str) -> str:
  """'NAME[:PRESET]' → '<recipes>/NAME.py[:PRESET]'; paths are returned as they are."""
  name, colon, preset = value.partition(":")
  if "/" in name or name.endswith(".py") or name not in names():
    return value
  return f"{directory() / name}.py{colon}{preset}"


def _load(name: str):
  path = directory() / f"{name}.py"
  spec = importlib.util.spec_from_file_location(f"sr_jax_recipe_{name}", path)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module


def listing() -> str:
  """One line per recipe: its name, its presets (default first) and what it trains."""
  rows = []
  for name in names():
    module = _load(name)
    summary = (module.__doc__ or "").strip().splitlines()[0]
    presets = " ".join(p for p in module.PRESETS if not p.endswith("_291"))
    classic = any(p.endswith("_291") for p in module.PRESETS)
    rows.append((name, presets + (" (each also _291)" if classic else ""), summary))
  width = max(len(r[0]) for r in rows)
  return "\n".join(f"  {n:<{width}}  {p}\n  {'':<{width}}  {s}" for n, p, s in rows)
