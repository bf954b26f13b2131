"""Real-ESRNet and Real-ESRGAN ×4 (RESRGAN-cfg): RRDBNet on Real-ESRGAN's second-order degradations.

Preset 'net' (Real-ESRNet): RRDBNet 23 blocks, L1, GT 256, batch 48 (12/GPU × 4), Adam lr 2e-4,
1000k iterations, data.degradation='realesrgan' (config.degradation: its defaults: GT cropped or
padded to 400 and degraded whole, then a paired 256/64 crop; DiffJPEG; the training-pair pool
720 = its 180 per GPU × 4 GPUs, on either path), horizontal flips only, EMA 0.999.
Both start from official weights, as the released options do: 'net' from ESRGAN_x4
(ESRGAN_SRx4_DF2KOST_official-ff704c30.pth), the default from RealESRNet_x4plus (downloaded
and converted on first use, sr_jax.weights); --config.init_from=NET_WORKDIR starts the GAN from
your own 'net' run instead.
Default (Real-ESRGAN): loss 1.0 · L1
+ 1.0 · L1 on VGG19 {conv1_2: 0.1, conv2_2: 0.1, conv3_4: 1, conv4_4: 1, conv5_4: 1} (before
ReLU) + 0.1 · vanilla GAN from the U-Net discriminator with spectral norm (64 features, skip
connections); lr 1e-4 for both networks, 400k iterations. As in the released options, the
content terms compare with the USM-sharpened GT and the discriminator sees the plain GT. Also
from those options, not in published-numbers.md: Adam β = (0.9, 0.99), and a constant lr (their
single MultiStepLR milestone falls on the last iteration). Trains on DF2K + OST (DIV2K, Flickr2K
and OutdoorSceneTraining, data set 'DF2K_OST'). VGG19 weights: python -m sr_jax.tools.vgg --fetch.

Presets 'compact_net' and 'compact': the same two stages for SRVGGNetCompact (64 features, 32
body convolutions, PReLU: the realesr-general-x4v3 network of inference_realesrgan.py; model
'srvgg_compact'). Real-ESRGAN publishes no training options for its compact models (users ask
for them in xinntao/Real-ESRGAN#611, #773 and #488, with no official file in reply), nor their
data or degradation changes (#621): these presets are the closest official files,
options/train_realesrnet_x4plus.yml ('compact_net') and options/train_realesrgan_x4plus.yml
('compact', from a compact_net run via --config.init_from), with network_g swapped.

Kept by choice (docs/realesrgan-degradations.md; sr_jax/data/degradations.py):
- Every random draw is per sample; the reference draws the resize factor and mode, the noise
  type, the second blur, the final JPEG/sinc order and the crop position once per batch. One
  sample's draws are one `sample_params` dict, so the host and device paths apply the same draw;
  each sample's distribution is the reference's, without the within-batch correlation.
- Gray Gaussian noise draws a plane per sample (BasicSR: one (h, w) plane for the whole batch),
  as every other draw is per sample.
- 'net' makes its USM target after the pool from the 256 GT crop, as Real-ESRGAN's model does;
  Real-ESRNet's sharpens the 400 GT first and pools that. One train-step hook and one pool of
  plain uint8 GT serve both stages; the targets differ only near the crop border (USM radius 50),
  and both degrade the sharpened 400 GT.
- The pool is global (720) where the reference's is per GPU (180 × 4 GPUs).
Not checked yet: the device path (data.degradation_device) matches the PyTorch oracles with JAX
on the CPU (tests/ops/test_realesrgan_reference.py); it has not been run on a GPU.
"""
import pathlib

import ml_collections

from sr_jax.config import load_recipe, preset, set_schedule

PRESETS = ("default", "net", "compact", "compact_net")


def get_config(arg=None):
  name = preset("realesrgan", arg, PRESETS)
  c = load_recipe(pathlib.Path(__file__).with_name("rrdbnet.py"), "x4")
  if name.startswith("compact"):
    c.model = ml_collections.ConfigDict({"name": "srvgg_compact", "features": 64, "num_conv": 32,
                                         "activation": "prelu", "dtype": "float32"})
  c.data.dirs = ("DF2K_OST",)
  c.data.degradation = "realesrgan"
  c.data.hr_patch = 256  # gt_size; each GT is degraded whole at crop_pad_size 400, then cropped
  c.data.augment = "hflip"  # use_hflip: True, use_rot: False
  c.train.batch_size = 48
  # Real-ESRGAN's pool holds 180 pairs per GPU at 12 per GPU: 15 batches. This pool is global.
  c.degradation.pool_size = 15 * c.train.batch_size
  c.train.loss = "l1"
  c.train.ema_decay = 0.999
  net = name in ("net", "compact_net")
  c.train.num_steps = 1_000_000 if net else 400_000
  c.optim.name = "adam"
  c.optim.learning_rate = 2e-4 if net else 1e-4
  c.optim.b1, c.optim.b2 = 0.9, 0.99
  set_schedule(c.optim, "constant")
  if net:
    if name == "net":
      c.init_from = "ESRGAN_x4"  # pretrain_network_g: ESRGAN_SRx4_DF2KOST_official-ff704c30.pth
    return c
  if name == "default":
    c.init_from = "RealESRNet_x4plus"  # pretrain_network_g: RealESRNet_x4plus.pth
  c.train.mode = "adversarial"
  c.gan.optim = c.optim.copy_and_resolve_references()
  c.losses.pixel = 1.0
  c.losses.perceptual = 1.0
  c.losses.perceptual_layers = {"conv1_2": 0.1, "conv2_2": 0.1, "conv3_4": 1.0, "conv4_4": 1.0,
                                "conv5_4": 1.0}
  c.losses.perceptual_criterion = "l1"
  c.gan.discriminator = "unet_sn"
  c.gan.num_feat = 64
  c.gan.loss = "vanilla"
  c.gan.weight = 0.1
  return c
