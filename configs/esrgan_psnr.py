"""ESRGAN stage 1 (RRDB_PSNR): RRDBNet trained PSNR-oriented; configs/esrgan.py starts from it.

Default: configs/rrdbnet.py:x4, BasicSR's recipe (BasicSR-cfg): 23 RRDB, 64 features, growth 32,
GT 128, batch 16, L1, Adam lr 2e-4, cosine annealing restarted every 250k (4 × 250k = 1000k
iterations). The paper halves 2e-4 every 2×10⁵ instead (ESRGAN-P). Trained on DF2K (DIV2K + Flickr2K), as RRDB_PSNR was.

Preset 'cpu': stage 1 of the perception–distortion demonstration on a CPU (docs/): a 4-block,
32-feature RRDBNet on T91 + BSD200 at ×4, GT 64, 500 steps of one cosine cycle, no EMA.
"""
import pathlib

from sr_jax.config import load_recipe, preset

PRESETS = ("default", "cpu")


def get_config(arg=None):
  name = preset("esrgan_psnr", arg, PRESETS)
  c = load_recipe(pathlib.Path(__file__).with_name("rrdbnet.py"), "x4")
  if name == "cpu":
    c.model.num_blocks = 4
    c.model.features = 32
    c.model.growth = 16
    c.data.dirs = ("291",)
    c.data.hr_patch = 64
    c.data.read_threads = 2
    c.train.num_steps = 500
    c.train.log_every = 50
    c.train.eval_every = 500
    c.train.checkpoint_every = 500
    c.optim.restart_periods = (500,)
    c.train.ema_decay = 0.0  # over 500 steps an EMA of 0.999 would mostly average the init
    c.optim.b2 = 0.999  # the documented run's
  return c
