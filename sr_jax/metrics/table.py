"""The comparison table SR papers print: methods × (set, metric), the best value per column bold.

Input rows look like {"method": "EDSR", "set": "Set5", "scale": 4, "metrics": {"psnr_y": 32.46,
"ssim_y": 0.8968}}; rows of one (method, set, scale) are merged. The table has one row per
(scale, method), grouped by scale in ascending order and methods in first-seen order, and one
column per (set, metric). Each column's best value among the methods of one scale is bold:
lower is better for NIQE and LPIPS, higher for the others. Best is decided on the printed
(rounded) values, so every printed tie is bold; a value alone in its column is not marked.
Missing or NaN values print as a dash and are never best. Output: GitHub Markdown, or LaTeX
with booktabs rules (\\usepackage{booktabs}).
"""
import dataclasses
import math
from typing import Iterable, Mapping, Sequence


@dataclasses.dataclass(frozen=True)
class MetricFormat:
  label: str
  decimals: int
  higher_is_better: bool = True


# Known metrics, as the evaluation reports them (image_quality, perceptual_quality, fidelity,
# tasks).
FORMATS = {
    "psnr_y": MetricFormat("PSNR-Y", 2),
    "psnr_rgb": MetricFormat("PSNR-RGB", 2),
    "ssim_y": MetricFormat("SSIM-Y", 4),
    "ms_ssim": MetricFormat("MS-SSIM", 4),
    "ifc": MetricFormat("IFC", 3),
    "vif": MetricFormat("VIF", 4),
    "vif_p": MetricFormat("VIF-P", 4),
    "niqe": MetricFormat("NIQE", 3, higher_is_better=False),
    "lpips": MetricFormat("LPIPS", 4, higher_is_better=False),
    "task_top1": MetricFormat("Top-1 agr.", 3),
    "task_top5": MetricFormat("Top-5 agr.", 3),
}
_DASH = {"markdown": "–", "latex": "--"}
_ARROW = {"markdown": ("↑", "↓"), "latex": (r"$\uparrow$", r"$\downarrow$")}


def metric_format(name: str) -> MetricFormat:
  """The format of a metric; an unknown one prints under its own name, 4 decimals, higher is
  better."""
  return FORMATS.get(name, MetricFormat(name, 4))


@dataclasses.dataclass(frozen=True)
class Table:
  sets: tuple[str, ...]
  metrics: tuple[str, ...]
  scales: tuple[int, ...]
  methods: dict  # scale → tuple of methods, in first-seen order
  text: dict  # (scale, method, set, metric) → printed value, or None where missing
  bold: frozenset  # the (scale, method, set, metric) cells printed bold


def _first_seen(values: Iterable) -> tuple:
  return tuple(dict.fromkeys(values))


def _merge(rows: Iterable[Mapping]) -> dict:
  merged = {}
  for row in rows:
    key = (int(row["scale"]), str(row["method"]), str(row["set"]))
    cell = merged.setdefault(key, {})
    for name, value in row["metrics"].items():
      if name in cell and cell[name] != value:
        raise ValueError(f"two values of {name} for {key}: {cell[name]} and {value}")
      cell[name] = value
  return merged


def build(rows: Sequence[Mapping], sets: Sequence[str] | None = None,
          metrics: Sequence[str] | None = None) -> Table:
  """The table's cells and bold marks; sets/metrics: the columns and their order (default: all,
  first-seen order)."""
  merged = _merge(rows)
  sets = tuple(sets) if sets is not None else _first_seen(k[2] for k in merged)
  if metrics is None:
    metrics = _first_seen(name for cell in merged.values() for name in cell)
  metrics = tuple(metrics)
  scales = tuple(sorted({k[0] for k in merged}))
  methods = {s: _first_seen(k[1] for k in merged if k[0] == s) for s in scales}
  text, bold = {}, set()
  for scale in scales:
    for set_name in sets:
      for name in metrics:
        fmt = metric_format(name)
        printed = {}
        for method in methods[scale]:
          value = merged.get((scale, method, set_name), {}).get(name)
          ok = value is not None and not math.isnan(float(value))
          key = (scale, method, set_name, name)
          text[key] = f"{float(value):.{fmt.decimals}f}" if ok else None
          if ok:
            printed[method] = float(text[key])
        if len(printed) > 1:
          best = (max if fmt.higher_is_better else min)(printed.values())
          bold.update((scale, m, set_name, name) for m, v in printed.items() if v == best)
  return Table(sets, metrics, scales, methods, text, frozenset(bold))


def _header_label(name: str, style: str) -> str:
  fmt = metric_format(name)
  label = _escape_latex(fmt.label) if style == "latex" else fmt.label
  return f"{label} {_ARROW[style][0 if fmt.higher_is_better else 1]}"


def _cell(table: Table, key, style: str) -> str:
  value = table.text[key]
  if value is None:
    return _DASH[style]
  if key not in table.bold:
    return value
  return f"**{value}**" if style == "markdown" else rf"\textbf{{{value}}}"


def to_markdown(rows: Sequence[Mapping], sets: Sequence[str] | None = None,
                metrics: Sequence[str] | None = None) -> str:
  """The table as GitHub Markdown: columns 'Set metric ↑/↓', best in **bold**."""
  t = build(rows, sets, metrics)
  header = ["Method", "Scale"] + [f"{s} {_header_label(m, 'markdown')}"
                                  for s in t.sets for m in t.metrics]
  align = ["---", "---"] + ["---:"] * (len(header) - 2)
  lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
  for scale in t.scales:
    for method in t.methods[scale]:
      cells = [method.replace("|", r"\|"), f"×{scale}"]
      cells += [_cell(t, (scale, method, s, m), "markdown") for s in t.sets for m in t.metrics]
      lines.append("| " + " | ".join(cells) + " |")
  return "\n".join(lines) + "\n"


_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                  "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                  "^": r"\textasciicircum{}"}


def _escape_latex(text: str) -> str:
  return "".join(_LATEX_SPECIAL.get(c, c) for c in text)


def to_latex(rows: Sequence[Mapping], sets: Sequence[str] | None = None,
             metrics: Sequence[str] | None = None) -> str:
  """The table as a LaTeX booktabs tabular: a set row over its metric columns, a rule between
  scales, best in \\textbf."""
  t = build(rows, sets, metrics)
  k = len(t.metrics)
  lines = [r"\begin{tabular}{ll" + "r" * (k * len(t.sets)) + "}", r"\toprule"]
  lines.append(" & & " + " & ".join(rf"\multicolumn{{{k}}}{{c}}{{{_escape_latex(s)}}}"
                                    for s in t.sets) + r" \\")
  lines.append(" ".join(rf"\cmidrule(lr){{{3 + i * k}-{2 + (i + 1) * k}}}"
                        for i in range(len(t.sets))))
  lines.append("Method & Scale & " + " & ".join(_header_label(m, "latex")
                                                 for _ in t.sets for m in t.metrics) + r" \\")
  for scale in t.scales:
    lines.append(r"\midrule")
    for method in t.methods[scale]:
      cells = [_escape_latex(method), rf"$\times${scale}"]
      cells += [_cell(t, (scale, method, s, m), "latex") for s in t.sets for m in t.metrics]
      lines.append(" & ".join(cells) + r" \\")
  lines += [r"\bottomrule", r"\end{tabular}"]
  return "\n".join(lines) + "\n"
