"""The package's one downloader: resumable, verified, atomic (data sets, pretrained weights).

`fetch(url, dest, sha256=...)` writes `dest.part` and renames it to `dest` only once the whole
file is there and its sha256 is the expected one, so `dest` is complete or absent. An interrupted
download (a cut connection, Ctrl-C, a killed process) leaves `dest.part`, which the next call
resumes with an HTTP Range request; a cut connection is resumed at once, a few times. A wrong
checksum deletes the part and raises DownloadError naming the URL and both digests. A lock file
keeps two processes from writing the same part. Proxies come from the usual environment variables
(HTTPS_PROXY, ...); `mirrored(url, mirror)` points a URL at a mirror that holds the same files
under their names.
"""
import contextlib
import fcntl
import hashlib
import http.client
import os
import pathlib
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from tqdm import tqdm

CHUNK = 1 << 20
USER_AGENT = "sr_jax (https://github.com/sr-jax/sr_jax)"
# Failures after which a download resumes rather than gives up: the connection was cut or timed
# out mid-file. HTTP errors (404, 403, ...) are final.
_RESUMABLE = (ConnectionError, TimeoutError, http.client.IncompleteRead, http.client.RemoteDisconnected)


class DownloadError(OSError):
  """A download that cannot complete or does not verify; the message names the URL."""


def mirrored(url: str, mirror: str | None) -> str:
  """`url` as served by `mirror` (a base URL holding the same files under their names)."""
  if not mirror:
    return url
  name = pathlib.PurePosixPath(urllib.parse.urlparse(url).path).name
  return f"{mirror.rstrip('/')}/{name}"


def sha256_file(path: str | os.PathLike) -> str:
  """The sha256 (hex) of a file's bytes."""
  digest = hashlib.sha256()
  with open(path, "rb") as f:
    while chunk := f.read(CHUNK):
      digest.update(chunk)
  return digest.hexdigest()


@contextlib.contextmanager
def _locked(path: pathlib.Path):
  with open(path, "w") as lock:
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
      yield
    finally:
      fcntl.flock(lock, fcntl.LOCK_UN)


def _open(url: str, offset: int, timeout: float):
  request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
  if offset:
    request.add_header("Range", f"bytes={offset}-")
  return urllib.request.urlopen(request, timeout=timeout)  # pylint: disable=consider-using-with


def _total(response, offset: int) -> int | None:
  """The whole file's size from a 200's Content-Length or a 206's Content-Range."""
  content_range = response.headers.get("Content-Range", "")
  if "/" in content_range and content_range.rsplit("/", 1)[1].isdigit():
    return int(content_range.rsplit("/", 1)[1])
  length = response.headers.get("Content-Length")
  return offset + int(length) if length and length.isdigit() else None


def _transfer(url: str, part: pathlib.Path, size: int, timeout: float, desc: str, progress: bool):
  """Appends the rest of `url` to `part` (all of it when the server ignores the Range)."""
  offset = part.stat().st_size if part.exists() else 0
  try:
    response = _open(url, offset, timeout)
  except urllib.error.HTTPError as e:
    if e.code == 416 and offset and offset == size:  # the part is already whole
      return
    raise DownloadError(f"{url}: HTTP {e.code} {e.reason}") from None
  with response:
    if offset and response.status != 206:  # the server ignored the Range: start over
      offset = 0
    total = _total(response, offset) or size or None
    with open(part, "ab" if offset else "wb") as f, tqdm(
        total=total, initial=offset, unit="B", unit_scale=True, unit_divisor=1024, desc=desc,
        disable=not progress, file=sys.stderr, leave=False) as bar:
      while chunk := response.read(CHUNK):
        f.write(chunk)
        bar.update(len(chunk))
    if total is not None and part.stat().st_size < total:
      raise ConnectionError(f"connection closed at {part.stat().st_size} of {total} bytes")


def fetch(url: str, dest: str | os.PathLike, sha256: str = "", size: int = 0,
          progress: bool = True, retries: int = 5, timeout: float = 60.0) -> str:
  """Downloads `url` to `dest` unless it is there; returns the file's sha256 (hex).

  sha256: the expected digest ('' accepts any, and the caller may record what it got); a file
  already at `dest` is checked too. size: expected bytes, where known (progress and a check).
  """
  dest = pathlib.Path(dest)
  dest.parent.mkdir(parents=True, exist_ok=True)
  part = dest.with_name(dest.name + ".part")
  with _locked(dest.with_name(dest.name + ".lock")):
    if dest.exists():
      got = sha256_file(dest)
      if sha256 and got != sha256:
        raise DownloadError(f"{dest}: sha256 {got}, expected {sha256} (delete it to download "
                            "again)")
      return got
    for attempt in range(retries + 1):
      try:
        _transfer(url, part, size, timeout, dest.name, progress)
        break
      except urllib.error.URLError as e:  # before any byte: no server, refused, DNS
        raise DownloadError(f"{url}: {e.reason} (no connection? fetch through a mirror with "
                            "--mirror=URL, or a proxy from HTTPS_PROXY)") from None
      except _RESUMABLE as e:  # mid-file: resume where it stopped
        if attempt == retries:
          raise DownloadError(f"{url}: {e}; {retries} resumes failed: run again to resume from "
                              f"{part.stat().st_size if part.exists() else 0} bytes") from None
        time.sleep(0.1 * 2 ** attempt)
    got, arrived = sha256_file(part), part.stat().st_size
    if size and arrived != size:
      part.unlink()
      raise DownloadError(f"{url}: {arrived} bytes, expected {size}; the file was removed")
    if sha256 and got != sha256:
      part.unlink()
      raise DownloadError(f"{url}: sha256 {got}, expected {sha256}; the file was removed")
    os.replace(part, dest)
  return got
