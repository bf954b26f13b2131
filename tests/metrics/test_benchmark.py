"""The bicubic baseline through the bucketed evaluator reproduces the published Set5 rows."""
import json

import numpy as np
import pytest

from sr_jax.metrics import benchmark
from sr_jax.train import sharding

# EDSR/RCAN tables, bicubic row (published-numbers.md §1).
PUBLISHED_SET5 = {2: (33.66, 0.9299), 3: (30.39, 0.8682), 4: (28.42, 0.8104)}


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_bicubic_baseline_matches_published_set5(shared_data, scale):
  samples = benchmark.load_set(str(shared_data("Set5", "HR")), scale)
  bench = benchmark.Benchmark({"Set5": samples}, scale, pad_multiple=16, batch_size=2,
                              mesh=sharding.make_mesh())
  results, _ = bench.run(bench.compile(benchmark.bicubic_predict(scale)), {})
  psnr, ssim = PUBLISHED_SET5[scale]
  assert abs(results["Set5"]["mean"]["psnr_y"] - psnr) <= 0.03
  assert abs(results["Set5"]["mean"]["ssim_y"] - ssim) <= 0.002


def _blank(name, h, w):
  return benchmark.Sample(name, np.zeros((2 * h, 2 * w, 1), np.uint8), np.zeros((h, w, 1), np.uint8))


@pytest.mark.parametrize("devices, want", [(1, {(16, 16): 3, (32, 16): 1}),
                                           (2, {(16, 16): 4, (32, 16): 2})])
def test_one_batch_size_per_bucket_shape_with_the_fewest_fillers(devices, want):
  # Set a: five LR 14×14 images (bucket 16×16) and one 20×14 (bucket 32×16); set b: one
  # 16×16. Batch 4: the five split 3 + 2 (not 4 + 1 filled to 4 + 4), b's lone image takes
  # the same size (one compile), the 32×16 bucket a batch of 1; rounded up to the devices.
  sets = {"a": [_blank(f"{i}", 14, 14) for i in range(5)] + [_blank("tall", 20, 14)],
          "b": [_blank("b", 16, 16)]}
  assert benchmark._batch_sizes(sets, 16, 4, devices) == want
  batches = benchmark._batches(sets["a"], 2, 16, want)
  assert [b.lr.shape[0] for b in batches] == [want[16, 16]] * 2 + [want[32, 16]]
  assert sorted(i for b in batches for i in b.indices) == list(range(6))


def test_padding_and_batching_do_not_change_the_numbers(shared_data):
  samples = benchmark.load_set(str(shared_data("Set5", "HR")), 4)
  mesh = sharding.make_mesh()
  predict = benchmark.bicubic_predict(4)
  rows = []
  for multiple, batch in ((2, 1), (32, 3)):
    bench = benchmark.Benchmark({"s": samples}, 4, multiple, batch, mesh)
    results, _ = bench.run(bench.compile(predict), {})
    rows.append({r["name"]: r["psnr_y"] for r in results["s"]["images"]})
  assert rows[0].keys() == rows[1].keys() and len(rows[0]) == 5
  for name in rows[0]:
    assert rows[0][name] == pytest.approx(rows[1][name], abs=1e-4)


def test_evaluate_cli_writes_json(shared_data, tmp_path, run_cli):
  out = tmp_path / "bicubic.json"
  proc = run_cli("sr_jax.evaluate", f"--hr_dir={shared_data('Set5', 'HR')}", "--scale=2",
                 "--baseline=bicubic", f"--json={out}")
  assert proc.returncode == 0, proc.stderr[-2000:]
  written = json.loads(out.read_text())
  assert written["scale"] == 2
  (result,) = written["results"]  # one method on one set
  assert (result["method"], result["set"], result["scale"], result["source"]) == (
      "Bicubic", "Set5", 2, "bicubic")
  assert set(result["metrics"]) == {"psnr_y", "ssim_y", "psnr_rgb"}
  assert [r["name"] for r in result["images"]] == ["baby", "bird", "butterfly", "head", "woman"]
  for key, mean in result["metrics"].items():  # the means are the per-image rows' means
    assert mean == pytest.approx(np.mean([r[key] for r in result["images"]]), abs=1e-9)
  assert abs(result["metrics"]["psnr_y"] - 33.66) <= 0.03
  assert abs(result["metrics"]["ssim_y"] - 0.9299) <= 0.002
  assert "mean" in proc.stdout and "butterfly" in proc.stdout


def test_comparison_strip_is_three_images_wide():
  s = benchmark.Sample("x", np.zeros((8, 12, 3), np.uint8), np.zeros((4, 6, 3), np.uint8))
  assert benchmark.comparison_strip(s, s.hr, 2).shape == (8, 36, 3)
