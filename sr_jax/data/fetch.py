"""python -m sr_jax.data.fetch NAME... [--root=DIR] [--from=PATH] [--mirror=URL] [--keep_archives]
    [--force] | --list

Installs the image sets SR papers train and test on (`sr_jax.data.catalog`) as ROOT/NAME/HR/,
ROOT being $SR_JAX_DATA or its default (sr_jax.data.root): Set5, Set14, BSD100, Urban100, T91,
General100, BSD200, DIV2K, DIV2K_valid, Flickr2K, ... and the unions 291 (T91 + BSD200) and
DF2K (DIV2K + Flickr2K). Each set's licence and citation are printed as it is fetched.

Downloads resume (HTTP Range) where an earlier run stopped (sr_jax.download); a file whose
publisher's copy is fixed must match its sha256. Images are checked by the sha256 of their decoded
pixels where the catalog records them, and named after them: a copy whose files are named
otherwise still installs, a changed pixel does not. Everything is unpacked into a hidden folder
beside the destination and renamed into place in one step once verified, so an interrupted or
failed fetch leaves no half-made set. --from=PATH installs a set from an archive or folder you
already have, verified the same way; --mirror=URL fetches every file from URL/<set>/<file name>.
"""
import contextlib
import dataclasses
import datetime
import fcntl
import fnmatch
import hashlib
import io
import json
import os
import pathlib
import shutil
import sys
import tarfile
from typing import Callable, Iterator
import zipfile

from absl import flags
import numpy as np
from PIL import Image

from sr_jax import cli, download
from sr_jax.data import catalog, images, root as data_root

RECORD = "fetch.json"  # in ROOT/NAME: where the set came from and how it was verified
_PIXELS = pathlib.Path(__file__).with_name("pixel_sha256.json")


def pixel_sha256(path_or_file) -> str:
  """sha256 of an image's decoded pixels as stored (PIL's mode, no conversion), prefixed by the
  array's shape, so that a lossless re-encoding (BMP → PNG) keeps it and any changed pixel does
  not."""
  with Image.open(path_or_file) as img:
    if img.mode == "P":  # palette indices mean nothing without their palette
      img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    a = np.asarray(img)
  h, w = a.shape[:2]
  c = 1 if a.ndim == 2 else a.shape[2]
  return hashlib.sha256(f"{h}x{w}x{c}:".encode() + a.tobytes()).hexdigest()


def recorded_pixels() -> dict[str, dict[str, str]]:
  """{set: {image stem: pixel sha256}} for the sets whose pixels the catalog records."""
  return {k: v for k, v in json.loads(_PIXELS.read_text()).items() if not k.startswith("_")}


class FetchError(OSError):
  """A set that could not be installed; nothing of it was left behind."""


@dataclasses.dataclass
class _Candidate:
  """An image found in a download or a --from folder: where it is and the name it came with."""
  name: str
  read: Callable[[], bytes]


def _members(archive: pathlib.Path, pattern: str) -> Iterator[_Candidate]:
  """The archive members whose path matches `pattern`, as candidates (zip, tar, tar.gz)."""
  if zipfile.is_zipfile(archive):
    with zipfile.ZipFile(archive) as z:
      for info in z.infolist():
        if not info.is_dir() and fnmatch.fnmatch(info.filename, pattern):
          yield _Candidate(info.filename, lambda info=info: z.read(info))
  elif tarfile.is_tarfile(archive):
    with tarfile.open(archive) as t:
      for info in t.getmembers():
        if info.isfile() and fnmatch.fnmatch(info.name, pattern):
          yield _Candidate(info.name, lambda info=info: t.extractfile(info).read())
  else:
    raise FetchError(f"{archive}: not a zip or tar archive")


def _folder_images(folder: pathlib.Path) -> Iterator[_Candidate]:
  for path in images.list_images(folder):
    yield _Candidate(str(path), path.read_bytes)


def _install(s: catalog.DataSet, candidates, dest: pathlib.Path, provenance: dict) -> dict:
  """Writes the set's images from `candidates` into dest/HR, verified; returns the record."""
  expected = recorded_pixels().get(s.name)
  hr = dest / "HR"
  hr.mkdir(parents=True)
  by_pixels = {}  # digest → stems (T91's t36 and t65 are the same image)
  for stem, digest in (expected or {}).items():
    by_pixels.setdefault(digest, []).append(stem)
  found, unmatched = {}, []
  for cand in candidates:
    data = cand.read()
    suffix = pathlib.PurePosixPath(cand.name).suffix.lower()
    if suffix not in images.IMAGE_SUFFIXES:
      continue
    if expected is None:
      name = pathlib.PurePosixPath(cand.name).name
      if name in found:
        raise FetchError(f"{s.name}: two images named {name} ({cand.name})")
      found[name] = True
      (hr / name).write_bytes(data)
      continue
    try:
      digest = pixel_sha256(io.BytesIO(data))
    except images.DECODE_ERRORS:
      digest = None
    stem = next((s for s in by_pixels.get(digest, ()) if s not in found), None)
    if stem is None:
      unmatched.append(cand.name)
      continue
    found[stem] = True
    (hr / f"{stem}{suffix}").write_bytes(data)
  if expected is not None:
    absent = sorted(set(expected) - set(found))
    if absent:
      raise FetchError(
          f"{s.name}: {len(absent)} of {len(expected)} images have no file with their recorded "
          f"pixels ({', '.join(absent[:5])}{', ...' if len(absent) > 5 else ''})"
          + (f"; files that match none: {', '.join(unmatched[:3])}" if unmatched else ""))
  elif len(found) != s.images:
    raise FetchError(f"{s.name}: found {len(found)} images, expected {s.images}")
  record = {"name": s.name, "images": len(found), **provenance,
            "verified": "decoded pixels" if expected is not None else provenance.get(
                "verified", "image count"),
            "licence": s.licence, "date": datetime.date.today().isoformat()}
  (dest / RECORD).write_text(json.dumps(record, indent=1))
  return record


@contextlib.contextmanager
def _staging(root: pathlib.Path, name: str):
  """A hidden folder beside ROOT/NAME to build the set in; renamed into place on success (an old
  copy, with --force, is moved aside first and removed after), removed on failure."""
  root.mkdir(parents=True, exist_ok=True)
  with open(root / f".{name}.lock", "w") as lock:
    fcntl.flock(lock, fcntl.LOCK_EX)
    for stale in root.glob(f".{name}.partial-*"):  # left by a killed fetch
      shutil.rmtree(stale, ignore_errors=True)
    tmp = root / f".{name}.partial-{os.getpid()}"
    try:
      yield tmp
      final = root / name
      old = root / f".{name}.old-{os.getpid()}"
      if final.exists():
        final.rename(old)
      tmp.rename(final)
      shutil.rmtree(old, ignore_errors=True)
    finally:
      shutil.rmtree(tmp, ignore_errors=True)
  (root / f".{name}.lock").unlink(missing_ok=True)


def _describe(s: catalog.DataSet) -> str:
  return f"{s.name}: {s.images} images. Licence: {s.licence}\n  Cite: {s.citation}"


def fetch_set(s: catalog.DataSet, root: pathlib.Path, mirror: str | None = None,
              keep_archives: bool = False, progress: bool = True) -> dict:
  """Downloads, verifies and installs one set; returns its record."""
  if not s.sources:
    raise FetchError(f"{s.name}: no public download. {s.request} Then: python -m "
                     f"sr_jax.data.fetch {s.name} --from=ARCHIVE_OR_FOLDER")
  downloads = root / ".downloads" / s.name
  files, sources = [], []
  for src in s.sources:
    url = download.mirrored(src.url, f"{mirror.rstrip('/')}/{s.name}" if mirror else None)
    path = downloads / pathlib.PurePosixPath(src.url.split("?")[0]).name
    digest = download.fetch(url, path, src.sha256, src.size, progress=progress)
    files.append((path, src))
    sources.append({"url": url, "sha256": digest})
  candidates = (c for path, src in files for c in (
      _members(path, src.members) if src.members else [_Candidate(src.name or path.name,
                                                                  path.read_bytes)]))
  provenance = {"sources": sources}
  if all(src.sha256 for src in s.sources):
    provenance["verified"] = "publisher's sha256"
  with _staging(root, s.name) as tmp:
    record = _install(s, candidates, tmp, provenance)
  if not keep_archives:
    for path, _ in files:
      path.unlink(missing_ok=True)
      path.with_name(path.name + ".lock").unlink(missing_ok=True)
    for folder in (downloads, downloads.parent):
      with contextlib.suppress(OSError):
        folder.rmdir()  # when nothing else is in it
  return record


def install_from(s: catalog.DataSet, source: pathlib.Path, root: pathlib.Path) -> dict:
  """Installs a set from an archive or a folder the user has, verified like a download: a file
  of the publisher's must have its sha256; images are matched by their recorded pixels."""
  if not source.exists():
    raise FileNotFoundError(f"{source}: no such file or folder")
  provenance = {"from": str(source.resolve())}
  if source.is_dir():
    candidates = _folder_images(source)
  else:
    by_name = {pathlib.PurePosixPath(src.url).name: src for src in s.sources}
    src = by_name.get(source.name)
    if src is not None and src.sha256:
      digest = download.sha256_file(source)
      if digest != src.sha256:
        raise FetchError(f"{source}: sha256 {digest}, but the publisher's {source.name} has "
                         f"{src.sha256} (a damaged or different file)")
      provenance["verified"] = "publisher's sha256"
    candidates = _members(source, src.members if src is not None and src.members else "*")
  with _staging(root, s.name) as tmp:
    return _install(s, candidates, tmp, provenance)


def _size(path: pathlib.Path) -> str:
  total = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
  for unit in ("B", "KB", "MB", "GB"):
    if total < 1024 or unit == "GB":
      return f"{total:.0f} {unit}" if unit == "B" else f"{total:.1f} {unit}"
    total /= 1024
  return ""


def listing(root: pathlib.Path) -> str:
  """What the catalog offers and what is under `root`: present, size, how it was verified."""
  lines = [f"data root: {root} (${data_root.ENV})",
           f"{'set':<12} {'role':<5} {'images':>6}  {'present':<8} {'size':>9}  verified"]
  for s in catalog.SETS.values():
    where = root / s.name
    present = data_root.is_present(s.name, root)
    record = json.loads((where / RECORD).read_text()) if (where / RECORD).exists() else {}
    verified = record.get("verified", "no (not installed by fetch)") if present else ""
    lines.append(f"{s.name:<12} {s.role:<5} {s.images:>6}  {'yes' if present else 'no':<8} "
                 f"{_size(where) if present else '':>9}  {verified}"
                 + ("" if s.sources else "  (by request)"))
  lines += [f"{name} = {' + '.join(parts)}" for name, parts in catalog.COMBINED.items()]
  return "\n".join(lines)


FLAGS = flags.FLAGS
flags.DEFINE_string("root", None, f"Where sets go (default ${data_root.ENV}, else "
                    "$XDG_DATA_HOME/sr_jax = ~/.local/share/sr_jax).")
flags.DEFINE_string("from", None, "Install from this archive or folder instead of downloading.")
flags.DEFINE_string("mirror", None, "Fetch every file from MIRROR/<set>/<file name>.")
flags.DEFINE_bool("list", False, "List the sets: present, size, verified.")
flags.DEFINE_bool("keep_archives", False, "Keep the downloaded archives (ROOT/.downloads).")
flags.DEFINE_bool("force", False, "Replace sets that are already installed.")


def main(argv):
  root = pathlib.Path(FLAGS.root).expanduser() if FLAGS.root else data_root.data_root()
  if FLAGS.list:
    print(listing(root))
    return
  names = argv[1:]
  if not names:
    sys.exit("error: name a set to fetch (python -m sr_jax.data.fetch --list shows them)")
  unknown = [n for n in names if not data_root.is_name(n)]
  if unknown:
    sys.exit(f"error: {', '.join(unknown)}: no such set; known: "
             f"{', '.join([*catalog.SETS, *catalog.COMBINED])}")
  sets = data_root.expand(names)
  if FLAGS["from"].value and len(sets) != 1:
    sys.exit("error: --from installs one set at a time; name one set")
  for name in sets:
    s = catalog.SETS[name]
    if data_root.is_present(name, root) and not FLAGS.force:
      print(f"{name}: already in {root / name} (--force to replace)")
      continue
    print(_describe(s))
    try:
      if FLAGS["from"].value:
        record = install_from(s, pathlib.Path(FLAGS["from"].value).expanduser(), root)
      else:
        record = fetch_set(s, root, FLAGS.mirror, FLAGS.keep_archives)
    except (FetchError, download.DownloadError) as e:
      sys.exit(f"error: {e}")
    print(f"{name}: {record['images']} images in {data_root.set_dir(name, root)} "
          f"(verified: {record['verified']})")


if __name__ == "__main__":
  cli.run(main)
