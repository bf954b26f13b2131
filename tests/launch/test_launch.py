"""Dry-run output of the launch scripts: exact command shapes, workdir pass-through, checks."""
import importlib.util
import os
import pathlib
import shlex
import subprocess
import sys

import pytest

LAUNCH = pathlib.Path(__file__).resolve().parents[2] / "launch"


def load(name):
  """Imports a launcher as its script does: with launch/ first on sys.path."""
  if str(LAUNCH) not in sys.path:
    sys.path.insert(0, str(LAUNCH))
  spec = importlib.util.spec_from_file_location(f"launch_{name}", LAUNCH / f"{name}.py")
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module


tpu_vm, slurm_gpu, local_gpus = load("tpu_vm"), load("slurm_gpu"), load("local_gpus")
TPU = ["--name=sr1", "--zone=us-central2-b", "--config=configs/edsr.py",
       "--workdir=gs://bucket/runs/edsr", "--dry-run"]


def dry(module, argv, capsys):
  rc = module.main(argv)
  out, err = capsys.readouterr()
  return rc, out.splitlines(), err


@pytest.mark.parametrize("accel, version", [
    ("v4-8", "tpu-ubuntu2204-base"), ("v5litepod-8", "v2-alpha-tpuv5-lite"),
    ("v5p-16", "v2-alpha-tpuv5"), ("v6e-4", "v2-alpha-tpuv6e")])
def test_tpu_create(accel, version, capsys):
  rc, lines, _ = dry(tpu_vm, ["create", f"--accelerator-type={accel}", *TPU], capsys)
  assert rc == 0 and lines == [
      f"gcloud compute tpus tpu-vm create sr1 --zone=us-central2-b --accelerator-type={accel} "
      f"--version={version}"]


def test_tpu_create_queued_spot_with_project(capsys):
  rc, lines, _ = dry(tpu_vm, ["create", "--queued", "--spot", "--project=proj",
                              "--accelerator-type=v5e-16", *TPU], capsys)
  assert rc == 0
  assert lines[0] == (
      "gcloud compute tpus queued-resources create sr1 --zone=us-central2-b --project=proj "
      "--node-id=sr1 --accelerator-type=v5litepod-16 --runtime-version=v2-alpha-tpuv5-lite "
      "--spot")
  assert lines[1].startswith('until [ "$(gcloud compute tpus queued-resources describe sr1 '
                             "--zone=us-central2-b --project=proj "
                             "--format='value(state.state)')\" = ACTIVE ]")
  assert len(lines) == 2


def test_tpu_setup_copies_to_all_workers_and_installs(capsys):
  rc, lines, _ = dry(tpu_vm, ["setup", *TPU], capsys)
  assert rc == 0 and len(lines) == 3
  assert "git -C" in lines[0] and "ls-files" in lines[0] and "tar -czf" in lines[0]
  assert lines[1] == ("gcloud compute tpus tpu-vm scp /tmp/sr_jax-sr1.tar.gz "
                      "sr1:sr_jax.tar.gz --zone=us-central2-b --worker=all")
  ssh = shlex.split(lines[2])
  assert ssh[:7] == ["gcloud", "compute", "tpus", "tpu-vm", "ssh", "sr1", "--zone=us-central2-b"]
  assert ssh[7] == "--worker=all"
  assert "tar -xzf ~/sr_jax.tar.gz -C ~/sr_jax" in ssh[8]
  assert ssh[8].endswith('pip install -e ".[tpu,gcs]" && python3 -m sr_jax.data.fetch Set5 Set14')


def test_tpu_setup_git_clone(capsys):
  rc, lines, _ = dry(tpu_vm, ["setup", "--git-url=https://example.com/sr_jax.git",
                              "--git-ref=v1", *TPU], capsys)
  assert rc == 0 and len(lines) == 1
  remote = shlex.split(lines[0])[-1]
  assert "--worker=all" in lines[0] and "git clone https://example.com/sr_jax.git" in remote
  assert "checkout v1" in remote and 'pip install -e ".[tpu,gcs]"' in remote


def test_tpu_setup_fetches_the_sets_asked_for(capsys):
  rc, lines, _ = dry(tpu_vm, ["setup", "--data=DIV2K,Set5", *TPU], capsys)
  assert rc == 0 and shlex.split(lines[2])[8].endswith("python3 -m sr_jax.data.fetch DIV2K Set5")
  rc, lines, _ = dry(tpu_vm, ["setup", "--data=", *TPU], capsys)
  assert rc == 0 and "sr_jax.data.fetch" not in lines[2]


def test_tpu_train_on_all_workers_with_workdir(capsys):
  rc, lines, _ = dry(tpu_vm, ["train", "--accelerator-type=v4-32", "--env", "SR_JAX_DATA=gs://b/d",
                              *TPU, "--", "--config.train.batch_size=256"], capsys)
  assert rc == 0 and len(lines) == 1
  words = shlex.split(lines[0])
  assert words[:8] == ["gcloud", "compute", "tpus", "tpu-vm", "ssh", "sr1",
                       "--zone=us-central2-b", "--worker=all"]
  assert words[8] == (
      "--command=cd ~/sr_jax && SR_JAX_DATA=gs://b/d nohup python3 -m sr_jax.main "
      "--config=configs/edsr.py --workdir=gs://bucket/runs/edsr "
      "--config.train.batch_size=256 > ~/sr_jax_train.log 2>&1 < /dev/null "
      "& echo $! > ~/sr_jax_train.log.pid")


def test_tpu_logs_stop_delete(capsys):
  _, logs, _ = dry(tpu_vm, ["logs", *TPU], capsys)
  assert logs == ["gcloud compute tpus tpu-vm ssh sr1 --zone=us-central2-b --worker=0 "
                  "--command='tail -n 200 -F ~/sr_jax_train.log'"]
  _, stop, _ = dry(tpu_vm, ["stop", *TPU], capsys)
  assert "--worker=all" in stop[0] and "kill $(cat ~/sr_jax_train.log.pid)" in stop[0]
  _, delete, _ = dry(tpu_vm, ["delete", *TPU], capsys)
  assert delete == ["gcloud compute tpus tpu-vm delete sr1 --zone=us-central2-b --quiet"]
  _, delete_q, _ = dry(tpu_vm, ["delete", "--queued", *TPU], capsys)
  assert delete_q == ["gcloud compute tpus queued-resources delete sr1 "
                      "--zone=us-central2-b --force --quiet"]


def test_tpu_all_runs_every_step_in_order(capsys):
  rc, lines, _ = dry(tpu_vm, ["all", "--accelerator-type=v6e-8", *TPU], capsys)
  assert rc == 0
  kinds = [" ".join(shlex.split(l)[3:5]) if l.startswith("gcloud") else l.split()[0]
           for l in lines]
  assert kinds == ["tpu-vm create", "git", "tpu-vm scp", "tpu-vm ssh", "tpu-vm ssh",
                   "tpu-vm ssh"]
  assert "--workdir=gs://bucket/runs/edsr" in lines[4] and "--worker=0" in lines[5]


@pytest.mark.parametrize("accel", ["v3-8", "v4-12", "v5litepod-3", "v6e-512", "tpu", "v5p-4"])
def test_tpu_unknown_accelerator_is_one_clear_line(accel, capsys):
  rc, lines, err = dry(tpu_vm, ["create", f"--accelerator-type={accel}", *TPU], capsys)
  assert rc == 2 and lines == []
  assert err.count("\n") == 1 and err.startswith(
      f"tpu_vm.py: error: unknown accelerator type {accel!r}; expected one of: v4-N")


def test_tpu_multihost_needs_gcs_workdir(capsys):
  argv = [a if not a.startswith("--workdir") else "--workdir=/tmp/run" for a in TPU]
  rc, lines, err = dry(tpu_vm, ["all", "--accelerator-type=v4-16", *argv], capsys)
  assert rc == 2 and lines == [] and "v4-16 has 2 hosts" in err
  rc, _, _ = dry(tpu_vm, ["train", "--accelerator-type=v4-8", *argv], capsys)
  assert rc == 0  # one host: a local workdir is fine


def test_tpu_script_runs_standalone():
  out = subprocess.run([sys.executable, str(LAUNCH / "tpu_vm.py"), "delete", *TPU],
                       capture_output=True, text=True, check=True).stdout
  assert out == "gcloud compute tpus tpu-vm delete sr1 --zone=us-central2-b --quiet\n"


def test_slurm_sbatch_command(capsys, monkeypatch):
  monkeypatch.chdir(LAUNCH.parent)
  rc, lines, _ = dry(slurm_gpu, ["--nodes=2", "--gpus-per-node=4", "--partition=gpu",
                                 "--config=configs/edsr.py", "--workdir=/shared/runs/e",
                                 "--dry-run", "--", "--config.train.batch_size=64"], capsys)
  assert rc == 0 and lines == [
      "sbatch --job-name=sr_jax --nodes=2 --ntasks-per-node=4 --gpus-per-node=4 "
      "--cpus-per-task=8 --time=24:00:00 --partition=gpu launch/slurm_gpu.sbatch "
      "configs/edsr.py /shared/runs/e --config.train.batch_size=64"]


def test_slurm_task_binding(capsys, monkeypatch):
  monkeypatch.chdir(LAUNCH.parent)
  rc, lines, err = dry(slurm_gpu, ["--gpu-binding=task", "--gpus-per-node=8", "--config=c.py",
                                   "--workdir=w", "--dry-run"], capsys)
  assert rc == 0 and "--ntasks-per-node=8 --gpus-per-task=1" in lines[0]
  assert "local_device_ids" in err


def test_slurm_rejects_bad_counts():
  with pytest.raises(SystemExit):
    slurm_gpu.parse_args(["--nodes=0", "--config=c", "--workdir=w"])


def test_sbatch_script_runs_srun_once_per_gpu(tmp_path):
  """Runs the batch script with a fake srun: the srun line and its arguments."""
  fake = tmp_path / "srun"
  fake.write_text('#!/bin/bash\nprintf "%s\\n" "$@"\n')
  fake.chmod(0o755)
  env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}", "SLURM_CPUS_PER_TASK": "6",
         "SR_JAX_REPO": str(LAUNCH.parent)}
  script = LAUNCH / "slurm_gpu.sbatch"
  text = script.read_text()
  assert "#SBATCH --ntasks-per-node=8" in text and "#SBATCH --gpus-per-node=8" in text
  out = subprocess.run(["bash", str(script), "configs/edsr.py", "/shared/w", "--config.seed=1"],
                       env=env, capture_output=True, text=True, check=True).stdout
  assert out.splitlines()[1:] == [
      "--kill-on-bad-exit=1", "--cpus-per-task=6", "python", "-m", "sr_jax.main",
      "--config=configs/edsr.py", "--workdir=/shared/w", "--config.seed=1"]
  bad = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True)
  assert bad.returncode == 2 and "usage" in bad.stderr


def test_local_gpus(capsys):
  rc, lines, _ = dry(local_gpus, ["--config=configs/edsr.py", "--workdir=runs/e", "--gpus=0,1",
                                  "--dry-run", "--", "--config.train.batch_size=32"], capsys)
  assert rc == 0 and lines == [
      "CUDA_VISIBLE_DEVICES=0,1 python -m sr_jax.main --config=configs/edsr.py "
      "--workdir=runs/e --config.train.batch_size=32"]
  rc, lines, _ = dry(local_gpus, ["--config=c.py", "--workdir=w", "--dry-run"], capsys)
  assert lines == ["python -m sr_jax.main --config=c.py --workdir=w"]
  with pytest.raises(SystemExit):
    local_gpus.parse_args(["--config=c", "--workdir=w", "--gpus=0,0"])
