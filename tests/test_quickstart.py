"""The main job on the embedded photos beats bicubic (a shorter run, a smaller margin)."""
import importlib.util
import pathlib

from sr_jax.metrics import benchmark
from sr_jax.train import sharding, trainer

REPO = pathlib.Path(__file__).resolve().parents[1]


def _quickstart_config():
  spec = importlib.util.spec_from_file_location("quickstart", REPO / "configs" / "quickstart.py")
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module.get_config()


def test_short_quickstart_beats_bicubic(tmp_path):
  c = _quickstart_config()
  c.train.num_steps = 80
  c.train.eval_every = 80
  c.train.checkpoint_every = 80
  c.train.log_every = 40
  scalars = trainer.train_and_evaluate(c, str(tmp_path))

  sets = trainer.load_validation_sets(c)
  bench = benchmark.Benchmark(sets, c.scale, c.val.pad_multiple, c.val.batch_size,
                              sharding.make_mesh())
  results, _ = bench.run(bench.compile(benchmark.bicubic_predict(c.scale)), {})
  bicubic = results["skimage"]["mean"]["psnr_y"]
  assert scalars["val/skimage/psnr_y"] >= bicubic + 0.15, (scalars, bicubic)
