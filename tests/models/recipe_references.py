"""What each recipe's named source pins, in sr_jax's config keys; test_recipe_references.py
checks every recipe against it, key by key. Data only: no tests here.

REFERENCES holds one entry per (recipe, preset) whose docstring names a source:
(recipe, preset, source, {config key: value}). `source` is the file the values were typed
from (repository@commit path, or a paper as collected in /work/shared/docs/published-numbers.md
under its source key); the comment on each row gives the line (or argument) it comes from.
A value that comes from another file is wrapped in Cite(value, that file). Keys are those of
sr_jax/config.py default_config(), or model fields a recipe sets: `model.img_range` (the network's
pixel scale: 255 where the source multiplies inputs by 255, 1 where it works on [0, 1]) is a field
of the EDSR, RCAN, RDN and SwinIR models, set by their recipes; a model without it works on
[0, 1], so its absence reads as IMPLICIT's 1.0.

Conventions:
- iterations and milestones are absolute optimizer steps; "epochs" are converted with the
  source's own epoch length (quoted in the comments); batch sizes are global (per-GPU × GPUs);
  patches are HR (BasicSR's gt_size).
- a source that is silent on a key leaves it out (PyTorch's and optax's defaults are not quoted
  as the source's); EMA is 0 where the source has none.
- where two sources disagree, the value is the one the recipe's docstring names, and a comment
  gives the other.
- things the config cannot express are not keys here; NOT_EXPRESSIBLE (end of this file) lists
  them per source: net_d_iters, perceptual use_input_norm/range_norm, per-layer learning rates,
  element-wise gradient clipping, ...

Special values (test_recipe_references.py compares them):
- Cite(value, source): value from another file than the entry's.
- TrainSets(*names): the training images, as catalog sets (a union such as DF2K counts as its
  parts: sr_jax.data.root.expand), read from folders (data.source == 'folder').
- Augment(hflip, rot): BasicSR's use_hflip / use_rot (rot = vertical flip + transpose, i.e. the
  90° rotations). sr_jax's data.augment=True is both, False neither.
- PretrainedFrom(what, marker): the source initialises the network from `what` (its
  pretrain_network_g / pre_train / preTrained). A recipe cannot name another run's workdir, so it
  matches when config.init_from is set, or when the recipe's module docstring contains `marker`
  (the instruction to pass --config.init_from for this preset). init_from '' means the source
  trains from scratch.
"""
import dataclasses
from typing import Any


@dataclasses.dataclass(frozen=True)
class Cite:
  value: Any
  source: str


@dataclasses.dataclass(frozen=True)
class TrainSets:
  names: tuple[str, ...]

  def __init__(self, *names):
    object.__setattr__(self, "names", tuple(names))


@dataclasses.dataclass(frozen=True)
class Augment:
  hflip: bool
  rot: bool


@dataclasses.dataclass(frozen=True)
class PretrainedFrom:
  what: str
  marker: str
  release: str = ""  # the sr_jax.pretrained_catalog name of `what`: the recipe must name it


# Keys only some models' configs have, and the value their absence stands for.
IMPLICIT = {"model.img_range": 1.0}

BASICSR = "XPixelGroup/BasicSR@8d56e3a045f9fb3e1d8872f92ee4a4f07f886b0a"
REALESRGAN = "xinntao/Real-ESRGAN@a4abfb2979a7bbff3f69f58f58ae324608821e27"
EDSR_PT = "sanghyun-son/EDSR-PyTorch"  # files read at the commits given per file
RCAN = "yulunzhang/RCAN@f722e5d0e1eff45148bfaefd9bc85c6f0f26ce02"
RDN = "yulunzhang/RDN@83b0a4336d7394bce8b4a4201806a2dcbfe29ec6"
KAIR = "cszn/KAIR@fc1732f4a4514e42ce15e5b3a1e18c828af47a1e"
LAPSRN = "phoenix104104/LapSRN@95154bba82a3aab9bdaec8e0eedd4187babc5ed2"
ESRGAN = "xinntao/ESRGAN@73e9b634cf987f5996ac2dd33f4050922398a921"
PROSR = "fperazzi/proSR@2203fb7edf8aa183a8caee5a914770d7bc979bb6"
NUMBERS = "/work/shared/docs/published-numbers.md"

_SCALE = {"x2": 2, "x3": 3, "x4": 4, "x8": 8}

# --------------------------------------------------------------------------------------------
# EDSR: sanghyun-son/EDSR-PyTorch, the paper's official code (the recipe cites the paper; the
# code's defaults are the paper's, §4.2 as collected under EDSR-P).
#   src/option.py @ 72a506aef78834b59de4f0be69289e199310a861 (arguments named per row)
#   src/utility.py @ 72a506ae...: make_optimizer — Adam(betas, eps), MultiStepLR(milestones =
#     --decay split on '-', gamma), stepped once per epoch
#   src/data/srdata.py @ 9a9d7d74a5a7e010e34bc9784f0e83d6055d85e7: repeat = batch_size *
#     test_every // n_images → one epoch = test_every = 1000 batches; get_patch: augment unless
#     --no_augment
#   src/data/common.py @ 27bf944493eac343facb96109bbd93c67f2c8aae augment(): hflip, vflip, rot90
#   src/demo.sh @ 27bf9444...: per-scale commands (patch size, --pre_train)
EDSR_OPTION = f"{EDSR_PT}@72a506aef78834b59de4f0be69289e199310a861 src/option.py"
EDSR_DEMO = f"{EDSR_PT}@27bf944493eac343facb96109bbd93c67f2c8aae src/demo.sh"


def _edsr(preset):
  scale = _SCALE[preset[:2]]
  large = preset.endswith("_large")
  keys = {
      "scale": scale,
      "channels": 3,  # --n_colors 3
      "model.name": "edsr",
      "model.num_blocks": 32 if large else 16,  # --n_resblocks 16; demo.sh "EDSR in the paper": 32
      "model.features": 256 if large else 64,  # --n_feats 64; demo.sh: --n_feats 256
      "model.res_scale": 0.1 if large else 1.0,  # --res_scale 1; demo.sh: --res_scale 0.1
      "model.img_range": 255.0,  # --rgb_range 255
      "data.source": "folder",
      "data.dirs": TrainSets("DIV2K"),  # --data_train DIV2K, --data_range 1-800/...
      "data.augment": Augment(hflip=True, rot=True),  # srdata.get_patch; common.augment
      # --patch_size (output size): demo.sh gives 96 (×2 baseline), 144 (×3), default 192 (×4).
      # The paper (and the recipe docstring) use 48×48 LR patches at every scale; demo.sh's
      # EDSR-large commands leave --patch_size at 192 for ×2 and ×3 as well.
      "data.hr_patch": 48 * scale,
      "train.batch_size": 16,  # --batch_size 16
      # --epochs 300 × --test_every 1000 batches. (The paper's benchmark models: 10⁶ updates,
      # published-numbers.md EDSR-P; the recipe docstring takes the 300k ablation length.)
      "train.num_steps": 300_000,
      "train.loss": "l1",  # --loss 1*L1
      "losses.pixel": 1.0,  # --loss 1*L1
      "train.ema_decay": 0.0,  # no weight averaging in EDSR-PyTorch
      "optim.name": "adam",  # --optimizer ADAM
      "optim.learning_rate": 1e-4,  # --lr 1e-4
      "optim.b1": 0.9,  # --betas (0.9, 0.999)
      "optim.b2": 0.999,  # --betas (0.9, 0.999)
      "optim.eps": 1e-8 / 255,  # --epsilon 1e-8 on a loss over 0-255: 1e-8/255 on [0, 1]
      "optim.weight_decay": 0.0,  # --weight_decay 0
      "optim.clip_norm": 0.0,  # --gclip 0 (no clipping)
      "optim.schedule": "multistep",  # utility.make_optimizer: lrs.MultiStepLR
      "optim.milestones": (200_000,),  # --decay '200' (epochs of 1000 batches)
      "optim.gamma": 0.5,  # --gamma 0.5
      "optim.warmup_steps": 0,
  }
  if scale == 2:
    keys["init_from"] = ""  # demo.sh: ×2 trains from scratch
  else:
    # demo.sh: "EDSR baseline model (x3/x4) - from EDSR baseline model (x2)" --pre_train
    # EDSR_baseline_x2.pt; "EDSR in the paper (x3/x4) - from EDSR (x2)" --pre_train
    # EDSR_x2/model/model_best.pt. (Paper §4.5 likewise, published-numbers.md EDSR-P.)
    keys["init_from"] = Cite(PretrainedFrom("the ×2 EDSR of the same size", "--config.init_from"),
                             EDSR_DEMO)
  return ("edsr", preset, EDSR_OPTION, keys)


# --------------------------------------------------------------------------------------------
# RCAN: yulunzhang/RCAN RCAN_TrainCode/code/option.py (line numbers), TrainRCAN_scripts.sh
# (per-scale commands), utility.py make_scheduler (StepLR(step_size=lr_decay, gamma), stepped per
# epoch), data/div2k.py:15 repeat = test_every // (n_train // batch_size) = 1000 // 50 = 20 →
# one epoch = 800·20/16 = 1000 batches; data/srdata.py:128 common.augment (hflip, vflip, rot90).
RCAN_OPTION = f"{RCAN} RCAN_TrainCode/code/option.py"
RCAN_SCRIPTS = f"{RCAN} RCAN_TrainCode/code/TrainRCAN_scripts.sh"


def _rcan(preset):
  scale = _SCALE[preset]
  keys = {
      "scale": scale,
      "channels": 3,  # :46 --n_colors 3
      "model.name": "rcan",
      "model.num_groups": 10,  # :139 --n_resgroups 10; scripts: --n_resgroups 10
      "model.num_blocks": 20,  # :63 --n_resblocks 20; scripts: --n_resblocks 20
      "model.features": 64,  # :65 --n_feats 64; scripts: --n_feats 64
      "model.reduction": 16,  # :141 --reduction 16
      "model.img_range": 255.0,  # :44 --rgb_range 255
      "data.source": "folder",
      "data.dirs": TrainSets("DIV2K"),  # :26 --data_train DIV2K, :32 --n_train 800
      "data.augment": Augment(hflip=True, rot=True),  # srdata.py:128, common.py:69 augment
      "data.hr_patch": 48 * scale,  # scripts: --patch_size 96 / 144 / 192 ("input=48x48")
      "train.batch_size": 16,  # :82 --batch_size 16
      "train.num_steps": 1_000_000,  # :80 --epochs 1000 × 1000 batches
      "train.loss": "l1",  # :117 --loss 1*L1
      "losses.pixel": 1.0,
      "train.ema_decay": 0.0,  # no weight averaging in RCAN_TrainCode
      "optim.name": "adam",  # :102 --optimizer ADAM
      "optim.learning_rate": 1e-4,  # :94 --lr 1e-4
      "optim.b1": 0.9,  # :107 --beta1 0.9
      "optim.b2": 0.999,  # :109 --beta2 0.999
      "optim.eps": 1e-8 / 255,  # :111 --epsilon 1e-8 on a loss over 0-255 (as EDSR's)
      "optim.weight_decay": 0.0,  # :113 --weight_decay 0
      # :96 --lr_decay 200 (epochs), :98 --decay_type step → StepLR every 200 epochs
      "optim.schedule": "multistep",
      "optim.milestones": (200_000, 400_000, 600_000, 800_000),
      "optim.gamma": 0.5,  # :100 --gamma 0.5
      "optim.warmup_steps": 0,
  }
  if scale == 2:
    keys["init_from"] = ""  # scripts:7, no --pre_train
  else:  # scripts:11,15 --pre_train ../experiment/model/RCAN_BIX2.pt
    keys["init_from"] = Cite(PretrainedFrom("RCAN_BIX2.pt (the ×2 RCAN)", "--config.init_from"),
                             RCAN_SCRIPTS)
  return ("rcan", preset, RCAN_OPTION, keys)


# --------------------------------------------------------------------------------------------
# RDN: yulunzhang/RDN RDN_TrainCode/code/opts.lua (line numbers), TrainRDN_scripts.sh, README.md.
# train.lua: an epoch stops at iter % testEvery == 0 (:130), testEvery = 1e3 (opts.lua:60);
# calcLR (:276-291) 'step': lr = lr0 / 2^floor((iter-1)/halfLife).
RDN_OPTS = f"{RDN} RDN_TrainCode/code/opts.lua"
RDN_SCRIPTS = f"{RDN} RDN_TrainCode/code/TrainRDN_scripts.sh"


def _rdn(preset):
  scale = _SCALE[preset]
  keys = {
      "scale": scale,
      "channels": 3,  # :85 -nChannel 3
      "model.name": "rdn",
      "model.num_blocks": 16,  # :103 -nDenseBlock 16; scripts: -nDenseBlock 16
      "model.num_layers": 8,  # :102 -nDenseConv 8; scripts: -nDenseConv 8
      "model.growth": 64,  # :104 -growthRate 64; scripts: -growthRate 64
      "model.features": 64,  # :86 -nFeat 64; scripts: -nFeat 64 -nFeaSDB 64
      "model.img_range": 255.0,  # :42 -mulImg 255 (inputs and targets × 255)
      "model.mean_shift": True,  # :41 -subMean true (data pre-processing: subtract mean)
      "data.source": "folder",
      "data.dirs": TrainSets("DIV2K"),  # :21 -dataset div2k, :32 -nTrain_DIV2K 800
      # :22 -augRF true → data/div2k.lua:156-159 one of 8 flips/rotations (:254 dataAugmentation)
      "data.augment": Augment(hflip=True, rot=True),
      # scripts -patchSize (the HR patch): :7 96 (×2, "input=48x48"), :11 96 (×3, 32×32),
      # :15 128 (×4, 32×32). README.md:76 "Only RDN_BIX2.t7 was trained using 48x48 input
      # patches".
      "data.hr_patch": {2: 96, 3: 96, 4: 128}[scale],
      "train.batch_size": 16,  # :52 -batchSize 16 (split into -splitBatch 4 sub-batches)
      "train.num_steps": 1_000_000,  # :48 -nEpochs 1000 (scripts:15 -nEpochs 1000) × 1000
      "train.loss": "l1",  # :110 -abs 1 (L1), :111-113 smoothL1/mse/grad 0
      "losses.pixel": 1.0,
      "train.ema_decay": 0.0,  # no weight averaging in RDN_TrainCode
      "optim.name": "adam",  # :69 -optimMethod ADAM
      "optim.learning_rate": 1e-4,  # :70 -lr 1e-4
      "optim.b1": 0.9,  # :72 -beta1 0.9
      "optim.b2": 0.999,  # :73 -beta2 0.999
      "optim.eps": 1e-8 / 255,  # :74 -epsilon 1e-8 on a loss over 0-255 (as EDSR's)
      "optim.clip_norm": 0.0,  # :62 -clip -1 (none)
      # :50 -lrDecay step, :51 -halfLife 200e3 iterations → halved every 200k
      "optim.schedule": "multistep",
      "optim.milestones": (200_000, 400_000, 600_000, 800_000),
      "optim.gamma": 0.5,
      "optim.warmup_steps": 0,
  }
  if scale == 2:
    keys["init_from"] = ""  # scripts:7, no -preTrained (opts.lua:77 default '.')
  else:  # scripts:11,15 -preTrained ../experiment/model/RDN_BIX2.t7
    keys["init_from"] = Cite(PretrainedFrom("RDN_BIX2.t7 (the ×2 RDN)",
                                            "--config.init_from=<×2 workdir>"), RDN_SCRIPTS)
  return ("rdn", preset, RDN_OPTS, keys)


# --------------------------------------------------------------------------------------------
# SwinIR classical SR: cszn/KAIR options/swinir/train_swinir_sr_classical.json (the official
# training code; line numbers). The json is the ×2 run (:7 "scale": 2); its comments give the
# other scales' H_size (:23 "96/144|192/384") and say the ×3/×4/×8 models were fine-tuned from
# ×2 with lr and milestones halved (:12; docs/README_SwinIR.md:70 "This way has similar
# performance as training from scratch"). The recipe trains every scale from scratch with the
# ×2 settings, as BasicSR's train_SwinIR_SRx{2,4}_scratch.yml do: these entries are that run.
SWINIR_JSON = f"{KAIR} options/swinir/train_swinir_sr_classical.json"


def _swinir(preset):
  scale = _SCALE[preset]
  scratch = 4 if scale == 4 else 2  # BasicSR has from-scratch files for ×2 and ×4
  scratch_yml = f"{BASICSR} options/train/SwinIR/train_SwinIR_SRx{scratch}_scratch.yml"
  keys = {
      "scale": scale,
      "channels": 3,  # :8 "n_channels": 3; :41 "in_chans": 3
      "model.name": "swinir",
      "model.window_size": 8,  # :43
      "model.img_range": 1.0,  # :44
      "model.depths": (6, 6, 6, 6, 6, 6),  # :45
      "model.embed_dim": 180,  # :46
      "model.num_heads": (6, 6, 6, 6, 6, 6),  # :47
      "model.mlp_ratio": 2.0,  # :48 (upsampler pixelshuffle :49, resi_connection 1conv :50)
      "data.source": "folder",
      "data.dirs": TrainSets("DIV2K"),  # :20 "DIV2K (800 training images)"
      "data.augment": Cite(Augment(hflip=True, rot=True),
                           f"{KAIR} data/dataset_sr.py:91-92 (mode = random.randint(0, 7))"),
      "data.hr_patch": {2: 96, 3: 144, 4: 192, 8: 384}[scale],  # :23 "H_size": 96 // 96/144|192/384
      "train.batch_size": 32,  # :27 "dataloader_batch_size": 32 "Total batch size =4x8=32"
      # KAIR's loop has no end (main_train_psnr.py:165 "keep running"); the json's last milestone
      # is 500000 (:68). BasicSR's from-scratch option files stop at total_iter 500000.
      "train.num_steps": Cite(500_000, f"{scratch_yml}:73"),
      "train.loss": "l1",  # :56 "G_lossfn_type": "l1"
      "losses.pixel": 1.0,  # :57 "G_lossfn_weight": 1.0
      "train.ema_decay": 0.999,  # :59 "E_decay": 0.999
      "optim.name": "adam",  # :61
      "optim.learning_rate": 2e-4,  # :62
      # Not in the json: utils/utils_option.py:126-127 sets G_optimizer_betas = [0.9, 0.999].
      # BasicSR's train_SwinIR_SRx{2,4}_scratch.yml:66 use betas [0.9, 0.99]; the recipe's
      # docstring names KAIR.
      "optim.b1": Cite(0.9, f"{KAIR} utils/utils_option.py:126-127"),
      "optim.b2": Cite(0.999, f"{KAIR} utils/utils_option.py:126-127"),
      "optim.weight_decay": 0.0,  # :63 "G_optimizer_wd": 0
      "optim.clip_norm": 0.0,  # :64 "G_optimizer_clipgrad": null
      "optim.schedule": "multistep",  # :67 "MultiStepLR"
      # :68; the 500000 milestone is the end of the run and changes nothing within it
      "optim.milestones": (250_000, 400_000, 450_000, 475_000, 500_000),
      "optim.gamma": 0.5,  # :69
      "optim.warmup_steps": 0,
      "init_from": "",  # :12 "pretrained_netG": null (the from-scratch run)
  }
  return ("swinir", preset, SWINIR_JSON, keys)


# --------------------------------------------------------------------------------------------
# RRDBNet PSNR-oriented (ESRGAN stage 1): BasicSR options/train/ESRGAN/train_RRDBNet_PSNR_x4.yml
# (line numbers). configs/esrgan_psnr.py:default is configs/rrdbnet.py:x4.
RRDB_PSNR_YML = f"{BASICSR} options/train/ESRGAN/train_RRDBNet_PSNR_x4.yml"


def _rrdb_psnr(recipe, preset):
  keys = {
      "scale": 4,  # :4
      "channels": 3,  # :45 num_in_ch: 3
      "model.name": "rrdbnet",  # :44
      "model.features": 64,  # :47 num_feat: 64
      "model.num_blocks": 23,  # :48 num_block: 23
      "model.growth": 32,  # :49 num_grow_ch: 32
      "model.res_scale": Cite(0.2, f"{BASICSR} basicsr/archs/rrdbnet_arch.py:39,63"),
      "data.source": "folder",
      # The option file trains on DIV2K (:11-13, DIV2K_train_HR_sub); the recipe's docstring
      # follows the released RRDB_PSNR model, "trained with DF2K dataset".
      "data.dirs": Cite(TrainSets("DIV2K", "Flickr2K"), f"{ESRGAN} README.md:69"),
      "data.augment": Augment(hflip=True, rot=True),  # :25 use_hflip: true, :26 use_rot: true
      "data.hr_patch": 128,  # :24 gt_size: 128
      "train.batch_size": 16,  # :30 batch_size_per_gpu: 16, :5 num_gpu: 1
      "train.num_steps": 1_000_000,  # :72 total_iter: 1000000
      "train.loss": "l1",  # :77 L1Loss
      "losses.pixel": 1.0,  # :78 loss_weight: 1.0
      "train.ema_decay": 0.999,  # :59 ema_decay: 0.999
      "optim.name": "adam",  # :61
      "optim.learning_rate": 2e-4,  # :62
      "optim.weight_decay": 0.0,  # :63
      "optim.b1": 0.9,  # :64 betas: [0.9, 0.99]
      "optim.b2": 0.99,  # :64 betas: [0.9, 0.99]
      "optim.schedule": "cosine_restarts",  # :67 CosineAnnealingRestartLR (:69 restart_weights 1)
      "optim.restart_periods": (250_000, 250_000, 250_000, 250_000),  # :68
      "optim.min_learning_rate": 1e-7,  # :70 eta_min: !!float 1e-7
      "optim.warmup_steps": 0,  # :73 warmup_iter: -1
      "init_from": "",  # :53 pretrain_network_g: ~
  }
  return (recipe, preset, RRDB_PSNR_YML, keys)


# --------------------------------------------------------------------------------------------
# ESRGAN stage 2: BasicSR options/train/ESRGAN/train_ESRGAN_x4.yml (line numbers).
ESRGAN_YML = f"{BASICSR} options/train/ESRGAN/train_ESRGAN_x4.yml"


def _gan_optim(prefix, lr, b2, schedule, milestones=None, gamma=None):
  keys = {f"{prefix}.name": "adam", f"{prefix}.learning_rate": lr, f"{prefix}.weight_decay": 0.0,
          f"{prefix}.b1": 0.9, f"{prefix}.b2": b2, f"{prefix}.schedule": schedule,
          f"{prefix}.warmup_steps": 0}
  if milestones is not None:
    keys[f"{prefix}.milestones"] = milestones
    keys[f"{prefix}.gamma"] = gamma
  return keys


def _esrgan():
  keys = {
      "scale": 4,  # :4
      "channels": 3,  # :45
      "model.name": "rrdbnet",  # :44
      "model.features": 64,  # :47
      "model.num_blocks": 23,  # :48 (num_grow_ch: the arch's default 32)
      "data.source": "folder",
      # BasicSR's :11-13 DIV2K_train_HR_sub; the recipe's docstring names the released model's
      # data instead: DIV2K + Flickr2K + OST (published-numbers.md RRDBNet row, ESRGAN-RM).
      "data.dirs": Cite(TrainSets("DIV2K", "Flickr2K", "OST"),
                        f"{NUMBERS} §3 RRDBNet row (ESRGAN GAN model: DIV2K+Flickr2K+OST)"),
      "data.augment": Augment(hflip=True, rot=True),  # :25-26
      "data.hr_patch": 128,  # :24 gt_size: 128
      "train.batch_size": 16,  # :30, :5 num_gpu: 1
      "train.num_steps": 400_000,  # :80 total_iter: 400000
      "train.ema_decay": 0.999,  # :63
      # :65-68 optim_g, :70-73 optim_d: Adam lr 1e-4, weight_decay 0, betas [0.9, 0.99];
      # :76-78 one MultiStepLR for both. (ESRGAN paper: Adam β2 0.999, published-numbers.md
      # ESRGAN-P; the recipe's numbers otherwise follow this file.)
      **_gan_optim("optim", 1e-4, 0.99, "multistep", (50_000, 100_000, 200_000, 300_000), 0.5),
      **_gan_optim("gan.optim", 1e-4, 0.99, "multistep", (50_000, 100_000, 200_000, 300_000), 0.5),
      "train.loss": "l1",  # :85 L1Loss
      "losses.pixel": 1e-2,  # :86 loss_weight: !!float 1e-2
      "losses.perceptual": 1.0,  # :95 perceptual_weight: 1.0
      "losses.perceptual_layers": {"conv5_4": 1.0},  # :90-91 'conv5_4': 1  # before relu
      "losses.perceptual_criterion": "l1",  # :97 criterion: l1
      "losses.style": 0.0,  # :96 style_weight: 0
      "gan.discriminator": "vgg128",  # :51 VGGStyleDiscriminator (input_size default 128)
      "gan.num_feat": 64,  # :53
      # :100 gan_type: vanilla under :3 model_type: ESRGANModel, whose losses are relativistic
      # (basicsr/models/esrgan_model.py:40-42, :67, :71) = sr_jax's 'ragan'
      "gan.loss": Cite("ragan", f"{BASICSR} basicsr/models/esrgan_model.py:40-42,67,71"),
      "gan.weight": 5e-3,  # :103 loss_weight: !!float 5e-3
      # :57 pretrain_network_g: experiments/051_RRDBNet_PSNR_x4_.../net_g_1000000.pth
      "init_from": PretrainedFrom("051_RRDBNet_PSNR_x4 net_g_1000000.pth (stage 1)",
                                  "--config.init_from=STAGE1_WORKDIR"),
  }
  return ("esrgan", "default", ESRGAN_YML, keys)


# --------------------------------------------------------------------------------------------
# MSRResNet: BasicSR options/train/SRResNet_SRGAN/train_MSRResNet_x{2,3,4}.yml (line numbers of
# the ×4 file; ×2/×3 files in brackets).


def _msrresnet(preset):
  scale = _SCALE[preset]
  yml = f"{BASICSR} options/train/SRResNet_SRGAN/train_MSRResNet_x{scale}.yml"
  keys = {
      "scale": scale,
      "channels": 3,  # :61 [:48]
      "model.name": "msrresnet",  # :60 [:47]
      "model.features": 64,  # :63 [:50]
      "model.num_blocks": 16,  # :64 [:51]
      "data.source": "folder",
      "data.dirs": TrainSets("DIV2K"),  # :18-22 (meta_info_DIV2K800sub_GT) [:14-16]
      "data.augment": Augment(hflip=True, rot=True),  # :33-34 [:28-29]
      "data.hr_patch": {2: 64, 3: 96, 4: 128}[scale],  # :32 gt_size: 128 [:27 64 / 96]
      "train.batch_size": 16,  # :38 [:33], num_gpu: 1
      "train.num_steps": 1_000_000,  # :89 [:75]
      "train.loss": "l1",  # :94 [:80]
      "losses.pixel": 1.0,  # :95 [:81]
      "train.ema_decay": 0.999,  # :76 [:62]
      "optim.name": "adam",  # :78 [:64]
      "optim.learning_rate": 2e-4,  # :79 [:65]
      "optim.weight_decay": 0.0,  # :80 [:66]
      "optim.b1": 0.9,  # :81 [:67]
      "optim.b2": 0.99,  # :81 [:67]
      "optim.schedule": "cosine_restarts",  # :84 [:70]
      "optim.restart_periods": (250_000, 250_000, 250_000, 250_000),  # :85 [:71]
      "optim.min_learning_rate": 1e-7,  # :87 [:73]
      "optim.warmup_steps": 0,  # :90 [:76]
  }
  if scale == 4:
    keys["init_from"] = ""  # :69 pretrain_network_g: ~
  else:  # [:56] pretrain_network_g: experiments/001_MSRResNet_x4_.../net_g_1000000.pth,
    # [:57] strict_load_g: false (the ×4 body, a new upsampler)
    keys["init_from"] = PretrainedFrom("001_MSRResNet_x4 net_g_1000000.pth (the ×4 MSRResNet)",
                                       "--config.init_from")
  return ("msrresnet", preset, yml, keys)


# --------------------------------------------------------------------------------------------
# Real-ESRNet / Real-ESRGAN ×4: xinntao/Real-ESRGAN options/train_realesrnet_x4plus.yml ('net')
# and options/train_realesrgan_x4plus.yml (default); line numbers of the file named per entry.


def _realesrgan_degradation():
  # Line numbers of the net file (:12-28, :44-57); the GAN file's are 3 more (:15-31, :47-60).
  return {
      "data.degradation": "realesrgan",
      "degradation.first.kernel_prob": (0.45, 0.25, 0.12, 0.03, 0.12, 0.03),  # :45 kernel_prob
      "degradation.first.sinc_prob": 0.1,  # :46 sinc_prob
      "degradation.first.blur_sigma": (0.2, 3.0),  # :47
      "degradation.first.betag_range": (0.5, 4.0),  # :48
      "degradation.first.betap_range": (1.0, 2.0),  # :49
      "degradation.first.resize_prob": (0.2, 0.7, 0.1),  # :12 (up, down, keep)
      "degradation.first.resize_range": (0.15, 1.5),  # :13
      "degradation.first.gaussian_noise_prob": 0.5,  # :14
      "degradation.first.noise_range": (1.0, 30.0),  # :15
      "degradation.first.poisson_scale_range": (0.05, 3.0),  # :16
      "degradation.first.gray_noise_prob": 0.4,  # :17
      "degradation.first.jpeg_range": (30, 95),  # :18
      "degradation.second.blur_prob": 0.8,  # :21 second_blur_prob
      "degradation.second.kernel_prob": (0.45, 0.25, 0.12, 0.03, 0.12, 0.03),  # :53
      "degradation.second.sinc_prob": 0.1,  # :54 sinc_prob2
      "degradation.second.blur_sigma": (0.2, 1.5),  # :55
      "degradation.second.betag_range": (0.5, 4.0),  # :56
      "degradation.second.betap_range": (1.0, 2.0),  # :57
      "degradation.second.resize_prob": (0.3, 0.4, 0.3),  # :22
      "degradation.second.resize_range": (0.3, 1.2),  # :23
      "degradation.second.gaussian_noise_prob": 0.5,  # :24
      "degradation.second.noise_range": (1.0, 25.0),  # :25
      "degradation.second.poisson_scale_range": (0.05, 2.5),  # :26
      "degradation.second.gray_noise_prob": 0.4,  # :27
      "degradation.second.jpeg_range": (30, 95),  # :28
      "degradation.final_sinc_prob": 0.8,  # net :59, GAN :62
      # queue_size: 180 (net :31, GAN :34) per process, × 4 GPUs (:5 "official: 4 GPUs");
      # sr_jax's pool is global
      "degradation.pool_size": 720,
  }


def _realesrgan(preset):
  net = preset == "net"
  yml = f"{REALESRGAN} options/train_{'realesrnet' if net else 'realesrgan'}_x4plus.yml"
  keys = {
      "scale": 4,  # :4
      "channels": 3,  # net :84, GAN :87 num_in_ch: 3
      "model.name": "rrdbnet",  # net :83
      "model.features": 64,  # net :86
      "model.num_blocks": 23,  # net :87
      "model.growth": 32,  # net :88
      "data.source": "folder",
      # net :36 name: DF2K+OST, :39 meta_info_DF2Kmultiscale+OST_sub.txt (GAN :39, :42)
      "data.dirs": TrainSets("DIV2K", "Flickr2K", "OST"),
      # net :62-63 (GAN :65-66) use_hflip: True, use_rot: False
      "data.augment": Augment(hflip=True, rot=False),
      "data.hr_patch": 256,  # net :30, :61 gt_size: 256 (GAN :33, :64)
      "train.batch_size": 48,  # net :68 (GAN :71) batch_size_per_gpu: 12 × 4 GPUs (:5)
      **_realesrgan_degradation(),
      # net :9 gt_usm: True; GAN :10-12 l1_gt_usm/percep_gt_usm True, gan_gt_usm False
      "degradation.usm_target": True,
      # :111-126 crop_pad_size = 400 (the dataset's own constant, not an option): each GT is
      # reflect-101 padded / randomly cropped to 400 × 400 and degraded whole
      "degradation.crop_pad_size": Cite(400,
                                        f"{REALESRGAN} realesrgan/data/realesrgan_dataset.py:114"),
      # :25 self.jpeger = DiffJPEG(differentiable=False), used at :109 and :154/:159 (net: :111,
      # :156/:161); the same line in both models
      "degradation.jpeg": Cite("diffjpeg", f"{REALESRGAN} realesrgan/models/"
                               f"{'realesrnet' if net else 'realesrgan'}_model.py:25"),
      "train.ema_decay": 0.999,  # net :99, GAN :109
      "train.loss": "l1",  # net :116, GAN :131
      "losses.pixel": 1.0,  # net :117, GAN :132
  }
  if net:
    keys.update({
        "train.num_steps": 1_000_000,  # :111 total_iter: 1000000
        # :100-104 Adam lr 2e-4, weight_decay 0, betas [0.9, 0.99]; :106-109 MultiStepLR
        # milestones [1000000] (the end of the run), gamma 0.5
        **_gan_optim("optim", 2e-4, 0.99, "multistep", (1_000_000,), 0.5),
        # :92 pretrain_network_g: experiments/pretrained_models/ESRGAN_SRx4_DF2KOST_official-
        # ff704c30.pth, :93 param_key_g: params_ema
        "init_from": PretrainedFrom("ESRGAN_SRx4_DF2KOST_official-ff704c30.pth (params_ema)",
                                    "ESRGAN_SRx4_DF2KOST", release="ESRGAN_x4"),
    })
  else:
    keys.update({
        "train.num_steps": 400_000,  # :126 total_iter: 400000
        # :110-114 optim_g, :115-119 optim_d: Adam lr 1e-4, weight_decay 0, betas [0.9, 0.99];
        # :121-124 MultiStepLR milestones [400000] (the end of the run), gamma 0.5
        **_gan_optim("optim", 1e-4, 0.99, "multistep", (400_000,), 0.5),
        **_gan_optim("gan.optim", 1e-4, 0.99, "multistep", (400_000,), 0.5),
        "losses.perceptual": 1.0,  # :146 perceptual_weight: !!float 1.0
        "losses.perceptual_layers": {"conv1_2": 0.1, "conv2_2": 0.1, "conv3_4": 1.0,
                                     "conv4_4": 1.0, "conv5_4": 1.0},  # :137-143 (before relu)
        "losses.perceptual_criterion": "l1",  # :149
        "losses.style": 0.0,  # :147 style_weight: 0
        "gan.discriminator": "unet_sn",  # :94 UNetDiscriminatorSN (:97 skip_connection: True)
        "gan.num_feat": 64,  # :96
        "gan.loss": "vanilla",  # :153 gan_type: vanilla (RealESRGANModel: not relativistic)
        "gan.weight": 0.1,  # :156 loss_weight: !!float 1e-1
        # :102 pretrain_network_g: experiments/pretrained_models/RealESRNet_x4plus.pth,
        # :103 param_key_g: params_ema
        "init_from": PretrainedFrom("RealESRNet_x4plus.pth (params_ema)",
                                    "--config.init_from=NET_WORKDIR",
                                    release="RealESRNet_x4plus"),
    })
  return ("realesrgan", preset, yml, keys)


# --------------------------------------------------------------------------------------------
# LapSRN: phoenix104104/LapSRN (official MatConvNet code). init_LapSRN_opts.m (line numbers);
# README.md "train_LapSRN(4, 10, 1)" (depth 10); learning_rate_policy.m (lr per epoch: lr0 ·
# 0.5^floor((epoch-1)/50), floored at 1e-6); vllab_cnn_train_dag.m (SGD: :55 momentum 0.9,
# :44 weightDecay 0.0005 — init_LapSRN_opts.m:28 opts.weight_decay = 0.0001 is never read;
# :253 an epoch is num_train_batch batches); getBatch_LapSRN.m (:30 one channel,
# utils/batch_imread.m:29 rgb2ycbcr: the Y channel; :73-85 rotations and horizontal flip;
# :38-40 random rescaling 0.5-1.0); vllab_nn_L1_loss.m:27-29 sqrt(d² + 1e-6), summed.
LAPSRN_OPTS = f"{LAPSRN} init_LapSRN_opts.m"


def _lapsrn(preset):
  scale = _SCALE[preset]
  keys = {
      "scale": scale,
      "channels": Cite(1, f"{LAPSRN} getBatch_LapSRN.m:30, utils/batch_imread.m:29 (Y of YCbCr)"),
      "model.name": "lapsrn",
      "model.depth": Cite(10, f"{LAPSRN} README.md (train_LapSRN(4, 10, 1): depth = 10)"),
      "model.features": 64,  # :31 conv_n 64
      "data.source": "folder",
      "data.dirs": TrainSets("T91", "BSD200"),  # :49-50 T91, BSDS200
      # :44 data_augmentation 1 → getBatch_LapSRN.m:73-85 rot90 ×{0,1,2,3}, fliplr
      "data.augment": Augment(hflip=True, rot=True),
      "data.hr_patch": 128,  # :43 patch_size 128
      "train.batch_size": 64,  # :36
      "train.num_steps": 100_000,  # :82 numEpochs 1000 × :37 num_train_batch 100
      # :32 loss 'L1' = vllab_nn_L1_loss.m: Charbonnier sqrt(d² + 1e-6) (sr_jax eps 1e-3) at every
      # level (:97-102 derOutputs weight 1 per level)
      "train.loss": "charbonnier",
      "losses.pixel": 1.0,
      # vllab_nn_L1_loss.m:27-29 sums over the level's pixels; vllab_cnn_train_dag.m divides by
      # the batch size
      "losses.pixel_reduction": "sum",
      "train.ema_decay": 0.0,  # no weight averaging
      "optim.name": Cite("sgd", f"{LAPSRN} vllab_cnn_train_dag.m:46 (default SGD solver)"),
      "optim.momentum": Cite(0.9, f"{LAPSRN} vllab_cnn_train_dag.m:55"),
      "optim.weight_decay": Cite(5e-4, f"{LAPSRN} vllab_cnn_train_dag.m:44 (× per-parameter 1, "
                                       "init_LapSRN_model.m:66)"),
      "optim.learning_rate": 1e-5,  # :39 lr 1e-5
      # :40 lr_step 50 epochs (= 5,000 steps), :41 lr_drop 0.5, :42 lr_min 1e-6: 1e-5, 5e-6,
      # 2.5e-6, 1.25e-6, then 1e-6 from step 20,000 on (the floor; ×0.8 there, not ×0.5)
      "optim.schedule": "multistep",
      "optim.milestones": (5_000, 10_000, 15_000, 20_000),
      "optim.gamma": 0.5,
      "optim.min_learning_rate": 1e-6,  # :42 lr_min
      "optim.warmup_steps": 0,
      "init_from": "",  # train_LapSRN.m:41 init_LapSRN_model (from scratch)
  }
  return ("lapsrn", preset, LAPSRN_OPTS, keys)


# --------------------------------------------------------------------------------------------
# Papers, as collected in published-numbers.md (the papers' text itself was not opened here; keys
# the collection does not state are left out and listed in the report).


def _vdsr(preset):
  src = f"{NUMBERS} §4.1 VDSR row, §2 (source key VDSR-P)"
  keys = {
      "scale": _SCALE[preset],
      "model.name": "vdsr",
      "model.depth": 20,  # §2 "VDSR (20 layers)"
      "data.source": "folder",
      "data.dirs": TrainSets("T91", "BSD200"),  # "291 images (T91 + 200 BSD)"
      "data.augment": Augment(hflip=True, rot=True),  # "291 images + rotation/flip"
      "train.batch_size": 64,  # "64"
      "train.num_steps": 9_960,  # "80 epochs = 9,960 iterations"
      "train.ema_decay": 0.0,  # no weight averaging in the recipe row
      "optim.name": "sgd",  # "SGD momentum 0.9"
      "optim.momentum": 0.9,
      "optim.weight_decay": 1e-4,  # "wd 1e-4"
      "optim.learning_rate": 0.1,  # "lr 0.1 ÷10 every 20 epochs"
      "optim.schedule": "multistep",
      "optim.milestones": (2_490, 4_980, 7_470),  # every 20 of 80 epochs of 124.5 steps
      "optim.gamma": 0.1,
      "init_from": "",
  }
  return ("vdsr", preset, src, keys)


def _srcnn(preset):
  src = f"{NUMBERS} §4.1 SRCNN row, §2 (source key SRCNN-rev, secondary)"
  keys = {
      "scale": _SCALE[preset],
      "model.name": "srcnn",
      "model.kernel_sizes": (9, 1, 5),  # §2 "9-1-5"
      "data.source": "folder",
      "data.dirs": TrainSets("T91"),  # "T91 → 24,800 sub-images 33×33 (stride 14)"
      "train.ema_decay": 0.0,  # no weight averaging
      "optim.name": "sgd",  # "SGD, lr 1e-4 (1e-5 last layer)"
      "optim.learning_rate": 1e-4,
      "init_from": "",
  }
  return ("srcnn", preset, src, keys)


def _fsrcnn(preset):
  src = f"{NUMBERS} §2 FSRCNN row (source: the paper's page, secondary)"
  keys = {
      "scale": _SCALE[preset],
      "model.name": "fsrcnn",
      "model.d": 56,  # "FSRCNN (d=56,s=12,m=4)"
      "model.s": 12,
      "model.m": 4,
      "data.source": "folder",
      "data.dirs": TrainSets("T91"),  # "T91, fine-tuned with General-100" (the first stage)
      "train.ema_decay": 0.0,  # no weight averaging
      "init_from": "",
  }
  return ("fsrcnn", preset, src, keys)


def _srresnet(recipe, preset):
  src = f"{NUMBERS} §4.1 SRResNet / SRGAN row, §2 (source key SRGAN-P)"
  keys = {
      "scale": 4,
      "model.name": "srresnet",
      "model.num_blocks": 16,  # §2 "SRResNet (16 blocks, BN)"
      "data.hr_patch": 96,  # "16 random 96×96 HR crops per batch"
      "train.batch_size": 16,
      "train.num_steps": 1_000_000,  # "SRResNet 10⁶ iters @1e-4 (Adam β1 0.9)"
      "train.ema_decay": 0.0,  # no weight averaging
      "optim.name": "adam",
      "optim.b1": 0.9,
      "optim.learning_rate": 1e-4,
      "optim.schedule": "constant",
      "init_from": "",
  }
  return (recipe, preset, src, keys)


def _srgan():
  src = f"{NUMBERS} §4.1 SRResNet / SRGAN row (source key SRGAN-P)"
  keys = {
      "scale": 4,
      "model.name": "srresnet",
      "model.num_blocks": 16,
      "data.hr_patch": 96,  # "16 random 96×96 HR crops per batch"
      "train.batch_size": 16,
      "train.num_steps": 200_000,  # "SRGAN 10⁵ @1e-4 + 10⁵ @1e-5"
      "train.ema_decay": 0.0,  # no weight averaging
      "optim.name": "adam",  # "(Adam β1 0.9)"
      "optim.b1": 0.9,
      "optim.learning_rate": 1e-4,
      "optim.schedule": "multistep",
      "optim.milestones": (100_000,),
      "optim.gamma": 0.1,
      "init_from": PretrainedFrom("the MSE SRResNet", "--config.init_from=PSNR_WORKDIR"),
  }
  return ("srgan", "srgan_vgg54", src, keys)


def _prosr_schedule():
  """configs/curriculum.py:prosr names ProSR's curriculum, not its network or data: only the
  schedule's keys. growing_steps are fractions of training (lib/prosr/models/trainer.py:
  ×2 alone until the first, the next level blended in until the second)."""
  steps = 3_000  # the comparison's train.num_steps (the recipe's own; ProSR trains 7,200 epochs)
  keys = {
      "curriculum.level_steps": (round(0.12 * steps),),  # options/prosr.yaml growing_steps[0]
      "curriculum.blend_steps": round((0.25 - 0.12) * steps),  # growing_steps[1] − [0]
  }
  return ("curriculum", "prosr", f"{PROSR} options/prosr.yaml", keys)


REFERENCES = [
    *(_edsr(p) for p in ("x2", "x3", "x4", "x2_large", "x3_large", "x4_large")),
    *(_rcan(p) for p in ("x2", "x3", "x4")),
    *(_rdn(p) for p in ("x2", "x3", "x4")),
    *(_swinir(p) for p in ("x2", "x3", "x4", "x8")),
    _rrdb_psnr("rrdbnet", "x4"),
    _rrdb_psnr("esrgan_psnr", "default"),
    _esrgan(),
    *(_msrresnet(p) for p in ("x2", "x3", "x4")),
    _realesrgan("net"),
    _realesrgan("default"),
    *(_lapsrn(p) for p in ("x2", "x4", "x8")),
    *(_vdsr(p) for p in ("x2", "x3", "x4")),
    *(_srcnn(p) for p in ("x2", "x3", "x4")),
    *(_fsrcnn(p) for p in ("x2", "x3", "x4")),
    _srresnet("srresnet", "x4"),
    _srresnet("srgan", "srresnet_mse"),
    _srgan(),
    _prosr_schedule(),
]


# --------------------------------------------------------------------------------------------
# What the sources pin that sr_jax's config cannot say (so no key above): source → items. For
# the engineer deciding which keys to add; nothing reads this.
NOT_EXPRESSIBLE = {
    "BasicSR / Real-ESRGAN option files": [
        "net_d_iters: 1, net_d_init_iters: 0 (ESRGAN, MSRGAN, Real-ESRGAN): D steps per G step "
        "and G-only warm-up steps; sr_jax's GAN step (sr_jax/train/modes/adversarial.py) updates "
        "both networks once per step from step 0, which is what these values ask",
        "perceptual vgg_type vgg19 (sr_jax: always VGG19), use_input_norm true (ImageNet "
        "mean/std), range_norm false, style_weight 0 (losses.style 0 is expressible)",
        "gan real_label_val 1.0 / fake_label_val 0.0 (label smoothing)",
        "CosineAnnealingRestartLR restart_weights [1, 1, 1, 1] (sr_jax restarts at full lr)",
        "rgb_mean of EDSR and RCAN archs ([0.4488, 0.4371, 0.4040]): sr_jax's shift_mean "
        "(the fixed DIV2K mean; no key)",
        "SwinIR img_size 48 (the patch the attention mask/positions are built for; sr_jax "
        "builds them for the input it is given)",
        "dataset_enlarge_ratio, num_worker_per_gpu, prefetch_mode (loader plumbing; no effect "
        "on the optimisation)",
        "param_key_g: params_ema (Real-ESRGAN initialises from the EMA weights of the previous "
        "stage): init_from takes the parameters the source run's validation chose (its EMA "
        "unless the raw ones validated better); a release file's key is the catalog's",
        "Real-ESRGAN queue_size is per GPU process (180 × 4); sr_jax's pool is global (720)",
        "Real-ESRGAN blur_kernel_size 21: unused by the draw, which is over 7..21 "
        "(realesrgan_dataset.py:79; degradation.*.kernel_size_range)",
    ],
    "EDSR-PyTorch / RCAN (option.py)": [
        "--skip_threshold 1e8 (EDSR) / 1e6 (RCAN): skip a batch whose loss is that many times "
        "the previous one (sr_jax skips only NaN/Inf steps)",
        "--chop (memory-efficient forward at test time): val.tile is the nearest",
        "StepLR/MultiStepLR stepped once per epoch of 1000 batches: the same as absolute "
        "milestones, expressed above",
    ],
    "RDN (opts.lua)": [
        "-skipBatch 3: skip a batch whose error > 3 × the previous epoch's mean",
        "-splitBatch 4: gradient accumulation over 4 sub-batches of 4 (same batch of 16)",
        "-subMean true with the DIV2K mean (sr_jax's shift_mean; no key)",
    ],
    "KAIR SwinIR json": [
        "the fine-tuning variant for ×3/×4/×8 (from ×2, lr 1e-4, milestones halved, 250k): "
        "expressible by overrides, as the recipe docstring says; not a preset",
    ],
    "LapSRN (official code)": [
        "per-parameter learning rates (init_LapSRN_model.m: 0.1 × for some layers) and the "
        "initialisation (init_sigma 0.001)",
        "scale augmentation: each image rescaled by 0.5-1.0 before cropping",
    ],
    "VDSR (paper, published-numbers.md VDSR-P)": [
        "41×41 patches (not a multiple of the scale: data.hr_patch must be; the recipe uses "
        "42/44)",
        "one network for ×2/×3/×4 (scale augmentation); sr_jax trains one scale per run",
        "the value of θ in the adjustable gradient clipping (optim.clip_adjustable): not in "
        "published-numbers.md",
        "the loss's normalisation: published-numbers.md states none; summed over each patch "
        "(losses.pixel_reduction='sum') with θ = 0.01 diverged (Set5 18.28 dB after 40 steps, "
        "2026-12-02), so the recipe takes ½ · the mean (losses.pixel 0.5), as re-implementations "
        "with θ = 0.01 do",
    ],
    "SRCNN (published-numbers.md SRCNN-rev)": [
        "33×33 sub-images (not a multiple of 2 or 4), stride-14 extraction (fixed sub-images, not "
        "random crops)",
        "learning rate 1e-5 for the last layer (per-layer learning rates)",
        "8×10⁸ back-propagations: no batch size is given, so no step count",
    ],
    "SRGAN (published-numbers.md SRGAN-P)": [
        "350k ImageNet images: no such set in the data catalog (DIV2K stands in)",
        "SRGAN's own discriminator (the recipe uses BasicSR's VGG-style one)",
    ],
}
