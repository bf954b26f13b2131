"""The grain pipeline: pairs (crops of the photos, MATLAB-bicubic LR), determinism, checkpointed
resume, process sharding, bad files."""
import io
import pathlib
import struct
import zlib

import numpy as np
from PIL import Image
import pytest

from sr_jax.config import default_config
from sr_jax.data import degradations as deg
from sr_jax.data import images, pipeline, sources
from sr_jax.ops import imresize


def _config(hr_patch=24):
  c = default_config()
  c.data.skimage_images = ("astronaut", "coffee", "chelsea")
  c.data.hr_patch = hr_patch
  c.data.read_threads = 1
  return c


def _batches(c, n, global_batch=6, process_index=0, process_count=1, state=None):
  source = sources.training_source(c.data, 3)
  it = iter(pipeline.training_dataset(source, c.data, 2, global_batch, c.seed,
                                      process_index, process_count))
  if state is not None:
    it.set_state(state)
  return [next(it) for _ in range(n)], it.get_state()


def _source_photos(names):
  """The training photos, read here with Pillow straight from scikit-image's package data."""
  import skimage.data  # pylint: disable=g-import-not-at-top
  folder = pathlib.Path(skimage.data.__file__).parent
  return {name: np.asarray(Image.open(folder / f"{name}.png").convert("RGB")) for name in names}


def _dihedral(patch):
  """The 8 flips/transpositions of a square patch: whatever the augmentation did, one of them
  undoes it."""
  for t in (patch, patch.transpose(1, 0, 2)):
    for x in (t, t[::-1], t[:, ::-1], t[::-1, ::-1]):
      yield x


def _found_in(patch, photo) -> bool:
  """Whether `patch` is exactly some window of `photo`."""
  p = patch.shape[0]
  candidates = np.argwhere((photo[:-p + 1 or None, :-p + 1 or None] == patch[0, 0]).all(-1))
  return any(np.array_equal(photo[y:y + p, x:x + p], patch) for y, x in candidates)


def _matlab_half(hr):
  """MATLAB imresize(hr, 0.5, 'bicubic') then uint8, in integers. Shrinking by 2, MATLAB
  widens Keys' cubic (a = −0.5) to 0.5·cubic(x/2), centred at u = 2i − 0.5 (1-based), whose 8
  nonzero taps sit ±0.5, ±1.5, ±2.5, ±3.5 HR pixels away: 0.5·cubic(0.25, 0.75, 1.25, 1.75) =
  (111, 29, −9, −3)/256, already summing to 1; out-of-range taps mirror (symmetric padding).
  0-based, output i reads HR rows 2i−3 … 2i+4."""
  taps = np.array([-3, -9, 29, 111, 111, 29, -9, -3], np.int64)

  def rows(n):
    r = np.arange(n // 2)[:, None] * 2 + np.arange(-3, 5)[None, :]
    return np.where(r < 0, -r - 1, np.where(r >= n, 2 * n - 1 - r, r))
  x = np.einsum("t,otwc->owc", taps, hr.astype(np.int64)[rows(hr.shape[0])])  # ×256
  x = np.einsum("t,hotc->hoc", taps, x[:, rows(hr.shape[1])])  # ×256²
  return np.clip((x + 2**15) // 2**16, 0, 255).astype(np.uint8)  # round half up: exact


def test_pairs_are_bicubic_downscaled_crops():
  c = _config()
  (batch,), _ = _batches(c, 1)
  assert batch["hr"].shape == (6, 24, 24, 3) and batch["lr"].shape == (6, 12, 12, 3)
  assert batch["hr"].dtype == batch["lr"].dtype == np.uint8
  photos = _source_photos(c.data.skimage_images)
  for hr, lr in zip(batch["hr"], batch["lr"]):
    assert any(_found_in(t, photo) for t in _dihedral(hr) for photo in photos.values())
    # Exact: integer pixels times multiples of 1/256² are exact in float64 too.
    np.testing.assert_array_equal(lr, _matlab_half(hr))


def test_same_seed_same_batches_other_seed_differs():
  a, _ = _batches(_config(), 2)
  b, _ = _batches(_config(), 2)
  c = _config()
  c.seed = 1
  other, _ = _batches(c, 1)
  np.testing.assert_array_equal(a[1]["hr"], b[1]["hr"])
  assert not np.array_equal(a[0]["hr"], other[0]["hr"])


def test_restored_iterator_state_continues_exactly():
  full, _ = _batches(_config(), 4)
  _, state = _batches(_config(), 2)
  rest, _ = _batches(_config(), 2, state=state)
  for x, y in zip(full[2:], rest):
    np.testing.assert_array_equal(x["hr"], y["hr"])


def test_processes_split_each_global_batch_in_order():
  single, _ = _batches(_config(), 2, global_batch=6)
  parts = [_batches(_config(), 2, global_batch=6, process_index=p, process_count=2)[0]
           for p in range(2)]
  for k in range(2):
    np.testing.assert_array_equal(
        np.concatenate([parts[0][k]["hr"], parts[1][k]["hr"]]), single[k]["hr"])


def _pair(name, seed=5, hr_side=24, crop_pad_size=0, **data):
  """One MakePair element and the rng as the degradation saw it (augment off: two crop draws)."""
  c = _config(hr_patch=hr_side)
  c.data.degradation = name
  c.data.augment = "none"
  c.degradation.crop_pad_size = crop_pad_size
  c.data.update(data)
  hr = np.random.default_rng(seed).integers(0, 256, (hr_side, hr_side, 3), dtype=np.uint8)
  out = pipeline.make_pair(c.data, 2, c.degradation).random_map(hr, np.random.default_rng(seed))
  rng = np.random.default_rng(seed)
  rng.integers(0, 1), rng.integers(0, 1)
  return c, hr, out, rng


@pytest.mark.parametrize("name", pipeline.NAMES)
def test_every_degradation_makes_uint8_pairs(name):
  c = _config()
  c.data.degradation = name
  c.degradation.crop_pad_size = 40  # realesrgan: degrade 40 × 40, then crop 24 / 12
  source = sources.training_source(c.data, 3)
  batch = next(iter(pipeline.training_dataset(source, c.data, 2, 4, 0, degradation_cfg=c.degradation)))
  assert batch["hr"].shape == (4, 24, 24, 3) and batch["lr"].shape == (4, 12, 12, 3)
  assert all(v.dtype == np.uint8 for v in batch.values())
  assert set(batch) == {"lr", "hr"}  # realesrgan's USM target is made in the train step
  bicubic = np.stack([imresize.to_uint8(imresize.imresize(hr, 0.5)) for hr in batch["hr"]])
  assert (name == "bicubic") == np.array_equal(batch["lr"], bicubic)


@pytest.mark.parametrize("name,fn", [("bd", deg.bd), ("dn", deg.dn), ("lanczos3", None)])
def test_classical_pairs_match_the_library_bit_for_bit(name, fn):
  _, hr, out, rng = _pair(name)
  expected = fn(hr, 2, rng) if fn else imresize.to_uint8(imresize.imresize(hr, 0.5, "lanczos3"))
  np.testing.assert_array_equal(out["lr"], expected)
  np.testing.assert_array_equal(out["hr"], hr)


def test_realesrgan_host_pair_degrades_the_sharpened_gt_and_keeps_the_plain_gt():
  c, hr, out, rng = _pair("realesrgan")  # crop_pad_size 0: the hr_patch crop is degraded itself
  sharp = deg.usm_sharpen(hr.astype(np.float32) / 255, **c.degradation.usm)
  params = deg.sample_params(rng, c.degradation, hr.shape, 2)
  np.testing.assert_array_equal(deg.crop_position(rng, params["lr_hw"], 12), [0, 0])
  np.testing.assert_array_equal(out["lr"], deg.apply_cpu(sharp, params, "diffjpeg"))
  np.testing.assert_array_equal(out["hr"], hr)
  assert set(out) == {"lr", "hr"}


def test_realesrgan_host_pair_is_a_paired_crop_of_the_degraded_crop_pad_patch():
  c, hr, out, _ = _pair("realesrgan", hr_side=16, crop_pad_size=32)  # 16² image: padded to 32²
  padded = np.pad(hr, ((0, 16), (0, 16), (0, 0)), mode="reflect")  # reflect-101
  rng = np.random.default_rng(5)
  rng.integers(0, 1), rng.integers(0, 1)  # crop_or_pad's draws: one position
  params = deg.sample_params(rng, c.degradation, padded.shape, 2)
  crop = deg.crop_position(rng, params["lr_hw"], 8)
  sharp = deg.usm_sharpen(padded.astype(np.float32) / 255, **c.degradation.usm)
  lr, gt = deg.paired_crop(deg.apply_cpu(sharp, params), padded, crop, 8, 2)
  np.testing.assert_array_equal(out["lr"], lr)
  np.testing.assert_array_equal(out["hr"], gt)


def test_realesrgan_device_element_is_hr_and_the_sampled_params():
  c, hr, out, rng = _pair("realesrgan", degradation_device=True)
  params = deg.sample_params(rng, c.degradation, hr.shape, 2)
  params["crop"] = deg.crop_position(rng, params["lr_hw"], 12)
  del params["noise_seed"]
  assert set(out) == {"hr", *params}
  np.testing.assert_array_equal(out["hr"], hr)
  for k, v in params.items():
    np.testing.assert_array_equal(out[k], v)
  spec = pipeline.element_spec(c.data, 2, 3, c.degradation)
  assert {k: (s.shape, s.dtype) for k, s in spec.items()} == {
      k: (np.shape(v), np.asarray(v).dtype) for k, v in out.items()}


@pytest.mark.parametrize("mode,variants", [("none", 1), ("hflip", 2), ("flip_rot", 8)])
def test_augment_modes(mode, variants):
  img = np.arange(4 * 4 * 3, dtype=np.uint8).reshape(4, 4, 3)
  seen = {pipeline.augment(img, mode, np.random.default_rng(s)).tobytes() for s in range(64)}
  assert len(seen) == variants
  if mode == "hflip":
    assert seen == {img.tobytes(), img[:, ::-1].tobytes()}


def test_realesrgan_resumes_with_the_same_lr_bits():
  c = _config()
  c.data.degradation = "realesrgan"
  c.degradation.crop_pad_size = 32
  source = sources.training_source(c.data, 3)
  make = lambda: iter(pipeline.training_dataset(source, c.data, 2, 4, 0,
                                                 degradation_cfg=c.degradation))
  straight = make()
  expected = [next(straight) for _ in range(3)]
  first = make()
  next(first)
  resumed = make()
  resumed.set_state(first.get_state())
  for want in expected[1:]:
    got = next(resumed)
    for k in ("lr", "hr"):
      np.testing.assert_array_equal(want[k], got[k])


def _odd_and_bad_folder(root):
  """Usable files of every odd kind, and one of each bad kind; returns the bad files' names."""
  rng = np.random.default_rng(0)
  rgb = rng.integers(0, 256, (20, 24, 3), np.uint8)
  exif = Image.Exif()
  exif[0x0112] = 6  # displayed turned 90°
  Image.fromarray(rgb).save(root / "good.png")
  Image.fromarray(rgb).save(root / "exif.png", exif=exif)
  Image.fromarray(rgb).convert("CMYK").save(root / "cmyk.jpg")
  Image.fromarray(rgb).convert("P").save(root / "palette.png")
  Image.fromarray(rgb).convert("LA").save(root / "gray_alpha.png")
  Image.fromarray(rng.integers(0, 65536, (20, 24), np.uint16)).save(root / "deep.png")
  Image.fromarray(rgb).save(root / "png_named.jpg", format="PNG")
  png = (root / "good.png").read_bytes()
  buf = io.BytesIO()
  Image.fromarray(rgb).save(buf, "JPEG")
  ihdr = b"IHDR" + struct.pack(">II", 50_000, 50_000) + png[24:29]  # a 2.5-gigapixel header
  bad = {"zero.png": b"", "text.png": b"not an image\n", "truncated.png": png[:len(png) // 2],
         "truncated.jpg": buf.getvalue()[:300],
         "bomb.png": png[:12] + ihdr + struct.pack(">I", zlib.crc32(ihdr)) + png[33:]}
  for name, data in bad.items():
    (root / name).write_bytes(data)
  Image.fromarray(rgb[:8, :8]).save(root / "small.png")
  return {*bad, "small.png"}


def test_bad_files_are_skipped_before_grain_workers_start(tmp_path):
  bad = _odd_and_bad_folder(tmp_path)
  c = _config(hr_patch=16)
  c.data.source = "folder"
  c.data.dirs = (str(tmp_path),)
  c.data.num_workers = 2
  source = sources.training_source(c.data, 3)
  assert {p.name for p in source.source.skipped} == bad and len(source) == 7
  it = iter(pipeline.training_dataset(source, c.data, 2, 4, c.seed))
  for _ in range(3):
    batch = next(it)
    assert batch["hr"].shape == (4, 16, 16, 3) and batch["lr"].shape == (4, 8, 8, 3)
  c.data.bad_images = "error"
  with pytest.raises(images.DataError, match=r"bomb\.png: more than .*\(6 of 13 files"):
    sources.training_source(c.data, 3)
