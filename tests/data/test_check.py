"""python -m sr_jax.data.check: counts, sizes, modes, bad files, duplicates, train/test overlap."""
import json

import numpy as np
from PIL import Image

from sr_jax.data import check



def _folders(tmp_path):
  """train/: a.png, its lossless copies b.png and sub/c.bmp, gray d.png, small e.png (10x12),
  broken f.png (truncated); test/: t.png with d's pixels as RGB, u.png (new)."""
  rng = np.random.default_rng(0)
  a = rng.integers(0, 256, (40, 50, 3), np.uint8)
  gray = rng.integers(0, 256, (30, 60), np.uint8)
  train, test = tmp_path / "train", tmp_path / "test"
  (train / "sub").mkdir(parents=True)
  test.mkdir()
  Image.fromarray(a).save(train / "a.png", compress_level=1)
  Image.fromarray(a).save(train / "b.png", compress_level=9)
  Image.fromarray(a).save(train / "sub" / "c.bmp")
  Image.fromarray(gray).save(train / "d.png")
  Image.fromarray(a[:10, :12]).save(train / "e.png")
  (train / "f.png").write_bytes((train / "a.png").read_bytes()[:100])
  Image.fromarray(np.repeat(gray[..., None], 3, -1)).save(test / "t.png")
  Image.fromarray(rng.integers(0, 256, (20, 20, 3), np.uint8)).save(test / "u.png")
  return train, test


def test_report_counts_every_kind_of_problem(tmp_path):
  train, test = _folders(tmp_path)
  r = check.report(train, test, patch=16)
  assert (r["images"], r["readable"]) == (6, 5)
  assert r["height"] == {"min": 10, "median": 40.0, "max": 40}
  assert r["width"] == {"min": 12, "median": 50.0, "max": 60}
  assert r["megapixels"] == (3 * 40 * 50 + 30 * 60 + 10 * 12) / 1e6
  assert r["modes"] == {"RGB": 4, "L": 1}
  assert list(r["unreadable"]) == [str(train / "f.png")]
  assert "truncated" in r["unreadable"][str(train / "f.png")]
  assert list(r["small"]) == [str(train / "e.png")]
  assert r["duplicates"] == [[str(train / n) for n in ("a.png", "b.png", "sub/c.bmp")]]
  assert r["overlap"] == {str(train / "d.png"): [str(test / "t.png")]}
  assert r["against"] == {"folder": str(test), "images": 2, "unreadable": 0}
  assert r["problems"] == 1 + 1 + 2 + 1
  assert check.report(test, patch=16)["problems"] == 0


def test_cli_exit_status_summary_and_json(tmp_path, run_cli):
  train, test = _folders(tmp_path)
  run = lambda *args: run_cli("sr_jax.data.check", *map(str, args))
  out = tmp_path / "r.json"
  dirty = run(train, f"--against={test}", "--patch=16", f"--json={out}")
  assert dirty.returncode == 1 and dirty.stdout.rstrip().endswith("5 problem file(s)")
  assert "a.png = " in dirty.stdout and json.loads(out.read_text())["problems"] == 5
  clean = run(test, "--patch=16")
  assert clean.returncode == 0 and clean.stdout.rstrip().endswith("clean")
  missing = run(tmp_path / "nope")
  assert missing.returncode == 1 and missing.stderr.strip().splitlines() == [
      f"error: {tmp_path / 'nope'}: no such data folder"]
