"""Fetch or convert pretrained VGG19 / LPIPS weights into the .npz files sr_jax loads.

  python -m sr_jax.tools.vgg --fetch              # torchvision VGG19 (internet + torch)
  python -m sr_jax.tools.vgg --convert=FILE       # vgg19-dcbb9e9d.pth or Keras's .h5 (below)
  python -m sr_jax.tools.vgg --fetch --classifier # the whole VGG19 (fc6-8 too), for
                                                  # evaluate --task=imagenet_vgg19
  python -m sr_jax.tools.vgg --lpips=vgg --fetch  # torchvision VGG16 + lpips weights/v0.1/vgg.pth
  python -m sr_jax.tools.vgg --lpips=alex --convert=alexnet-owt-7be5be79.pth --lin=alex.pth

Keras's file is vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5. Output goes to --out=PATH,
else the default path (vgg19.npz / imagenet_vgg19.npz / lpips_NET.npz in $SR_JAX_CACHE, else
~/.cache/sr_jax).
Reading .pth needs PyTorch (the CPU build is enough): the files are pickles of torch tensors.
The Keras .h5 needs only h5py.
"""
import argparse
import pathlib
import re
import sys

import numpy as np

from sr_jax import download, extras
from sr_jax.metrics import lpips
from sr_jax.models import vgg

TORCHVISION = "https://download.pytorch.org/models/"
BACKBONES = {"vgg19": "vgg19-dcbb9e9d.pth", "vgg": "vgg16-397923af.pth",
             "alex": "alexnet-owt-7be5be79.pth"}
LPIPS_LIN = ("https://raw.githubusercontent.com/richzhang/PerceptualSimilarity/master/"
             "lpips/weights/v0.1/{net}.pth")


def read_pth(path) -> dict[str, np.ndarray]:
  """A PyTorch state_dict as float32 NumPy arrays."""
  torch = extras.require("torch", "torch", f"reading {path} (or convert Keras's .h5 VGG19)")
  state = torch.load(path, map_location="cpu", weights_only=True)
  state = state.get("state_dict", state)
  return {k: v.detach().float().numpy() for k, v in state.items()}


def read_keras_h5(path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
  """`blockB_convI` → (HWIO kernel, bias) from a Keras VGG19 weights file (either naming era)."""
  h5py = extras.require("h5py", "weights", f"reading {path}")
  layers = {}
  with h5py.File(path, "r") as f:
    root = f["model_weights"] if "model_weights" in f else f
    for name in root:
      if not re.fullmatch(r"block\d_conv\d", name):
        continue
      arrays = []
      root[name].visititems(lambda _, obj: arrays.append(obj[()])
                            if isinstance(obj, h5py.Dataset) else None)
      layers[name] = (next(a for a in arrays if a.ndim == 4),
                      next(a for a in arrays if a.ndim == 1))
  return layers


def fetch(url: str, dest: pathlib.Path) -> pathlib.Path:
  """Downloads `url` once (sr_jax.download); torchvision names carry a sha256 prefix, checked."""
  digest = download.fetch(url, dest)
  if (m := re.search(r"-([0-9a-f]{8})\.pth$", dest.name)) and not digest.startswith(m.group(1)):
    dest.unlink()
    raise download.DownloadError(f"{url}: sha256 {digest} does not start with {m.group(1)}; "
                                 "the file was removed")
  return dest


def convert_vgg19(src: pathlib.Path) -> dict[str, np.ndarray]:
  if src.suffix == ".h5":
    return vgg.from_keras(read_keras_h5(src))
  return vgg.from_torchvision(read_pth(src), 19)


def main(argv=None) -> pathlib.Path:
  try:
    return _main(argv)
  except (extras.MissingExtra, download.DownloadError) as e:
    sys.exit(f"error: {e}")


def _main(argv=None) -> pathlib.Path:
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("--fetch", action="store_true", help="download from torchvision (+ lpips)")
  parser.add_argument("--convert", type=pathlib.Path,
                      help="local .pth (torchvision) or .h5 (Keras)")
  parser.add_argument("--lpips", choices=sorted(lpips.LAYERS), help="make LPIPS weights instead")
  parser.add_argument("--lin", type=pathlib.Path, help="lpips linear weights with --convert")
  parser.add_argument("--classifier", action="store_true",
                      help="keep torchvision's classifier too (task-based evaluation)")
  parser.add_argument("--out", type=pathlib.Path, help="output .npz (default: the cache path)")
  args = parser.parse_args(argv)
  if args.fetch == (args.convert is not None):
    parser.error("give exactly one of --fetch and --convert=FILE")
  if args.classifier and (args.lpips or (args.convert and args.convert.suffix == ".h5")):
    parser.error("--classifier needs torchvision's whole VGG19 .pth (not --lpips, not Keras's "
                 "notop .h5)")
  for given in (args.convert, args.lin):
    if given is not None and not given.is_file():
      sys.exit(f"error: {given}: no such weights file")
  cache = vgg.cache_dir()
  backbone = (fetch(TORCHVISION + BACKBONES[args.lpips or "vgg19"],
                       cache / BACKBONES[args.lpips or "vgg19"]) if args.fetch else args.convert)
  if args.lpips:
    lin = (fetch(LPIPS_LIN.format(net=args.lpips), cache / f"lpips_lin_{args.lpips}.pth")
           if args.fetch else args.lin)
    if lin is None:
      parser.error("--lpips with --convert needs --lin=LIN.pth")
    flat = lpips.convert(args.lpips, read_pth(backbone), read_pth(lin))
    out = args.out or lpips.default_path(args.lpips)
  elif args.classifier:
    try:
      flat = vgg.classifier_from_torchvision(read_pth(backbone), 19)
    except ValueError as e:
      sys.exit(f"error: {backbone}: {e}")
    out = args.out or vgg.classifier_path()
  else:
    flat = convert_vgg19(backbone)
    out = args.out or vgg.default_path()
  out.parent.mkdir(parents=True, exist_ok=True)
  with open(out, "wb") as f:  # np.savez(path) would append .npz to other names
    np.savez(f, **flat)
  print(out)
  return out


if __name__ == "__main__":
  main()
