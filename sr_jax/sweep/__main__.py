"""Run or print a grid of sr_jax.main runs, one workdir per point.

  python -m sr_jax.sweep --config=configs/edsr.py \\
      --grid='model.features=16,32;model.num_blocks=4,8' --workdir=DIR \\
      [--launch=local|print] [--set key=value ...] [-- extra sr_jax.main flags]

--launch=local (default) runs the unfinished points one after another as subprocesses;
--launch=print prints one `python -m sr_jax.main ...` command per unfinished point (feed
them to a scheduler, or to launch/*.py). Points whose workdir has DONE are skipped (noted on
stderr); the others resume from their checkpoints. Afterwards: python -m sr_jax.sweep.report DIR
"""
import argparse
import os
import subprocess
import sys

from sr_jax import config as config_lib
from sr_jax import sweep


def parse_args(argv):
  p = argparse.ArgumentParser(prog="python -m sr_jax.sweep", description=__doc__,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
  p.add_argument("--config", required=True, help="configs/NAME.py[:preset]")
  p.add_argument("--grid", required=True, help="'key=v1,v2;key=v1,v2' (cartesian product)")
  p.add_argument("--workdir", required=True, help="sweep dir; each point runs in DIR/<name>")
  p.add_argument("--launch", choices=("local", "print"), default="local")
  p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                 help="override shared by every point (repeatable)")
  p.add_argument("--python", default=sys.executable, help="interpreter for the commands")
  p.add_argument("--keep-going", action=argparse.BooleanOptionalAction, default=True,
                 help="local: go on to the next point when one fails (default)")
  p.epilog = "Flags after '--' go to every sr_jax.main run."
  argv = list(argv)
  extra = []
  if "--" in argv:
    i = argv.index("--")
    argv, extra = argv[:i], argv[i + 1:]
  args = p.parse_args(argv)
  args.extra = extra
  return args


def main(argv=None) -> int:
  args = parse_args(sys.argv[1:] if argv is None else argv)
  try:
    axes = sweep.parse_grid(args.grid)
    shared = sweep.parse_set(args.set)
    points = sweep.grid_points(axes)
  except sweep.GridError as e:
    print(f"sr_jax.sweep: error: {e}", file=sys.stderr)
    return 2
  config_file, _, preset = args.config.partition(":")
  if not os.path.isfile(config_file):
    print(f"sr_jax.sweep: error: --config={args.config}: no such file", file=sys.stderr)
    return 2
  try:
    recipe = config_lib.load_recipe(config_file, preset or None)
  except ValueError as e:  # an unknown preset
    print(f"sr_jax.sweep: error: --config={args.config}: {e}", file=sys.stderr)
    return 2
  unknown = sweep.unknown_key(recipe, [k for k, _ in axes] + [k for k, _ in shared])
  if unknown:
    print(f"sr_jax.sweep: error: config.{unknown}: no such field in {args.config}; no point "
          "was launched", file=sys.stderr)
    return 2
  grid_keys = {k for k, _ in axes}
  clash = [k for k, _ in shared if k in grid_keys]
  if clash:
    print(f"sr_jax.sweep: error: --set {clash[0]} is also a grid axis", file=sys.stderr)
    return 2

  if args.launch == "local":
    sweep.record_sweep(args.workdir, args.config, axes, shared, points)
  todo = []
  for point in points:
    workdir = sweep.join_workdir(args.workdir, point.name)
    if sweep.is_done(workdir):
      print(f"# skip {point.name}: finished ({workdir}/{sweep.DONE_FILE})", file=sys.stderr)
      continue
    todo.append((point, sweep.main_command(args.config, workdir, point, shared,
                                           python=args.python, extra=args.extra)))

  if args.launch == "print":
    for _, command in todo:
      print(sweep.shell_join(command))
    return 0

  failed = []
  for i, (point, command) in enumerate(todo):
    print(f"[{i + 1}/{len(todo)}] {sweep.shell_join(command)}", file=sys.stderr, flush=True)
    rc = subprocess.run(command).returncode
    if rc:
      failed.append(point.name)
      print(f"sr_jax.sweep: {point.name} exited with {rc}", file=sys.stderr, flush=True)
      if not args.keep_going:
        break
  print(f"sr_jax.sweep: {len(todo) - len(failed)}/{len(todo)} launched points exited "
        f"cleanly, {len(points) - len(todo)} skipped as done"
        + (f"; failed: {', '.join(failed)}" if failed else ""), file=sys.stderr)
  return 1 if failed else 0


if __name__ == "__main__":
  sys.exit(main())
