"""python -m sr_jax.convert --src=FILE --dst=DIR [--config=RECIPE[:PRESET]]

Writes pretrained PyTorch weights (a .pth, .safetensors or .npz state_dict in the official
repositories' or BasicSR's key names) as a run in DIR, with a model card: `python -m
sr_jax.evaluate --workdir=DIR` evaluates it and `--config.init_from=DIR` fine-tunes from it.
Without --config the architecture and its hyper-parameters are read from the file's keys and
shapes (sr_jax.weights, which every tool's --weights=FILE also uses); --config names them for
architectures without a detector (its model must then match the file). Every key that maps
nowhere, parameter left without a value or shape that differs is reported.

`LAYOUTS` are the key mappings: per architecture, regexes from PyTorch module paths to Flax ones.
"""
import dataclasses
import re
from typing import Any, Callable

from absl import flags
from flax import traverse_util
import jax
import jax.numpy as jnp
import ml_collections
from ml_collections import config_flags
import numpy as np

from sr_jax import cli, download, models
from sr_jax import config as config_lib



@dataclasses.dataclass(frozen=True)
class Layout:
  """How one architecture's PyTorch module paths map onto its Flax module paths."""
  # (regex fully matching a PyTorch module path, target), the first rule that matches wins. The
  # target is a Flax path template for match.expand or a function of the match giving a path, a
  # tuple of alternative paths (the first whose parameter the config's model has wins: a module
  # whose place depends on the variant, e.g. SwinIR's `upsample.0`) or a function of the
  # template's module paths (`_last`).
  rules: tuple[tuple[str, str | Callable[[re.Match], Any]], ...]
  skip: str = "$^"  # PyTorch entries with no Flax counterpart (buffers, fixed mean shifts)
  # Flax module paths (regex, fully matching, block axes stacked) of ConvTranspose layers: their
  # PyTorch ConvTranspose2d kernels are converted by `torch_kernel(..., transposed=True)`.
  transposed: str = "$^"


def _every_other(template: str) -> Callable[[re.Match], str]:
  """Sequential(conv, act or shuffle, conv, ...): the conv at index 2k is Flax's Conv_k."""
  return lambda m: template.format(*m.groups()[:-1], int(m.groups()[-1]) // 2)


def _minus_one(template: str) -> Callable[[re.Match], str]:
  """conv1, conv2, ... (1-based) → Conv_0, Conv_1, ..."""
  return lambda m: template.format(*m.groups()[:-1], int(m.groups()[-1]) - 1)


def _last(template: str) -> Callable[[re.Match], Callable[[set[str]], str]]:
  """`template` ('{}' the match's groups, then a trailing '{}') with the highest index the
  config's model has: RDN's LFF, the 1×1 conv after an RDB's C layers, is its Conv_C."""
  def target(m):
    def pick(modules):
      head = template.format(*m.groups(), "")
      found = [int(p[len(head):]) for p in modules
               if p.startswith(head) and p[len(head):].isdigit()]
      return head + str(max(found, default=0))
    return pick
  return target


def torch_kernel(weight: np.ndarray, transposed: bool = False) -> np.ndarray:
  """A PyTorch conv weight in Flax's HWIO layout.

  Conv2d (out, in/groups, kh, kw) → (kh, kw, in/groups, out); Linear (out, in) → (in, out).
  ConvTranspose2d (in, out, kh, kw) → (kh, kw, in, out) flipped in both spatial axes, for a Flax
  nn.ConvTranspose (transpose_kernel=False) with padding (k−1−p, k−1−p+output_padding) per
  axis: PyTorch's y[s·i − p + t] += x[i]·W[t] is the stride-s dilated input, padded by k−1−p,
  cross-correlated with W[k−1−t] (FSRCNN's deconv, D-DBPN's projection units).
  """
  if weight.ndim != 4:
    return weight.T
  if transposed:
    return weight.transpose(2, 3, 0, 1)[::-1, ::-1]
  return weight.transpose(2, 3, 1, 0)


def _dbpn_unit(m: re.Match) -> str:
  """alterzero/DBPN-Pytorch's projection units → dbpn.Projection's auto-named layers.

  up<t> (UpBlock for t ≤ 2, D_UpBlock after) and down<t> (DownBlock for t = 1, D_DownBlock
  after); a D_ block starts with `conv` (its 1×1 fusion: Flax Conv_0, PReLU_0). up_conv1/3 are
  deconvs (ConvTranspose_0/1), up_conv2 a conv; down_conv1/3 convs, down_conv2 a deconv; each
  step's PReLU (`act`) is the unit's next PReLU.
  """
  up, t, step, layer = m[1] == "up", int(m[2]), m[3], m[4]
  unit, fused = f"{m[1]}_{t}", int(t >= (3 if up else 2))
  if step is None:
    return f"{unit}/{'PReLU' if layer == 'act' else 'Conv'}_0"
  step = int(step)
  if layer == "act":
    return f"{unit}/PReLU_{fused + step - 1}"
  if layer == "deconv":
    return f"{unit}/ConvTranspose_{step // 2 if up else 0}"
  return f"{unit}/Conv_{fused + (0 if up else step // 3)}"


_MEAN_SHIFT = r"(sub|add)_mean\..*"

LAYOUTS = {
    # EDSR-PyTorch (head.0, body.N.body.0/2, body.<blocks>, tail.0.*, tail.1) and BasicSR.
    "edsr": Layout((
        (r"head\.0|conv_first", "head"),
        (r"body\.(\d+)\.body\.(\d+)", _every_other("block_{}/Conv_{}")),
        (r"body\.(\d+)\.conv([12])", _minus_one("block_{}/Conv_{}")),
        (r"body\.\d+|conv_after_body", "body_end"),
        (r"(?:tail\.0|upsample)\.(\d+)", _every_other("upsample/Conv_{}")),
        (r"tail\.1|conv_last", "tail"),
    ), skip=_MEAN_SHIFT),
    # RCAN-PyTorch: body.G.body.B.body.{0,2} convs and .3.conv_du.{0,2} channel attention,
    # body.G.body.<blocks> the group's end conv, body.<groups> the body's. BasicSR: conv_first,
    # body.G.residual_group.B.rcab.{0,2} and .3.attention.{1,3} (after the pooling),
    # body.G.conv, conv_after_body, upsample.*, conv_last.
    "rcan": Layout((
        (r"head\.0|conv_first", "head"),
        (r"body\.(\d+)\.body\.(\d+)\.body\.3\.conv_du\.(\d+)",
         _every_other("group_{}/rcab_{}/ChannelAttention_0/Conv_{}")),
        (r"body\.(\d+)\.residual_group\.(\d+)\.rcab\.3\.attention\.(\d+)",
         lambda m: f"group_{m[1]}/rcab_{m[2]}/ChannelAttention_0/Conv_{int(m[3]) // 2}"),
        (r"body\.(\d+)\.(?:body|residual_group)\.(\d+)\.(?:body|rcab)\.(\d+)",
         _every_other("group_{}/rcab_{}/Conv_{}")),
        (r"body\.(\d+)\.(?:body\.\d+|conv)", r"group_\1/end"),
        (r"body\.\d+|conv_after_body", "body_end"),
        (r"(?:tail\.0|upsample)\.(\d+)", _every_other("upsample/Conv_{}")),
        (r"tail\.1|conv_last", "tail"),
    ), skip=_MEAN_SHIFT),
    # EDSR-PyTorch's RDN: SFENet1/2, RDBs.N.convs.M.conv.0 (conv + ReLU), RDBs.N.LFF, GFF.{0,1},
    # UPNet (conv, shuffle, ..., the last conv: the tail). It has no mean shift: load it into
    # an RDN with mean_shift=False.
    "rdn": Layout((
        (r"SFENet([12])", r"sfe\1"),
        (r"RDBs\.(\d+)\.convs\.(\d+)\.conv\.0", r"rdb_\1/Conv_\2"),
        (r"RDBs\.(\d+)\.LFF", _last("rdb_{}/Conv_{}")),
        (r"GFF\.0", "gff_1x1"),
        (r"GFF\.1", "gff_3x3"),
        (r"UPNet\.(\d+)", lambda m: (f"upsample/Conv_{int(m[1]) // 2}", "tail")),
    )),
    # ESRGAN's first release (model.0, model.1.sub.N.RDB1.conv1.0, model.1.sub.<blocks>,
    # model.3/6/8/10), its later one (RRDB_trunk, trunk_conv, upconv1/2, HRconv) and BasicSR.
    "rrdbnet": Layout((
        (r"model\.0|conv_first", "conv_first"),
        (r"(?:model\.1\.sub|RRDB_trunk|body)\.(\d+)\.(?:RDB|rdb)(\d)\.conv(\d)(?:\.0)?",
         r"rrdb_\1/rdb\2/conv\3"),
        (r"model\.1\.sub\.\d+|trunk_conv|conv_body", "conv_body"),
        (r"model\.3|upconv1|conv_up1", "conv_up1"),
        (r"model\.6|upconv2|conv_up2", "conv_up2"),
        (r"model\.8|HRconv|conv_hr", "conv_hr"),
        (r"model\.10|conv_last", "conv_last"),
    )),
    # BasicSR's MSRResNet (body.N, conv_hr) and KAIR's MSRResNet1 (recon_trunk.N, HRconv).
    "msrresnet": Layout((
        (r"conv_first|conv_hr|conv_last", r"\g<0>"),
        (r"HRconv", "conv_hr"),
        # ResBlockNoBN's `conv()(relu(conv()(x)))` creates the outer conv2 first: Conv_0.
        (r"(?:body|recon_trunk)\.(\d+)\.conv([12])",
         lambda m: f"block_{m[1]}/Conv_{2 - int(m[2])}"),
        (r"upconv(\d)", _minus_one("upconv_{}")),
    )),
    # SwinIR (official and BasicSR names), every tail: classical (conv_before_upsample.0,
    # upsample.<2k>, conv_last), lightweight (upsample.0: the one conv before the shuffle) and
    # real-world (conv_before_upsample.0, conv_up1/2, conv_hr, conv_last); resi_connection
    # '3conv' (SwinIR-L) makes layers.N.conv and conv_after_body Sequentials of convs 0, 2, 4.
    "swinir": Layout((
        (r"conv_first|conv_after_body|conv_last|conv_up[12]|conv_hr|norm", r"\g<0>"),
        (r"conv_after_body\.(\d+)", _every_other("conv_after_body/Conv_{}")),
        (r"patch_embed\.norm", "embed_norm"),
        (r"layers\.(\d+)\.residual_group\.blocks\.(\d+)\.(?:mlp\.)?(\w+(?:\.\w+)?)",
         lambda m: f"rstb_{m[1]}/block_{m[2]}/{m[3].replace('.', '/')}"),
        (r"layers\.(\d+)\.conv", r"rstb_\1/conv"),
        (r"layers\.(\d+)\.conv\.(\d+)", _every_other("rstb_{}/conv/Conv_{}")),
        (r"conv_before_upsample\.0", "conv_before_upsample"),
        (r"upsample\.(\d+)", lambda m: (f"upsample/Conv_{int(m[1]) // 2}", "upsample")),
    ), skip=r".*\.(attn_mask|relative_position_index)"),
    # CARN-pytorch's CARN: b<block>.b<unit>.body.<0|2> convs, b<block>.c<k>.body.0 and
    # c<k>.body.0 the 1×1 fusions, upsample.up<2|3|4>.body.<3k> (multi-scale) or
    # upsample.up.body.<3k> (conv, ReLU, shuffle per stage), the MeanShift convs skipped.
    "carn": Layout((
        (r"entry|exit", r"\g<0>"),
        (r"b(\d+)\.b(\d+)\.body\.(\d+)", _every_other("b{}/b{}/Conv_{}")),
        (r"(b\d+\.)?c(\d+)\.body\.0", lambda m: f"{(m[1] or '').replace('.', '/')}c{m[2]}"),
        (r"upsample\.(up\d?)\.body\.(\d+)", lambda m: f"{m[1]}/Conv_{int(m[2]) // 3}"),
    ), skip=_MEAN_SHIFT),
    # IMDN's IMDN: IMDB<k> (1-based) with c1…c5 and cca.conv_du.<0|2>, c.0 the fusion.
    "imdn": Layout((
        (r"fea_conv", "fea_conv"),
        (r"IMDB(\d+)\.cca\.conv_du\.(\d+)",
         lambda m: f"imdb_{int(m[1]) - 1}/cca/Conv_{int(m[2]) // 2}"),
        (r"IMDB(\d+)\.(c\d)", lambda m: f"imdb_{int(m[1]) - 1}/{m[2]}"),
        (r"c\.0", "fuse"),
        (r"LR_conv", "lr_conv"),
        (r"upsampler\.0", "upsampler"),
    )),
    # KAIR's IRCNN: model.<2k> is the k-th convolution. Its released ircnn_{gray,color}.pth hold
    # 25 denoisers, one per noise level (keys '0'…'24'): save one as its own state_dict first.
    "ircnn": Layout(((r"model\.(\d+)", _every_other("conv_{}")),)),
    # Real-ESRGAN's SRVGGNetCompact: the body ModuleList, convs and PReLUs by index. Its recipe
    # is not configs/srvgg_compact.py: pass --config=configs/realesrgan.py:compact (num_conv 32;
    # add --config.model.num_conv=16 for realesr-animevideov3).
    "srvgg_compact": Layout(((r"body\.(\d+)", r"body_\1"),)),
    # FSRCNN after yjn870/FSRCNN-pytorch (models.py), the most used PyTorch port, whose released
    # weights (weights/fsrcnn_x{2,3,4}.pth, 1 channel: Y) it reads; the authors' own release is
    # Caffe/MATLAB. first_part = (5×5 conv, PReLU(d)); mid_part = (1×1 shrink, PReLU, m × (3×3,
    # PReLU), 1×1 expand, PReLU); last_part = ConvTranspose2d(d, c, 9, scale, 4, scale − 1).
    "fsrcnn": Layout((
        (r"first_part\.0", "extract"),
        (r"first_part\.1", "PReLU_0"),
        (r"mid_part\.0", "shrink"),
        (r"mid_part\.(\d*[02468])", lambda m: (f"map_{int(m[1]) // 2 - 1}", "expand")),
        (r"mid_part\.(\d+)", lambda m: f"PReLU_{int(m[1]) // 2 + 1}"),
        (r"last_part", "deconv"),
    ), transposed="deconv"),
    # alterzero/DBPN-Pytorch's D-DBPN (dbpn.py, T = 7) and DBPN-LL (dbpn_v1.py, T = 10):
    # ConvBlock/DeconvBlock = .conv/.deconv + .act (PReLU(), one slope); see `_dbpn_unit`.
    "dbpn": Layout((
        (r"feat([01])\.conv", r"feat\1"),
        (r"feat([01])\.act", r"PReLU_\1"),
        (r"(up|down)(\d+)\.(?:conv|(?:up|down)_conv([123]))\.(conv|deconv|act)", _dbpn_unit),
        (r"output_conv\.conv", "output_conv"),
    ), transposed=r"(up|down)_\d+/ConvTranspose_\d+"),
}
# CARN-M's names are CARN's: its one residual-E unit per block is b1 (body.<0|2|4>).
LAYOUTS["carn_m"] = LAYOUTS["carn"]


def flax_modules(layout: Layout, module: str, modules: set[str]) -> tuple[str, ...] | None:
  """The Flax module path(s) `module` may map to (alternatives, in order); None: no rule."""
  for pattern, target in layout.rules:
    m = re.fullmatch(pattern, module)
    if m:
      out = target(m) if callable(target) else m.expand(target)
      out = out(modules) if callable(out) else out
      return (out,) if isinstance(out, str) else tuple(out)
  return None


def _stacked(path: str, prefixes: set[str]) -> tuple[str, tuple[int, ...]]:
  """A per-block module path in a model whose blocks are scanned (common.chain): `group_3/rcab_5/
  Conv_0` → (`group/rcab/Conv_0`, (3, 5)) when the template has `group/` and `group/rcab/`."""
  out, index = [], []
  for part in path.split("/"):
    m = re.fullmatch(r"(\w+)_(\d+)", part)
    if m and "/".join(out + [m[1]]) in prefixes:
      out.append(m[1])
      index.append(int(m[2]))
    else:
      out.append(part)
  return "/".join(out), tuple(index)


def _at(target: str, index: tuple[int, ...]) -> str:
  return target + "".join(f"[{i}]" for i in index)


def convert_state_dict(arch: str, state_dict: dict[str, np.ndarray], template) -> dict:
  """Flax params shaped like `template` from a PyTorch state_dict of NumPy arrays.

  Kernels by `torch_kernel`: Conv OIHW → HWIO (grouped ones too: (out, in/groups, h, w) →
  (h, w, in/groups, out)), Linear (out, in) → (in, out), ConvTranspose2d (in, out, h, w) → (h, w,
  in, out) spatially flipped (the layout's `transposed` modules); PReLU weights → negative_slope
  (nn.PReLU()'s one slope, shape (1,), → Flax nn.PReLU's scalar); pixel shuffles need nothing
  (common.pixel_shuffle keeps PyTorch's channel order); the blocks of a scanned chain go into
  their slot of the stacked parameters. Raises one ValueError listing every key that maps
  nowhere, every parameter (or block of one) left without a value and every shape that differs.
  """
  layout = LAYOUTS[arch]
  expected = traverse_util.flatten_dict(template, sep="/")
  prefixes = {"/".join(k.split("/")[:i]) for k in expected for i in range(1, k.count("/") + 1)}
  params, filled, problems = {}, {}, []
  for key, value in state_dict.items():
    key = key.removeprefix("module.")
    if re.fullmatch(layout.skip, key):
      continue
    module, _, leaf = key.rpartition(".")
    paths = flax_modules(layout, module, prefixes)
    if paths is None:
      problems.append(f"{key}: maps to no {arch} parameter")
      continue
    candidates = []
    for path in paths:
      path, index = _stacked(path, prefixes)
      # `weight`: a kernel, a PReLU's slopes or a norm's scale, whichever the module has (by
      # the value's rank where the config's model has no such module, for the report).
      name = {"weight": next((n for n in ("kernel", "negative_slope", "scale")
                              if f"{path}/{n}" in expected),
                             "kernel" if np.ndim(value) >= 2 else "scale")}.get(leaf, leaf)
      candidates.append((path, index, name, f"{path}/{name}"))
    # The first alternative the config's model has (else the first, to report).
    path, index, name, target = next((c for c in candidates if c[3] in expected), candidates[0])
    value = np.asarray(value, np.float32)
    if name == "kernel":
      value = torch_kernel(value, transposed=bool(re.fullmatch(layout.transposed, path)))
    where = _at(target, index)
    if target not in expected:  # named by module where the config's model has no such module
      problems.append(f"{key}: maps to {_at(path, index) if path not in prefixes else where}, "
                      f"which the config's {arch} does not have")
      continue
    shape = tuple(expected[target].shape)
    if name == "negative_slope" and value.shape == (1,) and shape[len(index):] == ():
      value = value.reshape(())  # nn.PReLU(): one slope for all channels
    if len(shape) < len(index) or any(i >= n for i, n in zip(index, shape)):
      problems.append(f"{key}: maps to {where}, beyond the config's {shape[:len(index)]} blocks")
    elif value.shape != shape[len(index):]:
      problems.append(f"{key}: {target} has shape {shape[len(index):]} in the config's {arch}, "
                      f"the file's is {value.shape} (Flax layout)")
    elif index in filled.setdefault(target, set()):
      problems.append(f"{key}: {where} is given twice")
    else:
      params.setdefault(target, np.zeros(shape, np.float32))[index] = value
      filled[target].add(index)
  for target, spec in expected.items():
    done = filled.get(target, set())
    depth = len(next(iter(done))) if done else 0  # stacked block axes of this parameter
    problems += [f"{_at(target, b)}: no key of the file provides it"
                 for b in np.ndindex(*spec.shape[:depth]) if b not in done]
  if problems:
    raise ValueError(f"the weights do not fit the config's {arch}:\n  " + "\n  ".join(problems))
  return traverse_util.unflatten_dict(params, sep="/")


def model_template(model) -> dict:
  """The model's Flax params as shapes (nothing allocated)."""
  lr = jax.ShapeDtypeStruct((1, 16, 16, model.channels), jnp.float32)
  return jax.eval_shape(model.init, jax.random.key(0), lr)["params"]


def convert_with_config(state_dict: dict, config: ml_collections.ConfigDict) -> dict:
  """The Flax params of `config`'s model from a state_dict in its architecture's layout."""
  arch = config.model.name
  if arch not in LAYOUTS:
    raise config_lib.ConfigError(f"config.model.name: no conversion for {arch!r} (known: "
                                 f"{', '.join(sorted(LAYOUTS))})")
  config_lib.validate_model(config)
  return convert_state_dict(arch, state_dict, model_template(models.from_config(config)))


FLAGS = flags.FLAGS


def define_flags():
  """The CLI's flags, defined only when run as a program: tools import this module beside others
  whose flags share these names."""
  flags.DEFINE_string("src", None, "Weights: .pth (needs torch), .safetensors or .npz.")
  flags.DEFINE_string("dst", None, "Run directory to write.")
  config_flags.DEFINE_config_file("config", None, "The model, when the file's architecture has "
                                  "no detector: RECIPE[:PRESET] (e.g. carn:x4).")
  flags.mark_flags_as_required(["src", "dst"])


def main(argv):
  del argv
  from sr_jax import weights  # pylint: disable=g-import-not-at-top  (weights imports this module)
  state_dict = weights.read_state_dict(FLAGS.src)
  digest = download.sha256_file(FLAGS.src)
  if FLAGS.config:
    config = FLAGS.config
    params = convert_with_config(state_dict, config)
  else:
    config, params = weights.recognise(state_dict, FLAGS.src)
  card = {"source": FLAGS.src, "sha256": digest, "architecture": config.model.name,
          "model": dict(config.model), "scale": config.scale, "channels": config.channels}
  weights.write_run(FLAGS.dst, config, params, card)
  print(f"{FLAGS.dst}: {config.model.name} x{config.scale} from {FLAGS.src}")


if __name__ == "__main__":
  define_flags()
  cli.run(main)
