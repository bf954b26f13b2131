"""Photos keep their kind through read/write: orientation, gray, alpha, 16 bits, odd modes."""
import cv2
import numpy as np
import pytest
from PIL import Image, ImageOps

from sr_jax.data import images, photos

RNG = np.random.default_rng(0)
RGB8 = RNG.integers(0, 256, (6, 9, 3), np.uint8)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_orientation_is_exif_transposes(tmp_path, orientation):
  exif = Image.Exif()
  exif[0x0112] = orientation
  path = tmp_path / "o.png"
  Image.fromarray(RGB8).save(path, exif=exif)
  pixels, kind = photos.read(path)
  with Image.open(path) as img:
    upright = np.asarray(ImageOps.exif_transpose(img))
  assert kind == photos.Kind(bits=8, gray=False, alpha=False)
  np.testing.assert_array_equal(np.round(pixels * 255).astype(np.uint8), upright)


def test_16_bit_png_and_tiff_stay_16_bit(tmp_path):
  rgba = RNG.integers(0, 65536, (6, 9, 4), np.uint16)
  gray = RNG.integers(0, 65536, (6, 9), np.uint16)
  cv2.imwrite(str(tmp_path / "rgb.png"), rgba[..., 2::-1])  # BGR
  cv2.imwrite(str(tmp_path / "rgba.tif"), rgba[..., [2, 1, 0, 3]])
  Image.fromarray(gray).save(tmp_path / "gray.png")
  for name, want, gray_, alpha in (("rgb.png", rgba[..., :3], False, False),
                                   ("rgba.tif", rgba, False, True),
                                   ("gray.png", gray[..., None], True, False)):
    pixels, kind = photos.read(tmp_path / name)
    assert kind == photos.Kind(bits=16, gray=gray_, alpha=alpha), name
    np.testing.assert_array_equal(np.round(pixels * 65535), want)
    out = tmp_path / ("out_" + photos.output_name(tmp_path / name))
    photos.write(out, pixels, kind)
    back = cv2.imread(str(out), cv2.IMREAD_UNCHANGED)
    assert back.dtype == np.uint16
    np.testing.assert_array_equal(back.reshape(want.shape), want[..., [2, 1, 0, 3][:want.shape[-1]]]
                                  if want.shape[-1] > 1 else want)
  assert photos.output_name(tmp_path / "rgba.tif") == "rgba.tif"
  assert photos.output_name(tmp_path / "rgb.png") == "rgb.png"
  Image.fromarray(RGB8).save(tmp_path / "eight.tif")
  assert photos.output_name(tmp_path / "eight.tif") == "eight.png"
  assert photos.read(tmp_path / "eight.tif")[1].bits == 8


def test_gray_alpha_palette_and_cmyk(tmp_path):
  gray = RGB8[..., 0]
  Image.fromarray(gray).save(tmp_path / "l.png")
  Image.fromarray(np.stack([gray, 255 - gray], -1), "LA").save(tmp_path / "la.png")
  palette = Image.fromarray(RGB8[..., 0] % 4, "P")
  palette.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255])
  palette.save(tmp_path / "p.png")
  palette.save(tmp_path / "pt.png", transparency=0)  # index 0 transparent
  Image.fromarray(RGB8).convert("CMYK").save(tmp_path / "cmyk.jpg")
  kinds = {name: photos.read(tmp_path / name) for name in
           ("l.png", "la.png", "p.png", "pt.png", "cmyk.jpg")}
  assert kinds["l.png"][1] == photos.Kind(8, gray=True, alpha=False)
  np.testing.assert_array_equal(np.round(kinds["l.png"][0][..., 0] * 255), gray)
  assert kinds["la.png"][1] == photos.Kind(8, gray=True, alpha=True)
  np.testing.assert_array_equal(np.round(kinds["la.png"][0][..., 1] * 255), 255 - gray)
  assert kinds["p.png"][1] == photos.Kind(8, gray=False, alpha=False)
  np.testing.assert_array_equal(kinds["p.png"][0][..., 0] == 1, RGB8[..., 0] % 4 == 1)
  pt, kind = kinds["pt.png"]
  assert kind == photos.Kind(8, gray=False, alpha=True)
  np.testing.assert_array_equal(pt[..., 3], RGB8[..., 0] % 4 != 0)
  assert kinds["cmyk.jpg"][0].shape == (6, 9, 3)
  # Gray + alpha is written as RGBA (gray in each colour channel).
  photos.write(tmp_path / "la_out.png", *kinds["la.png"])
  with Image.open(tmp_path / "la_out.png") as img:
    assert img.mode == "RGBA"
    back = np.asarray(img)
  np.testing.assert_array_equal(back[..., 1], gray)
  np.testing.assert_array_equal(back[..., 3], 255 - gray)
  assert not list(tmp_path.glob("*.partial"))


def test_unreadable_files_name_themselves(tmp_path):
  (tmp_path / "junk.png").write_bytes(b"not an image")
  with pytest.raises(images.DataError, match="junk.png"):
    photos.output_name(tmp_path / "junk.png")
  Image.fromarray(RNG.integers(0, 256, (64, 64, 3), np.uint8)).save(tmp_path / "cut.png")
  data = (tmp_path / "cut.png").read_bytes()
  (tmp_path / "cut.png").write_bytes(data[:len(data) // 2])  # the header still opens
  assert photos.output_name(tmp_path / "cut.png") == "cut.png"
  with pytest.raises(images.DataError, match="cut.png"):
    photos.read(tmp_path / "cut.png")


def test_ycbcr_is_matlabs_and_inverts():
  rgb = RNG.random((5, 7, 3))
  ycbcr = photos.rgb_to_ycbcr(rgb)
  # White and black: Y 235 and 16, CbCr 128 (of 255).
  np.testing.assert_allclose(photos.rgb_to_ycbcr(np.array([[1.0, 1, 1], [0, 0, 0]])) * 255,
                             [[235, 128, 128], [16, 128, 128]], atol=1e-3)
  rgb8 = RNG.integers(0, 256, (5, 7, 3), np.uint8)
  y = photos.rgb_to_ycbcr(rgb8 / 255.0)[..., :1] * 255
  np.testing.assert_array_equal(np.floor(y + 0.5), images.rgb_to_y_uint8(rgb8))
  np.testing.assert_allclose(photos.ycbcr_to_rgb(ycbcr), rgb, atol=1e-12)
