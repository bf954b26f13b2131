#!/usr/bin/env python3
"""Train sr_jax on a Cloud TPU VM (one host or a multi-host slice) with gcloud.

  python launch/tpu_vm.py all --name=sr-v4 --zone=us-central2-b --accelerator-type=v4-32 \\
      --config=configs/edsr.py --workdir=gs://BUCKET/runs/edsr [--dry-run] [-- --config.k=v ...]

Subcommands (each prints what it runs with --dry-run, one command per line):
  create   the TPU VM (`tpu-vm create`), or with --queued a queued resource
           (`queued-resources create`) and a wait until it is ACTIVE; the runtime version
           follows the accelerator type (override with --runtime-version).
  setup    copies this checkout to every worker (a tarball of the git-tracked and untracked,
           non-ignored files via `tpu-vm scp --worker=all`, or with --git-url a `git clone` on
           every worker), installs it with `pip install -e '.[tpu,gcs]'` and fetches the sets
           --data names (default Set5,Set14: the validation sets) on every worker.
  train    starts `python3 -m sr_jax.main --config=... --workdir=...` on --worker=all under
           nohup (log: --log-file, pid: --log-file with .pid); every worker runs the same
           command and jax.distributed.initialize() finds the slice by itself.
  logs     follows the log of one worker (--worker, default 0).
  stop     kills the training process on every worker.
  delete   deletes the TPU VM (or the queued resource and its VM).
  all      create, setup, train, logs. (Delete yourself when the run is finished.)

Multi-host slices need a workdir every host can reach: a gs:// path.
"""
import argparse
import re
import shlex
import subprocess
import sys
from pathlib import Path

from commands import join, split_extra

REPO = Path(__file__).resolve().parents[1]

# Accelerator type prefix → (runtime version, allowed sizes, how many hosts a size has).
# Sizes count TensorCores for v4/v5p (2 per chip, 4 chips per host) and chips for v5e/v6e
# (up to 8 chips on one host; multi-host slices have 4 chips per host).
_POD_SIZES = (1, 4, 8, 16, 32, 64, 128, 256)
ACCELERATORS = {
    "v4": ("tpu-ubuntu2204-base", lambda n: n >= 8 and n % 8 == 0 and n <= 4096,
           lambda n: n // 8, "v4-N (N = 8, 16, 32, ... up to 4096)"),
    "v5litepod": ("v2-alpha-tpuv5-lite", lambda n: n in _POD_SIZES,
                  lambda n: 1 if n <= 8 else n // 4, "v5litepod-N (N = 1, 4, 8, ..., 256)"),
    "v5p": ("v2-alpha-tpuv5", lambda n: n >= 8 and n % 8 == 0 and n <= 12288,
            lambda n: n // 8, "v5p-N (N = 8, 16, 24, ... up to 12288)"),
    "v6e": ("v2-alpha-tpuv6e", lambda n: n in _POD_SIZES,
            lambda n: 1 if n <= 8 else n // 4, "v6e-N (N = 1, 4, 8, ..., 256)"),
}
ALIASES = {"v5e": "v5litepod"}
SUBCOMMANDS = ("create", "setup", "train", "logs", "stop", "delete", "all")


class LaunchError(ValueError):
  pass


def parse_accelerator(accel: str) -> tuple[str, str, int]:
  """'v4-32' → ('v4-32', 'tpu-ubuntu2204-base', 4 hosts); 'v5e-8' → 'v5litepod-8'."""
  m = re.fullmatch(r"(v\d+[a-z]*)-(\d+)", accel or "")
  prefix = ALIASES.get(m.group(1), m.group(1)) if m else None
  if not m or prefix not in ACCELERATORS or not ACCELERATORS[prefix][1](int(m.group(2))):
    forms = ", ".join(spec[3] for spec in ACCELERATORS.values())
    raise LaunchError(f"unknown accelerator type {accel!r}; expected one of: {forms}")
  size = int(m.group(2))
  runtime, _, hosts, _ = ACCELERATORS[prefix]
  return f"{prefix}-{size}", runtime, hosts(size)


def parse_args(argv):
  p = argparse.ArgumentParser(prog="launch/tpu_vm.py", description=__doc__,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
  p.add_argument("command", choices=SUBCOMMANDS)
  p.add_argument("--name", required=True, help="TPU VM (and queued resource) name")
  p.add_argument("--zone", required=True)
  p.add_argument("--project", default="", help="default: gcloud's configured project")
  p.add_argument("--accelerator-type", default="",
                 help="v4-N, v5litepod-N (or v5e-N), v5p-N, v6e-N")
  p.add_argument("--runtime-version", default="", help="default: the one for the TPU type")
  p.add_argument("--queued", action="store_true", help="create through a queued resource")
  p.add_argument("--spot", action="store_true", help="spot (preemptible) capacity")
  p.add_argument("--reserved", action="store_true", help="queued: use a reservation")
  p.add_argument("--config", default="", help="configs/NAME.py[:preset], relative to the repo")
  p.add_argument("--workdir", default="", help="gs://BUCKET/path (local only on one host)")
  p.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                 help="environment for the training process (repeatable)")
  p.add_argument("--git-url", default="", help="setup: git clone this instead of copying")
  p.add_argument("--git-ref", default="main", help="setup with --git-url: what to check out")
  p.add_argument("--remote-dir", default="sr_jax", help="checkout dir, relative to $HOME")
  p.add_argument("--data", default="Set5,Set14",
                 help="setup: sets every worker fetches (python -m sr_jax.data.fetch; '' none)")
  p.add_argument("--log-file", default="sr_jax_train.log", help="relative to $HOME")
  p.add_argument("--worker", default="0", help="logs: which worker to follow")
  p.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
  p.epilog = "Flags after '--' go to sr_jax.main (e.g. -- --config.train.batch_size=256)."
  argv, extra = split_extra(argv)
  args = p.parse_args(argv)
  args.extra = extra
  return args


def _gcloud(*words: str, args) -> list[str]:
  command = ["gcloud", "compute", "tpus", *words, f"--zone={args.zone}"]
  if args.project:
    command.append(f"--project={args.project}")
  return command


def _ssh(args, remote: str, worker: str = "all") -> str:
  return join(_gcloud("tpu-vm", "ssh", args.name, args=args)
                    + [f"--worker={worker}", f"--command={remote}"])


def create_commands(args) -> list[str]:
  if not args.accelerator_type:
    raise LaunchError("create needs --accelerator-type")
  accel, runtime, _ = parse_accelerator(args.accelerator_type)
  runtime = args.runtime_version or runtime
  if args.spot and args.reserved:
    raise LaunchError("--spot and --reserved exclude each other")
  if not args.queued:
    if args.reserved:
      raise LaunchError("--reserved needs --queued")
    command = _gcloud("tpu-vm", "create", args.name, args=args) + [
        f"--accelerator-type={accel}", f"--version={runtime}"]
    return [join(command + (["--spot"] if args.spot else []))]
  command = _gcloud("queued-resources", "create", args.name, args=args) + [
      f"--node-id={args.name}", f"--accelerator-type={accel}", f"--runtime-version={runtime}"]
  command += ["--spot"] if args.spot else ["--reserved"] if args.reserved else []
  describe = join(_gcloud("queued-resources", "describe", args.name, args=args)
                        + ["--format=value(state.state)"])
  wait = (f'until [ "$({describe})" = ACTIVE ]; do echo "waiting for {args.name} to be '
          f'ACTIVE"; sleep 30; done')
  return [join(command), wait]


def setup_commands(args) -> list[str]:
  home_dir = f"~/{args.remote_dir}"
  install = (f"cd {home_dir} && python3 -m pip install -U pip && "
             f"python3 -m pip install -e \".[tpu,gcs]\"")
  sets = [shlex.quote(s) for s in args.data.split(",") if s]
  if sets:
    install += f" && python3 -m sr_jax.data.fetch {' '.join(sets)}"
  if args.git_url:
    url, ref = shlex.quote(args.git_url), shlex.quote(args.git_ref)
    clone = (f"(test -d {home_dir}/.git || git clone {url} {home_dir}) && "
             f"git -C {home_dir} fetch origin && git -C {home_dir} checkout {ref} && "
             f"(git -C {home_dir} pull --ff-only || true)")
    return [_ssh(args, f"{clone} && {install}")]
  tarball = f"/tmp/sr_jax-{args.name}.tar.gz"
  pack = (f"git -C {shlex.quote(str(REPO))} ls-files -z --cached --others --exclude-standard"
          f" | tar -czf {tarball} --ignore-failed-read -C {shlex.quote(str(REPO))} --null -T -")
  copy = join(_gcloud("tpu-vm", "scp", tarball, f"{args.name}:sr_jax.tar.gz", args=args)
                    + ["--worker=all"])
  unpack = f"mkdir -p {home_dir} && tar -xzf ~/sr_jax.tar.gz -C {home_dir}"
  return [pack, copy, _ssh(args, f"{unpack} && {install}")]


def _needs_gcs(args) -> None:
  if not args.accelerator_type:
    return
  accel, _, hosts = parse_accelerator(args.accelerator_type)
  if hosts > 1 and not args.workdir.startswith("gs://"):
    raise LaunchError(f"{accel} has {hosts} hosts: --workdir must be a gs:// path every "
                      f"host can write, got {args.workdir!r}")


def train_commands(args) -> list[str]:
  if not args.config or not args.workdir:
    raise LaunchError("train needs --config and --workdir")
  _needs_gcs(args)
  for item in args.env:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", item):
      raise LaunchError(f"--env {item!r} is not KEY=VALUE")
  main = join(["python3", "-m", "sr_jax.main", f"--config={args.config}",
                     f"--workdir={args.workdir}", *args.extra])
  env = " ".join(f"{k}={shlex.quote(v)}" for k, _, v in (e.partition("=") for e in args.env))
  log = f"~/{args.log_file}"
  remote = (f"cd ~/{args.remote_dir} && {env + ' ' if env else ''}nohup {main} > {log} 2>&1 "
            f"< /dev/null & echo $! > {log}.pid")
  return [_ssh(args, remote)]


def logs_commands(args) -> list[str]:
  return [_ssh(args, f"tail -n 200 -F ~/{args.log_file}", worker=args.worker)]


def stop_commands(args) -> list[str]:
  pid = f"~/{args.log_file}.pid"
  return [_ssh(args, f"test -f {pid} && kill $(cat {pid}) && rm -f {pid} || true")]


def delete_commands(args) -> list[str]:
  if args.queued:
    return [join(_gcloud("queued-resources", "delete", args.name, args=args)
                       + ["--force", "--quiet"])]
  return [join(_gcloud("tpu-vm", "delete", args.name, args=args) + ["--quiet"])]


def commands(args) -> list[str]:
  steps = {"create": [create_commands], "setup": [setup_commands], "train": [train_commands],
           "logs": [logs_commands], "stop": [stop_commands], "delete": [delete_commands],
           "all": [create_commands, setup_commands, train_commands, logs_commands]}
  if args.command == "all":  # check everything before creating anything
    train_commands(args)
  return [line for step in steps[args.command] for line in step(args)]


def main(argv=None) -> int:
  args = parse_args(sys.argv[1:] if argv is None else argv)
  try:
    lines = commands(args)
  except LaunchError as e:
    print(f"tpu_vm.py: error: {e}", file=sys.stderr)
    return 2
  for line in lines:
    if args.dry_run:
      print(line)
      continue
    print(f"+ {line}", file=sys.stderr, flush=True)
    rc = subprocess.run(line, shell=True, executable="/bin/bash").returncode
    if rc:
      print(f"tpu_vm.py: command failed with exit status {rc}", file=sys.stderr)
      return rc
  return 0


if __name__ == "__main__":
  sys.exit(main())
