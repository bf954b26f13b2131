"""python -m sr_jax.sweep.report DIR [--metric Set5/psnr_y] [--predict_flops=C]: a sweep's
tables, fits and plots.

Finds every run in DIR, DIR/* or DIR/*/* (a folder holding metrics.jsonl or run_info.json;
DIR itself may be one run) and writes into DIR:

  report.csv, report.md   one row per run, best --metric first: the grid values, parameters,
                          train FLOPs (train_flops_per_step × steps), steps, wall time, best
                          PSNR/SSIM per validation set; report.md also holds both frontiers
                          and their fits.
  psnr_vs_params.png      best PSNR (of --metric) against parameter count N, with the fit on
                          its upper envelope.
  psnr_vs_compute.png     every validation point of every run against training compute
                          C = train_flops_per_step × step, the compute-optimal frontier and
                          the fit on it with its 95% band.
  learning_curves.png     validation PSNR against step per run, one panel per set.
  fit.json                the frontier points and the fitted coefficients (with standard
                          errors and covariance), and the compute-optimal size fit.

--predict_flops=C prints the compute fit at C with the 95% confidence band of the line and the
95% prediction interval of one new run (Student's t, n − 2 degrees of freedom), and the
compute-optimal parameter count there: log10 N = c + d·log10 C fitted on the frontier points,
N being the parameters of each point's run.

The compute-optimal frontier is the upper envelope of all (C, PSNR) points pooled over runs
and over each run's learning curve: the points, in order of increasing C, whose PSNR beats
every point at lower or equal C. With --frontier=runs it is the envelope of the runs alone, each
at its best value and the compute of its whole schedule: a point inside a longer run, whose
learning rate has not decayed yet, is no run of that length, so this is the frontier that
predicts what a run of C FLOPs reaches.

The fit, on the frontier points, is PSNR = a + b·log10(C / FLOPs) by least squares (the
same form against N on the parameter envelope: each run's best, kept where it beats every run
with fewer parameters). Since PSNR = -10·log10(MSE) (images in [0, 1]) this is the power law
MSE = A·C^-α on the frontier with α = b / 10 and A = 10^(-a / 10): the form where the error keeps falling as a power of
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
    best = self.best_at(metric)
    return best[1] if best else None

  def best_at(self, metric: str) -> tuple[int, float] | None:
    """(step, value) of the best validation of `metric`; the earliest of equal ones."""
    points = self.curves.get(f"val/{metric}", [])
    return max(points, key=lambda sv: (sv[1], -sv[0])) if points else None

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


def run_points(runs: Sequence[Run], metric: str) -> list[tuple[float, float, str, int]]:
  """(C, best value, run, step of the best) per run, C = train_flops_per_step × the run's steps:
  each run's result at the compute its whole schedule took (the frontier of separate runs, as
  Hoffmann et al. 2022 fit it, where a point inside a longer run's schedule is not a run of that
  length: its learning rate has not decayed)."""
  return [(run.flops_per_step * run.steps, best[1], run.name, best[0]) for run in runs
          if run.flops_per_step and (best := run.best_at(metric))]


FRONTIERS = {"curves": compute_points, "runs": run_points}


def frontier(points: Sequence[tuple]) -> list[tuple]:
  """The upper envelope: in order of increasing C, the points better than all at ≤ C."""
  best, out = -math.inf, []
  for p in sorted(points, key=lambda p: (p[0], -p[1])):
    if p[1] > best:
      out.append(p)
      best = p[1]
  return out


def fit_log_linear(points: Sequence[tuple]) -> dict | None:
  """PSNR = a + b·log10(x) by least squares on (x, PSNR, ...) points, with the coefficients'
  standard errors and covariance (for `predict`); None with fewer than 2 distinct x."""
  c = np.array([p[0] for p in points], dtype=np.float64)
  y = np.array([p[1] for p in points], dtype=np.float64)
  if len(set(c.tolist())) < 2:
    return None
  x = np.log10(c)
  b, a = np.polyfit(x, y, 1)
  residual = y - (a + b * x)
  total = float(np.sum((y - y.mean()) ** 2))
  r2 = 1.0 - float(np.sum(residual ** 2)) / total if total > 0 else 1.0
  n, sxx = len(x), float(np.sum((x - x.mean()) ** 2))
  # Residual variance with n - 2 degrees of freedom (0 when the line passes every point).
  s2 = float(np.sum(residual ** 2)) / (n - 2) if n > 2 else 0.0
  var_b = s2 / sxx
  var_a = s2 * (1.0 / n + x.mean() ** 2 / sxx)
  cov_ab = -x.mean() * var_b
  return {"form": "psnr = a + b * log10(C)  <=>  mse = A * C**-alpha",
          "a": float(a), "b": float(b), "alpha": float(b) / 10.0,
          "A": float(10 ** (-a / 10.0)), "r2": r2, "num_points": n,
          "se_a": math.sqrt(var_a), "se_b": math.sqrt(var_b), "cov_ab": cov_ab,
          "residual_sd": math.sqrt(s2), "c_min": float(c.min()), "c_max": float(c.max())}


def predict(fit: dict, x, level: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
  """The fit at x: (value, half-width of the `level` confidence band of the line, half-width
  of the prediction interval of one new point), Student's t with n − 2 degrees of freedom
  (no interval with 2 points: both half-widths are nan)."""
  lx = np.log10(np.asarray(x, dtype=np.float64))
  value = fit["a"] + fit["b"] * lx
  dof = fit["num_points"] - 2
  if dof < 1:
    nan = np.full_like(value, np.nan)
    return value, nan, nan
  import scipy.stats  # pylint: disable=g-import-not-at-top
  t = float(scipy.stats.t.ppf(0.5 + level / 2, dof))
  line_var = fit["se_a"] ** 2 + 2 * lx * fit["cov_ab"] + lx ** 2 * fit["se_b"] ** 2
  return value, t * np.sqrt(line_var), t * np.sqrt(line_var + fit["residual_sd"] ** 2)


def optimal_size_fit(front: Sequence[tuple], runs: Sequence[Run]) -> dict | None:
  """log10 N = c + d·log10 C over the frontier points (N: the parameters of each point's run):
  the compute-optimal model size N_opt = 10^c · C^d. None with fewer than 2 distinct C or N."""
  params = {r.name: r.num_params for r in runs if r.num_params}
  pts = [(c, math.log10(params[n])) for c, _, n, _ in front if n in params]
  if len({c for c, _ in pts}) < 2 or len({n for _, n in pts}) < 2:
    return None
  line = fit_log_linear(pts)
  return {"form": "log10(N_opt) = c + d * log10(C)", "c": line["a"], "d": line["b"],
          "r2": line["r2"], "num_points": line["num_points"]}


def params_points(runs: Sequence[Run], metric: str) -> list[tuple[float, float, str, int]]:
  """(parameters, best value, run, step of the best) per run with a parameter count."""
  return [(float(run.num_params), best[1], run.name, best[0]) for run in runs
          if run.num_params and (best := run.best_at(metric))]


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
  # A metric no run logged (psnr_rgb of Y-only models) is no column.
  keep = [i for i, (name, _) in enumerate(columns)
          if not name.startswith("best/") or any(row[i] is not None for row in rows)]
  return [columns[i] for i in keep], [[row[i] for i in keep] for row in rows]


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


def describe_fit(fit: dict | None, metric: str, x: str = "C", unit: str = "FLOPs",
                 on: str = "frontier points") -> str:
  if fit is None:
    return f"fit ({x}): fewer than 2 {on} with distinct {x}; no fit"
  return (f"fit on the {fit['num_points']} {on} ({metric}): "
          f"PSNR = {fit['a']:.4f} + {fit['b']:.4f}·log10({x})  "
          f"(± {fit['se_a']:.4f}, ± {fit['se_b']:.4f} s.e.; "
          f"MSE = {fit['A']:.4g}·{x}^-{fit['alpha']:.4f}), R² = {fit['r2']:.4f}, "
          f"{x} in [{fit['c_min']:.3e}, {fit['c_max']:.3e}] {unit}")


def describe_prediction(fit: dict, flops: float, metric: str, size: dict | None = None) -> str:
  value, band, interval = (float(v[0]) for v in predict(fit, [flops]))
  inside = fit["c_min"] <= flops <= fit["c_max"]
  text = (f"predicted {metric} at C = {flops:.3e} FLOPs: {value:.3f} dB (95%: line ± {band:.3f}, "
          f"new run ± {interval:.3f})"
          + ("" if inside else f"; extrapolated {flops / fit['c_max']:.3g}× beyond the "
             "largest fitted C"))
  if size:
    n_opt = 10 ** (size["c"] + size["d"] * math.log10(flops))
    text += f"; compute-optimal size there: N ≈ {n_opt:,.0f} parameters"
  return text


FRONTIER_TEXT = {
    "curves": "Upper envelope of all validation points of all runs, C = train_flops_per_step × step.",
    "runs": "Upper envelope of the runs, each at its best value and the compute of its whole "
            "schedule, C = train_flops_per_step × steps.",
}


def write_markdown(path, root, columns, rows, metric, front, fit, pfront, pfit, size,
                   frontier_of) -> None:
  parts = [f"# Sweep report: {root}", "",
           f"Runs sorted by best {metric}." if metric else "", "",
           markdown_table([c for c, _ in columns],
                          [[_fmt(v, kind) for v, (_, kind) in zip(row, columns)]
                           for row in rows]), ""]
  if metric:
    parts += [f"## Compute-optimal frontier ({metric})", "", FRONTIER_TEXT[frontier_of], ""]
    if front:
      parts += [markdown_table(["train FLOPs", metric, "run", "step"],
                               [[f"{c:.3e}", f"{v:.3f}", n, s] for c, v, n, s in front]), ""]
    parts += [describe_fit(fit, metric), ""]
    if size:
      parts += [f"Compute-optimal size on the frontier ({size['num_points']} points): "
                f"log10 N = {size['c']:.3f} + {size['d']:.3f}·log10 C, R² = {size['r2']:.3f}", ""]
    parts += [f"## Best {metric} against parameters", "",
              "Upper envelope of each run's best value over parameter counts N.", ""]
    if pfront:
      parts += [markdown_table(["parameters", metric, "run", "step"],
                               [[f"{int(c)}", f"{v:.3f}", n, s] for c, v, n, s in pfront]), ""]
    parts += [describe_fit(pfit, metric, "N", "parameters", "envelope points"), ""]
  parts += [f"![{p}]({p})" for p in PLOTS] + [""]
  epath.Path(path).write_text("\n".join(parts))


# ----------------------------------------------------------------------------- plots

def _save(fig, path) -> None:
  buf = io.BytesIO()
  fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
  epath.Path(path).write_bytes(buf.getvalue())


def _empty(ax, text: str) -> None:
  ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes)


def _fit_label(fit: dict, x: str) -> str:
  return f"{fit['a']:.2f} + {fit['b']:.2f}·log10({x}), R² = {fit['r2']:.3f}"


def _draw_fit(ax, fit: dict, x: str, lo: float, hi: float) -> None:
  """The fit from lo to hi with its 95% confidence band."""
  grid = np.logspace(math.log10(lo), math.log10(hi), 60)
  value, band, _ = predict(fit, grid)
  ax.plot(grid, value, "r--", lw=1.5, label=_fit_label(fit, x))
  if np.all(np.isfinite(band)):
    ax.fill_between(grid, value - band, value + band, color="r", alpha=0.15, lw=0,
                    label="95% band of the fit")


def plot_all(root, runs: Sequence[Run], metric: str | None, sets: Sequence[str], points, front,
             fit, pfront=(), pfit=None) -> None:
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
    if pfit:
      _draw_fit(ax, pfit, "N", pfit["c_min"], pfit["c_max"])
      ax.legend(fontsize=7, loc="lower right")
    ax.set_xscale("log")
  else:
    _empty(ax, "no runs with parameters and validation PSNR")
  ax.set(xlabel="parameters N", ylabel=f"best {label} (dB)", title=f"best {label} vs parameters")
  ax.grid(True, which="both", alpha=0.3)
  _save(fig, root / PLOTS[0])
  plt.close(fig)

  # PSNR vs training compute.
  fig, ax = plt.subplots(figsize=(7, 5))
  if points:
    colors = plt.get_cmap("tab20" if len(runs) > 10 else "tab10")
    for i, run in enumerate(runs):
      mine = sorted((c, v) for c, v, n, _ in points if n == run.name)
      if mine:
        ax.plot([c for c, _ in mine], [v for _, v in mine], "-o", ms=3, lw=1, alpha=0.6,
                color=colors(i % colors.N), label=run.name)
    ax.step([c for c, *_ in front], [v for _, v, *_ in front], where="post", color="k",
            lw=1.5, label="frontier")
    ax.scatter([c for c, *_ in front], [v for _, v, *_ in front], color="k", zorder=4, s=18)
    if fit:
      _draw_fit(ax, fit, "C", fit["c_min"], fit["c_max"])
    ax.set_xscale("log")
    # The frontier is the subject: points far below it (a run's first validations) are cut.
    if front:
      ax.set_ylim(bottom=min(v for _, v, *_ in front) - 1.5)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
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

def _best_first(runs: Sequence[Run], metric: str | None) -> list[Run]:
  """Runs by best `metric`, highest first; runs without one keep their order, last."""
  key = lambda r: -(r.best(metric) if metric and r.best(metric) is not None else -math.inf)
  return sorted(runs, key=key)


def report(root, metric: str | None = None, out=None, frontier_of: str = "curves") -> dict:
  """Writes the tables, plots and fit.json; returns a summary (used by the tests).

  frontier_of: 'curves' (every validation point of every run) or 'runs' (each run's best at
  its whole compute, `run_points`) for the compute frontier and its fit."""
  root = epath.Path(root)
  out = epath.Path(out) if out else root
  out.mkdir(parents=True, exist_ok=True)
  runs = find_runs(root)
  keys, recorded = grid_keys(root, runs)
  sets = val_sets(runs)
  metric = metric or default_metric(runs, sets)
  columns, rows = table(_best_first(runs, metric), keys, recorded, sets)
  points = compute_points(runs, metric) if metric else []
  front = frontier(FRONTIERS[frontier_of](runs, metric) if metric else [])
  fit = fit_log_linear(front) if front else None
  pfront = frontier(params_points(runs, metric)) if metric else []
  pfit = fit_log_linear(pfront) if pfront else None
  size = optimal_size_fit(front, runs)
  write_csv(out / "report.csv", columns, rows)
  write_markdown(out / "report.md", root, columns, rows, metric, front, fit, pfront, pfit, size,
                 frontier_of)
  as_dicts = lambda pts, x: [{x: c, "value": v, "run": n, "step": s} for c, v, n, s in pts]
  (out / "fit.json").write_text(json.dumps(
      {"metric": metric, "frontier_of": frontier_of, "fit": fit,
       "frontier": as_dicts(front, "flops"),
       "params_fit": pfit, "params_frontier": as_dicts(pfront, "params"),
       "optimal_size_fit": size}, indent=1) + "\n")
  plot_all(out, runs, metric, sets, points, front, fit, pfront, pfit)
  return {"runs": runs, "grid_keys": keys, "sets": sets, "metric": metric, "frontier": front,
          "fit": fit, "params_frontier": pfront, "params_fit": pfit, "optimal_size_fit": size,
          "columns": [c for c, _ in columns], "rows": rows}


def main(argv=None) -> int:
  p = argparse.ArgumentParser(prog="python -m sr_jax.sweep.report",
                              description=__doc__.split("\n\n")[0])
  p.add_argument("dir", help="sweep dir (or one run's workdir)")
  p.add_argument("--metric", default=None,
                 help="SET/psnr_y|ssim_y|psnr_rgb for the plots and the frontier "
                 "(default: the config's val.best_metric)")
  p.add_argument("--out", default=None, help="where to write (default: DIR)")
  p.add_argument("--frontier", choices=sorted(FRONTIERS), default="curves",
                 help="the compute frontier of every validation point ('curves', default) or of "
                 "each run's best at its whole compute ('runs': what predicts a run of C FLOPs)")
  p.add_argument("--predict_flops", type=float, action="append", default=[], metavar="C",
                 help="print the compute fit's prediction at C training FLOPs, with its 95%% "
                 "intervals (repeatable)")
  args = p.parse_args(argv)
  if not epath.Path(args.dir).exists():
    print(f"sr_jax.sweep.report: error: {args.dir} does not exist", file=sys.stderr)
    return 2
  try:
    summary = report(args.dir, args.metric, args.out, args.frontier)
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
    print(describe_fit(summary["params_fit"], summary["metric"], "N", "parameters",
                       "envelope points"))
  for flops in args.predict_flops:
    if summary["fit"] is None:
      print("sr_jax.sweep.report: error: --predict_flops: no compute fit", file=sys.stderr)
      return 1
    print(describe_prediction(summary["fit"], flops, summary["metric"],
                              summary["optimal_size_fit"]))
  return 0


if __name__ == "__main__":
  sys.exit(main())
