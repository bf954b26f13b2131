"""Every recipe that names a source matches it, key by key (tests/models/recipe_references.py).

A failure lists all of a recipe's mismatches at once: key, the recipe's value, the source's
value and the file it comes from. Entries known to differ today are strict xfails whose reason
names the differing keys (KNOWN_MISMATCHES): once a recipe is fixed the xfail turns into a
failure, and test_known_mismatches_are_current keeps the list exact as keys are fixed one by one.

Only configs are built (no model, no data): the whole file runs in seconds.
"""
import functools
import importlib.util
import math
import pathlib
import sys
from collections.abc import Mapping

import ml_collections
import pytest

from sr_jax import config as config_lib
from sr_jax.data import root as data_root

HERE = pathlib.Path(__file__).resolve().parent
CONFIGS = HERE.parents[1] / "configs"


def _load_module(path: pathlib.Path, name: str):
  spec = importlib.util.spec_from_file_location(name, path)
  module = importlib.util.module_from_spec(spec)
  sys.modules[name] = module  # dataclasses look their module up
  spec.loader.exec_module(module)
  return module


refs = _load_module(HERE / "recipe_references.py", "sr_jax_tests_recipe_references")


_MISSING = "<absent>"
_SCHEDULE_KEYS = ("milestones", "gamma", "restart_periods", "min_learning_rate")


class RecipeMismatch(AssertionError):
  """A recipe differs from its named source."""


def _get(c, key):
  node = c
  for part in key.split("."):
    if isinstance(node, (ml_collections.ConfigDict, Mapping)) and part in node:
      node = node[part]
    else:
      return refs.IMPLICIT.get(key, _MISSING)
  if isinstance(node, ml_collections.ConfigDict):
    return node.to_dict()
  return node


def _equal(a, b) -> bool:
  if isinstance(a, Mapping) and isinstance(b, Mapping):
    return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
  if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
    return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
  if isinstance(a, bool) or isinstance(b, bool):
    return a is b
  if isinstance(a, (int, float)) and isinstance(b, (int, float)):
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=0.0)
  return type(a) is type(b) and a == b


def _schedule(get, prefix, num_steps):
  """(schedule, milestones): multistep milestones at or past the end of the run change nothing
  and are dropped; a multistep left without any is 'constant'."""
  schedule = get(f"{prefix}.schedule")
  milestones = get(f"{prefix}.milestones")
  if schedule == "multistep" and milestones is not _MISSING:
    milestones = tuple(m for m in milestones if num_steps is _MISSING or m < num_steps)
    if not milestones:
      schedule = "constant"
  return schedule, milestones


@functools.cache
def _docstring(recipe: str) -> str:
  return _load_module(CONFIGS / f"{recipe}.py", f"sr_jax_tests_recipe_doc_{recipe}").__doc__ or ""


def _augment_of(value):
  """sr_jax's data.augment (pipeline.AUGMENTS) as (hflip, rot)."""
  return {"flip_rot": (True, True), "hflip": (True, False), "none": (False, False),
          True: (True, True), False: (False, False)}.get(value, value)


_FOUND = {}


def mismatches(recipe, preset, source, keys):
  """[(key, recipe value, source value, source file)] where the recipe differs."""
  if (recipe, preset) not in _FOUND:
    _FOUND[recipe, preset] = _compare(recipe, preset, source, keys)
  return _FOUND[recipe, preset]


def _compare(recipe, preset, source, keys):
  c = config_lib.load_recipe(CONFIGS / f"{recipe}.py", preset)

  def recipe_get(key):
    return _get(c, key)

  def ref_get(key):
    value = keys.get(key, _MISSING)
    return value.value if isinstance(value, refs.Cite) else value

  ref_steps = ref_get("train.num_steps")
  recipe_steps = recipe_get("train.num_steps")
  ref_steps = recipe_steps if ref_steps is _MISSING else ref_steps
  schedules = {}
  for prefix in ("optim", "gan.optim"):
    if f"{prefix}.schedule" in keys:
      schedules[prefix] = (_schedule(ref_get, prefix, ref_steps),
                           _schedule(recipe_get, prefix, recipe_steps))

  out = []
  for key, value in keys.items():
    where = source
    if isinstance(value, refs.Cite):
      value, where = value.value, value.source
    got = recipe_get(key)
    prefix, _, leaf = key.rpartition(".")
    if prefix in schedules and leaf in ("schedule", "milestones") + _SCHEDULE_KEYS:
      (ref_schedule, ref_milestones), (got_schedule, got_milestones) = schedules[prefix]
      if leaf == "schedule":
        value, got = ref_schedule, got_schedule
      elif ref_schedule == "constant":
        continue  # no milestone, decay factor or cycle matters
      elif leaf == "milestones":
        value, got = ref_milestones, got_milestones
    if isinstance(value, refs.TrainSets):
      source_kind, dirs = c.data.source, tuple(c.data.dirs)
      ok = source_kind == "folder" and sorted(data_root.expand(dirs)) == sorted(value.names)
      if not ok:
        out.append((key, f"{source_kind}:{dirs}", "+".join(value.names), where))
      continue
    if isinstance(value, refs.Augment):
      wanted = (value.hflip, value.rot)
      if _augment_of(got) != wanted:
        out.append((key, got, f"hflip={value.hflip}, rot={value.rot}", where))
      continue
    if isinstance(value, refs.PretrainedFrom):
      if value.release and got != value.release:
        out.append((key, got, f"the release {value.release} ({value.what})", where))
      elif not got and value.marker not in _docstring(recipe):
        out.append((key, f"{got!r} (docstring lacks {value.marker!r})",
                    f"initialised from {value.what}", where))
      continue
    if got is _MISSING or not _equal(got, value):
      out.append((key, got, value, where))
  return out


def _format(recipe, preset, found) -> str:
  lines = [f"configs/{recipe}.py:{preset} differs from its source in {len(found)} key(s):"]
  lines += [f"  {key}: recipe {got!r}, source {want!r}  [{where}]"
            for key, got, want, where in found]
  return "\n".join(lines)


def _params():
  out = []
  for recipe, preset, source, keys in refs.REFERENCES:
    known = KNOWN_MISMATCHES.get((recipe, preset))
    marks = ()
    if known:
      reason = "; ".join(f"{k}: {v}" for k, v in known.items())
      marks = pytest.mark.xfail(strict=True, raises=RecipeMismatch, reason=reason)
    out.append(pytest.param(recipe, preset, source, keys, marks=marks, id=f"{recipe}:{preset}"))
  return out


# (recipe, preset) → {key: "recipe value vs source value"}: what differs today. The texts are for
# the reader (they become the xfail reasons); test_known_mismatches_are_current checks the keys.
KNOWN_MISMATCHES: dict = {}


@pytest.mark.parametrize("recipe,preset,source,keys", _params())
def test_recipe_follows_its_source(recipe, preset, source, keys):
  found = mismatches(recipe, preset, source, keys)
  if found:
    raise RecipeMismatch(_format(recipe, preset, found))


def test_known_mismatches_are_current():
  """KNOWN_MISMATCHES names exactly the keys that differ today: fixing one key of a recipe
  means taking it off the list (and the whole entry once the recipe matches)."""
  stale = []
  for recipe, preset, source, keys in refs.REFERENCES:
    found = {key for key, *_ in mismatches(recipe, preset, source, keys)}
    listed = set(KNOWN_MISMATCHES.get((recipe, preset), {}))
    if found != listed:
      stale.append(f"{recipe}:{preset}: differ now {sorted(found)}, listed {sorted(listed)}")
  assert not stale, "\n".join(stale)


def test_references_name_real_keys_and_recipes():
  """Every reference key is a config key (or, in IMPLICIT, one only some models' configs have),
  every entry a preset."""
  default = config_lib.default_config()
  for recipe, preset, source, keys in refs.REFERENCES:
    assert (CONFIGS / f"{recipe}.py").is_file(), recipe
    module = _load_module(CONFIGS / f"{recipe}.py", f"sr_jax_tests_presets_{recipe}")
    assert preset in module.PRESETS
    assert source, (recipe, preset)
    c = config_lib.load_recipe(CONFIGS / f"{recipe}.py", preset)
    for key in keys:
      if key in refs.IMPLICIT:
        continue
      assert _get(c, key) is not _MISSING or _get(default, key) is not _MISSING, (recipe, key)
