"""The upscale CLI: host tiling equals whole images, one compile per tile shape, photos keep
their kind, existing outputs are kept, bad input stops before compiling."""
import functools

import cv2
import numpy as np
import pytest
from PIL import Image

from sr_jax import config as config_lib
from sr_jax import cli, inference, models, upscale
from sr_jax.bench.inference import CompileCounter
from sr_jax.data import photos
from sr_jax.ops import imresize
from sr_jax.train import checkpoint, trainer

RNG = np.random.default_rng(0)


def _smooth(h, w, c=3):
  """A photo-like image in [0, 1]: a random walk in both directions."""
  x = np.cumsum(np.cumsum(RNG.random((h, w, c)) - 0.5, 0), 1)
  return ((x - x.min()) / np.ptp(x)).astype(np.float32)


def _u8(x):
  return np.round(x * 255).astype(np.uint8)


def _tiny_config():
  """A 1-block, 8-feature EDSR ×2: a reach of about 6 LR pixels."""
  config = config_lib.default_config()
  config.model.num_blocks, config.model.features = 1, 8
  return config


@functools.lru_cache(maxsize=None)
def _variables(seed):
  return models.random_variables(models.from_config(_tiny_config()), seed)


@functools.lru_cache(maxsize=None)
def _edsr(dtype="float32", seed=0):
  return inference.Generator(_tiny_config(), _variables(seed), "random").apply(dtype)


def test_tiles_equal_the_whole_image_beyond_the_receptive_field():
  lr = _smooth(45, 70)  # padded to 48×80: tiles of 32 at 0, 16 and 16, 32, 48
  sr = lambda tile, overlap, dtype="float32": upscale.super_resolve(
      _edsr(dtype), lr, 2, tile, overlap, tile_batch=3, pad_multiple=16)
  whole = sr(0, 0)
  assert whole.shape == (90, 140, 3)
  # Exact, not close: the model reaches 6 LR pixels (head, two block convs, body end and
  # upsampler convs: 5; the HR tail conv: half of one more), and half the overlap leaves every
  # kept output pixel 8 LR pixels of context, so each is computed by the same convolutions from
  # the same inputs as in the whole image; XLA:CPU, where the suite runs, sums each output's
  # window in the same order whatever the image size or batch (a GPU library choosing another
  # algorithm per shape would not). The blend weights are 1 and 0, or 1/2 where two trimmed
  # tiles still overlap: 0.5·a + 0.5·a = a, exactly. Any error fails: 5 pixels of context on
  # one side give 3.1e-3, which the former `< 1/255` let through.
  np.testing.assert_array_equal(sr(32, 16), whole)
  np.testing.assert_array_equal(sr(32, 12), whole)  # 6 pixels of context: still enough
  assert np.abs(sr(32, 10) - whole).max() > 1e-3  # 5: seams where the reach is cut
  assert np.abs(sr(32, 0) - whole).max() > 1e-3  # seams without context
  np.testing.assert_array_equal(sr(32, 16, "bfloat16"), sr(0, 0, "bfloat16"))  # same argument
  assert np.abs(sr(32, 16, "bfloat16") - whole).mean() < 2 / 255


def test_one_compile_per_tile_shape():
  apply = _edsr()
  big = [_smooth(40, 56), _smooth(40, 56)]  # 48×64: 2×3 tiles of 32, batches of 4 and 2 (+2)
  small = _smooth(10, 12)  # one 16×16 tile, as wide as the overlap
  sr = lambda lr: upscale.super_resolve(apply, lr, 2, 32, 16, tile_batch=4, pad_multiple=16)
  with CompileCounter() as first:
    outs = [sr(lr) for lr in big + [small]]
  with CompileCounter() as again:
    sr(big[0])
  assert (first.compiles, again.compiles) == (2, 0)
  assert outs[2].shape == (20, 24, 3)


def _bicubic(lr):  # a model whose output is known without running one
  return imresize.imresize(lr, 2).astype(np.float32)


def test_gray_alpha_and_y_models():
  rgba = _smooth(9, 11, 4)
  rgb_out = upscale.upscale_photo(rgba[..., :3], photos.Kind(8, False, False), _bicubic, 3, 2, 2)
  out = upscale.upscale_photo(rgba, photos.Kind(8, False, True), _bicubic, 3, 2, 2)
  assert out.shape == (18, 22, 4)
  np.testing.assert_allclose(out[..., :3], rgb_out, atol=1e-6)
  np.testing.assert_allclose(out[..., 3], imresize.imresize(rgba[..., 3], 2), atol=1e-6)
  # Gray: the model sees three equal channels, one is written.
  seen = []
  record = lambda lr: seen.append(lr) or _bicubic(lr) * [1.0, 0.5, 0.0]
  gray = upscale.upscale_photo(rgba[..., :1], photos.Kind(8, True, False), record, 3, 2, 2)
  assert gray.shape == (18, 22, 1) and seen[0].shape == (9, 11, 3)
  np.testing.assert_allclose(gray[..., 0], _bicubic(rgba[..., :1])[..., 0] * 0.5, atol=1e-6)
  # A Y model: bicubic Y with bicubic CbCr is bicubic RGB (the colour transform is affine).
  y = upscale.upscale_photo(rgba[..., :3], photos.Kind(8, False, False), _bicubic, 1, 2, 2)
  np.testing.assert_allclose(y, rgb_out, atol=1e-5)


def test_outscale_resizes_the_model_output():
  lr = _smooth(15, 21)
  out = upscale.upscale_photo(lr, photos.Kind(8, False, False), _bicubic, 3, 2, 3.5)
  assert out.shape == (53, 74, 3)  # 52.5 and 73.5 round up
  np.testing.assert_allclose(out, imresize.imresize(_bicubic(lr), 1.75, out_hw=(53, 74)),
                             atol=1e-6)


def test_16_bit_png_matches_the_8_bit_path(tmp_path):
  rgb8 = _u8(_smooth(12, 14))
  Image.fromarray(rgb8).save(tmp_path / "eight.png")
  cv2.imwrite(str(tmp_path / "deep.png"), rgb8[..., ::-1].astype(np.uint16) * 257)
  for name in ("eight.png", "deep.png"):
    pixels, kind = photos.read(tmp_path / name)
    photos.write(tmp_path / f"out_{name}",
                 upscale.upscale_photo(pixels, kind, _bicubic, 3, 2, 2), kind)
  eight = cv2.imread(str(tmp_path / "out_eight.png"), cv2.IMREAD_UNCHANGED)
  deep = cv2.imread(str(tmp_path / "out_deep.png"), cv2.IMREAD_UNCHANGED)
  assert eight.dtype == np.uint8 and deep.dtype == np.uint16 and deep.shape == (24, 28, 3)
  assert np.abs(deep / 257 - eight).max() <= 0.5 + 1e-6  # only the 8-bit rounding differs
  assert np.abs(deep / 257 - np.round(deep / 257)).max() > 0.01  # and 16 bits keep more


def _folder(root):
  """Inputs of every kind; the mirrored output names each gets."""
  (root / "sub").mkdir(parents=True)
  Image.fromarray(_u8(_smooth(12, 20))).save(root / "sub" / "rgb.png")
  Image.fromarray(_u8(_smooth(10, 8, 1)[..., 0])).save(root / "gray.png")
  Image.fromarray(_u8(_smooth(8, 8, 4))).save(root / "rgba.png")
  exif = Image.Exif()
  exif[0x0112] = 6  # stored landscape 12×20, displayed portrait
  Image.fromarray(_u8(_smooth(12, 20))).save(root / "photo.jpg", exif=exif)
  cv2.imwrite(str(root / "deep.tif"), np.round(_smooth(8, 10, 1) * 65535).astype(np.uint16))
  (root / "broken.png").write_bytes(b"not an image")
  return {"sub/rgb.png": ((24, 40, 3), np.uint8), "gray.png": ((20, 16), np.uint8),
          "rgba.png": ((16, 16, 4), np.uint8), "photo.png": ((40, 24, 3), np.uint8),
          "deep.tif": ((16, 20), np.uint16)}


@pytest.fixture
def trained_run(tiny_config, tmp_path):
  trainer.train_and_evaluate(tiny_config, str(tmp_path / "run"))
  return tmp_path / "run"


@pytest.fixture(scope="module")
def saved_run(tmp_path_factory):
  """A run of random weights, as sr_jax.convert writes one: EMA parameters of seed 1, raw
  parameters of seed 0."""
  workdir = tmp_path_factory.mktemp("saved") / "run"
  ckpt = checkpoint.Checkpointer(str(workdir), _tiny_config())
  ckpt.save(0, {"params": _variables(0)["params"], "ema_params": _variables(1)["params"],
                "model_state": {}}, None, force=True)
  ckpt.close()
  return workdir


def test_cli_upscales_a_folder(trained_run, tmp_path, run_cli):
  want = _folder(tmp_path / "in")
  proc = run_cli("sr_jax.upscale", f"--workdir={trained_run}", f"--input={tmp_path / 'in'}",
                 f"--output={tmp_path / 'out'}", "--tile=16", "--tile_overlap=8", "--tile_batch=2")
  assert proc.returncode == 1, proc.stderr
  last = proc.stderr.strip().splitlines()[-1]
  assert last == "error: 1 unreadable image(s) skipped (named above)"
  assert "broken.png: unreadable image" in proc.stdout and "5 upscaled" in proc.stdout
  got = {p.relative_to(tmp_path / "out").as_posix(): p for p in (tmp_path / "out").rglob("*")
         if p.is_file()}
  assert sorted(got) == sorted(want)
  for name, (shape, dtype) in want.items():
    pixels = cv2.imread(str(got[name]), cv2.IMREAD_UNCHANGED)
    assert (pixels.shape, pixels.dtype) == (shape, dtype), name


_WHOLE_IMAGES = dict(tile=0, tile_overlap=0, tile_batch=1, outscale=None, dtype="float32",
                     overwrite=False)


def _upscale_in_process(workdir, input_, output, **flags):
  """upscale.run with these flags: (exit message or None, compilations)."""
  with CompileCounter() as counter:
    try:
      upscale.run(lambda: inference.from_run(str(workdir)), str(input_), str(output),
                  **{**_WHOLE_IMAGES, **flags})
      return None, counter.compiles
    except SystemExit as e:
      return str(e.code), counter.compiles
    except cli.INPUT_ERRORS as e:  # what cli.run prints
      return f"error: {e}", counter.compiles


def test_existing_outputs_are_kept_unless_overwrite(saved_run, tmp_path, capsys):
  Image.fromarray(_u8(_smooth(12, 20))).save(tmp_path / "a.png")
  out = tmp_path / "out"
  (out / "a.png").parent.mkdir()
  Image.fromarray(np.zeros((3, 3), np.uint8)).save(out / "a.png")
  run = functools.partial(_upscale_in_process, saved_run, tmp_path / "a.png", out)
  assert run()[0] is None
  assert Image.open(out / "a.png").size == (3, 3)
  assert f"{out / 'a.png'}: exists, skipped" in capsys.readouterr().out
  assert run(overwrite=True)[0] is None
  assert Image.open(out / "a.png").size == (40, 24)


def test_bad_input_stops_in_one_line_before_compiling(saved_run, tmp_path):
  (tmp_path / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)  # a header, no pixels
  Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "ok.png")
  run = lambda workdir=saved_run, input_=tmp_path / "ok.png", **kw: _upscale_in_process(
      workdir, input_, tmp_path / "o", **kw)
  message, compiles = run(workdir=tmp_path / "nope")
  assert message == f"error: {checkpoint.no_checkpoint(tmp_path / 'nope')}"
  assert not (tmp_path / "nope").exists() and compiles == 0
  message, compiles = run(input_=tmp_path / "missing.png")
  assert "missing.png: no such file or folder" in message and compiles == 0
  message, compiles = run(input_=tmp_path / "bad.png")
  assert message.startswith(f"error: {tmp_path / 'bad.png'}: unreadable image") and compiles == 0
  assert "\n" not in message
  Image.fromarray(_u8(_smooth(64, 64))).save(tmp_path / "cut.png")
  data = (tmp_path / "cut.png").read_bytes()
  (tmp_path / "cut.png").write_bytes(data[:len(data) // 2])  # opens, does not decode
  message, _ = run(input_=tmp_path / "cut.png")
  assert message.startswith(f"error: {tmp_path / 'cut.png'}: unreadable image")
  assert not (tmp_path / "o").exists()


def test_a_tile_must_be_a_multiple_of_what_the_model_needs(tmp_path):
  """A pixel-unshuffling RRDBNet (RealESRGAN_x2plus's layout) needs even LR sides."""
  config = config_lib.default_config()
  config.scale = 2
  config.model.update(name="rrdbnet", num_blocks=1, features=8, growth=4, pixel_unshuffle=True)
  model = models.from_config(config)
  generator = inference.Generator(config, models.random_variables(model), "random")
  assert generator.size_multiple == 2
  Image.fromarray(_u8(_smooth(12, 20))).save(tmp_path / "a.png")
  with pytest.raises(config_lib.ConfigError, match=r"^--tile=5: must be a multiple of 2, what "
                     r"rrdbnet needs of its input sides$"):
    upscale.run(lambda: generator, str(tmp_path / "a.png"), str(tmp_path / "o"),
                **{**_WHOLE_IMAGES, "tile": 5})
  upscale.run(lambda: generator, str(tmp_path / "a.png"), str(tmp_path / "o"),
              **{**_WHOLE_IMAGES, "tile": 6, "tile_overlap": 2})
  assert np.asarray(Image.open(tmp_path / "o" / "a.png")).shape == (24, 40, 3)


def test_ema_parameters_and_bfloat16(saved_run, tmp_path):
  lr = _u8(_smooth(12, 20))
  Image.fromarray(lr).save(tmp_path / "a.png")
  for dtype in ("float32", "bfloat16"):
    assert _upscale_in_process(saved_run, tmp_path / "a.png", tmp_path / dtype,
                               dtype=dtype)[0] is None
  got = {d: np.asarray(Image.open(tmp_path / d / "a.png"), np.float64)
         for d in ("float32", "bfloat16")}
  # Whole image, padded to EDSR's size multiple, 1: not at all (the CLI pads the LR no further
  # than the model needs, so the borders see the image's edge; a 16-pixel bucket would change
  # every output pixel within the model's reach of the bottom and right edges).
  sr = lambda seed: np.round(255 * np.clip(upscale.super_resolve(
      _edsr(seed=seed), lr / 255, 2, 0, 0, 1, 1), 0, 1))
  np.testing.assert_array_equal(got["float32"], sr(1))
  assert np.abs(got["float32"] - sr(0)).mean() > 1
  assert 0 < np.abs(got["bfloat16"] - got["float32"]).mean() < 2
