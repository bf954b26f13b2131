"""Mean-opinion-score (MOS) rating studies, as SRGAN (Ledig et al. 2017, §3.4) ran them.

Raters score super-resolved images from 1 (bad) to 5 (excellent), one at a time, in an
order of their own; they are first calibrated on the extremes: the HR image (an example of
5) and its nearest-neighbour upscaling (an example of 1). The study reports the MOS of each
method with a confidence interval and pairwise significance.

  python -m sr_jax.mos prepare --hr_dir=DIR --scale=S --runs=W1,W2 --out=STUDY
  python -m sr_jax.mos serve STUDY [--port=8000]
  python -m sr_jax.mos report STUDY [--out=DIR]

Modules, one per responsibility:
  study.py    the study folder: manifest, tamper check, each rater's order
  prepare.py  building a study: the runs' SR, the baselines, the HR, opaque file names
  store.py    the answers, in SQLite inside the study folder
  server.py   the rating page and its JSON API (page.py: the page itself)
  stats.py    MOS, confidence intervals, Mann–Whitney U, calibration check
  report.py   Markdown and LaTeX tables, the plot
"""
