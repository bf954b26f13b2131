"""The inference benchmark CLI at tiny shapes: one compile per size bucket, none warm, rates."""
import json
import pathlib

import numpy as np
import pytest
from PIL import Image

from sr_jax import config as config_lib
from sr_jax.bench import inference

REPO = pathlib.Path(__file__).resolve().parents[2]
TINY = ["--config=configs/rrdbnet.py:x4", "--config.model.num_blocks=1",
        "--config.model.features=8", "--config.model.growth=4"]


def _write_images(folder: pathlib.Path, sizes):
  folder.mkdir()
  rng = np.random.default_rng(0)
  for i, (h, w) in enumerate(sizes):
    Image.fromarray(rng.integers(0, 256, (h, w, 3), np.uint8)).save(folder / f"{i}.png")
  return folder


def test_one_compile_per_bucket_and_tiled_rate(tmp_path, run_cli):
  # ×4, pad_multiple 16: HR 40×48 and 48×40 → LR padded to 16×16; HR 72×64 → LR 18×16 →
  # 32×16.
  # Batch 2: Set5 is a 16×16 batch of 2 and a 32×16 batch of 1 (a lone image, no filler);
  # Set14's lone 16×16 image is batched as Set5's (one filler) and reuses its compile.
  a = _write_images(tmp_path / "a", [(40, 48), (40, 48), (72, 64)])
  b = _write_images(tmp_path / "b", [(48, 40)])
  out = tmp_path / "inference.json"
  proc = run_cli("sr_jax.bench.inference", *TINY, f"--config.val.sets.Set5={a}",
                 f"--config.val.sets.Set14={b}", "--batch=2", "--out_size=64x48", "--tile=8",
                 "--tile_overlap=2", "--steps=2", f"--json={out}")
  assert proc.returncode == 0, proc.stderr[-2000:]
  r = json.loads(out.read_text())
  assert (r["model"], r["scale"], r["dtype"], r["backend"]) == ("rrdbnet", 4, "float32", "cpu")
  assert r["params"] > 0 and r["device_kind"] and r["versions"]["jax"] and r["versions"]["flax"]
  assert r["date"] and r["config"] == "configs/rrdbnet.py:x4" and len(r["overrides"]) == 5

  e = r["eval"]
  assert e["sets"] == {"Set5": 3, "Set14": 1} and e["images"] == 4
  assert e["bucket_shapes"] == [[1, 32, 16, 3], [2, 16, 16, 3]] and e["batches"] == 3
  assert e["buckets"] == 2 == e["first_pass"]["compilations"] == e["jit_cache_entries"]
  assert e["warm_pass"]["compilations"] == 0 and e["one_compile_per_bucket"]
  assert e["output_megapixels"] == pytest.approx((2 * 40 * 48 + 72 * 64 + 48 * 40) / 1e6)
  # SR computed: two 2×64×64 batches and one 1×128×64, padding and batch fillers included.
  assert e["computed_output_megapixels"] == pytest.approx((2 * 2 * 64 * 64 + 128 * 64) / 1e6)
  assert e["images_per_s"] == pytest.approx(4 / e["warm_pass"]["wall_s"])
  assert e["output_megapixels_per_s"] == pytest.approx(e["output_megapixels"]
                                                       / e["warm_pass"]["wall_s"])
  assert e["first_pass"]["wall_s"] > e["first_pass"]["compile_s"] > 0
  assert e["warm_pass"]["compile_s"] == 0 and e["output_megapixels_per_s"] > 0

  t = r["tiled"]
  assert (t["out_size"], t["lr_size"], t["tile"], t["tile_overlap"]) == ([64, 48], [16, 12], 8, 2)
  assert t["tiles"] == 2 * 3  # rows at 0, 4; columns at 0, 6, 8
  assert t["tiled_over_image_pixels"] == pytest.approx(6 * 8 * 8 / (12 * 16))
  assert t["output_megapixels"] == pytest.approx(64 * 48 / 1e6)
  assert t["megapixels_per_s"] == pytest.approx(t["output_megapixels"] / t["seconds_per_image"])
  assert t["compile_s"] > 0 and t["megapixels_per_s"] > 0
  assert t["peak_memory_bytes"] is None  # CPU: no memory stats
  assert "compilations: 2 first pass, 0 warm" in proc.stdout and "output MP/s" in proc.stdout


def test_bad_out_size_fails_in_one_line_before_compiling(run_cli):
  proc = run_cli("sr_jax.bench.inference", *TINY, "--out_size=250x190")
  assert proc.returncode == 1
  assert proc.stderr.strip().splitlines()[-1] == (
      "error: --out_size=250x190: width and height must be multiples of the scale 4")


@pytest.mark.parametrize("kwargs, flag", [
    ({"out_size": "3840*2160"}, "--out_size"), ({"out_size": "0x2160"}, "--out_size"),
    ({"set_names": ["Set7"]}, "--sets"), ({"tile": 32, "tile_overlap": 32}, "--tile_overlap"),
    ({"tile": 0}, "--tile="), ({"batch": 0}, "--batch"), ({"parts": ["train"]}, "--parts")])
def test_bad_inputs_name_their_flag(kwargs, flag):
  config = config_lib.load_recipe(REPO / "configs" / "rrdbnet.py", "x4")
  with pytest.raises(inference.InputError, match=f"^{flag}"):
    inference.measure(config, **kwargs)


@pytest.mark.torch
def test_torch_times_the_same_tiles_interleaved(tmp_path, run_cli):
  pytest.importorskip("torch", reason="[ci-step:torch] needs PyTorch")
  out = tmp_path / "tiled.json"
  proc = run_cli("sr_jax.bench.inference", *TINY, "--parts=tiled", "--out_size=64x48",
                 "--tile=8", "--tile_overlap=2", "--steps=3", "--warmup=1", "--torch",
                 f"--json={out}")
  assert proc.returncode == 0, proc.stderr[-2000:]
  r = json.loads(out.read_text())
  t = r["tiled"]["torch"]
  assert t["rounds"] == 3 and len(t["jax_seconds"]) == len(t["torch_seconds"]) == 3
  assert t["seconds_per_image"] == sorted(t["torch_seconds"])[1]  # the median of 3
  assert t["jax_over_torch"] == pytest.approx(t["seconds_per_image"] / t["jax_seconds_per_image"])
  assert t["params"] == r["params"] and t["threads"] >= 1
  assert "JAX/torch" in proc.stdout


def test_torch_without_tiled_is_one_line(run_cli):
  proc = run_cli("sr_jax.bench.inference", *TINY, "--parts=eval", "--torch")
  assert proc.returncode == 1
  assert proc.stderr.strip().splitlines()[-1] == (
      "error: --torch times tiled inference: add tiled to --parts")
