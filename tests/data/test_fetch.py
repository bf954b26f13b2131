"""sr_jax.data.fetch end to end against a server on loopback, with archives the tests build."""
import hashlib
import io
import json
import os
import zipfile

import numpy as np
from PIL import Image
import pytest

from sr_jax import download
from sr_jax.data import catalog, fetch, root as data_root


def _png(seed: int, size=(12, 10)) -> bytes:
  buf = io.BytesIO()
  pixels = np.random.default_rng(seed).integers(0, 256, (*size, 3), dtype=np.uint8)
  Image.fromarray(pixels).save(buf, format="PNG")
  return buf.getvalue()


IMAGES = {f"img{i}": _png(i) for i in range(3)}  # what the publisher's archive holds


def _zip(files: dict[str, bytes]) -> bytes:
  buf = io.BytesIO()
  with zipfile.ZipFile(buf, "w") as z:
    for name, data in files.items():
      z.writestr(name, data)
  return buf.getvalue()


ARCHIVE = _zip({**{f"Tiny/HR/{k}.png": v for k, v in IMAGES.items()},
                "Tiny/LR/img0.png": _png(9, (6, 5)), "Tiny/readme.txt": b"hello"})


@pytest.fixture
def tiny_set(monkeypatch):
  """A set 'Tiny' in the catalog: one zip whose Tiny/HR/*.png are its 3 images, with their
  pixel checksums recorded; `make(sha256=...)` re-registers it."""
  def make(sha256: str = hashlib.sha256(ARCHIVE).hexdigest(), size=len(ARCHIVE), pixels=True):
    s = catalog.DataSet("Tiny", "test", 3, (catalog.Source(
        "https://publisher.example/sets/tiny.zip", sha256, size, "Tiny/HR/*.png"),),
        "research only (test)", "A. Author, Tiny, 2026", "https://publisher.example")
    monkeypatch.setitem(catalog.SETS, "Tiny", s)
    recorded = {k: fetch.pixel_sha256(io.BytesIO(v)) for k, v in IMAGES.items()}
    monkeypatch.setattr(fetch, "recorded_pixels", lambda: {"Tiny": recorded} if pixels else {})
    return s
  return make


def _left_behind(root):
  return sorted(str(p.relative_to(root)) for p in root.rglob("*") if not p.name.endswith(".lock"))


def test_fetch_resumes_a_cut_download_verifies_and_installs(tiny_set, file_server, tmp_path):
  s = tiny_set()
  file_server.files["Tiny/tiny.zip"] = ARCHIVE
  file_server.cut.add("Tiny/tiny.zip")
  record = fetch.fetch_set(s, tmp_path, mirror=file_server.url, progress=False)
  assert [r for _, r in file_server.requests] == [None, f"bytes={len(ARCHIVE) // 2}-"]
  hr = data_root.set_dir("Tiny", tmp_path)
  assert sorted(p.name for p in hr.iterdir()) == ["img0.png", "img1.png", "img2.png"]
  assert all((hr / f"{k}.png").read_bytes() == v for k, v in IMAGES.items())
  assert record["verified"] == "decoded pixels" and record["images"] == 3
  assert json.loads((tmp_path / "Tiny" / fetch.RECORD).read_text())["sources"][0]["sha256"] == (
      hashlib.sha256(ARCHIVE).hexdigest())
  assert _left_behind(tmp_path) == ["Tiny", "Tiny/HR", "Tiny/HR/img0.png", "Tiny/HR/img1.png",
                                    "Tiny/HR/img2.png", f"Tiny/{fetch.RECORD}"]


def test_an_archive_with_the_wrong_checksum_leaves_nothing(tiny_set, file_server, tmp_path):
  s = tiny_set(sha256="ab" * 32)
  file_server.files["Tiny/tiny.zip"] = ARCHIVE
  with pytest.raises(download.DownloadError, match=f"tiny.zip: sha256 .*, expected {'ab' * 32}"):
    fetch.fetch_set(s, tmp_path, mirror=file_server.url, progress=False)
  assert _left_behind(tmp_path) == [".downloads", ".downloads/Tiny"]


def test_a_changed_pixel_fails_the_set_and_leaves_nothing(tiny_set, file_server, tmp_path):
  s = tiny_set(sha256="", size=0)  # a file that is not fixed: only the pixels can tell
  damaged = np.asarray(Image.open(io.BytesIO(IMAGES["img1"]))).copy()
  damaged[0, 0, 0] ^= 1
  buf = io.BytesIO()
  Image.fromarray(damaged).save(buf, format="PNG")
  file_server.files["Tiny/tiny.zip"] = _zip({"Tiny/HR/img0.png": IMAGES["img0"],
                                        "Tiny/HR/img1.png": buf.getvalue(),
                                        "Tiny/HR/img2.png": IMAGES["img2"]})
  with pytest.raises(fetch.FetchError, match=r"Tiny: 1 of 3 images .*\(img1\).*Tiny/HR/img1.png"):
    fetch.fetch_set(s, tmp_path, mirror=file_server.url, progress=False)
  assert _left_behind(tmp_path) == [".downloads", ".downloads/Tiny",
                                    ".downloads/Tiny/tiny.zip"]  # kept for a retry
  assert not data_root.is_present("Tiny", tmp_path)


def test_from_a_folder_accepts_a_good_copy_under_other_names(tiny_set, tmp_path):
  s = tiny_set()
  copy = tmp_path / "mine"
  copy.mkdir()
  for i, (k, v) in enumerate(IMAGES.items()):
    (copy / f"photo_{i}.png").write_bytes(v)
  Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(copy / "unrelated.png")
  record = fetch.install_from(s, copy, tmp_path / "root")
  assert sorted(p.name for p in data_root.set_dir("Tiny", tmp_path / "root").iterdir()) == [
      "img0.png", "img1.png", "img2.png"]
  assert record["verified"] == "decoded pixels" and record["from"] == str(copy)


def test_from_refuses_a_corrupted_copy_and_leaves_nothing(tiny_set, tmp_path):
  s = tiny_set()
  copy = tmp_path / "mine"
  copy.mkdir()
  for k, v in IMAGES.items():
    (copy / f"{k}.png").write_bytes(v)
  (copy / "img2.png").write_bytes(IMAGES["img2"][:-40])  # truncated
  with pytest.raises(fetch.FetchError, match=r"\(img2\)"):
    fetch.install_from(s, copy, tmp_path / "root")
  assert _left_behind(tmp_path / "root") == []


def test_from_an_archive_checks_the_publishers_sha256(tiny_set, tmp_path):
  s = tiny_set()
  middle = len(ARCHIVE) // 2
  (tmp_path / "tiny.zip").write_bytes(ARCHIVE[:middle] + bytes([ARCHIVE[middle] ^ 1])
                                      + ARCHIVE[middle + 1:])
  with pytest.raises(fetch.FetchError, match="tiny.zip: sha256 .* but the publisher's"):
    fetch.install_from(s, tmp_path / "tiny.zip", tmp_path / "root")
  (tmp_path / "tiny.zip").write_bytes(ARCHIVE)
  assert fetch.install_from(s, tmp_path / "tiny.zip", tmp_path / "root")["images"] == 3


def test_without_recorded_pixels_the_count_must_match(tiny_set, file_server, tmp_path):
  s = tiny_set(pixels=False)
  file_server.files["Tiny/tiny.zip"] = ARCHIVE
  assert fetch.fetch_set(s, tmp_path, mirror=file_server.url, progress=False)["verified"] == (
      "publisher's sha256")
  short = catalog.DataSet("Tiny", "test", 4, s.sources, s.licence, s.citation, s.homepage)
  with pytest.raises(fetch.FetchError, match="found 3 images, expected 4"):
    fetch.fetch_set(short, tmp_path / "other", mirror=file_server.url, progress=False)


def test_list_shows_what_is_present_and_how_it_was_verified(tiny_set, tmp_path):
  s = tiny_set()
  fetch.install_from(s, _write_folder(tmp_path / "copy"), tmp_path)
  rows = {line.split()[0]: line for line in fetch.listing(tmp_path).splitlines()[2:]}
  assert rows["Tiny"].split()[1:4] == ["test", "3", "yes"] and "decoded pixels" in rows["Tiny"]


def _write_folder(folder):
  folder.mkdir()
  for k, v in IMAGES.items():
    (folder / f"{k}.png").write_bytes(v)
  return folder


def test_pixel_checksums_survive_a_lossless_reencoding(tmp_path):
  rgb = np.asarray(Image.open(io.BytesIO(IMAGES["img0"])))
  Image.fromarray(rgb).save(tmp_path / "a.bmp")
  Image.fromarray(rgb).save(tmp_path / "a.tif")
  digests = {fetch.pixel_sha256(p) for p in (tmp_path / "a.bmp", tmp_path / "a.tif")}
  assert digests == {fetch.pixel_sha256(io.BytesIO(IMAGES["img0"]))}
  expected = hashlib.sha256(b"12x10x3:" + rgb.tobytes()).hexdigest()
  assert digests == {expected}


def test_set5_from_its_catalog_sources_through_a_mirror(shared_data, file_server, tmp_path):
  """The real catalog entry: each file's sha256 and every image's recorded pixels."""
  for path in shared_data("Set5", "HR").iterdir():
    file_server.files[f"Set5/{path.name}"] = path.read_bytes()
  record = fetch.fetch_set(catalog.SETS["Set5"], tmp_path, mirror=file_server.url + "/",
                           progress=False)
  assert record["verified"] == "decoded pixels" and record["images"] == 5
  assert sorted(p.name for p in data_root.set_dir("Set5", tmp_path).iterdir()) == [
      "baby.png", "bird.png", "butterfly.png", "head.png", "woman.png"]
  assert not (tmp_path / ".downloads").exists()


def test_t91_from_a_folder_of_pngs_keeps_its_duplicate_pair(shared_data, tmp_path):
  record = fetch.install_from(catalog.SETS["T91"], shared_data("T91", "HR"), tmp_path)
  assert record["images"] == 91
  assert {"t36.png", "t65.png"} <= {p.name for p in data_root.set_dir("T91", tmp_path).iterdir()}


def test_catalog_entries_are_complete():
  for name, s in catalog.SETS.items():
    assert s.name == name and s.role in ("train", "test") and s.licence and s.citation
    assert s.sources or s.request, name
    assert all(src.members or len(s.sources) == s.images for src in s.sources), name
  recorded = fetch.recorded_pixels()
  assert {k: len(v) for k, v in recorded.items()} == {"Set5": 5, "Set14": 14, "T91": 91,
                                                      "BSD200": 200}
  assert all(set(parts) <= set(catalog.SETS) for parts in catalog.COMBINED.values())


def test_fetch_from_a_folder_then_evaluate_by_set_name(shared_data, tmp_path, run_cli):
  """The fresh-machine path: `fetch Set5 --from=DIR`, then `evaluate --hr_dir=Set5`."""
  env = {**os.environ, data_root.ENV: str(tmp_path / "data"), "JAX_PLATFORMS": "cpu"}
  run = lambda *argv: run_cli(*argv, env=env, cwd=tmp_path)
  fetched = run("sr_jax.data.fetch", "Set5", f"--from={shared_data('Set5')}")
  assert fetched.returncode == 0, fetched.stderr
  assert "Licence:" in fetched.stdout and "Bevilacqua" in fetched.stdout
  assert "5 images in" in fetched.stdout and "verified: decoded pixels" in fetched.stdout
  evaluated = run("sr_jax.evaluate", "--hr_dir=Set5", "--scale=4", "--baseline=bicubic",
                  f"--json={tmp_path / 'set5.json'}")
  assert evaluated.returncode == 0, evaluated.stderr
  mean = json.loads((tmp_path / "set5.json").read_text())["results"][0]["metrics"]
  assert abs(mean["psnr_y"] - 28.42) < 0.02  # the published bicubic ×4 row
  again = run("sr_jax.data.fetch", "Set5")
  assert again.returncode == 0 and "already in" in again.stdout
  missing = run("sr_jax.evaluate", "--hr_dir=Set14", "--scale=4", "--baseline=bicubic")
  assert missing.returncode == 1
  assert missing.stderr.strip().splitlines()[-1] == (
      f"error: Set14: not in {tmp_path / 'data'} ($SR_JAX_DATA); get it with: "
      "python -m sr_jax.data.fetch Set14")
