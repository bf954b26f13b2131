"""A study folder: its manifest, the check that nothing in it changed since `prepare`, and
each rater's order of items.

  STUDY/study.json        the manifest (below)
  STUDY/images/<id>.png   one image per item; <id> is random hex and names nothing
  STUDY/answers.sqlite    the answers (store.py), with -wal and -shm files beside it in use
  STUDY/report/           what `report` writes unless told otherwise

The manifest holds the methods (name, where the images came from), the rated items and the
calibration items (id, source image, method; calibration items also their anchor score), a
random study id, the seed of the raters' orders, and the sha256 of every image. It is never
served: the page and its API see only ids, image bytes and the anchor of calibration items.
"""
import functools
import hashlib
import json
import pathlib

from sr_jax.data.images import DataError

FORMAT = "sr_jax.mos/1"
MANIFEST = "study.json"
IMAGES = "images"
ANSWERS = "answers.sqlite"
REPORT = "report"
# Written into the folder after prepare, so not in the manifest: SQLite's files, the report.
_WRITTEN_LATER = {ANSWERS, ANSWERS + "-wal", ANSWERS + "-shm", ANSWERS + "-journal"}

# Method names the study gives its references; runs may not take them as labels.
HR, NEAREST, BICUBIC = "HR", "NN", "Bicubic"
# The calibration anchors, SRGAN's: the HR image is an example of 5, nearest neighbour of 1.
ANCHORS = {HR: 5, NEAREST: 1}


class StudyError(DataError):
  """A study folder that cannot be used; the message names the file."""


def sha256(path: pathlib.Path) -> str:
  digest = hashlib.sha256()
  with open(path, "rb") as f:
    for block in iter(lambda: f.read(1 << 20), b""):
      digest.update(block)
  return digest.hexdigest()


def load_manifest(root: pathlib.Path) -> dict:
  path = root / MANIFEST
  if not path.is_file():
    raise StudyError(f"{root}: not a study folder (no {MANIFEST}; "
                     "python -m sr_jax.mos prepare makes one)")
  try:
    manifest = json.loads(path.read_text())
  except (ValueError, UnicodeDecodeError) as e:
    raise StudyError(f"{path}: unreadable ({e})") from None
  if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
    raise StudyError(f"{path}: not a {FORMAT} manifest")
  return manifest


def tamper_problems(root: pathlib.Path, manifest: dict) -> list[str]:
  """One line per image that is missing, changed (sha256) or added, against the manifest."""
  listed = manifest["files"]
  problems = []
  for rel in sorted(listed):
    path = root / rel
    if not path.is_file():
      problems.append(f"{path}: missing (listed in {MANIFEST})")
    elif sha256(path) != listed[rel]:
      problems.append(f"{path}: changed since prepare (sha256 differs from {MANIFEST})")
  for path in sorted(root.rglob("*")):
    rel = path.relative_to(root).as_posix()
    if (path.is_dir() or rel == MANIFEST or rel in _WRITTEN_LATER or rel in listed
        or rel.startswith(REPORT + "/")):
      continue
    problems.append(f"{path}: not in {MANIFEST} (added after prepare)")
  return problems


def shuffled(ids: list[str], key: str) -> list[str]:
  """Fisher–Yates with positions drawn from sha256(key/i): the same on every platform and
  Python or NumPy version, so a study's orders never change under it."""
  ids = list(ids)
  for i in range(len(ids) - 1, 0, -1):
    j = int.from_bytes(hashlib.sha256(f"{key}/{i}".encode()).digest()[:8], "big") % (i + 1)
    ids[i], ids[j] = ids[j], ids[i]
  return ids


class Study:
  """A study folder as serve and report use it."""

  def __init__(self, root, manifest: dict):
    self.root = pathlib.Path(root)
    self.manifest = manifest
    self.calibration = manifest["calibration"]
    self.items = manifest["items"]
    self.by_id = {entry["id"]: entry for entry in self.calibration + self.items}

  @classmethod
  def open(cls, root, check_files: bool = True) -> "Study":
    """The study; with check_files, StudyError names the first image that is missing,
    changed or added since prepare."""
    root = pathlib.Path(root)
    manifest = load_manifest(root)
    if check_files:
      problems = tamper_problems(root, manifest)
      if problems:
        more = len(problems) - 1
        raise StudyError(problems[0] + (f"; {more} more file(s) differ from {MANIFEST} too"
                                        if more else ""))
    return cls(root, manifest)

  @property
  def answers_path(self) -> pathlib.Path:
    return self.root / ANSWERS

  def image_path(self, item_id: str) -> pathlib.Path:
    return self.root / IMAGES / f"{item_id}.png"

  @functools.lru_cache(maxsize=1024)
  def order(self, rater: str) -> tuple[str, ...]:
    """The items a rater sees, in order: the calibration items in the manifest's order (the
    same for everyone), then every rated item in an order of the rater's own, deterministic
    in (raters_seed, rater)."""
    items = [item["id"] for item in self.items]
    key = f"{self.manifest['raters_seed']}/{rater}"
    return tuple([c["id"] for c in self.calibration] + shuffled(items, key))

  def public(self, item_id: str) -> dict:
    """What the page may know of an item: its id, its image's URL, and for a calibration item
    the score it is an example of. Never the method or the source image."""
    return {"id": item_id, "src": f"{IMAGES}/{item_id}.png",
            "anchor": self.by_id[item_id].get("anchor")}
