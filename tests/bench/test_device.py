"""bench/device/: the GPU session's package lists and its one command (tracker issue 17)."""
import json
import os
import pathlib
import re
import subprocess
import tarfile
import tomllib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEVICE = ROOT / "bench" / "device"

# Core dependencies the GPU image has although gpu_image.txt does not list them: they come with
# what it lists (absl-py: optax and orbax-checkpoint; numpy and scipy: jax; pillow: tensorboard;
# etils[epath]: orbax-checkpoint requires etils[epath,epy]).
PRESENT_IN_IMAGE = {"absl_py", "numpy", "scipy", "pillow", "etils"}
# Core dependencies neither `python -m sr_jax.bench` nor `python -m sr_jax.main` imports on the
# folder source (traced through sys.modules on a CPU run), so the GPU run does without them:
# scikit-image only supplies data.source='skimage' (the quickstart's images), and with its
# imageio/tifffile/lazy-loader it would not fit the carry's 60 MiB next to opencv and the data.
NOT_NEEDED = {"scikit_image"}

# The parts run.sh --cpu-smoke names in summary.json.
SMOKE_PARTS = ("install", "a_edsr", "a_rrdbnet_b4", "a_rrdbnet_b2", "a_swinir", "b_rrdbnet_loop",
               "b_rrdbnet_unroll", "c_edsr_train")


def _norm(name: str) -> str:
  return re.sub(r"[-_.]+", "_", name).lower()


def _names(path: pathlib.Path) -> list[str]:
  lines = [l.split("#")[0].strip() for l in path.read_text().splitlines()]
  return [_norm(re.split(r"[<>=!~;\[ ]", l)[0]) for l in lines if l]


def test_lists_disjoint_and_cover_core_dependencies():
  image, wheels = _names(DEVICE / "gpu_image.txt"), _names(DEVICE / "wheels.txt")
  assert image and wheels
  assert not set(image) & set(wheels), "wheels.txt names what the image already has"
  assert len(wheels) == len(set(wheels))
  for line in (DEVICE / "wheels.txt").read_text().splitlines():
    line = line.split("#")[0].strip()
    assert not line or re.fullmatch(r"[A-Za-z0-9_.\-]+==[0-9][A-Za-z0-9_.]*", line), line
  core = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
  core = {_norm(re.split(r"[<>=!~;\[ ]", d)[0]) for d in core}
  covered = set(image) | set(wheels) | PRESENT_IN_IMAGE | NOT_NEEDED
  assert core - covered == set(), "core dependencies with no place on the GPU machine"
  assert not NOT_NEEDED & set(wheels)


def test_gitignore_ignores_carry():
  assert "bench/device/carry/" in (ROOT / ".gitignore").read_text().splitlines()


@pytest.mark.slow
def test_cpu_smoke(tmp_path):
  carried = (DEVICE / "carry" / "data" / "T91").is_dir()
  data = os.environ.get("SR_JAX_DATA", "")
  if not carried and not (data and (pathlib.Path(data) / "T91" / "HR").is_dir()):
    pytest.skip("needs T91, Set5 and Set14 under $SR_JAX_DATA (or bench/device/prepare.sh)")
  env = {**os.environ, "OUT": str(tmp_path / "out"), "WORK_DIR": str(tmp_path / "work")}
  proc = subprocess.run(["bash", str(DEVICE / "run.sh"), "--cpu-smoke"], cwd=ROOT, env=env,
                        capture_output=True, text=True, timeout=300)
  assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
  summary = json.loads((tmp_path / "out" / "summary.json").read_text())
  assert summary["smoke"] and summary["versions"]["jax"]
  parts = summary["parts"]
  assert set(SMOKE_PARTS) <= set(parts), sorted(parts)
  for name in SMOKE_PARTS:
    part = parts[name]
    assert part["result"], name
    assert not part["status"].startswith("failed"), (name, part)
  edsr = parts["a_edsr"]["result"]
  assert parts["a_edsr"]["status"] == "ok" and edsr["compile_s"] > 0
  assert edsr["jax_random"]["steps_per_s"] > 0 and edsr["jax_real"]["steps_per_s"] > 0
  assert isinstance(edsr["torch"], dict) or edsr["torch"] == "skipped: no torch"
  assert (tmp_path / "out" / "summary.md").read_text().startswith("# bench/device run")
  # The device tool brings back at most 8 files from $OUT.
  assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
      "results.tar.gz", "run.log", "summary.json", "summary.md"]
  with tarfile.open(tmp_path / "out" / "results.tar.gz") as tar:
    names = tar.getnames()
  assert not any("checkpoints" in n for n in names)
  # On a loaded CPU the 270 s budget can run out before part c ("skipped: out of time").
  if parts["c_edsr_train"]["status"] == "ok":
    assert "./edsr_4min/metrics.jsonl" in names
    assert parts["c_edsr_train"]["result"]["validation"]
