"""The image sets SR papers train and test on: where each comes from, how to check it, its terms.

`python -m sr_jax.data.fetch NAME` installs a set as `$SR_JAX_DATA/NAME/HR/` (sr_jax.data.root).
A set is downloaded from its sources (archives or single files); the HR images are the archive
members matching `Source.members`. What can be verified is: each source file's sha256, where the
publisher's file is fixed (`Source.sha256`), and each image's decoded pixels
(`pixel_sha256.json`, recorded from copies whose numbers match the published bicubic rows).
COMBINED names are the unions the literature uses (291 = T91 + BSD200, DF2K = DIV2K + Flickr2K).
"""
import dataclasses


@dataclasses.dataclass(frozen=True)
class Source:
  """One downloaded file: an archive holding HR images, or one image."""
  url: str
  sha256: str = ""  # of the file as served, where the publisher's file is fixed; "" if unknown
  size: int = 0  # bytes as served, where known (progress bar, free-space check)
  members: str = ""  # archives: fnmatch pattern of the HR images' member paths ("" = one image)


@dataclasses.dataclass(frozen=True)
class DataSet:
  name: str
  role: str  # "train" or "test"
  images: int  # HR images the set holds
  sources: tuple[Source, ...]
  licence: str  # the terms as the publisher states them, in one line
  citation: str  # the paper that introduced the set
  homepage: str  # the publisher's page
  request: str = ""  # sets with no public download: how to obtain them (one line)


SETS: dict[str, DataSet] = {}

COMBINED: dict[str, tuple[str, ...]] = {}
