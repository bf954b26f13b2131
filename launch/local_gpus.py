#!/usr/bin/env python3
"""Train on the GPUs of this machine: one process that drives all (or --gpus) local GPUs.

  python launch/local_gpus.py --config=configs/edsr.py --workdir=runs/edsr [--gpus=0,1,2,3]
      [--dry-run] [-- --config.train.batch_size=64 ...]

JAX in one process sees every visible GPU and sr_jax.main shards the global batch over them
(config.train.batch_size must divide by their number). --gpus restricts them through
CUDA_VISIBLE_DEVICES; without it the environment's CUDA_VISIBLE_DEVICES (or all GPUs) apply.
"""
import argparse
import os
import re
import subprocess
import sys

from commands import join, split_extra


def _gpu_list(text: str) -> str:
  ids = text.split(",")
  if not all(re.fullmatch(r"\d+", i) for i in ids) or len(set(ids)) != len(ids):
    raise argparse.ArgumentTypeError(
        f"expected distinct GPU indices like 0,1,2,3, got {text!r}")
  return ",".join(ids)


def parse_args(argv):
  p = argparse.ArgumentParser(prog="launch/local_gpus.py", description=__doc__,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
  p.add_argument("--config", required=True, help="configs/NAME.py[:preset]")
  p.add_argument("--workdir", required=True)
  p.add_argument("--gpus", type=_gpu_list, default=None, help="e.g. 0,1 (CUDA_VISIBLE_DEVICES)")
  p.add_argument("--python", default="python", help="interpreter (default: python)")
  p.add_argument("--dry-run", action="store_true", help="print the command only")
  p.epilog = "Flags after '--' go to sr_jax.main."
  argv, extra = split_extra(argv)
  args = p.parse_args(argv)
  args.extra = extra
  return args


def command(args) -> tuple[dict, list[str]]:
  env = {"CUDA_VISIBLE_DEVICES": args.gpus} if args.gpus else {}
  return env, [args.python, "-m", "sr_jax.main", f"--config={args.config}",
               f"--workdir={args.workdir}", *args.extra]


def main(argv=None) -> int:
  args = parse_args(sys.argv[1:] if argv is None else argv)
  env, words = command(args)
  line = " ".join([f"{k}={v}" for k, v in env.items()] + [join(words)])
  if args.dry_run:
    print(line)
    return 0
  print(f"+ {line}", file=sys.stderr, flush=True)
  return subprocess.run(words, env={**os.environ, **env}).returncode


if __name__ == "__main__":
  sys.exit(main())
