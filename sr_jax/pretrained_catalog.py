"""The official pretrained PyTorch checkpoints: where each is published, how to check it, its terms.

`RELEASES[name]` describes one published file: its direct download (`url`, '' where the publisher
offers none, e.g. Google Drive or Dropbox folders only; then `note` says where it is), the
digest to enforce, the architecture and hyper-parameters it holds, and which entry of the file
holds the state_dict. Every value was read from the publisher's own repository; `source` says
where (repository @ commit: file:line), and values a publisher does not state are '' (or say
"not stated").

Digests. `sha256` is a full digest where the publisher states one (none of these publishers
does). `sha256_prefix` is the hex prefix a publisher put in the file name:
  - BasicSR names (`...-ff704c30.pth`): the first 8 hex digits of `sha256sum`
    (BasicSR scripts/publish_models.py:27,33).
  - EDSR-PyTorch names (`edsr_x4-4f62e9ef.pt`): torch.hub's convention `name-<sha256 prefix>.ext`;
    EDSR-PyTorch fetched them with torch.utils.model_zoo.load_url, which before PyTorch 1.1 always
    checked that prefix (pytorch.org/docs/1.0.1/model_zoo.html).
With neither, the digest is recorded on first download and enforced afterwards.

`key`: the entry of the saved dict that holds the weights, as the publisher's loader asks for it:
'params_ema', 'params', or '' (the file is the state_dict itself). The publishers' loaders fall
back when the entry is absent (BasicSR load_network: 'params_ema' -> 'params'; SwinIR's
main_test_swinir.py:190: -> the whole dict), so a loader should try `key`, then 'params', then
the whole dict.

`hparams` names follow sr_jax.models where a field exists there (num_blocks, features, growth,
num_groups, reduction, res_scale, embed_dim, depths, num_heads, window_size, mlp_ratio,
upsample_features); the rest describe what the checkpoint needs: `upsampler` ('pixelshuffle',
'pixelshuffledirect', 'nearest+conv'), `img_range` (1.0: inputs in [0, 1]; 255.0: in [0, 255]),
`rgb_mean` (subtracted before the network, added back after), `pixel_unshuffle` (RRDBNet ×2/×1:
the input is space-to-depth'd by this factor first, so conv_first sees 3·f² channels), `base`
(the upsampled input the output is a residual over), `layout` (the state_dict's key names:
'basicsr', 'esrgan' (RRDB_trunk/trunk_conv/upconv1/HRconv), 'edsr' (head/body/tail,
sub_mean/add_mean), 'rcan' (EDSR-style names), 'kair' (recon_trunk/HRconv), 'swinir'),
`img_size` (SwinIR's training patch size; it fixes the shapes of the `attn_mask` buffers saved
in the state_dict, which a converter skips). Every network here takes RGB.

`DENOISE` is Real-ESRGAN's `--denoise_strength` as data: a pair of files whose weights are
interpolated tensor by tensor.
"""
import dataclasses
import re
from typing import Any

ARCHS = ("rrdbnet", "srvgg_compact", "edsr", "rcan", "swinir", "msrresnet")


@dataclasses.dataclass(frozen=True)
class Release:
  name: str  # what users type (--model=NAME)
  url: str  # the publisher's direct download; '' if there is none (see note)
  filename: str  # the file name as published
  sha256: str  # full digest stated by the publisher; '' if none
  sha256_prefix: str  # hex prefix the publisher put in the file name; '' if none
  arch: str  # sr_jax registry name (one of ARCHS)
  hparams: dict[str, Any]  # what the file holds (see the module docstring)
  scale: int
  key: str  # 'params_ema' | 'params' | '' (the whole dict)
  licence: str  # as the publisher states it, one line
  citation: str  # one line
  training_data: str  # as the publisher states it
  note: str = ""
  source: str = ""  # where url / hyper-parameters / key were read: repo@commit: file:line


@dataclasses.dataclass(frozen=True)
class DenoisePair:
  """Real-ESRGAN's --denoise_strength s (inference_realesrgan.py:25-31, 99-104; utils.py:77-86):
  for every tensor of `key`, s · strong + (1 − s) · weak, then the result is loaded like `strong`.
  s = 1 uses `strong` alone; the help text reads "0 for weak denoise (keep noise), 1 for strong
  denoise ability"."""
  name: str  # what users type; the strong release's name
  strong: str  # RELEASES name, weight s
  weak: str  # RELEASES name, weight 1 - s
  default_strength: float
  key: str
  source: str


# Repositories read, at the commits of the snapshots read.
_REALESRGAN_SRC = "xinntao/Real-ESRGAN@a4abfb29"
_BASICSR_SRC = "XPixelGroup/BasicSR@8d56e3a0"
_ESRGAN_SRC = "xinntao/ESRGAN@73e9b634"
_EDSR_SRC = "sanghyun-son/EDSR-PyTorch"  # read through the code index: edsr.py@3dd71ae5,
# README.md@6f5426b6, src/demo.sh@27bf9444, src/model/__init__.py@2904b24b, LICENSE@126a55c3
_RCAN_SRC = "yulunzhang/RCAN@f722e5d0"
_SWINIR_SRC = "JingyunLiang/SwinIR@6545850f"
_KAIR_SRC = "cszn/KAIR@fc1732f4"

_REALESRGAN_DL = "https://github.com/xinntao/Real-ESRGAN/releases/download"
_SWINIR_DL = "https://github.com/JingyunLiang/SwinIR/releases/download/v0.0"
_SNU_DL = "https://cv.snu.ac.kr/research/EDSR/models"
_KAIR_DL = "https://github.com/cszn/KAIR/releases/download/v1.0"
_BASICSR_DRIVE = ("Google Drive only: BasicSR docs/ModelZoo.md:5 folder "
                  "https://drive.google.com/drive/folders/15DgDtfaLASQ3iAPJEVHQF49g9msexECG "
                  "(also 百度网盘 https://pan.baidu.com/s/1R6Nc4v3cl79XPAiK0Toe7g)")
_BY_HAND = "; download by hand and use --weights=FILE"

_REALESRGAN_LICENCE = ("BSD-3-Clause (xinntao/Real-ESRGAN LICENSE); no separate terms stated for "
                       "the weights")
_BASICSR_LICENCE = ("Apache-2.0 (BasicSR LICENSE.txt, README.md:90); no separate terms stated for "
                    "the weights")
_ESRGAN_LICENCE = "Apache-2.0 (xinntao/ESRGAN LICENSE); no separate terms stated for the weights"
_EDSR_LICENCE = ("MIT (sanghyun-son/EDSR-PyTorch LICENSE, (c) 2018 Sanghyun Son); no separate "
                 "terms stated for the weights")
_RCAN_LICENCE = "none stated (yulunzhang/RCAN has no LICENSE file and its README states no terms)"
_SWINIR_LICENCE = ("Apache-2.0 (JingyunLiang/SwinIR README.md:254, LICENSE); no separate terms "
                   "stated for the weights")
_KAIR_LICENCE = ("MIT (cszn/KAIR LICENSE, (c) 2019 Kai Zhang); no separate terms stated for the "
                 "weights")

_REALESRGAN_CITATION = ("X. Wang, L. Xie, C. Dong, Y. Shan, Real-ESRGAN: Training Real-World Blind "
                        "Super-Resolution with Pure Synthetic Data, ICCV Workshops 2021")
_ESRGAN_CITATION = ("X. Wang, K. Yu, S. Wu, J. Gu, Y. Liu, C. Dong, Y. Qiao, C. C. Loy, ESRGAN: "
                    "Enhanced Super-Resolution Generative Adversarial Networks, ECCV Workshops "
                    "2018")
_EDSR_CITATION = ("B. Lim, S. Son, H. Kim, S. Nah, K. M. Lee, Enhanced Deep Residual Networks for "
                  "Single Image Super-Resolution, CVPR Workshops (NTIRE) 2017")
_RCAN_CITATION = ("Y. Zhang, K. Li, K. Li, L. Wang, B. Zhong, Y. Fu, Image Super-Resolution Using "
                  "Very Deep Residual Channel Attention Networks, ECCV 2018")
_SWINIR_CITATION = ("J. Liang, J. Cao, G. Sun, K. Zhang, L. Van Gool, R. Timofte, SwinIR: Image "
                    "Restoration Using Swin Transformer, arXiv:2108.10257, 2021 (ICCV Workshops "
                    "2021)")
_MSRRESNET_CITATION = ("X. Wang, L. Xie, K. Yu, K. C. K. Chan, C. C. Loy, C. Dong, BasicSR: Open "
                       "Source Image and Video Restoration Toolbox, 2022 (MSRResNet: SRResNet of "
                       "C. Ledig et al., CVPR 2017, without BatchNorm)")

_DF2K_OST = ("DF2K (DIV2K + Flickr2K) + OST, HR images only, degradations synthesised on the fly "
             "(Real-ESRGAN docs/Training.md:25)")
_DIV2K_MEAN = (0.4488, 0.4371, 0.4040)  # EDSR-PyTorch common.MeanShift; RCAN, BasicSR, SwinIR


def _rrdbnet(scale: int, num_blocks: int = 23, layout: str = "basicsr") -> dict[str, Any]:
  """BasicSR RRDBNet(num_in_ch=3, num_out_ch=3, num_feat=64, num_block, num_grow_ch=32, scale):
  two nearest ×2 + conv stages; ×2 and ×1 first pixel-unshuffle the input (rrdbnet_arch.py)."""
  return {"scale": scale, "in_channels": 3, "out_channels": 3, "num_blocks": num_blocks,
          "features": 64, "growth": 32, "res_scale": 0.2, "upsampler": "nearest+conv",
          "pixel_unshuffle": {4: 1, 2: 2, 1: 4}[scale], "img_range": 1.0, "layout": layout}


def _srvgg(num_conv: int) -> dict[str, Any]:
  """SRVGGNetCompact(num_in_ch=3, num_out_ch=3, num_feat=64, num_conv, upscale=4, act_type='prelu'):
  conv + PReLU, num_conv × (conv + PReLU), conv to 3·4² channels, pixel shuffle, plus the nearest
  upsampled input (realesrgan/archs/srvgg_arch.py)."""
  return {"scale": 4, "in_channels": 3, "out_channels": 3, "num_conv": num_conv, "features": 64,
          "act": "prelu", "upsampler": "pixelshuffle", "base": "nearest", "img_range": 1.0,
          "layout": "basicsr"}


def _edsr(scale: int, large: bool, layout: str) -> dict[str, Any]:
  """EDSR baseline: 16 blocks × 64 features, res_scale 1; EDSR (paper): 32 × 256, res_scale 0.1."""
  blocks, features, res_scale = (32, 256, 0.1) if large else (16, 64, 1.0)
  return {"scale": scale, "in_channels": 3, "out_channels": 3, "num_blocks": blocks,
          "features": features, "res_scale": res_scale, "upsampler": "pixelshuffle",
          "img_range": 255.0, "rgb_mean": _DIV2K_MEAN, "layout": layout}


def _rcan(scale: int, layout: str) -> dict[str, Any]:
  return {"scale": scale, "in_channels": 3, "out_channels": 3, "num_groups": 10, "num_blocks": 20,
          "features": 64, "reduction": 16, "res_scale": 1.0, "upsampler": "pixelshuffle",
          "img_range": 255.0, "rgb_mean": _DIV2K_MEAN, "layout": layout}


def _swinir(scale: int, kind: str, img_size: int) -> dict[str, Any]:
  """main_test_swinir.py define_model (lines 128-157), window_size 8, mlp_ratio 2, img_range 1."""
  h = {"scale": scale, "in_channels": 3, "out_channels": 3, "window_size": 8, "mlp_ratio": 2.0,
       "img_range": 1.0, "rgb_mean": _DIV2K_MEAN, "img_size": img_size, "layout": "swinir",
       "upsample_features": 64}
  if kind == "classical":  # lines 130-134
    h.update(embed_dim=180, depths=(6,) * 6, num_heads=(6,) * 6, upsampler="pixelshuffle",
             resi_connection="1conv")
  elif kind == "lightweight":  # lines 138-142
    h.update(embed_dim=60, depths=(6,) * 4, num_heads=(6,) * 4, upsampler="pixelshuffledirect",
             resi_connection="1conv")
  elif kind == "real":  # lines 146-150
    h.update(embed_dim=180, depths=(6,) * 6, num_heads=(6,) * 6, upsampler="nearest+conv",
             resi_connection="1conv")
  elif kind == "real_large":  # lines 151-157
    h.update(embed_dim=240, depths=(6,) * 9, num_heads=(8,) * 9, upsampler="nearest+conv",
             resi_connection="3conv")
  else:
    raise ValueError(kind)
  return h


def _msrresnet(layout: str) -> dict[str, Any]:
  """MSRResNet ×4: 16 ReLU blocks × 64 features, two ×2 pixel-shuffle stages, LeakyReLU(0.1),
  output a residual over the bilinearly upsampled input (BasicSR srresnet_arch.py, KAIR
  network_msrresnet.py MSRResNet1)."""
  return {"scale": 4, "in_channels": 3, "out_channels": 3, "num_blocks": 16, "features": 64,
          "upsampler": "pixelshuffle", "base": "bilinear", "img_range": 1.0, "layout": layout}


def _release(name, url, filename, arch, hparams, key, licence, citation, training_data, *,
             sha256="", sha256_prefix="", note="", source="") -> Release:
  return Release(name, url, filename, sha256, sha256_prefix, arch, hparams, hparams["scale"], key,
                 licence, citation, training_data, note, source)


def _real_esrgan() -> list[Release]:
  src = f"{_REALESRGAN_SRC}: inference_realesrgan.py"
  key_src = "; key: realesrgan/utils.py:65-70 (params_ema, else params)"
  return [
      _release("RealESRGAN_x4plus", f"{_REALESRGAN_DL}/v0.1.0/RealESRGAN_x4plus.pth",
               "RealESRGAN_x4plus.pth", "rrdbnet", _rrdbnet(4), "params_ema",
               _REALESRGAN_LICENCE, _REALESRGAN_CITATION, _DF2K_OST,
               source=f"{src}:59-62, docs/model_zoo.md:13{key_src}"),
      _release("RealESRNet_x4plus", f"{_REALESRGAN_DL}/v0.1.1/RealESRNet_x4plus.pth",
               "RealESRNet_x4plus.pth", "rrdbnet", _rrdbnet(4), "params_ema",
               _REALESRGAN_LICENCE, _REALESRGAN_CITATION, _DF2K_OST,
               note="L1-only stage (Real-ESRNet), over-smooth (docs/model_zoo.md:15)",
               source=f"{src}:63-66, docs/model_zoo.md:15; key: options/"
                      "finetune_realesrgan_x4plus.yml:102-103"),
      _release("RealESRGAN_x4plus_anime_6B",
               f"{_REALESRGAN_DL}/v0.2.2.4/RealESRGAN_x4plus_anime_6B.pth",
               "RealESRGAN_x4plus_anime_6B.pth", "rrdbnet", _rrdbnet(4, num_blocks=6),
               "params_ema", _REALESRGAN_LICENCE, _REALESRGAN_CITATION,
               "not stated (\"optimized for anime images\", docs/anime_model.md:3)",
               source=f"{src}:67-70, docs/model_zoo.md:30{key_src}"),
      _release("RealESRGAN_x2plus", f"{_REALESRGAN_DL}/v0.2.1/RealESRGAN_x2plus.pth",
               "RealESRGAN_x2plus.pth", "rrdbnet", _rrdbnet(2), "params_ema",
               _REALESRGAN_LICENCE, _REALESRGAN_CITATION, _DF2K_OST,
               note="RRDBNet scale=2: the input is pixel-unshuffled by 2, so conv_first takes 12 "
                    "channels (BasicSR rrdbnet_arch.py)",
               source=f"{src}:71-74, docs/model_zoo.md:14, options/train_realesrgan_x2plus.yml:"
                      f"85-92{key_src}"),
      _release("realesr-general-x4v3", f"{_REALESRGAN_DL}/v0.2.5.0/realesr-general-x4v3.pth",
               "realesr-general-x4v3.pth", "srvgg_compact", _srvgg(32), "params",
               _REALESRGAN_LICENCE, _REALESRGAN_CITATION, "not stated",
               note="SRVGGNetCompact \"S size\"; the strong-denoise end of DENOISE"
                    "['realesr-general-x4v3'] (its default strength 0.5 mixes in "
                    "realesr-general-wdn-x4v3)",
               source=f"{src}:79-85, docs/model_zoo.md:17; key: realesrgan/utils.py:77-86 (dni "
                      "reads 'params' of both files)"),
      _release("realesr-general-wdn-x4v3",
               f"{_REALESRGAN_DL}/v0.2.5.0/realesr-general-wdn-x4v3.pth",
               "realesr-general-wdn-x4v3.pth", "srvgg_compact", _srvgg(32), "params",
               _REALESRGAN_LICENCE, _REALESRGAN_CITATION, "not stated",
               note="weak-denoise companion of realesr-general-x4v3 (\"wdn\"); published only "
                    "through the inference scripts' download lists (inference_realesrgan.py:83, "
                    "inference_realesrgan_video.py:200), not in docs/model_zoo.md",
               source=f"{src}:82-85, 99-104; key: realesrgan/utils.py:77-86"),
      _release("realesr-animevideov3", f"{_REALESRGAN_DL}/v0.2.5.0/realesr-animevideov3.pth",
               "realesr-animevideov3.pth", "srvgg_compact", _srvgg(16), "params",
               _REALESRGAN_LICENCE, _REALESRGAN_CITATION,
               "not stated (\"optimized for anime videos\", docs/anime_video_model.md:3)",
               note="SRVGGNetCompact \"XS size\"; docs say it can also be used for ×1, ×2, ×3 "
                    "(by resizing the ×4 output)",
               source=f"{src}:75-78, docs/model_zoo.md:42{key_src}"),
  ]


def _esrgan() -> list[Release]:
  return [
      # BasicSR's conversion of the original RRDB_ESRGAN_x4.pth (scripts/model_conversion/
      # convert_models.py:174-199), re-uploaded as a Real-ESRGAN release asset.
      _release("ESRGAN_x4",
               f"{_REALESRGAN_DL}/v0.1.1/ESRGAN_SRx4_DF2KOST_official-ff704c30.pth",
               "ESRGAN_SRx4_DF2KOST_official-ff704c30.pth", "rrdbnet", _rrdbnet(4), "params",
               "Apache-2.0 (ESRGAN and BasicSR repositories, whose conversion this is); hosted on "
               "the Real-ESRGAN (BSD-3-Clause) release v0.1.1; no separate terms for the weights",
               _ESRGAN_CITATION,
               "DF2K + OST (the file name's 'DF2KOST'; xinntao/ESRGAN README.md:69 for DF2K)",
               sha256_prefix="ff704c30",
               note="the same file is in BasicSR's Google Drive (scripts/"
                    "download_pretrained_models.py:40-41, id 1b3_bWZTjNO3iL2js1yWkJfjZykcQgvzT)",
               source=f"{_REALESRGAN_SRC}: docs/model_zoo.md:16, docs/Training.md:75-77; "
                      f"{_BASICSR_SRC}: options/test/ESRGAN/test_ESRGAN_x4.yml:33-43 (RRDBNet "
                      "64/23/32, default param_key 'params')"),
      _release("ESRGAN_PSNR_x4", "", "ESRGAN_PSNR_SRx4_DF2K_official-150ff491.pth", "rrdbnet",
               _rrdbnet(4), "params", _BASICSR_LICENCE, _ESRGAN_CITATION,
               "DF2K (xinntao/ESRGAN README.md:69)", sha256_prefix="150ff491",
               note=f"{_BASICSR_DRIVE}; file id 1swaV5iBMFfg-DL6ZyiARztbhutDCWXMM "
                    f"(scripts/download_pretrained_models.py:42){_BY_HAND}",
               source=f"{_BASICSR_SRC}: scripts/download_pretrained_models.py:42, options/test/"
                      "ESRGAN/test_RRDBNet_PSNR_x4.yml:33-43"),
      # The original release: bare state_dicts with the old key names (xinntao/ESRGAN test.py:14-15,
      # RRDBNet_arch.py).
      _release("RRDB_ESRGAN_x4", "", "RRDB_ESRGAN_x4.pth", "rrdbnet",
               _rrdbnet(4, layout="esrgan"), "", _ESRGAN_LICENCE, _ESRGAN_CITATION,
               "DF2K + OST (as BasicSR's conversion of it is named)",
               note="Google Drive / Baidu only: xinntao/ESRGAN README.md:91 folder "
                    "https://drive.google.com/drive/u/0/folders/17VYV_SoZZesU6mbxz2dMAIccSSlqLecY "
                    "(Baidu https://pan.baidu.com/s/1-Lh6ma-wXzfH8NqeBtPaFQ); ESRGAN_x4 is the "
                    f"same model as a direct download{_BY_HAND}",
               source=f"{_ESRGAN_SRC}: README.md:91, models/README.md:5, test.py:14-15"),
      _release("RRDB_PSNR_x4", "", "RRDB_PSNR_x4.pth", "rrdbnet", _rrdbnet(4, layout="esrgan"), "",
               _ESRGAN_LICENCE, _ESRGAN_CITATION, "DF2K (xinntao/ESRGAN README.md:69)",
               note="Google Drive / Baidu only: xinntao/ESRGAN README.md:91 folder "
                    "https://drive.google.com/drive/u/0/folders/17VYV_SoZZesU6mbxz2dMAIccSSlqLecY "
                    f"(Baidu https://pan.baidu.com/s/1-Lh6ma-wXzfH8NqeBtPaFQ){_BY_HAND}",
               source=f"{_ESRGAN_SRC}: README.md:69,91, models/README.md:6, test.py:14-15"),
  ]


def _edsr_releases() -> list[Release]:
  out = []
  # EDSR-PyTorch src/model/edsr.py:5-12 (the url dict keyed r{blocks}f{features}x{scale}).
  snu = {(2, False): "edsr_baseline_x2-1bc95232.pt", (3, False): "edsr_baseline_x3-abf2a44e.pt",
         (4, False): "edsr_baseline_x4-6b446fab.pt", (2, True): "edsr_x2-0edfb8a3.pt",
         (3, True): "edsr_x3-ea3ef2c6.pt", (4, True): "edsr_x4-4f62e9ef.pt"}
  for (scale, large), filename in snu.items():
    name = f"EDSR_x{scale}" if large else f"EDSR_baseline_x{scale}"
    out.append(_release(
        name, f"{_SNU_DL}/{filename}", filename, "edsr", _edsr(scale, large, "edsr"), "",
        _EDSR_LICENCE, _EDSR_CITATION, "DIV2K (EDSR-PyTorch README, 'How to train')",
        sha256_prefix=re.search(r"-([0-9a-f]{8})\.", filename).group(1),
        note=("×3/×4 were fine-tuned from ×2 (src/demo.sh); " if scale != 2 else "")
        + "the final models are also in https://cv.snu.ac.kr/research/EDSR/model_pytorch.tar "
          "(README)",
        source=f"{_EDSR_SRC}: src/model/edsr.py:5-12; hparams src/demo.sh:"
               + ("11,14,17 (--n_resblocks 32 --n_feats 256 --res_scale 0.1)" if large
                  else "2,5,8 with src/option.py defaults (16 blocks, 64 features, res_scale 1, "
                       "rgb_range 255)")
               + "; key: src/model/__init__.py Model.load (load_url → load_state_dict)"))
  # BasicSR's conversions ("converted directly from official released models", ModelZoo.md:14).
  basicsr = {"Mx2": "3ba7b086", "Mx3": "6908f88a", "Mx4": "0c287733",
             "Lx2": "be38e77d", "Lx3": "3660f70d", "Lx4": "76ee1c8f"}
  ids = {"Mx2": "1mREMGVDymId3NzIc2u90sl_X4-pb4ZcV", "Mx3": "1EriqQqlIiRyPbrYGBbwr_FZzvb3iwqz5",
         "Mx4": "1bCK6cFYU01uJudLgUUe-jgx-tZ3ikOWn", "Lx2": "15257lZCRZ0V6F9LzTyZFYbbPrqNjKyMU",
         "Lx3": "18q_D434sLG_rAZeHGonAX8dkqjoyZ2su", "Lx4": "1GCi30YYCzgMCcgheGWGusP9aWKOAy5vl"}
  for tag, prefix in basicsr.items():
    large, scale = tag[0] == "L", int(tag[-1])
    filename = f"EDSR_{tag}_{'f256b32' if large else 'f64b16'}_DIV2K_official-{prefix}.pth"
    out.append(_release(
        f"EDSR_{tag}", "", filename, "edsr", _edsr(scale, large, "basicsr"), "params",
        "Apache-2.0 (BasicSR); converted from the official EDSR release (EDSR-PyTorch, MIT)",
        _EDSR_CITATION, "DIV2K (the file name)", sha256_prefix=prefix,
        note=f"{_BASICSR_DRIVE}; file id {ids[tag]} (scripts/download_pretrained_models.py:67-72)"
             + ("; options/test/EDSR/test_EDSR_Lx2.yml asks for params_ema, which BasicSR's "
                "loader turns into params when absent" if tag == "Lx2" else "") + _BY_HAND,
        source=f"{_BASICSR_SRC}: scripts/download_pretrained_models.py:67-72, docs/ModelZoo.md:"
               f"57-62, options/test/EDSR/test_EDSR_{tag}.yml:33-46"))
  return out


def _rcan_releases() -> list[Release]:
  out = []
  zip_note = ("no direct file: the authors publish one zip of all models, models_ECCV2018RCAN.zip "
              "(RCAN_BIX2/3/4/8.pt, RCAN_BDX3.pt), on Dropbox "
              "https://www.dropbox.com/s/qm9vc0p0w9i4s0n/models_ECCV2018RCAN.zip?dl=0, BaiduYun "
              "https://pan.baidu.com/s/1bkoJKmdOcvLhOFXHVkFlKA and Google Drive "
              "https://drive.google.com/file/d/1U0RmWkkacyw0HNC7CBts2LcX1ewAulCn (README.md:43,73)"
              + _BY_HAND)
  for scale in (2, 3, 4, 8):
    out.append(_release(
        f"RCAN_BIX{scale}", "", f"RCAN_BIX{scale}.pt", "rcan", _rcan(scale, "rcan"), "",
        _RCAN_LICENCE, _RCAN_CITATION,
        "DIV2K, 800 training images (README.md 'Prepare training data'; data_train default "
        "'DIV2K' → DIV2K RGB mean)",
        note=("×3/×4/×8 were trained from RCAN_BIX2 (README.md:55-61); " if scale != 2 else "")
        + zip_note,
        source=f"{_RCAN_SRC}: README.md:43,83-89 (--n_resgroups 10 --n_resblocks 20 --n_feats 64), "
               "RCAN_TestCode/code/option.py (reduction 16, res_scale 1, rgb_range 255), "
               "RCAN_TestCode/code/model/rcan.py:76-87 (rgb_mean)"))
  out.append(_release(
      "RCAN_BIX4_BasicSR", "", "RCAN_BIX4-official.pth", "rcan", _rcan(4, "basicsr"), "params",
      "Apache-2.0 (BasicSR); a conversion of RCAN_BIX4 (no licence stated by RCAN's authors)",
      _RCAN_CITATION, "DIV2K (as RCAN_BIX4)",
      note="no download location published: the name appears only in BasicSR options/test/RCAN/"
           "test_RCAN.yml:52 (not in docs/ModelZoo.md or scripts/download_pretrained_models.py); "
           "it may be in the Google Drive folder of docs/ModelZoo.md:5 (not verified)" + _BY_HAND,
      source=f"{_BASICSR_SRC}: options/test/RCAN/test_RCAN.yml:35-52 (default param_key 'params')"))
  return out


def _swinir_releases() -> list[Release]:
  out = []
  run = f"{_SWINIR_SRC}: main_test_swinir.py:39 (URL = releases/download/v0.0/<file name>)"
  for data, patch, readme in (("DIV2K", 48, "108-111"), ("DF2K", 64, "114-117")):
    for i, scale in enumerate((2, 3, 4, 8)):
      filename = f"001_classicalSR_{data}_s{patch}w8_SwinIR-M_x{scale}.pth"
      out.append(_release(
          f"SwinIR_classical_{data}_x{scale}", f"{_SWINIR_DL}/{filename}", filename, "swinir",
          _swinir(scale, "classical", patch), "params", _SWINIR_LICENCE, _SWINIR_CITATION,
          "DIV2K (800 training images)" if data == "DIV2K" else
          "DIV2K + Flickr2K (2650 images)",
          source=f"{run}, 128-134, 190; README.md:{int(readme.split('-')[0]) + i}, 75"))
  for i, scale in enumerate((2, 3, 4)):
    filename = f"002_lightweightSR_DIV2K_s64w8_SwinIR-S_x{scale}.pth"
    out.append(_release(
        f"SwinIR_lightweight_x{scale}", f"{_SWINIR_DL}/{filename}", filename, "swinir",
        _swinir(scale, "lightweight", 64), "params", _SWINIR_LICENCE, _SWINIR_CITATION,
        "DIV2K (800 training images)",
        source=f"{run}, 136-142, 190; README.md:{121 + i}, 75"))
  real_m = ("DIV2K + Flickr2K + OST, with the BSRGAN degradation model (README.md:76)")
  out.append(_release(
      "SwinIR_real_M_x4_GAN", f"{_SWINIR_DL}/003_realSR_BSRGAN_DFO_s64w8_SwinIR-M_x4_GAN.pth",
      "003_realSR_BSRGAN_DFO_s64w8_SwinIR-M_x4_GAN.pth", "swinir", _swinir(4, "real", 64),
      "params_ema", _SWINIR_LICENCE, _SWINIR_CITATION, real_m,
      source=f"{_SWINIR_SRC}: download-weights.sh:3, README.md:128, main_test_swinir.py:144-157, "
             "190"))
  out.append(_release(
      "SwinIR_real_M_x4_PSNR", f"{_SWINIR_DL}/003_realSR_BSRGAN_DFO_s64w8_SwinIR-M_x4_PSNR.pth",
      "003_realSR_BSRGAN_DFO_s64w8_SwinIR-M_x4_PSNR.pth", "swinir", _swinir(4, "real", 64),
      "params_ema", _SWINIR_LICENCE, _SWINIR_CITATION, real_m,
      note="PSNR-oriented; listed by KAIR (co-author K. Zhang's repository, where SwinIR's "
           "training code lives), not by SwinIR's README; hyper-parameters and key assumed as "
           "for SwinIR_real_M_x4_GAN (main_test_swinir.py real_sr)",
      source=f"{_KAIR_SRC}: main_download_pretrained_models.py:57-58, 96; "
             f"{_SWINIR_SRC}: main_test_swinir.py:146-150"))
  out.append(_release(
      "SwinIR_real_L_x4_GAN", f"{_SWINIR_DL}/003_realSR_BSRGAN_DFOWMFC_s64w8_SwinIR-L_x4_GAN.pth",
      "003_realSR_BSRGAN_DFOWMFC_s64w8_SwinIR-L_x4_GAN.pth", "swinir",
      _swinir(4, "real_large", 64), "params_ema", _SWINIR_LICENCE, _SWINIR_CITATION,
      "DIV2K + Flickr2K + OST + WED + FFHQ (first 2000) + Manga109 + SCUT-CTW1500 (first 100 "
      "training images), with the BSRGAN degradation model (README.md:76)",
      source=f"{run}, 151-157, 190; README.md:131"))
  return out


def _msrresnet_releases() -> list[Release]:
  return [
      _release("MSRResNet_x4", "", "net_g_1000000.pth", "msrresnet", _msrresnet("basicsr"),
               "params", _BASICSR_LICENCE, _MSRRESNET_CITATION,
               "DIV2K (800 training images, bicubic ×4; options/train/SRResNet_SRGAN/"
               "train_MSRResNet_x4.yml:18-21)",
               note="BasicSR's reproduced model 001_MSRResNet_x4_f64b16_DIV2K_1000k_B16G1_wandb "
                    "(docs/ModelZoo.md:70): Google Drive only, folder 'Reproduced Experiments' "
                    "https://drive.google.com/drive/folders/1XN4WXKJ53KQ0Cu0Yv-uCt8DZWq6uufaP "
                    "(百度网盘 https://pan.baidu.com/s/1UElD6q8sVAgn_cxeBDOlvQ), file "
                    "001_MSRResNet_x4_f64b16_DIV2K_1000k_B16G1_wandb/models/net_g_1000000.pth; "
                    "BasicSR publishes no 'official' MSRResNet" + _BY_HAND,
               source=f"{_BASICSR_SRC}: docs/ModelZoo.md:5,28,70, options/test/SRResNet_SRGAN/"
                      "test_MSRResNet_x4.yml:38-50"),
      _release("MSRResNet_x4_KAIR", f"{_KAIR_DL}/msrresnet_x4_psnr.pth", "msrresnet_x4_psnr.pth",
               "msrresnet", _msrresnet("kair"), "", _KAIR_LICENCE,
               "K. Zhang, KAIR (https://github.com/cszn/KAIR); MSRResNet as in BasicSR "
               "(SRResNet of C. Ledig et al., CVPR 2017, without BatchNorm)",
               "not stated",
               note="KAIR's own PSNR-oriented MSRResNet ×4 (not BasicSR's); keys conv_first, "
                    "recon_trunk.N.conv1/2, upconv1/2, HRconv, conv_last",
               source=f"{_KAIR_SRC}: main_download_pretrained_models.py:64 (URL = releases/"
                      "download/v1.0/<name>), 110; main_test_msrresnet.py:110-111 (MSRResNet1 "
                      "nc=64 nb=16 upscale=4, load_state_dict(torch.load(path)))"),
  ]


RELEASES: dict[str, Release] = {r.name: r for r in (
    *_real_esrgan(), *_esrgan(), *_edsr_releases(), *_rcan_releases(), *_swinir_releases(),
    *_msrresnet_releases())}

DENOISE: dict[str, DenoisePair] = {
    "realesr-general-x4v3": DenoisePair(
        "realesr-general-x4v3", strong="realesr-general-x4v3", weak="realesr-general-wdn-x4v3",
        default_strength=0.5, key="params",
        source=f"{_REALESRGAN_SRC}: inference_realesrgan.py:25-31 (-dn, default 0.5), 82-85, "
               "99-104; realesrgan/utils.py:77-86"),
}


def get(name: str) -> Release:
  """The release called `name`; a KeyError lists the known names."""
  try:
    return RELEASES[name]
  except KeyError:
    raise KeyError(f"no pretrained release {name!r}; known: {', '.join(RELEASES)}") from None
