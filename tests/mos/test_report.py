"""report's statistics against hand-computed values (and scipy for the U test), on a fixed set
of answers; calibration answers stay out of the MOS and flag the raters who contradict them."""
import json
import math
import sys

from PIL import Image
import pytest
from scipy import stats as scipy_stats

from sr_jax.mos import report, stats, store
from sr_jax.mos import study as study_lib

T_975_DF3 = 3.182446305284263  # Student t, 97.5th percentile, 3 degrees of freedom (tables)
T_975_DF7 = 2.364624251592785  # ... 7 degrees of freedom


def test_t_interval_by_hand():
  mean, sd, low, high = stats.t_interval([5, 4, 4, 3])
  assert mean == 4 and sd == pytest.approx(math.sqrt(2 / 3))  # squares 1+0+0+1 over n−1 = 3
  half = T_975_DF3 * math.sqrt(2 / 3) / 2  # t · s/√n
  assert (low, high) == (pytest.approx(4 - half, abs=1e-12), pytest.approx(4 + half, abs=1e-12))
  assert stats.t_interval([3, 3, 3])[1:] == (0.0, 3.0, 3.0)
  assert stats.t_interval([4])[0] == 4 and all(math.isnan(v) for v in stats.t_interval([4])[1:])
  assert all(math.isnan(v) for v in stats.t_interval([]))


def test_mann_whitney_by_hand_and_scipy():
  a, b = [5, 4, 4, 3], [2, 3, 1, 1]
  (c,) = stats.compare_all({"A": a, "B": b})
  # U of A: pairs where A wins, ties count half: 4 + 4 + 4 + (3 + ½) = 15.5.
  assert (c.a, c.b, c.u) == ("A", "B", 15.5)
  # Normal approximation, tie and continuity corrections: N = 8, ties of 4, 3 and 1 in pairs,
  # Σ(t³ − t) = 18; σ² = n₁n₂/12 · (N + 1 − 18 / (N(N − 1))); z = (U − n₁n₂/2 − ½) / σ.
  sigma = math.sqrt(16 / 12 * (9 - 18 / 56))
  p = math.erfc((15.5 - 8 - 0.5) / sigma / math.sqrt(2))
  assert c.p == pytest.approx(p, rel=1e-9) and c.p_holm == c.p
  assert c.p == pytest.approx(scipy_stats.mannwhitneyu(a, b, alternative="two-sided").pvalue,
                              rel=1e-12)
  assert c.significant  # p ≈ 0.0396


def test_holm_by_hand():
  # Sorted 0.01, 0.03, 0.04 → ×3, ×2, ×1 = 0.03, 0.06, 0.04 → monotone: 0.03, 0.06, 0.06.
  assert stats.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
  assert stats.holm([0.5, 0.9]) == [1.0, 1.0]


def test_rater_checks():
  rows = [("ann", 5, 5), ("ann", 1, 1), ("ann", 5, 4), ("ann", None, 2),
          ("bob", 5, 3), ("bob", 1, 4), ("bob", None, 5), ("bob", None, 1)]
  ann, bob = stats.rater_checks(rows)
  assert (ann.rater, ann.rated, ann.calibration, ann.high_mean, ann.low_mean,
          ann.contradictions, ann.flagged) == ("ann", 1, 3, 4.5, 1.0, 0, False)
  # A 3 for an example of 5 is not a contradiction; a 4 for an example of 1 is.
  assert (bob.rated, bob.calibration, bob.high_mean, bob.low_mean, bob.contradictions,
          bob.flagged) == (2, 2, 3.0, 4.0, 1, True)


# The fixed answers: per rater, per method, the scores of the images kestrel and lagoon.
SCORES = {
    "ann": {"NN": (1, 2), "Bicubic": (2, 2), "HR": (5, 4)},
    "bob": {"NN": (1, 1), "Bicubic": (3, 2), "HR": (5, 5)},
}
CALIBRATION = {"ann": {5: 5, 1: 1}, "bob": {5: 5, 1: 5}}  # bob scores an example of 1 with 5


def _answer_all(study):
  answers = store.Answers(study.answers_path, study.manifest["study_id"])
  images = study.manifest["images"]
  for rater in SCORES:
    order = study.order(rater)
    for item in order:
      entry = study.by_id[item]
      score = (CALIBRATION[rater][entry["anchor"]] if entry.get("anchor") else
               SCORES[rater][entry["method"]][images.index(entry["image"])])
      answers.add(rater, item, score, "key", order)


def test_report_from_fixed_answers(small_study, tmp_path, capsys):
  study = study_lib.Study.open(small_study)
  _answer_all(study)
  result = report.report(small_study, tmp_path / "out")
  printed = capsys.readouterr().out

  methods = {m["method"]: m for m in result["methods"]}
  assert list(methods) == ["NN", "Bicubic", "HR"]
  # NN: 1, 2, 1, 1 (bob's 5 for the NN calibration example is not among them).
  nn = methods["NN"]
  assert (nn["ratings"], nn["raters"], nn["mos"], nn["counts"]) == (4, 2, 1.25, [3, 1, 0, 0, 0])
  sd = math.sqrt((3 * 0.25 ** 2 + 0.75 ** 2) / 3)  # = 0.5
  assert nn["sd"] == pytest.approx(0.5) and sd == pytest.approx(0.5)
  assert nn["ci_low"] == pytest.approx(1.25 - T_975_DF3 * 0.5 / 2, abs=1e-12)
  assert nn["ci_high"] == pytest.approx(1.25 + T_975_DF3 * 0.5 / 2, abs=1e-12)
  bicubic = methods["Bicubic"]  # 2, 2, 3, 2: mean 2.25, s = 0.5 as well
  assert bicubic["mos"] == 2.25 and bicubic["ci_high"] == pytest.approx(2.25 + T_975_DF3 / 4)
  assert methods["HR"]["mos"] == 4.75 and methods["HR"]["counts"] == [0, 0, 0, 1, 3]
  assert (result["ratings"], result["raters"]) == (12, 2)

  pairs = {(c["a"], c["b"]): c for c in result["comparisons"]}
  assert list(pairs) == [("NN", "Bicubic"), ("NN", "HR"), ("Bicubic", "HR")]
  # U of NN vs Bicubic: its 1s lose to all four, its 2 ties three 2s and loses to the 3: 1.5.
  assert pairs["NN", "Bicubic"]["u"] == 1.5
  assert pairs["NN", "HR"]["u"] == 0 and pairs["Bicubic", "HR"]["u"] == 0
  for (a, b), c in pairs.items():
    scipy_p = scipy_stats.mannwhitneyu([s[0] for s in _scores(a)], [s[0] for s in _scores(b)],
                                       alternative="two-sided").pvalue
    assert c["p"] == pytest.approx(scipy_p, rel=1e-12)
  ps = [c["p"] for c in pairs.values()]
  assert [c["p_holm"] for c in pairs.values()] == pytest.approx(stats.holm(ps))

  checks = {c["rater"]: c for c in result["raters_checked"]}
  assert (checks["ann"]["flagged"], checks["bob"]["flagged"]) == (False, True)
  assert (checks["bob"]["low_mean"], checks["bob"]["contradictions"]) == (5.0, 2)  # both 1s
  assert checks["ann"]["rated"] == 6 and checks["ann"]["calibration"] == 4

  # The files: Markdown (also printed), LaTeX, JSON, the plot.
  out = tmp_path / "out"
  md = (out / "mos.md").read_text()
  assert md in printed
  assert f"| NN | 1.25 | [{1.25 - T_975_DF3 / 4:.2f}, {1.25 + T_975_DF3 / 4:.2f}] | 4 | 2 |" in md
  assert "Student t-interval over the per-rating scores" in md and "Mann–Whitney U" in md
  assert "contradicts the anchors (their ratings are in the MOS above): bob." in md
  tex = (out / "mos.tex").read_text()
  assert r"NN & 1.25 & [0.45, 2.05] & 4 & 2 \\" in tex and r"\toprule" in tex
  assert json.loads((out / "mos.json").read_text()) == json.loads(json.dumps(result))
  with Image.open(out / "mos.png") as plot:
    assert plot.format == "PNG" and plot.width > 500


def _scores(method):
  images = ("kestrel", "lagoon")
  return [(SCORES[r][method][i], r, images[i]) for r in SCORES for i in range(2)]


def test_report_names_what_to_install_without_matplotlib(small_study, tmp_path, capsys,
                                                         monkeypatch):
  _answer_all(study_lib.Study.open(small_study))
  result = report.analyse(small_study)
  monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib → ImportError
  written = report.write(result, tmp_path / "out")
  assert [p.name for p in written] == ["mos.md", "mos.tex", "mos.json"]
  assert capsys.readouterr().err.strip().splitlines() == [
      "mos.png not written: the plot needs matplotlib (pip install matplotlib)"]


def test_report_of_a_study_without_answers(small_study):
  with pytest.raises(study_lib.StudyError, match="no answers yet"):
    report.analyse(small_study)
  assert not (small_study / "answers.sqlite").exists()
