"""Grid sweeps over config fields: one workdir and one `sr_jax.main` run per grid point.

A grid is `key=v1,v2;key=v1,v2,...` over dotted config keys; its points are the cartesian
product of the axes, in the order written (the last axis varies fastest). Each point runs
in `<sweep dir>/<point name>`, named from the last part of each key and the value
(`model.features=16` and `model.num_blocks=4` → `features16_num_blocks4`), so re-running
a sweep finds the same workdirs: a point whose workdir holds `DONE` is skipped, any other
is launched again and resumes from its own checkpoints.

Values go to `sr_jax.main` verbatim as `--config.<key>=<value>`; commas inside brackets or
parentheses stay inside one value (`optim.milestones=(100,200),(300,400)` has 2 values).
"""
from __future__ import annotations

import dataclasses
import itertools
import json
import re
import shlex
import sys
from typing import Iterable, Sequence

from etils import epath

DONE_FILE = "DONE"
SWEEP_FILE = "sweep.json"  # what this sweep dir was launched with (read by the report)
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_OPEN, _CLOSE = "([{", ")]}"


class GridError(ValueError):
  """A grid or override that cannot be parsed; the message names the bad part."""


@dataclasses.dataclass(frozen=True)
class Point:
  name: str  # the workdir name inside the sweep dir
  values: tuple[tuple[str, str], ...]  # (dotted key, value) in grid order

  def overrides(self) -> list[str]:
    return [f"--config.{k}={v}" for k, v in self.values]


def split_top_level(text: str, sep: str = ",") -> list[str]:
  """Splits at `sep` outside brackets/parentheses/quotes."""
  parts, depth, quote, start = [], 0, "", 0
  for i, ch in enumerate(text):
    if quote:
      if ch == quote:
        quote = ""
    elif ch in "'\"":
      quote = ch
    elif ch in _OPEN:
      depth += 1
    elif ch in _CLOSE:
      depth -= 1
      if depth < 0:
        raise GridError(f"unbalanced {ch!r} in {text!r}")
    elif ch == sep and depth == 0:
      parts.append(text[start:i])
      start = i + 1
  if depth or quote:
    raise GridError(f"unclosed bracket or quote in {text!r}")
  parts.append(text[start:])
  return parts


def _check_key(key: str, part: str) -> str:
  key = key.strip()
  if key.startswith("config."):
    key = key[len("config."):]
  if not _KEY.fullmatch(key):
    raise GridError(f"bad key {key!r} in {part!r}: expected a dotted config key like "
                    "model.features")
  return key


def parse_grid(grid: str) -> list[tuple[str, list[str]]]:
  """'a.b=1,2;c=x' → [('a.b', ['1', '2']), ('c', ['x'])]; GridError names the bad part."""
  if not grid or not grid.strip():
    raise GridError("empty grid: expected 'key=v1,v2;key=v1,v2'")
  axes: list[tuple[str, list[str]]] = []
  for part in split_top_level(grid, ";"):
    if not part.strip():
      raise GridError(f"empty axis in grid {grid!r} (a stray ';'?)")
    if "=" not in part:
      raise GridError(f"axis {part.strip()!r} has no '=': expected key=v1,v2,...")
    key, _, values_text = part.partition("=")
    key = _check_key(key, part.strip())
    values = [v.strip() for v in split_top_level(values_text, ",")]
    if not values_text.strip() or any(not v for v in values):
      raise GridError(f"axis {part.strip()!r} has an empty value")
    if len(set(values)) != len(values):
      raise GridError(f"axis {part.strip()!r} repeats a value")
    if any(key == k for k, _ in axes):
      raise GridError(f"key {key!r} appears twice in the grid")
    axes.append((key, values))
  return axes


def parse_set(items: Iterable[str]) -> list[tuple[str, str]]:
  """['a.b=1'] → [('a.b', '1')]: overrides shared by every point (not in point names)."""
  out = []
  for item in items:
    if "=" not in item:
      raise GridError(f"--set {item!r} has no '=': expected key=value")
    key, _, value = item.partition("=")
    out.append((_check_key(key, item), value.strip()))
  return out


def _clean(value: str) -> str:
  value = value.strip().strip("'\"")
  value = re.sub(r"[()\[\]{}'\" ]", "", value)
  value = value.replace(",", "-").replace("/", "-").replace(":", "-")
  return value or "empty"


def point_names(keys: Sequence[str], points: Sequence[Sequence[str]]) -> list[str]:
  """Names from the last part of each key (the full key where last parts collide)."""
  short = [k.rsplit(".", 1)[-1] for k in keys]
  labels = short if len(set(short)) == len(short) else [k.replace(".", "-") for k in keys]
  return ["_".join(f"{label}{_clean(v)}" for label, v in zip(labels, values))
          for values in points]


def grid_points(axes: Sequence[tuple[str, Sequence[str]]]) -> list[Point]:
  keys = [k for k, _ in axes]
  combos = list(itertools.product(*[values for _, values in axes]))
  names = point_names(keys, combos)
  if len(set(names)) != len(names):
    raise GridError("two grid points get the same workdir name; make the values differ "
                    "after dropping brackets, quotes and spaces")
  return [Point(n, tuple(zip(keys, c))) for n, c in zip(names, combos)]


def unknown_key(config, keys: Iterable[str]) -> str | None:
  """The first dotted key that names no field of `config` (a ConfigDict), else None: checked
  for every axis and --set key before any point runs, instead of failing once per point."""
  for key in keys:
    node = config
    for part in key.split("."):
      if not hasattr(node, "keys") or part not in node.keys():
        return key
      node = node[part]
  return None


def is_done(workdir) -> bool:
  return (epath.Path(workdir) / DONE_FILE).exists()


def main_command(config: str, workdir, point: Point, shared: Sequence[tuple[str, str]] = (),
                 python: str = sys.executable, extra: Sequence[str] = ()) -> list[str]:
  return ([python, "-m", "sr_jax.main", f"--config={config}", f"--workdir={workdir}"]
          + [f"--config.{k}={v}" for k, v in shared] + point.overrides() + list(extra))


def join_workdir(root: str, name: str) -> str:
  return f"{str(root).rstrip('/')}/{name}"


def record_sweep(root, config: str, axes, shared, points: Sequence[Point]) -> None:
  """Writes/merges `<root>/sweep.json`: the grid keys and each point's values."""
  path = epath.Path(root) / SWEEP_FILE
  data = {"config": config, "grid_keys": [], "set": {}, "points": {}}
  if path.exists():
    try:
      data.update(json.loads(path.read_text()))
    except (ValueError, OSError):
      pass
  for key, _ in axes:
    if key not in data["grid_keys"]:
      data["grid_keys"].append(key)
  data["config"] = config
  data["set"] = dict(shared)
  for p in points:
    data["points"][p.name] = dict(p.values)
  path.parent.mkdir(parents=True, exist_ok=True)
  path.write_text(json.dumps(data, indent=1) + "\n")


def shell_join(command: Sequence[str]) -> str:
  return shlex.join(command)
