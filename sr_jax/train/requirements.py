"""What a run needs from this machine, checked before anything is built or compiled.

The named data sets it trains and validates on (under the data root, sr_jax.data.root), the VGG19
weights its feature losses need, and the runs it starts from (`init_from`) or learns from (a
distillation teacher: a run, a weights file or an official release, which is downloaded when the
run starts). Everything missing is reported at once, as the commands that get it: on a fresh machine a recipe ends with what to run,
not with the first path it could not open.
"""
import os
import re

from sr_jax import pretrained_catalog
from sr_jax.data import root as data_root
from sr_jax.models import vgg
from sr_jax.train import checkpoint


class Missing(FileNotFoundError):
  """Things a run needs that are not on this machine; the message says how to get each."""

  def __init__(self, needs: list[tuple[str, str]]):
    self.needs = needs
    if len(needs) == 1:
      what, command = needs[0]
      message = f"{what}; get it with: {command}"
    else:
      width = max(len(command) for _, command in needs)
      message = "this run needs what is not on this machine; run:\n" + "\n".join(
          f"  {command:<{width}}  # {what}" for what, command in needs)
    super().__init__(message)


def _natural(name: str):
  """Set5 before Set14 (ConfigDict keeps its keys sorted as strings)."""
  return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def _named_sets(config) -> list[str]:
  sets = list(config.data.dirs) if config.data.source == "folder" else []
  sets += sorted(config.val.sets.values(), key=_natural)
  return [s for s in sets if s and data_root.is_name(s)]


def missing(config) -> list[tuple[str, str]]:
  """(what is missing, the command that gets it) for everything the run needs and lacks."""
  needs = []
  absent = data_root.missing(_named_sets(config))
  if absent:
    needs.append((f"{', '.join(absent)}: not in {data_root.data_root()} (${data_root.ENV})",
                  data_root.fetch_command(absent)))
  feature_terms = config.losses.perceptual or config.losses.style
  if feature_terms and not config.losses.vgg_random_init:
    path = config.losses.vgg_weights or str(vgg.default_path())
    if not os.path.exists(os.path.expanduser(path)):
      needs.append((f"VGG19 weights for the feature losses: not at {path}", vgg.FETCH_COMMAND))
  runs = {"init_from": config.init_from}
  if config.train.mode == "distill":
    runs["distill.teacher"] = config.distill.teacher
  for key, source in runs.items():
    release = pretrained_catalog.RELEASES.get(source)
    if release is not None and not release.url:
      needs.append((f"{source}: no direct download ({release.note}) (config.{key})",
                    f"fetch it by hand, then --config.{key}=FILE"))
    elif source and release is None and not (checkpoint.checkpoint_dir(source).is_dir()
                                              or os.path.isfile(source)):
      needs.append((f"{source}: no training run, weights file or release of that name "
                    f"(config.{key})",
                    f"python -m sr_jax.main --config=<its recipe> --workdir={source}"))
  return needs


def check(config) -> None:
  """Raises Missing listing everything `missing` finds."""
  needs = missing(config)
  if needs:
    raise Missing(needs)
