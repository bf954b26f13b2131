"""python -m sr_jax.sweep.report DIR [--metric Set5/psnr_y]: tables and plots for a sweep.

Finds every run in DIR, DIR/* or DIR/*/* (a folder holding metrics.jsonl or run_info.json;
DIR itself may be one run) and writes into DIR:

  report.csv, report.md   one row per run: the grid values, parameters, train FLOPs
                          (train_flops_per_step × steps), steps, wall time, best PSNR/SSIM
                          per validation set; report.md also holds the frontier and the fit.
  psnr_vs_params.png      best PSNR (of --metric) against parameter count.
  psnr_vs_compute.png     every validation point of every run against training compute
                          C = train_flops_per_step × step, the compute-optimal frontier and
                          the fit on it.
  learning_curves.png     validation PSNR against step per run, one panel per set.
  fit.json                the frontier points and the fitted coefficients.

The compute-optimal frontier is the upper envelope of all (C, PSNR) points pooled over runs
and over each run's learning curve: the points, in order of increasing C, whose PSNR beats
every point at lower or equal C.

The fit, on the frontier points, is PSNR = a + b·log10(C / FLOPs) by least squares. Since
PSNR = -10·log10(MSE) (images in [0, 1]) this is the power law MSE = A·C^-α on the frontier
with α = b / 10 and A = 10^(-a / 10): the form where the error keeps falling as a power of
compute with no floor — fine over the ranges a sweep covers, but do not extrapolate far.

Wall time sums, over the contiguous stretches of metrics.jsonl (a resumed run starts a new
stretch where the step goes back or a step logs a metric twice), the last minus the first
time stamp: time before the first logged record (start-up, compilation) and between a
crash and its restart is not counted.
"""
from __future__ import annotations

import argparse
import csv
import dataclasses
import io
import json
import math
import re
import sys
from typing import Any, Sequence

import numpy as np
from etils import epath

from sr_jax import extras, sweep

METRICS_FILE = "metrics.jsonl"
RUN_INFO_FILE = "run_info.json"
VAL_KEY = re.compile(r"^val/(.+)/(psnr_y|ssim_y|psnr_rgb)$")
VAL_METRICS = ("psnr_y", "ssim_y", "psnr_rgb")
MAX_DEPTH = 2  # runs are found in DIR, DIR/*, DIR/*/*
PLOTS = ("psnr_vs_params.png", "psnr_vs_compute.png", "learning_curves.png")


@dataclasses.dataclass
class Run:
  name: str
  path: Any
  done: bool = False
  num_params: int | None = None
  flops_per_step: float | None = None
  config: dict = dataclasses.field(default_factory=dict)  # flattened: "model.features" → 64
  steps: int = 0
  wall_time_s: float | None = None
  final_loss: float | None = None
  curves: dict = dataclasses.field(default_factory=dict)  # metric key → [(step, value)]

  def best(self, metric: str) -> float | None:
    """Best value of 'Set/psnr_y' (all val metrics are higher-is-better)."""
    points = self.curves.get(f"val/{metric}", [])
    return max(v for _, v in points) if points else None

  @property
  def train_flops(self) -> float | None:
    return self.flops_per_step * self.steps if self.flops_per_step is not None else None


def flatten(d: dict, prefix: str = "") -> dict:
  out = {}
  for k, v in d.items():
    key = f"{prefix}{k}"
    if isinstance(v, dict):
      out.update(flatten(v, key + "."))
    else:
      out[key] = v
  return out


def read_records(path) -> list[dict]:
  """metrics.jsonl lines in file order; an unreadable line (a run killed mid-write) is skipped."""
  records = []
  for line in epath.Path(path).read_text().splitlines():
    line = line.strip()
    if not line:
      continue
    try:
      record = json.loads(line)
    except ValueError:
      continue
    if isinstance(record, dict) and isinstance(record.get("step"), (int, float)):
      records.append(record)
  return records


def merge_by_step(records: Sequence[dict]) -> dict[int, dict]:
  """step → record; records of one step merge, later ones (a resumed run) win."""
  merged: dict[int, dict] = {}
  for r in records:
    merged.setdefault(int(r["step"]), {}).update(r)
  return dict(sorted(merged.items()))


def wall_time(records: Sequence[dict]) -> float | None:
  """Sum of (last - first time stamp) over the stretches of one process's records.

  A new stretch (a resumed run) begins where the step goes back, or where a step repeats a
  metric it already logged; records of one step with different metrics (train, then val)
  belong together.
  """
  total, start, prev, seen = 0.0, None, None, set()
  for r in records:
    if not _finite(r.get("time")):
      continue
    step, t = int(r["step"]), float(r["time"])
    keys = set(r) - {"step", "time"}
    if prev is not None and (step < prev[0] or (step == prev[0] and keys & seen)):
      total += prev[1] - start[1]
      start = None
    if start is None:
      start, seen = (step, t), set()
    if prev is None or step != prev[0]:
      seen = set()
    seen |= keys
    prev = (step, t)
  return None if prev is None else total + prev[1] - start[1]


def _finite(v) -> bool:
  return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def load_run(path, name: str) -> Run:
  path = epath.Path(path)
  run = Run(name=name, path=path, done=(path / sweep.DONE_FILE).exists())
  info_path = path / RUN_INFO_FILE
  if info_path.exists():
    try:
      info = json.loads(info_path.read_text())
    except ValueError:
      info = {}
    if _finite(info.get("num_params")):
      run.num_params = int(info["num_params"])
    if _finite(info.get("train_flops_per_step")):
      run.flops_per_step = float(info["train_flops_per_step"])
    if isinstance(info.get("config"), dict):
      run.config = flatten(info["config"])
  metrics_path = path / METRICS_FILE
  if metrics_path.exists():
    records = read_records(metrics_path)
    merged = merge_by_step(records)
    run.steps = max(merged, default=0)
    run.wall_time_s = wall_time(records)
    for step, record in merged.items():
      for key, value in record.items():
        if key in ("step", "time") or not _finite(value):
          continue
        run.curves.setdefault(key, []).append((step, float(value)))
    losses = run.curves.get("train/loss")
    run.final_loss = losses[-1][1] if losses else None
  return run


def _natural(path) -> list:
  """'features8' sorts before 'features16'."""
  return [(0, int(t), "") if t.isdigit() else (1, 0, t)
          for t in re.split(r"(\d+)", str(path)) if t]


def find_runs(root) -> list[Run]:
  root = epath.Path(root)
  dirs = set()
  for filename in (METRICS_FILE, RUN_INFO_FILE):
    for depth in range(MAX_DEPTH + 1):  # no recursive glob: epath refuses `**` (GCS cost)
      for f in root.glob("/".join(["*"] * depth + [filename])):
        dirs.add(f.parent)
  runs = []
  for d in sorted(dirs, key=_natural):
    rel = str(d)[len(str(root)):].strip("/")
    runs.append(load_run(d, rel or root.name))
  return runs


def grid_keys(root, runs: Sequence[Run]) -> tuple[list[str], dict]:
  """The swept keys (from sweep.json, else the config keys whose values differ) and the
  recorded per-point values."""
  path = epath.Path(root) / sweep.SWEEP_FILE
  if path.exists():
    try:
      data = json.loads(path.read_text())
      return list(data.get("grid_keys", [])), dict(data.get("points", {}))
    except ValueError:
      pass
  configs = [r.config for r in runs if r.config]
  keys = sorted({k for c in configs for k in c})
  differ = [k for k in keys if len({json.dumps(c.get(k), sort_keys=True) for c in configs}) > 1]
  return differ, {}


def grid_value(run: Run, key: str, recorded: dict) -> Any:
  if key in run.config:
    value = run.config[key]
    return list(value) if isinstance(value, tuple) else value
  return recorded.get(run.name, {}).get(key, "")


def val_sets(runs: Sequence[Run]) -> list[str]:
  sets = []
  for run in runs:
    for key in run.curves:
      m = VAL_KEY.match(key)
      if m and m.group(1) not in sets:
        sets.append(m.group(1))
  return sets


def default_metric(runs: Sequence[Run], sets: Sequence[str]) -> str | None:
  for run in runs:
    best = run.config.get("val.best_metric")
    if isinstance(best, str) and any(f"val/{best}" in r.curves for r in runs):
      return best
  return f"{sets[0]}/psnr_y" if sets else None


# ----------------------------------------------------------------------------- frontier + fit

def compute_points(runs: Sequence[Run], metric: str) -> list[tuple[float, float, str, int]]:
  """(C, value, run, step) for every validation point of every run with a FLOPs count."""
  out = []
  for run in runs:
    if not run.flops_per_step:
      continue
    for step, value in run.curves.get(f"val/{metric}", []):
      if step > 0:
        out.append((run.flops_per_step * step, value, run.name, step))
  return out


def frontier(points: Sequence[tuple]) -> list[tuple]:
  """The upper envelope: in order of increasing C, the points better than all at ≤ C."""
  best, out = -math.inf, []
  for p in sorted(points, key=lambda p: (p[0], -p[1])):
    if p[1] > best:
      out.append(p)
      best = p[1]
  return out


def fit_log_linear(points: Sequence[tuple]) -> dict | None:
  """PSNR = a + b·log10(C) by least squares; None with fewer than 2 distinct C."""
  c = np.array([p[0] for p in points], dtype=np.float64)
  y = np.array([p[1] for p in points], dtype=np.float64)
  if len(set(c.tolist())) < 2:
    return None
  x = np.log10(c)
  b, a = np.polyfit(x, y, 1)
  residual = y - (a + b * x)
  total = float(np.sum((y - y.mean()) ** 2))
  r2 = 1.0 - float(np.sum(residual ** 2)) / total if total > 0 else 1.0
  return {"form": "psnr = a + b * log10(C)  <=>  mse = A * C**-alpha",
          "a": float(a), "b": float(b), "alpha": float(b) / 10.0,
          "A": float(10 ** (-a / 10.0)), "r2": r2, "num_points": len(points),
          "c_min": float(c.min()), "c_max": float(c.max())}


# ----------------------------------------------------------------------------- tables

def _fmt(v, kind: str = "") -> str:
  if v is None or v == "":
    return ""
  if kind == "sci":
    return f"{v:.3e}"
  if kind == "time":
    s = int(round(v))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"
  if kind == "psnr":
    return f"{v:.3f}"
  if kind == "ssim":
    return f"{v:.4f}"
  if isinstance(v, float):
    return f"{v:.4g}"
  if isinstance(v, (list, dict)):
    return json.dumps(v)
  return str(v)


def table(runs: Sequence[Run], keys: Sequence[str], recorded: dict, sets: Sequence[str]):
  """Header and rows: raw values (for the csv) and their formats (for the markdown)."""
  columns = [("run", ""), *[(k, "") for k in keys], ("done", ""), ("num_params", ""),
             ("train_flops_per_step", "sci"), ("steps", ""), ("train_flops", "sci"),
             ("wall_time_s", "time"), ("final_train_loss", "")]
  for s in sets:
    columns += [(f"best/{s}/psnr_y", "psnr"), (f"best/{s}/ssim_y", "ssim"),
                (f"best/{s}/psnr_rgb", "psnr")]
  rows = []
  for run in runs:
    row = [run.name, *[grid_value(run, k, recorded) for k in keys], run.done, run.num_params,
           run.flops_per_step, run.steps, run.train_flops, run.wall_time_s, run.final_loss]
    for s in sets:
      row += [run.best(f"{s}/{m}") for m in VAL_METRICS]
    rows.append(row)
  return columns, rows


def write_csv(path, columns, rows) -> None:
  buf = io.StringIO()
  w = csv.writer(buf, lineterminator="\n")
  w.writerow([c for c, _ in columns])
  for row in rows:
    w.writerow(["" if v is None else (json.dumps(v) if isinstance(v, (list, dict)) else v)
                for v in row])
  epath.Path(path).write_text(buf.getvalue())


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
  esc = lambda s: str(s).replace("|", "\\|")
  lines = ["| " + " | ".join(map(esc, header)) + " |",
           "|" + "|".join("---" for _ in header) + "|"]
  lines += ["| " + " | ".join(map(esc, row)) + " |" for row in rows]
  return "\n".join(lines)


def describe_fit(fit: dict | None, metric: str) -> str:
  if fit is None:
    return "fit: fewer than 2 frontier points with distinct compute; no fit"
  return (f"fit on the {fit['num_points']} frontier points ({metric}): "
          f"PSNR = {fit['a']:.4f} + {fit['b']:.4f}·log10(C)  "
          f"(MSE = {fit['A']:.4g}·C^-{fit['alpha']:.4f}), R² = {fit['r2']:.4f}, "
          f"C in [{fit['c_min']:.3e}, {fit['c_max']:.3e}] FLOPs")


def write_markdown(path, root, columns, rows, metric, front, fit) -> None:
  parts = [f"# Sweep report: {root}", "",
           markdown_table([c for c, _ in columns],
                          [[_fmt(v, kind) for v, (_, kind) in zip(row, columns)]
                           for row in rows]), ""]
  if metric:
    parts += [f"## Compute-optimal frontier ({metric})", "",
              "Upper envelope of all validation points of all runs, C = "
              "train_flops_per_step × step.", ""]
    if front:
      parts += [markdown_table(["train FLOPs", metric, "run", "step"],
                               [[f"{c:.3e}", f"{v:.3f}", n, s] for c, v, n, s in front]), ""]
    parts += [describe_fit(fit, metric), ""]
  parts += [f"![{p}]({p})" for p in PLOTS] + [""]
  epath.Path(path).write_text("\n".join(parts))


# ----------------------------------------------------------------------------- plots

def _save(fig, path) -> None:
  buf = io.BytesIO()
  fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
  epath.Path(path).write_bytes(buf.getvalue())


def _empty(ax, text: str) -> None:
  ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes)


def plot_all(root, runs: Sequence[Run], metric: str | None, sets: Sequence[str], points, front,
             fit) -> None:
  matplotlib = extras.require("matplotlib", "plots", "the sweep report's plots")
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top

  root = epath.Path(root)
  label = metric or "PSNR"
  # PSNR vs params.
  fig, ax = plt.subplots(figsize=(6, 4.5))
  xy = [(r.num_params, r.best(metric), r.name) for r in runs if metric and r.num_params
        and r.best(metric) is not None]
  if xy:
    ax.scatter([p for p, _, _ in xy], [v for _, v, _ in xy], zorder=3)
    for p, v, n in xy:
      ax.annotate(n, (p, v), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.set_xscale("log")
  else:
    _empty(ax, "no runs with parameters and validation PSNR")
  ax.set(xlabel="parameters", ylabel=f"best {label} (dB)", title=f"best {label} vs parameters")
  ax.grid(True, which="both", alpha=0.3)
  _save(fig, root / PLOTS[0])
  plt.close(fig)

  # PSNR vs training compute.
  fig, ax = plt.subplots(figsize=(7, 5))
  if points:
    for run in runs:
      mine = sorted((c, v) for c, v, n, _ in points if n == run.name)
      if mine:
        ax.plot([c for c, _ in mine], [v for _, v in mine], "-o", ms=3, lw=1, alpha=0.6,
                label=run.name)
    ax.step([c for c, *_ in front], [v for _, v, *_ in front], where="post", color="k",
            lw=1.5, label="frontier")
    ax.scatter([c for c, *_ in front], [v for _, v, *_ in front], color="k", zorder=4, s=18)
    if fit:
      c = np.logspace(math.log10(fit["c_min"]), math.log10(fit["c_max"]), 50)
      ax.plot(c, fit["a"] + fit["b"] * np.log10(c), "r--", lw=1.5,
              label=f"{fit['a']:.2f} + {fit['b']:.2f}·log10(C)")
    ax.set_xscale("log")
    ax.legend(fontsize=7, loc="lower right")
  else:
    _empty(ax, "no runs with train_flops_per_step and validation PSNR")
  ax.set(xlabel="training compute C (FLOPs)", ylabel=f"{label} (dB)",
         title=f"{label} vs training compute")
  ax.grid(True, which="both", alpha=0.3)
  _save(fig, root / PLOTS[1])
  plt.close(fig)

  # Learning curves: one panel per validation set.
  n = max(1, len(sets))
  fig, axes = plt.subplots(1, n, figsize=(5.5 * n, 4.2), squeeze=False)
  for ax, s in zip(axes[0], sets or [None]):
    drawn = False
    for run in runs:
      curve = run.curves.get(f"val/{s}/psnr_y", []) if s else []
      if curve:
        ax.plot([st for st, _ in curve], [v for _, v in curve], "-o", ms=3, lw=1,
                label=run.name)
        drawn = True
    if drawn:
      ax.legend(fontsize=7)
    else:
      _empty(ax, "no validation points")
    ax.set(xlabel="step", ylabel="PSNR-Y (dB)", title=f"{s or ''} learning curves")
    ax.grid(True, alpha=0.3)
  _save(fig, root / PLOTS[2])
  plt.close(fig)


# ----------------------------------------------------------------------------- entry point

def report(root, metric: str | None = None, out=None) -> dict:
  """Writes the tables, plots and fit.json; returns a summary (used by the tests)."""
  root = epath.Path(root)
  out = epath.Path(out) if out else root
  out.mkdir(parents=True, exist_ok=True)
  runs = find_runs(root)
  keys, recorded = grid_keys(root, runs)
  sets = val_sets(runs)
  metric = metric or default_metric(runs, sets)
  columns, rows = table(runs, keys, recorded, sets)
  points = compute_points(runs, metric) if metric else []
  front = frontier(points)
  fit = fit_log_linear(front) if front else None
  write_csv(out / "report.csv", columns, rows)
  write_markdown(out / "report.md", root, columns, rows, metric, front, fit)
  (out / "fit.json").write_text(json.dumps(
      {"metric": metric, "fit": fit,
       "frontier": [{"flops": c, "value": v, "run": n, "step": s} for c, v, n, s in front]},
      indent=1) + "\n")
  plot_all(out, runs, metric, sets, points, front, fit)
  return {"runs": runs, "grid_keys": keys, "sets": sets, "metric": metric, "frontier": front,
          "fit": fit, "columns": [c for c, _ in columns], "rows": rows}


def main(argv=None) -> int:
  p = argparse.ArgumentParser(prog="python -m sr_jax.sweep.report",
                              description=__doc__.split("\n\n")[0])
  p.add_argument("dir", help="sweep dir (or one run's workdir)")
  p.add_argument("--metric", default=None,
                 help="SET/psnr_y|ssim_y|psnr_rgb for the plots and the frontier "
                 "(default: the config's val.best_metric)")
  p.add_argument("--out", default=None, help="where to write (default: DIR)")
  args = p.parse_args(argv)
  if not epath.Path(args.dir).exists():
    print(f"sr_jax.sweep.report: error: {args.dir} does not exist", file=sys.stderr)
    return 2
  try:
    summary = report(args.dir, args.metric, args.out)
  except extras.MissingExtra as e:
    print(f"error: {e}", file=sys.stderr)
    return 1
  if not summary["runs"]:
    print(f"sr_jax.sweep.report: warning: no runs ({METRICS_FILE} or {RUN_INFO_FILE}) "
          f"under {args.dir}", file=sys.stderr)
  out = args.out or args.dir
  print(f"{len(summary['runs'])} runs; wrote {out}/report.csv, report.md, fit.json, "
        + ", ".join(PLOTS))
  if summary["metric"]:
    print(describe_fit(summary["fit"], summary["metric"]))
  return 0


if __name__ == "__main__":
  sys.exit(main())
