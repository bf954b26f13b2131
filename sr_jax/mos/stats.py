"""The study's statistics, on the rated items' answers (calibration answers are only used for
the raters' check).

MOS: the mean of every rating a method received. Its 95% confidence interval is Student's t
over the per-rating scores, mean ± t(0.975, n−1)·s/√n with s the sample standard deviation.
It takes the ratings as independent; one rater's ratings are correlated, so with few raters
the interval is narrower than a per-rater analysis would give.

Significance: the two-sided Mann–Whitney U test of every pair of methods on their per-rating
scores, SRGAN's test (scipy.stats.mannwhitneyu's default: exact for small samples
without ties, else the normal approximation with tie and continuity correction; U is the
first method's). Besides p, p_holm is Holm-adjusted over all the pairs tested.

Calibration check: an answer contradicts its anchor when it is nearer the other extreme, i.e.
an example of 5 (HR) scored 1 or 2, or an example of 1 (nearest neighbour) scored 4 or 5.
"""
import dataclasses
import math
from typing import Sequence

import numpy as np
from scipy import stats as scipy_stats

LEVEL = 0.95
ALPHA = 0.05


@dataclasses.dataclass(frozen=True)
class MethodResult:
  method: str
  ratings: int
  raters: int
  mos: float  # NaN without ratings
  sd: float  # sample standard deviation; NaN under 2 ratings
  ci_low: float  # NaN under 2 ratings
  ci_high: float
  counts: tuple[int, ...]  # how many ratings of 1, 2, 3, 4, 5


@dataclasses.dataclass(frozen=True)
class Comparison:
  a: str
  b: str
  u: float  # a's U statistic
  p: float
  p_holm: float

  @property
  def significant(self) -> bool:
    return self.p_holm < ALPHA


@dataclasses.dataclass(frozen=True)
class RaterCheck:
  rater: str
  rated: int  # rated items answered
  calibration: int  # calibration items answered
  high_mean: float | None  # mean score given to the examples of 5
  low_mean: float | None  # ... and of 1
  contradictions: int

  @property
  def flagged(self) -> bool:
    return self.contradictions > 0


def t_interval(scores: Sequence[int], level: float = LEVEL) -> tuple[float, float, float, float]:
  """(mean, sample sd, low, high): Student's t interval of the mean."""
  x = np.asarray(scores, np.float64)
  n = len(x)
  if n == 0:
    return (math.nan,) * 4
  mean = float(x.mean())
  if n < 2:
    return mean, math.nan, math.nan, math.nan
  sd = float(x.std(ddof=1))
  half = float(scipy_stats.t.ppf(0.5 + level / 2, n - 1)) * sd / math.sqrt(n)
  return mean, sd, mean - half, mean + half


def method_result(method: str, ratings: Sequence[tuple[str, int]]) -> MethodResult:
  """ratings: (rater, score) pairs."""
  scores = [score for _, score in ratings]
  mean, sd, low, high = t_interval(scores)
  counts = tuple(scores.count(s) for s in range(1, 6))
  return MethodResult(method, len(scores), len({r for r, _ in ratings}), mean, sd, low, high,
                      counts)


def holm(pvalues: Sequence[float]) -> list[float]:
  """Holm's step-down adjustment: the k-th smallest p times (m − k + 1), made monotone."""
  m = len(pvalues)
  adjusted, running = [0.0] * m, 0.0
  for rank, i in enumerate(sorted(range(m), key=lambda i: pvalues[i])):
    running = max(running, min(1.0, (m - rank) * pvalues[i]))
    adjusted[i] = running
  return adjusted


def compare_all(scores: dict[str, Sequence[int]]) -> list[Comparison]:
  """Every pair of methods that both have ratings, in the dict's order."""
  names = [m for m in scores if len(scores[m])]
  pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1:]]
  tests = [scipy_stats.mannwhitneyu(scores[a], scores[b], alternative="two-sided")
           for a, b in pairs]
  adjusted = holm([float(t.pvalue) for t in tests])
  return [Comparison(a, b, float(t.statistic), float(t.pvalue), q)
          for (a, b), t, q in zip(pairs, tests, adjusted)]


def contradicts(anchor: int, score: int) -> bool:
  return abs(score - anchor) > 2


def rater_checks(rows: Sequence[tuple[str, int | None, int]]) -> list[RaterCheck]:
  """rows: (rater, the item's anchor score or None for a rated item, score), any order."""
  raters = sorted({r for r, _, _ in rows})
  checks = []
  for rater in raters:
    mine = [(anchor, score) for r, anchor, score in rows if r == rater]
    anchored = [(a, s) for a, s in mine if a is not None]
    mean_of = lambda value: (float(np.mean([s for a, s in anchored if a == value]))
                             if any(a == value for a, _ in anchored) else None)
    checks.append(RaterCheck(rater, len(mine) - len(anchored), len(anchored), mean_of(5),
                             mean_of(1), sum(contradicts(a, s) for a, s in anchored)))
  return checks
