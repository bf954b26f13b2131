"""Weights files and releases: recognised from their keys and shapes, converted once, cached,
downloaded once with their digests checked (a server on loopback), mixed for --denoise_strength."""
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import urllib.parse

import jax
import numpy as np
from PIL import Image
import pytest

import safetensors.numpy

from sr_jax import inference, pretrained_catalog, weights

R = np.random.default_rng(0)


def _conv(out, cin, k=3):
  return {"weight": R.normal(0, 0.1, (out, cin, k, k)).astype(np.float32),
          "bias": R.normal(0, 0.01, (out,)).astype(np.float32)}


def _put(sd, name, tensors):
  sd.update({f"{name}.{k}": v for k, v in tensors.items()})


def rrdbnet_basicsr(f=8, g=4, blocks=2, unshuffle=1, old_keys=False):
  """BasicSR's (and Real-ESRGAN's) RRDBNet keys, or ESRGAN's first release's (old_keys)."""
  n = {"first": "conv_first", "body": "RRDB_trunk" if old_keys else "body",
       "rdb": "RDB" if old_keys else "rdb", "trunk": "trunk_conv" if old_keys else "conv_body",
       "up": ("upconv1", "upconv2") if old_keys else ("conv_up1", "conv_up2"),
       "hr": "HRconv" if old_keys else "conv_hr"}
  sd = {}
  _put(sd, n["first"], _conv(f, 3 * unshuffle))
  for b in range(blocks):
    for r in (1, 2, 3):
      for c in range(1, 6):
        _put(sd, f"{n['body']}.{b}.{n['rdb']}{r}.conv{c}", _conv(g if c < 5 else f, f + (c - 1) * g))
  for name in (n["trunk"], *n["up"], n["hr"]):
    _put(sd, name, _conv(f, f))
  _put(sd, "conv_last", _conv(3, f))
  return sd


def srvgg(f=8, num_conv=3, scale=4):
  """Real-ESRGAN's SRVGGNetCompact: body.0 conv, PReLU, num_conv × (conv, PReLU), conv."""
  sd, i = {}, 0
  for cin in (3, *([f] * num_conv)):
    _put(sd, f"body.{i}", _conv(f, cin))
    sd[f"body.{i + 1}.weight"] = np.full(f, 0.25, np.float32)
    i += 2
  _put(sd, f"body.{i}", _conv(3 * scale * scale, f))
  return sd


def edsr_official(f=8, blocks=2, scale=3):
  sd = {"sub_mean.weight": np.eye(3, dtype=np.float32)[..., None, None],
        "sub_mean.bias": np.zeros(3, np.float32)}
  sd.update({k.replace("sub", "add"): v for k, v in sd.items()})
  _put(sd, "head.0", _conv(f, 3))
  for b in range(blocks):
    _put(sd, f"body.{b}.body.0", _conv(f, f))
    _put(sd, f"body.{b}.body.2", _conv(f, f))
  _put(sd, f"body.{blocks}", _conv(f, f))
  stages = [3] if scale == 3 else [2] * (scale // 2)
  for i, r in enumerate(stages):
    _put(sd, f"tail.0.{2 * i}", _conv(r * r * f, f))
  _put(sd, "tail.1", _conv(3, f))
  return sd


def rcan(f=8, groups=2, blocks=2, reduction=4, scale=2):
  sd = {}
  _put(sd, "head.0", _conv(f, 3))
  for g in range(groups):
    for b in range(blocks):
      p = f"body.{g}.body.{b}.body"
      _put(sd, f"{p}.0", _conv(f, f))
      _put(sd, f"{p}.2", _conv(f, f))
      _put(sd, f"{p}.3.conv_du.0", _conv(f // reduction, f, 1))
      _put(sd, f"{p}.3.conv_du.2", _conv(f, f // reduction, 1))
    _put(sd, f"body.{g}.body.{blocks}", _conv(f, f))
  _put(sd, f"body.{groups}", _conv(f, f))
  _put(sd, "tail.0.0", _conv(4 * f, f))
  _put(sd, "tail.1", _conv(3, f))
  return sd


def swinir_lightweight(dim=12, depth=2, heads=2, window=4, scale=2):
  sd = {}
  _put(sd, "conv_first", _conv(dim, 3))
  vec = lambda n: R.normal(0, 0.1, (n,)).astype(np.float32)
  mat = lambda o, i: R.normal(0, 0.1, (o, i)).astype(np.float32)
  sd.update({"patch_embed.norm.weight": vec(dim), "patch_embed.norm.bias": vec(dim),
             "norm.weight": vec(dim), "norm.bias": vec(dim)})
  for layer in range(2):
    for j in range(depth):
      p = f"layers.{layer}.residual_group.blocks.{j}"
      sd.update({f"{p}.norm1.weight": vec(dim), f"{p}.norm1.bias": vec(dim),
                 f"{p}.norm2.weight": vec(dim), f"{p}.norm2.bias": vec(dim),
                 f"{p}.attn.relative_position_bias_table": mat((2 * window - 1) ** 2, heads),
                 f"{p}.attn.relative_position_index": np.zeros((window**2,) * 2, np.float32),
                 f"{p}.attn.qkv.weight": mat(3 * dim, dim), f"{p}.attn.qkv.bias": vec(3 * dim),
                 f"{p}.attn.proj.weight": mat(dim, dim), f"{p}.attn.proj.bias": vec(dim),
                 f"{p}.mlp.fc1.weight": mat(2 * dim, dim), f"{p}.mlp.fc1.bias": vec(2 * dim),
                 f"{p}.mlp.fc2.weight": mat(dim, 2 * dim), f"{p}.mlp.fc2.bias": vec(dim)})
      if j % 2:
        sd[f"{p}.attn_mask"] = np.zeros((4, window**2, window**2), np.float32)
    _put(sd, f"layers.{layer}.conv", _conv(dim, dim))
  _put(sd, "conv_after_body", _conv(dim, dim))
  _put(sd, "upsample.0", _conv(3 * scale * scale, dim))
  return sd


CASES = {
    "rrdbnet_basicsr": (rrdbnet_basicsr(), {"name": "rrdbnet", "scale": 4, "num_blocks": 2,
                                            "features": 8, "growth": 4, "pixel_unshuffle": False}),
    "rrdbnet_x2plus": (rrdbnet_basicsr(unshuffle=4), {"name": "rrdbnet", "scale": 2,
                                                      "pixel_unshuffle": True}),
    "rrdbnet_esrgan_keys": (rrdbnet_basicsr(old_keys=True), {"name": "rrdbnet", "scale": 4}),
    "srvgg_compact": (srvgg(), {"name": "srvgg_compact", "scale": 4, "num_conv": 3,
                                "features": 8, "activation": "prelu"}),
    "edsr_official_x3": (edsr_official(), {"name": "edsr", "scale": 3, "num_blocks": 2,
                                           "features": 8, "res_scale": 1.0, "img_range": 255.0}),
    "rcan": (rcan(), {"name": "rcan", "scale": 2, "num_groups": 2, "num_blocks": 2,
                      "reduction": 4}),
    "swinir_lightweight": (swinir_lightweight(), {
        "name": "swinir", "scale": 2, "embed_dim": 12, "depths": (2, 2), "num_heads": (2, 2),
        "window_size": 4, "mlp_ratio": 2.0, "upsampler": "pixelshuffledirect"}),
}


@pytest.mark.parametrize("case", CASES)
def test_architecture_and_hyper_parameters_come_from_the_keys(case):
  sd, expected = CASES[case]
  config, params = weights.recognise(sd, case)
  got = {"name": config.model.name, "scale": config.scale, **dict(config.model)}
  assert {k: got[k] for k in expected} == expected
  first = {"rrdbnet": "conv_first", "srvgg_compact": "body_0", "edsr": "head", "rcan": "head",
           "swinir": "conv_first"}[config.model.name]
  torch_key = {"rrdbnet": "conv_first", "srvgg_compact": "body.0", "edsr": "head.0",
               "rcan": "head.0", "swinir": "conv_first"}[config.model.name]
  np.testing.assert_array_equal(params[first]["kernel"],
                                sd[f"{torch_key}.weight"].transpose(2, 3, 1, 0))


def test_an_unknown_layout_names_the_closest_architecture_and_the_keys():
  sd = rrdbnet_basicsr()
  sd["extra_head.weight"] = np.zeros((3, 3, 3, 3), np.float32)
  with pytest.raises(weights.WeightsError,
                     match=r"odd: no architecture sr_jax knows fits its \d+ keys; closest: "
                           r"rrdbnet \(1 keys do not fit: extra_head.weight\)"):
    weights.recognise(sd, "odd")


def test_files_are_read_with_or_without_wrappers(tmp_path):
  sd = srvgg()
  np.savez(tmp_path / "bare.npz", **sd)
  np.savez(tmp_path / "prefixed.npz", **{f"module.{k}": v for k, v in sd.items()})
  safetensors.numpy.save_file(sd, str(tmp_path / "w.safetensors"))
  for name in ("bare.npz", "prefixed.npz", "w.safetensors"):
    read = weights.read_state_dict(tmp_path / name)
    assert sorted(read) == sorted(sd) and all(np.array_equal(read[k], sd[k]) for k in sd)


@pytest.mark.torch
def test_pth_wrappers_prefer_the_ema(tmp_path):
  torch = pytest.importorskip("torch", reason="[ci-step:torch] needs PyTorch")
  sd = {k: torch.from_numpy(v) for k, v in srvgg().items()}
  torch.save({"params": sd, "params_ema": {k: v + 1 for k, v in sd.items()}}, tmp_path / "w.pth")
  read = weights.read_state_dict(tmp_path / "w.pth")
  np.testing.assert_array_equal(read["body.0.bias"], sd["body.0.bias"].numpy() + 1)


def test_without_torch_a_pth_is_one_line_naming_the_extra(tmp_path):
  (tmp_path / "w.pth").write_bytes(b"not read")
  code = ("import sys; sys.modules['torch'] = None\n"
          "from sr_jax import weights\n"
          f"weights.read_state_dict({str(tmp_path / 'w.pth')!r})")
  proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
  assert proc.returncode == 1
  assert proc.stderr.strip().splitlines()[-1].endswith(
      "needs torch: pip install 'sr_jax[torch]'")


def test_a_file_is_converted_once_and_loads_as_a_run(tmp_path, monkeypatch):
  monkeypatch.setenv("SR_JAX_CACHE", str(tmp_path / "cache"))
  np.savez(tmp_path / "compact.npz", **srvgg())
  first = inference.from_weights(str(tmp_path / "compact.npz"))
  digest = hashlib.sha256((tmp_path / "compact.npz").read_bytes()).hexdigest()
  assert first.run == str(tmp_path / "cache" / "weights" / digest)
  assert first.card["sha256"] == digest and first.card["architecture"] == "srvgg_compact"
  monkeypatch.setattr(weights, "recognise", lambda *a: pytest.fail("converted twice"))
  again = inference.from_weights(str(tmp_path / "compact.npz"))
  lr = np.random.default_rng(1).random((1, 6, 5, 3), np.float32)
  np.testing.assert_array_equal(again.predict(again.variables, lr), first.predict(first.variables, lr))
  assert again.predict(again.variables, lr).shape == (1, 24, 20, 3)


@pytest.fixture
def a_release(monkeypatch, file_server, tmp_path):
  """Two releases served on loopback: 'Tiny' (a digest prefix in its name, as BasicSR's files)
  and its weak-denoise companion 'Tiny-wdn', paired as realesr-general-x4v3 is."""
  monkeypatch.setenv("SR_JAX_CACHE", str(tmp_path / "cache"))
  files = {}
  for name, offset in (("Tiny", 0.0), ("Tiny-wdn", 1.0)):
    buf = io.BytesIO()
    np.savez(buf, **{k: v + offset for k, v in srvgg().items()})
    files[name] = buf.getvalue()
    file_server.files[f"{name}.npz"] = files[name]
  prefix = hashlib.sha256(files["Tiny"]).hexdigest()[:8]
  base = pretrained_catalog.RELEASES["realesr-general-x4v3"]
  for name in ("Tiny", "Tiny-wdn"):
    release = pretrained_catalog.Release(
        name, f"{file_server.url}/{name}.npz", f"{name}.npz", "", prefix if name == "Tiny" else "",
        "srvgg_compact", {}, 4, "", base.licence, base.citation, "test images")
    monkeypatch.setitem(pretrained_catalog.RELEASES, name, release)
  monkeypatch.setitem(pretrained_catalog.DENOISE, "Tiny", pretrained_catalog.DenoisePair(
      "Tiny", "Tiny", "Tiny-wdn", 0.5, "", "test"))
  return files


def test_a_release_downloads_once_and_records_its_digest(a_release, file_server, tmp_path):
  generator = inference.from_release("Tiny")
  assert [name for name, _ in file_server.requests] == ["Tiny.npz"]
  assert generator.card["release"] == "Tiny" and "licence" in generator.card
  inference.from_release("Tiny")
  assert len(file_server.requests) == 1  # cached
  recorded = (tmp_path / "cache" / "releases" / "Tiny-wdn.npz.sha256")
  inference.from_release("Tiny-wdn")
  assert recorded.read_text().strip() == hashlib.sha256(a_release["Tiny-wdn"]).hexdigest()
  (tmp_path / "cache" / "releases" / "Tiny-wdn.npz").write_bytes(b"tampered")
  with pytest.raises(weights.WeightsError, match="sha256 .*, expected"):
    weights.release_file("Tiny-wdn")


def test_a_digest_prefix_that_does_not_match_removes_the_file(a_release, file_server, tmp_path,
                                                              monkeypatch):
  file_server.files["Tiny.npz"] = a_release["Tiny-wdn"]
  with pytest.raises(weights.WeightsError, match="does not start with the publisher's"):
    weights.release_file("Tiny")
  assert not (tmp_path / "cache" / "releases" / "Tiny.npz").exists()


def test_denoise_strength_mixes_the_pair_tensor_by_tensor(a_release):
  strong, weak = inference.from_release("Tiny"), inference.from_release("Tiny-wdn")
  mixed = inference.load(model="Tiny", denoise_strength=0.25)
  for a, b, m in zip(*(jax.tree.leaves(g.variables) for g in (strong, weak, mixed))):
    np.testing.assert_allclose(m, 0.25 * a + 0.75 * b, rtol=1e-6, atol=1e-7)
  with pytest.raises(weights.WeightsError, match="must be in \\[0, 1\\]"):
    inference.load(model="Tiny", denoise_strength=2.0)


def test_list_models_names_every_release(run_cli):
  proc = run_cli("sr_jax.upscale", "--list_models", env={**os.environ, "JAX_PLATFORMS": "cpu"})
  assert proc.returncode == 0
  listed = {line.split()[0] for line in proc.stdout.splitlines()[1:]}
  assert listed == set(pretrained_catalog.RELEASES)
  for name in ("RealESRGAN_x4plus", "RealESRNet_x4plus", "RealESRGAN_x4plus_anime_6B",
               "RealESRGAN_x2plus", "realesr-general-x4v3", "realesr-animevideov3"):
    assert name in listed


def test_upscale_with_weights_writes_the_models_image(tmp_path, monkeypatch, run_cli):
  monkeypatch.setenv("SR_JAX_CACHE", str(tmp_path / "cache"))
  np.savez(tmp_path / "compact.npz", **srvgg())
  lr = np.random.default_rng(2).integers(0, 256, (12, 10, 3), np.uint8)
  Image.fromarray(lr).save(tmp_path / "photo.png")
  proc = run_cli("sr_jax.upscale", f"--weights={tmp_path / 'compact.npz'}",
                 f"--input={tmp_path / 'photo.png'}", f"--output={tmp_path / 'out'}", "--tile=0",
                 env={**os.environ, "JAX_PLATFORMS": "cpu"})
  assert proc.returncode == 0, proc.stderr[-2000:]
  generator = inference.from_weights(str(tmp_path / "compact.npz"))
  sr = np.asarray(generator.predict(generator.variables, lr[None] / np.float32(255)))[0]
  expected = np.clip(np.floor(sr * 255 + 0.5), 0, 255)
  got = np.asarray(Image.open(tmp_path / "out" / "photo.png"))
  assert got.shape == (48, 40, 3) and np.abs(got.astype(int) - expected).max() <= 1
  assert json.loads((tmp_path / "cache" / "weights" / generator.card["sha256"] /
                     "model_card.json").read_text())["architecture"] == "srvgg_compact"


def test_the_release_table_is_consistent():
  """Each release's URL ends in its file name, its digest prefix is in the name and agrees with
  the digest, its architecture and key are known, and denoise pairs share one architecture."""
  problems = []
  for name, r in pretrained_catalog.RELEASES.items():
    if r.url and os.path.basename(urllib.parse.urlparse(r.url).path) != r.filename:
      problems.append(f"{name}: url does not end in {r.filename}")
    if not r.url and not r.note:
      problems.append(f"{name}: no url and no note saying where the file is")
    if r.sha256_prefix and (f"-{r.sha256_prefix}." not in r.filename
                            or (r.sha256 and not r.sha256.startswith(r.sha256_prefix))):
      problems.append(f"{name}: sha256_prefix {r.sha256_prefix} disagrees with the name or digest")
    if r.sha256 and not re.fullmatch(r"[0-9a-f]{64}", r.sha256):
      problems.append(f"{name}: sha256 is not 64 hex digits")
    if r.arch not in pretrained_catalog.ARCHS:
      problems.append(f"{name}: arch {r.arch!r}")
    if r.key not in ("params_ema", "params", ""):
      problems.append(f"{name}: key {r.key!r}")
    if r.hparams.get("scale") != r.scale:
      problems.append(f"{name}: hparams scale {r.hparams.get('scale')} != scale {r.scale}")
  for name, pair in pretrained_catalog.DENOISE.items():
    a, b = pretrained_catalog.RELEASES.get(pair.strong), pretrained_catalog.RELEASES.get(pair.weak)
    if a is None or b is None:
      problems.append(f"DENOISE[{name}]: unknown release")
    elif a.arch != b.arch or a.hparams != b.hparams or {a.key, b.key} != {pair.key}:
      problems.append(f"DENOISE[{name}]: {pair.strong} and {pair.weak} differ")
  assert not problems
