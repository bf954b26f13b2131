#!/usr/bin/env python3
"""Submit (or with --dry-run print) launch/slurm_gpu.sbatch: multi-node GPU training.

  python launch/slurm_gpu.py --nodes=2 --gpus-per-node=8 --config=configs/edsr.py \\
      --workdir=/shared/runs/edsr [--partition=gpu] [--dry-run] [-- --config.k=v ...]

One process per GPU: --ntasks-per-node = --gpus-per-node, srun starts nodes × GPUs
processes and jax.distributed.initialize() in sr_jax.main reads SLURM_* itself. The global
batch (config.train.batch_size) is split over all nodes × GPUs devices and must divide.

GPU binding: by default every task sees all GPUs of its node (--gpus-per-node) and JAX has
process SLURM_LOCALID drive GPU SLURM_LOCALID: JAX's own Slurm mode. --gpu-binding=task asks
Slurm for --gpus-per-task=1 instead, so each task sees just its GPU; JAX's auto-detection
then asks for GPU number SLURM_LOCALID among one visible GPU and fails on local ranks > 0
(jax-ml/jax#23452, #28194) unless sr_jax.main passes local_device_ids itself — use it only
where it does.
"""
import argparse
import subprocess
import sys
from pathlib import Path

from commands import join, split_extra

SBATCH = Path(__file__).resolve().with_name("slurm_gpu.sbatch")


def _positive(text: str) -> int:
  if not text.isdigit() or int(text) < 1:
    raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
  return int(text)


def parse_args(argv):
  p = argparse.ArgumentParser(prog="launch/slurm_gpu.py", description=__doc__,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
  p.add_argument("--config", required=True, help="configs/NAME.py[:preset]")
  p.add_argument("--workdir", required=True, help="on storage every node can write")
  p.add_argument("--nodes", type=_positive, default=1)
  p.add_argument("--gpus-per-node", type=_positive, default=8)
  p.add_argument("--cpus-per-task", type=_positive, default=8)
  p.add_argument("--time", default="24:00:00")
  p.add_argument("--job-name", default="sr_jax")
  p.add_argument("--partition", default="")
  p.add_argument("--account", default="")
  p.add_argument("--gpu-binding", choices=("node", "task"), default="node",
                 help="node: --gpus-per-node (default); task: --gpus-per-task=1")
  p.add_argument("--python", default="", help="interpreter on the nodes (SR_JAX_PYTHON)")
  p.add_argument("--sbatch-arg", action="append", default=[], metavar="ARG",
                 help="extra sbatch option, e.g. --sbatch-arg=--qos=high (repeatable)")
  p.add_argument("--dry-run", action="store_true", help="print the sbatch command only")
  p.epilog = "Flags after '--' go to sr_jax.main."
  argv, extra = split_extra(argv)
  args = p.parse_args(argv)
  args.extra = extra
  return args


def sbatch_command(args) -> list[str]:
  g = args.gpus_per_node
  command = ["sbatch", f"--job-name={args.job_name}", f"--nodes={args.nodes}",
             f"--ntasks-per-node={g}"]
  command += ([f"--gpus-per-node={g}"] if args.gpu_binding == "node"
              else ["--gpus-per-task=1"])
  command += [f"--cpus-per-task={args.cpus_per_task}", f"--time={args.time}"]
  command += [f"--partition={args.partition}"] if args.partition else []
  command += [f"--account={args.account}"] if args.account else []
  command += [f"--export=ALL,SR_JAX_PYTHON={args.python}"] if args.python else []
  command += list(args.sbatch_arg)
  try:
    script = str(SBATCH.relative_to(Path.cwd()))
  except ValueError:
    script = str(SBATCH)
  return command + [script, args.config, args.workdir, *args.extra]


def main(argv=None) -> int:
  args = parse_args(sys.argv[1:] if argv is None else argv)
  command = sbatch_command(args)
  if args.gpu_binding == "task":
    print("slurm_gpu.py: warning: --gpus-per-task=1 needs sr_jax.main to pass "
          "local_device_ids to jax.distributed.initialize (see --help)", file=sys.stderr)
  if args.dry_run:
    print(join(command))
    return 0
  print(f"+ {join(command)}", file=sys.stderr, flush=True)
  return subprocess.run(command).returncode


if __name__ == "__main__":
  sys.exit(main())
