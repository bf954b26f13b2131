"""The sharded step on 8 (fake CPU) devices equals the 1-device step."""
import os
import subprocess
import sys

import jax
import numpy as np
import pytest

from sr_jax.train import checkpoint

pytestmark = pytest.mark.slow  # end to end in subprocesses: CI's slow step

_RUN = """
import json, sys
import ml_collections, jax
from sr_jax.train import trainer
config = ml_collections.ConfigDict(json.loads(sys.argv[1]))
assert jax.device_count() == int(sys.argv[3]), jax.devices()
trainer.train_and_evaluate(config, sys.argv[2])
"""


def _train(config, workdir, devices):
  env = dict(os.environ, XLA_FLAGS=f"--xla_force_host_platform_device_count={devices}",
             JAX_PLATFORMS="cpu")
  subprocess.run([sys.executable, "-c", _RUN, config.to_json(), str(workdir), str(devices)],
                 env=env, check=True, capture_output=True, timeout=300)
  return checkpoint.load_run(str(workdir))[1]


def test_eight_devices_match_one(tiny_config, tmp_path):
  # Same data, same init; only the order of the batch reduction differs, which Adam can
  # magnify to ~1e-5 after a step of size 1e-3.
  tiny_config.train.batch_size = 8
  tiny_config.train.num_steps = 2
  tiny_config.val.batch_size = 3  # rounded up to a multiple of the device count
  one = _train(tiny_config, tmp_path / "one", 1)
  eight = _train(tiny_config, tmp_path / "eight", 8)
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-4, atol=2e-5),
               one["params"], eight["params"])
