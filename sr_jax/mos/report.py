"""`report`: the study's MOS table, pairwise significance and raters' calibration check,
printed and written as Markdown (mos.md), LaTeX (mos.tex, booktabs), JSON (mos.json, every
number unrounded) and a plot (mos.png: MOS with its interval, and each method's score
distribution).

Only the manifest and the answers are read, not the images (a finished study may have
dropped them). Every stored answer counts, also those of raters who did not finish; the
calibration answers only go to the raters' check (statistics in stats.py).
"""
import dataclasses
import json
import math
import pathlib
import sys

from sr_jax.mos import stats, store
from sr_jax.mos import study as study_lib

CI_METHOD = ("Student t-interval over the per-rating scores: mean ± t(0.975, n−1)·s/√n")
TEST_METHOD = ("two-sided Mann–Whitney U on the per-rating scores (scipy.stats.mannwhitneyu); "
               "p (Holm): Holm-adjusted over all pairs; * marks p (Holm) < 0.05")
CHECK_METHOD = ("an answer contradicts its anchor when an example of 5 (HR) is scored 1–2 or "
                "an example of 1 (nearest neighbour) 4–5")


def analyse(root) -> dict:
  """Everything the report shows, as JSON values."""
  study = study_lib.Study.open(root, check_files=False)
  answers = store.Answers(study.answers_path, study.manifest["study_id"], create=False).all()
  unknown = [a.item for a in answers if a.item not in study.by_id]
  if unknown:
    raise study_lib.StudyError(f"{study.answers_path}: answers for item {unknown[0]}, which "
                               f"{study_lib.MANIFEST} does not have")
  methods = [m["name"] for m in study.manifest["methods"]]
  rated = {m: [] for m in methods}
  for a in answers:
    entry = study.by_id[a.item]
    if entry.get("anchor") is None:
      rated[entry["method"]].append((a.rater, a.score))
  results = [stats.method_result(m, rated[m]) for m in methods]
  comparisons = stats.compare_all({m: [s for _, s in rated[m]] for m in methods})
  checks = stats.rater_checks([(a.rater, study.by_id[a.item].get("anchor"), a.score)
                               for a in answers])
  return {
      "study": str(root),
      "scale": study.manifest["scale"],
      "images": len(study.manifest["images"]),
      "items_per_rater": len(study.items),
      "calibration_per_rater": len(study.calibration),
      "ratings": sum(r.ratings for r in results),
      "raters": len({r for ratings in rated.values() for r, _ in ratings}),
      "confidence_interval": CI_METHOD,
      "significance": TEST_METHOD,
      "calibration_check": CHECK_METHOD,
      "methods": [_json_row(dataclasses.asdict(r)) for r in results],
      "comparisons": [{**dataclasses.asdict(c), "significant": c.significant}
                      for c in comparisons],
      "raters_checked": [{**dataclasses.asdict(c), "flagged": c.flagged} for c in checks],
  }


def _json_row(row: dict) -> dict:
  """NaN (no ratings, or too few for an interval) as None: JSON's null, 'n/a' in the tables;
  tuples as lists."""
  return {k: None if isinstance(v, float) and math.isnan(v) else
          list(v) if isinstance(v, tuple) else v for k, v in row.items()}


def _num(x, digits: int = 2) -> str:
  return "n/a" if x is None else f"{x:.{digits}f}"


def _p(p: float) -> str:
  return "<0.0001" if p < 1e-4 else f"{p:.4f}"


def _ci(m: dict) -> str:
  return "n/a" if m["ci_low"] is None else f"[{m['ci_low']:.2f}, {m['ci_high']:.2f}]"


def _flagged(result: dict) -> list[str]:
  return [c["rater"] for c in result["raters_checked"] if c["flagged"]]


def markdown(result: dict) -> str:
  lines = [f"# MOS: {result['study']}", "",
           f"{result['ratings']} ratings by {result['raters']} raters of {result['images']} "
           f"images × {len(result['methods'])} methods (×{result['scale']}); scores 1 (bad) to "
           "5 (excellent); calibration answers excluded.",
           f"95% CI: {result['confidence_interval']}.", "",
           "| Method | MOS | 95% CI | Ratings | Raters |", "| --- | ---: | ---: | ---: | ---: |"]
  lines += [f"| {m['method']} | {_num(m['mos'])} | {_ci(m)} | {m['ratings']} | {m['raters']} |"
            for m in result["methods"]]
  lines += ["", "## Pairwise significance", "", f"{result['significance'][0].upper()}"
            f"{result['significance'][1:]}.", "",
            "| A | B | U | p | p (Holm) | |", "| --- | --- | ---: | ---: | ---: | --- |"]
  lines += [f"| {c['a']} | {c['b']} | {c['u']:g} | {_p(c['p'])} | {_p(c['p_holm'])} | "
            f"{'*' if c['significant'] else ''} |" for c in result["comparisons"]]
  lines += ["", "## Raters: calibration check", "",
            f"Calibration answers, not in the MOS: {result['calibration_check']}.", "",
            "| Rater | Rated | Calibration | Mean for 5-examples | Mean for 1-examples | "
            "Contradictions |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
  lines += [f"| {c['rater']} | {c['rated']} of {result['items_per_rater']} | {c['calibration']} "
            f"of {result['calibration_per_rater']} | {_num(c['high_mean'])} | "
            f"{_num(c['low_mean'])} | {c['contradictions']} |" for c in result["raters_checked"]]
  flagged = _flagged(result)
  lines += ["", ("Raters whose calibration contradicts the anchors (their ratings are in the MOS "
                 f"above): {', '.join(flagged)}." if flagged else
                 "No rater's calibration contradicts the anchors.")]
  return "\n".join(lines) + "\n"


_TEX = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
        "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def _tex(text: str) -> str:
  return "".join(_TEX.get(char, char) for char in text)


def latex(result: dict) -> str:
  lines = ["% MOS table (needs \\usepackage{booktabs}). 95% CI: " + result["confidence_interval"],
           r"\begin{tabular}{lcccc}", r"\toprule",
           r"Method & MOS & 95\% CI & Ratings & Raters \\", r"\midrule"]
  lines += [f"{_tex(m['method'])} & {_num(m['mos'])} & {_ci(m)} & {m['ratings']} & "
            f"{m['raters']} \\\\" for m in result["methods"]]
  lines += [r"\bottomrule", r"\end{tabular}", "",
            "% Pairwise significance: " + result["significance"],
            r"\begin{tabular}{llrrrc}", r"\toprule",
            r"A & B & $U$ & $p$ & $p_\mathrm{Holm}$ & \\", r"\midrule"]
  lines += [f"{_tex(c['a'])} & {_tex(c['b'])} & {c['u']:g} & {_p(c['p'])} & "
            f"{_p(c['p_holm'])} & {'$*$' if c['significant'] else ''} \\\\"
            for c in result["comparisons"]]
  lines += [r"\bottomrule", r"\end{tabular}"]
  return "\n".join(lines).replace("<0.0001", "$<$0.0001") + "\n"


def plot(result: dict, path: pathlib.Path):
  """MOS ± CI per method beside each method's score distribution."""
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top

  methods = result["methods"]
  names = [m["method"] for m in methods]
  y = list(range(len(methods)))[::-1]  # the table's order, top to bottom
  fig, (left, right) = plt.subplots(1, 2, figsize=(10, 0.5 * len(methods) + 1.6), sharey=True)
  for yi, m in zip(y, methods):
    if m["mos"] is not None:
      err = 0 if m["ci_low"] is None else [[m["mos"] - m["ci_low"]], [m["ci_high"] - m["mos"]]]
      left.errorbar(m["mos"], yi, xerr=err, fmt="o", color="C0", capsize=4)
  left.set(xlim=(0.5, 5.5), xticks=range(1, 6), yticks=y, yticklabels=names,
           xlabel="MOS (95% CI)")
  left.grid(axis="x", alpha=0.3)
  colours = plt.get_cmap("RdYlGn")([0.05, 0.3, 0.5, 0.7, 0.95])
  for yi, m in zip(y, methods):
    start = 0.0
    for score, (count, colour) in enumerate(zip(m["counts"], colours), 1):
      share = count / m["ratings"] if m["ratings"] else 0.0
      right.barh(yi, share, left=start, color=colour, label=str(score) if yi == y[0] else None)
      start += share
  right.set(xlim=(0, 1), xlabel="share of ratings")
  right.legend(title="score", ncol=5, loc="lower center", bbox_to_anchor=(0.5, 1.0),
               frameon=False)
  fig.tight_layout()
  fig.savefig(path, dpi=150)
  plt.close(fig)


def write(result: dict, out: pathlib.Path) -> list[pathlib.Path]:
  """The report's files; the plot is left out, with one line naming what to install, when
  matplotlib is missing."""
  out.mkdir(parents=True, exist_ok=True)
  files = {"mos.md": markdown(result), "mos.tex": latex(result),
           "mos.json": json.dumps(result, indent=1) + "\n"}
  for name, text in files.items():
    (out / name).write_text(text)
  written = [out / name for name in files]
  try:
    plot(result, out / "mos.png")
    written.append(out / "mos.png")
  except ImportError:
    print("mos.png not written: the plot needs matplotlib (pip install matplotlib)",
          file=sys.stderr)
  return written


def report(root, out=None, log=print) -> dict:
  """Prints the tables and writes the report (default: STUDY/report)."""
  result = analyse(root)
  log(markdown(result))
  written = write(result, pathlib.Path(out) if out else pathlib.Path(root) / study_lib.REPORT)
  log(f"wrote {', '.join(map(str, written))}")
  return result
