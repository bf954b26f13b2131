"""The package's downloader against a server on loopback: resume after a cut, checksums, atomicity."""
import hashlib

import pytest

from sr_jax import download

DATA = bytes(range(256)) * 4096  # 1 MiB
DIGEST = hashlib.sha256(DATA).hexdigest()


def test_a_cut_connection_resumes_with_a_range_request(file_server, tmp_path):
  file_server.files["a.bin"] = DATA
  file_server.cut.add("a.bin")
  dest = tmp_path / "a.bin"
  assert download.fetch(f"{file_server.url}/a.bin", dest, DIGEST, progress=False) == DIGEST
  assert dest.read_bytes() == DATA
  assert file_server.requests == [("a.bin", None), ("a.bin", f"bytes={len(DATA) // 2}-")]
  assert not (tmp_path / "a.bin.part").exists()


def test_an_interrupted_download_is_resumed_by_the_next_call(file_server, tmp_path):
  file_server.files["a.bin"] = DATA
  (tmp_path / "a.bin.part").write_bytes(DATA[:1000])  # what a killed process left
  download.fetch(f"{file_server.url}/a.bin", tmp_path / "a.bin", DIGEST, progress=False)
  assert (tmp_path / "a.bin").read_bytes() == DATA
  assert file_server.requests == [("a.bin", "bytes=1000-")]


def test_a_wrong_checksum_leaves_nothing(file_server, tmp_path):
  file_server.files["a.bin"] = DATA[:-1] + b"x"
  with pytest.raises(download.DownloadError, match=f"a.bin: sha256 .*, expected {DIGEST}"):
    download.fetch(f"{file_server.url}/a.bin", tmp_path / "a.bin", DIGEST, progress=False)
  assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bin.lock"]


def test_a_missing_file_is_one_error_naming_the_url(file_server, tmp_path):
  with pytest.raises(download.DownloadError, match="nope.bin: HTTP 404"):
    download.fetch(f"{file_server.url}/nope.bin", tmp_path / "nope.bin", progress=False)
  assert not (tmp_path / "nope.bin").exists()


def test_a_file_already_there_is_checked_not_downloaded(file_server, tmp_path):
  (tmp_path / "a.bin").write_bytes(DATA)
  assert download.fetch(f"{file_server.url}/a.bin", tmp_path / "a.bin", DIGEST) == DIGEST
  assert file_server.requests == []
  with pytest.raises(download.DownloadError, match="expected 0+"):
    download.fetch(f"{file_server.url}/a.bin", tmp_path / "a.bin", "0" * 64)


def test_no_connection_names_the_url_and_the_remedies(tmp_path):
  with pytest.raises(download.DownloadError, match="127.0.0.1:9/x.bin: .*--mirror=URL"):
    download.fetch("http://127.0.0.1:9/x.bin", tmp_path / "x.bin", progress=False, retries=0)


def test_a_mirror_serves_files_under_their_names():
  assert (download.mirrored("https://a.org/x/DIV2K_train_HR.zip?dl=1", "http://m/sr/")
          == "http://m/sr/DIV2K_train_HR.zip")
  assert download.mirrored("https://a.org/f.zip", None) == "https://a.org/f.zip"
