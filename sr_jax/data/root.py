"""Where image sets live: one root, `$SR_JAX_DATA`, else `$XDG_DATA_HOME/sr_jax` (by default
`~/.local/share/sr_jax`), holding `NAME/HR/` for every set `python -m sr_jax.data.fetch` installs.

Configs name sets, not paths: a training folder (`config.data.dirs`) or a validation set
(`config.val.sets`) given as a catalog name (`python -m sr_jax.data.fetch --list`), such as
`Set5`, `DIV2K` or the union `DF2K`, is that set's HR folder under the root; anything else is a
path. A named set that is not there raises MissingSets, whose message is the command that
fetches it, before anything compiles.
"""
import os
import pathlib
from typing import Iterable

from sr_jax.data import catalog
from sr_jax.data.images import DataError, list_images

ENV = "SR_JAX_DATA"


def data_root() -> pathlib.Path:
  """$SR_JAX_DATA, else $XDG_DATA_HOME/sr_jax, else ~/.local/share/sr_jax."""
  if os.environ.get(ENV):
    return pathlib.Path(os.environ[ENV]).expanduser()
  xdg = os.environ.get("XDG_DATA_HOME") or "~/.local/share"
  return pathlib.Path(xdg).expanduser() / "sr_jax"


def is_name(spec: str) -> bool:
  """Whether `spec` names a catalog set or union (rather than being a path)."""
  return spec in catalog.SETS or spec in catalog.COMBINED


def expand(names: Iterable[str]) -> list[str]:
  """Catalog names with the unions (291, DF2K, ...) replaced by their sets, in order, once each."""
  out = []
  for name in names:
    for part in catalog.COMBINED.get(name, (name,)):
      if part not in out:
        out.append(part)
  return out


def set_dir(name: str, root: pathlib.Path | None = None) -> pathlib.Path:
  """The folder a set's HR images are installed in."""
  return (root or data_root()) / name / "HR"


def is_present(name: str, root: pathlib.Path | None = None) -> bool:
  return set_dir(name, root).is_dir()


def fetch_command(names: Iterable[str]) -> str:
  return "python -m sr_jax.data.fetch " + " ".join(names)


class MissingSets(DataError):
  """Named sets that are not under the data root; `names` lists them."""

  def __init__(self, names: list[str]):
    self.names = names
    super().__init__(f"{', '.join(names)}: not in {data_root()} (${ENV}); get "
                     f"{'it' if len(names) == 1 else 'them'} with: {fetch_command(names)}")


def missing(specs: Iterable[str]) -> list[str]:
  """The catalog names among `specs` that are not installed: a union whose sets are all missing
  by its own name (DF2K), else the sets it lacks; each once, in order."""
  out = []
  for spec in (s for s in specs if is_name(s)):
    parts = expand([spec])
    absent = [p for p in parts if not is_present(p)]
    for name in ([spec] if len(parts) > 1 and absent == parts else absent):
      if name not in out and not (name in catalog.SETS and any(
          name in catalog.COMBINED.get(o, ()) for o in out)):
        out.append(name)
  return out


def folders(spec: str) -> list[pathlib.Path]:
  """The HR folder(s) a config value stands for: a set's (a union's) under the root, or a path."""
  if not is_name(spec):
    return [pathlib.Path(spec).expanduser()]
  absent = missing([spec])
  if absent:
    raise MissingSets(absent)
  return [set_dir(n) for n in expand([spec])]


def image_paths(spec: str) -> list[pathlib.Path]:
  """Every image of a named set (a union's, in order) or under a folder, recursively."""
  return [p for folder in folders(spec) for p in list_images(folder)]
