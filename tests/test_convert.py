"""PyTorch state_dicts (official and BasicSR key names, as NumPy arrays) → Flax params → a run."""
import functools
import json

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from PIL import Image

from sr_jax import convert, models
from sr_jax.train import checkpoint

F = 8  # features of the small models


def _conv(rng, name, cin, cout, k=3):
  return {f"{name}.weight": rng.standard_normal((cout, cin, k, k)).astype(np.float32),
          f"{name}.bias": rng.standard_normal(cout).astype(np.float32)}


def edsr_official(rng, scale, blocks=2):
  """EDSR-PyTorch's names, MeanShift convs included."""
  sd = {"sub_mean.weight": np.eye(3, dtype=np.float32).reshape(3, 3, 1, 1),
        "sub_mean.bias": np.zeros(3, np.float32), **_conv(rng, "head.0", 3, F)}
  sd["add_mean.weight"], sd["add_mean.bias"] = sd["sub_mean.weight"], sd["sub_mean.bias"]
  for i in range(blocks):
    sd |= _conv(rng, f"body.{i}.body.0", F, F) | _conv(rng, f"body.{i}.body.2", F, F)
  sd |= _conv(rng, f"body.{blocks}", F, F) | _conv(rng, "tail.1", F, 3)
  for i in range(2 if scale == 4 else 1):
    sd |= _conv(rng, f"tail.0.{2 * i}", F, 4 * F)
  return sd


# EDSR-PyTorch → BasicSR names of the 2-block ×4 EDSR.
BASICSR_EDSR = {"head.0": "conv_first", "body.0.body.0": "body.0.conv1",
                "body.0.body.2": "body.0.conv2", "body.1.body.0": "body.1.conv1",
                "body.1.body.2": "body.1.conv2", "body.2": "conv_after_body",
                "tail.0.0": "upsample.0", "tail.0.2": "upsample.2", "tail.1": "conv_last"}


def _template(arch, scale, **model):
  return convert.model_template(models.build_model(arch, scale=scale, **model))


def test_edsr_official_keys_land_transposed_and_unchanged_at_the_models_pixel_range():
  sd = edsr_official(np.random.default_rng(0), 4)
  params = convert.convert_state_dict("edsr", sd, _template("edsr", 4, num_blocks=2, features=F))
  np.testing.assert_array_equal(params["head"]["kernel"], sd["head.0.weight"].transpose(2, 3, 1, 0))
  np.testing.assert_array_equal(params["block"]["Conv_1"]["kernel"][1, 1, 2, 3, 4],  # block 1
                                sd["body.1.body.2.weight"][4, 3, 1, 2])
  # The model works at EDSR-PyTorch's rgb_range 255 (its img_range): biases load as they are.
  np.testing.assert_array_equal(params["upsample"]["Conv_1"]["bias"], sd["tail.0.2.bias"])
  np.testing.assert_array_equal(params["tail"]["bias"], sd["tail.1.bias"])


def test_edsr_basicsr_keys_and_module_prefix_give_the_same_params():
  sd = edsr_official(np.random.default_rng(0), 4)
  renamed = {}
  for key, value in sd.items():
    module, _, leaf = key.rpartition(".")
    if module in BASICSR_EDSR:
      renamed[f"module.{BASICSR_EDSR[module]}.{leaf}"] = value
  template = _template("edsr", 4, num_blocks=2, features=F)
  a = convert.convert_state_dict("edsr", sd, template)
  b = convert.convert_state_dict("edsr", renamed, template)
  assert set(renamed) != set(sd)
  np.testing.assert_equal(a, b)


def test_rrdbnet_esrgan_and_basicsr_key_styles_agree():
  rng = np.random.default_rng(1)
  g = 4
  basicsr = _conv(rng, "conv_first", 3, F)
  esrgan = {"model.0": "conv_first", "model.1.sub.1": "conv_body", "model.3": "conv_up1",
            "model.6": "conv_up2", "model.8": "conv_hr", "model.10": "conv_last"}
  for r in (1, 2, 3):
    for k in range(1, 6):
      basicsr |= _conv(rng, f"body.0.rdb{r}.conv{k}", F + (k - 1) * g, g if k < 5 else F)
      esrgan[f"model.1.sub.0.RDB{r}.conv{k}.0"] = f"body.0.rdb{r}.conv{k}"
  for name in ("conv_body", "conv_up1", "conv_up2", "conv_hr"):
    basicsr |= _conv(rng, name, F, F)
  basicsr |= _conv(rng, "conv_last", F, 3)
  old = {f"{o}.{leaf}": basicsr[f"{n}.{leaf}"]
         for o, n in esrgan.items() for leaf in ("weight", "bias")}
  template = _template("rrdbnet", 4, num_blocks=1, features=F, growth=g)
  a = convert.convert_state_dict("rrdbnet", basicsr, template)
  b = convert.convert_state_dict("rrdbnet", old, template)
  np.testing.assert_equal(a, b)
  np.testing.assert_array_equal(a["rrdb"]["rdb3"]["conv5"]["bias"][0],
                                basicsr["body.0.rdb3.conv5.bias"])


@pytest.mark.parametrize("k,s,p,op", [(9, 3, 4, 2), (8, 4, 2, 0), (4, 2, 1, 1)])
def test_conv_transpose_kernel_is_pytorchs_deconvolution(k, s, p, op):
  """PyTorch's ConvTranspose2d by its definition, written out (each input pixel scatters its
  kernel: y[s·i − p + t] += x[i]·W[t], cropped to (h−1)·s − 2p + k + op), against the Flax
  ConvTranspose our FSRCNN/DBPN use, padded (k−1−p, k−1−p+op), with `torch_kernel`'s kernel."""
  rng = np.random.default_rng(0)
  x = rng.standard_normal((4, 5, 2))
  w = rng.standard_normal((2, 3, k, k))  # PyTorch: (in, out, kh, kw)
  full = np.zeros(((4 - 1) * s + k, (5 - 1) * s + k, 3))
  for i in range(4):
    for j in range(5):
      full[s * i:s * i + k, s * j:s * j + k] += np.einsum("c,cohw->hwo", x[i, j], w)
  out = ((4 - 1) * s - 2 * p + k + op, (5 - 1) * s - 2 * p + k + op)
  full = np.pad(full, ((0, op), (0, op), (0, 0)))  # output_padding adds rows at the end
  expected = full[p:p + out[0], p:p + out[1]]
  q = k - 1 - p
  layer = nn.ConvTranspose(3, (k, k), strides=(s, s), padding=((q, q + op),) * 2)
  kernel = convert.torch_kernel(w.astype(np.float32), transposed=True)
  got = layer.apply({"params": {"kernel": kernel, "bias": np.zeros(3, np.float32)}},
                    jnp.asarray(x[None], jnp.float32))[0]
  np.testing.assert_allclose(np.asarray(got), expected, atol=1e-4)


def test_every_unmapped_missing_and_misshaped_key_is_named():
  sd = edsr_official(np.random.default_rng(2), 2)
  del sd["tail.1.bias"]
  del sd["body.1.body.2.bias"]  # one block of a scanned parameter
  sd["body.9.body.0.weight"] = sd["body.0.body.0.weight"]
  sd["head.0.weight"] = np.zeros((F, 3, 5, 5), np.float32)
  sd["extra.thing"] = np.zeros(3, np.float32)
  with pytest.raises(ValueError) as e:
    convert.convert_state_dict("edsr", sd, _template("edsr", 2, num_blocks=2, features=F))
  message = str(e.value)
  for name in ("tail/bias", "block/Conv_1/bias[1]", "body.9.body.0.weight", "head.0.weight", "(5, 5, 3, 8)", "extra.thing"):
    assert name in message
  assert "sub_mean" not in message


def _run(run_cli, *args):
  proc = run_cli(*args)
  assert proc.returncode == 0, proc.stderr[-2000:]
  return proc


def _edsr_pytorch_forward(sd, lr):
  """EDSR-PyTorch's forward, written out in float64 on one (h, w, 3) LR image in [0, 1], with
  its rgb_range 255: MeanShift(−255·DIV2K mean), head, residual blocks (res_scale 1), body end,
  global skip, tail.0 conv + PixelShuffle(2), tail.1, MeanShift(+255·mean); back to [0, 1]."""
  def conv(name, x):  # nn.Conv2d(k=3, padding=1): cross-correlation with OIHW weights
    windows = np.lib.stride_tricks.sliding_window_view(
        np.pad(x, ((1, 1), (1, 1), (0, 0))), (3, 3), axis=(0, 1))  # (h, w, c, 3, 3)
    return (np.einsum("hwcij,ocij->hwo", windows, sd[f"{name}.weight"].astype(np.float64))
            + sd[f"{name}.bias"])

  def pixel_shuffle(x, r=2):  # out[r·y + i, r·x + j, c] = in[y, x, c·r² + i·r + j]
    h, w, c = x.shape
    return x.reshape(h, w, c // r**2, r, r).transpose(0, 3, 1, 4, 2).reshape(h * r, w * r, -1)

  mean = 255 * np.array([0.4488, 0.4371, 0.4040])
  x = conv("head.0", 255 * lr - mean)
  y = x
  for i in range(2):
    y = y + conv(f"body.{i}.body.2", np.maximum(conv(f"body.{i}.body.0", y), 0))
  x = x + conv("body.2", y)
  return (conv("tail.1", pixel_shuffle(conv("tail.0.0", x))) + mean) / 255


def _self_ensemble(f, lr):
  """Mean of f over the 8 flips/transpositions of lr, each output transformed back."""
  total = 0
  for t in (False, True):
    x = lr.transpose(1, 0, 2) if t else lr
    for flip in ((), (0,), (1,), (0, 1)):
      out = np.flip(f(np.flip(x, flip)), flip)
      total = total + (out.transpose(1, 0, 2) if t else out)
  return total / 8


def _matlab_half(hr):
  """MATLAB imresize(hr, 0.5, 'bicubic') then uint8, in integers (as tests/data/
  test_pipeline.py derives it): taps (−3, −9, 29, 111, 111, 29, −9, −3)/256 on HR rows
  2i−3 … 2i+4, mirrored at the borders, both axes; round half up."""
  taps = np.array([-3, -9, 29, 111, 111, 29, -9, -3], np.int64)

  def rows(n):
    r = np.arange(n // 2)[:, None] * 2 + np.arange(-3, 5)[None, :]
    return np.where(r < 0, -r - 1, np.where(r >= n, 2 * n - 1 - r, r))
  x = np.einsum("t,otwc->owc", taps, hr.astype(np.int64)[rows(hr.shape[0])])
  x = np.einsum("t,hotc->hoc", taps, x[:, rows(hr.shape[1])])
  return np.clip((x + 2**15) // 2**16, 0, 255).astype(np.uint8)


def _y(rgb):  # MATLAB rgb2ycbcr's Y of [0, 255] RGB
  return 16 + rgb @ np.array([65.481, 128.553, 24.966]) / 255


def test_converted_run_is_what_evaluate_loads(tmp_path, run_cli):
  sd = edsr_official(np.random.default_rng(3), 2)
  for key in sd:  # weights ~ 0.5/√fan-in: SR stays mostly inside [0, 255], not clipped
    if key.endswith("weight") and "mean" not in key:
      sd[key] = (sd[key] * 0.5 / np.sqrt(np.prod(sd[key].shape[1:]))).astype(np.float32)
  np.savez(tmp_path / "edsr.npz", **sd)
  run = tmp_path / "run"
  _run(run_cli, "sr_jax.convert", f"--src={tmp_path / 'edsr.npz'}", f"--dst={run}")  # detected
  config, state, step = checkpoint.load_run(str(run))
  assert (config.model.name, config.scale, config.model.num_blocks, step) == ("edsr", 2, 2, 0)

  # The Flax params, by hand: OIHW → HWIO kernels, biases as they are (the model's img_range
  # is EDSR-PyTorch's 255), the two blocks stacked on a leading axis (scanned), the mean shifts
  # fixed in the model.
  def conv(name):
    return {"kernel": sd[f"{name}.weight"].transpose(2, 3, 1, 0), "bias": sd[f"{name}.bias"]}
  blocks = [[conv(f"body.{i}.body.{j}") for i in range(2)] for j in (0, 2)]
  expected = {"head": conv("head.0"), "body_end": conv("body.2"), "tail": conv("tail.1"),
              "upsample": {"Conv_0": conv("tail.0.0")},
              "block": {f"Conv_{k}": jax.tree.map(lambda *b: np.stack(b), *blocks[k])
                        for k in (0, 1)}}
  for params in (state["params"], state["ema_params"] or state["params"]):
    assert jax.tree.structure(params) == jax.tree.structure(expected)
    jax.tree.map(np.testing.assert_array_equal, params, expected)  # the same float32 ops

  hr = np.random.default_rng(0).integers(0, 255, (24, 20, 3), np.uint8)
  (tmp_path / "hr").mkdir()
  Image.fromarray(hr).save(tmp_path / "hr" / "noise.png")
  out = _run(run_cli, "sr_jax.evaluate", f"--workdir={run}", f"--hr_dir={tmp_path / 'hr'}",
             "--self_ensemble", "--tile=8", "--tile_overlap=4", f"--json={tmp_path / 'out.json'}")
  assert "edsr x2" in out.stdout and "step 0" in out.stdout
  (row,) = json.loads((tmp_path / "out.json").read_text())["results"][0]["images"]
  assert row["name"] == "noise"

  # Reference: MATLAB-bicubic LR (tests/data/test_pipeline.py's integer ×1/2), 12×10, not padded
  # (EDSR needs no size multiple: evaluate pads only what the model needs, so the borders are the
  # image's as in EDSR-PyTorch's test), cut into 8×8 tiles at rows 0, 4 and columns 0, 2 (the
  # last tile flush), each self-ensembled through EDSR-PyTorch. Overlap 4: each side facing
  # another tile gives up 2 LR pixels; rows: HR 0-11 from the first tile, 12-23 from the second;
  # columns: HR 0-7 from the first, 12-19 from the second, 8-11 (kept by both) their mean.
  lr = _matlab_half(hr) / 255
  f = functools.partial(_edsr_pytorch_forward, sd)
  tiles = {(y, x): _self_ensemble(f, lr[y:y + 8, x:x + 8]) for y in (0, 4) for x in (0, 2)}

  def tile_row(y):
    left, right = tiles[(y, 0)][:, :12], tiles[(y, 2)][:, 4:]
    return np.concatenate([left[:, :8], (left[:, 8:] + right[:, :4]) / 2, right[:, 4:]], axis=1)
  sr = np.concatenate([tile_row(0)[:12], tile_row(4)[4:]])
  assert sr.shape == (24, 20, 3)
  scaled = np.clip(sr, 0, 1) * 255
  assert 0.3 < np.mean((scaled > 0) & (scaled < 255))  # mostly unclipped: the numbers count
  sr_q = np.round(scaled)
  crop = (slice(2, -2), slice(2, -2))  # `scale` pixels off every border
  err_rgb = (sr_q - hr)[crop]
  err_y = (_y(sr_q) - _y(hr.astype(np.float64)))[crop]
  psnr = lambda mse: 10 * np.log10(255**2 / mse)
  # Tolerance: the model's float32 SR is within 1e-4 (of 255) of this float64 one (measured:
  # 1.4e-5 for these weights and this image), so only values within 1e-4 of a rounding
  # boundary may round the other way; each such value moves its squared error by ≤ 2|e| + 1,
  # a pixel's Y error by ≤ w = 219.0/255 (the weights' sum) and its square by ≤ (2|e_Y| + w)·w;
  # PSNR moves by 10/ln 10 · ΔMSE/MSE. The float32 mean of ≤ 960 squared errors is off by
  # ≤ 960·2⁻²⁴ ≈ 6e-5 of itself: 2.5e-4 dB, so 3e-4 dB more.
  ambiguous = (np.abs(scaled - np.floor(scaled) - 0.5) < 1e-4)[crop]
  w = 219.0 / 255
  tol_rgb = 4.35 * np.sum((2 * np.abs(err_rgb) + 1)[ambiguous]) / np.sum(err_rgb**2) + 3e-4
  tol_y = (4.35 * np.sum(((2 * np.abs(err_y) + w) * w)[ambiguous.any(-1)]) / np.sum(err_y**2)
           + 3e-4)
  assert row["psnr_rgb"] == pytest.approx(psnr(np.mean(err_rgb**2)), abs=tol_rgb)
  assert row["psnr_y"] == pytest.approx(psnr(np.mean(err_y**2)), abs=tol_y)
