"""python -m sr_jax.mos prepare --hr_dir=DIR --scale=S --runs=W1,W2 [--labels=A,B]
                           [--baselines=nearest,bicubic] [--calibration_dir=DIR]
                           [--raters_seed=N] --out=STUDY
python -m sr_jax.mos serve STUDY [--port=8000] [--host=127.0.0.1]
python -m sr_jax.mos report STUDY [--out=DIR]

A mean-opinion-score study as SRGAN ran it (sr_jax/mos/__init__.py says which module does
what). `prepare` super-resolves each HR image's MATLAB-bicubic LR with every run, adds the
baselines and the HR, and writes them under random names with a manifest and the calibration
items (HR: an example of 5, nearest neighbour: of 1); `serve` runs the rating page (answers in
STUDY/answers.sqlite; it refuses a study folder changed since prepare); `report` prints and
writes the MOS with 95% t-intervals, pairwise Mann–Whitney U tests and the raters'
calibration check (Markdown, LaTeX, JSON, plot; default STUDY/report).
"""
from absl import app, flags

from sr_jax import cli

FLAGS = flags.FLAGS
COMMANDS = {
    "prepare": {"hr_dir", "scale", "runs", "labels", "baselines", "calibration_dir",
                "raters_seed", "out"},
    "serve": {"port", "host"},
    "report": {"out"},
}


def define_flags():
  """Defined only when run as a program, as sr_jax.compare does: other modules that tests
  import beside this one define flags of the same names (--scale, --out)."""
  flags.DEFINE_string("hr_dir", None, "prepare: folder of HR images (or one image).")
  flags.DEFINE_integer("scale", None, "prepare: upscaling factor; every run must be of it.")
  flags.DEFINE_list("runs", None, "prepare: training runs (workdirs; latest checkpoint each).")
  flags.DEFINE_list("labels", None, "prepare: a method name per run (default: folder names).")
  flags.DEFINE_list("baselines", ["nearest", "bicubic"], "prepare: baselines to rate too.")
  flags.DEFINE_string("calibration_dir", None,
                      "prepare: HR images for the calibration anchors (default: --hr_dir).")
  flags.DEFINE_integer("raters_seed", None,
                       "prepare: seed of the raters' orders (default: drawn, kept in study.json).")
  flags.DEFINE_string("out", None, "prepare: the study folder to create; report: where to "
                      "write the report (default: STUDY/report).")
  flags.DEFINE_integer("port", 8000, "serve: TCP port (0: any free port, printed).")
  flags.DEFINE_string("host", "127.0.0.1", "serve: address to listen on (0.0.0.0: every one).")


def main(argv):
  if len(argv) < 2 or argv[1] not in COMMANDS:
    raise app.UsageError(f"give a command: {', '.join(COMMANDS)} (python -m sr_jax.mos --help)")
  command, args = argv[1], argv[2:]
  foreign = sorted(name for name in set().union(*COMMANDS.values()) - COMMANDS[command]
                   if FLAGS[name].present)
  if foreign:
    raise app.UsageError(f"--{foreign[0]} is not a flag of {command}")
  if command == "prepare":
    if args:
      raise app.UsageError(f"prepare takes no arguments, only flags (got {args[0]!r})")
    missing = [f"--{name}" for name in ("hr_dir", "scale", "runs", "out") if not FLAGS[name].value]
    if missing:
      raise app.UsageError(f"prepare needs {', '.join(missing)}")
    from sr_jax.mos import prepare  # pylint: disable=g-import-not-at-top
    prepare.prepare(FLAGS.hr_dir, FLAGS.scale, FLAGS.runs, FLAGS.out, labels=FLAGS.labels,
                    baselines=FLAGS.baselines, raters_seed=FLAGS.raters_seed,
                    calibration_dir=FLAGS.calibration_dir)
    return
  if len(args) != 1:
    raise app.UsageError(f"{command} takes one argument, the study folder (got {len(args)})")
  if command == "serve":
    from sr_jax.mos import server  # pylint: disable=g-import-not-at-top
    server.serve(args[0], FLAGS.host, FLAGS.port)
  else:
    from sr_jax.mos import report  # pylint: disable=g-import-not-at-top
    report.report(args[0], FLAGS.out)


if __name__ == "__main__":
  define_flags()
  cli.run(main)
