"""A recipe on a machine without its data, weights or stage-1 run ends with the commands to run."""
import os

from sr_jax import recipes
from sr_jax.config import load_recipe
from sr_jax.data import root as data_root
from sr_jax.train import requirements


def _recipe(spec):
  name, _, preset = spec.partition(":")
  return load_recipe(recipes.directory() / f"{name}.py", preset or None)


def test_a_fresh_machine_is_told_which_sets_to_fetch(tmp_path, monkeypatch):
  monkeypatch.setenv(data_root.ENV, str(tmp_path / "data"))
  assert requirements.missing(_recipe("edsr:x4")) == [
      (f"DIV2K, Set5, Set14: not in {tmp_path / 'data'} ($SR_JAX_DATA)",
       "python -m sr_jax.data.fetch DIV2K Set5 Set14")]


def test_present_sets_are_not_asked_for(tmp_path, monkeypatch):
  monkeypatch.setenv(data_root.ENV, str(tmp_path))
  for name in ("DIV2K", "Set5"):
    data_root.set_dir(name, tmp_path).mkdir(parents=True)
  assert requirements.missing(_recipe("rrdbnet:x4"))[0][1] == (
      "python -m sr_jax.data.fetch Flickr2K Set14")  # DF2K = DIV2K (there) + Flickr2K


def test_esrgan_needs_data_vgg_weights_and_its_stage1_run(tmp_path, monkeypatch):
  monkeypatch.setenv(data_root.ENV, str(tmp_path / "data"))
  monkeypatch.setenv("SR_JAX_CACHE", str(tmp_path / "cache"))
  config = _recipe("esrgan")
  config.init_from = str(tmp_path / "stage1")
  commands = [command for _, command in requirements.missing(config)]
  assert commands == ["python -m sr_jax.data.fetch DF2K_OST Set5 Set14",
                      "python -m sr_jax.tools.vgg --fetch",
                      f"python -m sr_jax.main --config=<its recipe> --workdir={tmp_path / 'stage1'}"]


def test_the_cli_prints_only_the_commands(tmp_path, run_cli):
  env = {**os.environ, data_root.ENV: str(tmp_path / "data"), "SR_JAX_CACHE": str(tmp_path / "c"),
         "JAX_PLATFORMS": "cpu"}
  result = run_cli("sr_jax.main", "--config=esrgan", f"--workdir={tmp_path / 'w'}", env=env,
                   cwd=tmp_path)
  assert result.returncode == 1 and "Traceback" not in result.stderr
  assert [" ".join(line.split()) for line in result.stderr.strip().splitlines()[-3:]] == [
      "error: this run needs what is not on this machine; run:",
      "python -m sr_jax.data.fetch DF2K_OST Set5 Set14 # DF2K_OST, Set5, Set14: not in "
      f"{tmp_path / 'data'} ($SR_JAX_DATA)",
      "python -m sr_jax.tools.vgg --fetch # VGG19 weights for the feature losses: "
      f"not at {tmp_path / 'c' / 'vgg19.npz'}"]
  assert not (tmp_path / "w").exists()  # nothing was created or compiled


def test_init_from_takes_a_run_a_file_or_a_release_and_names_what_is_neither(tmp_path,
                                                                            monkeypatch):
  monkeypatch.setenv(data_root.ENV, str(tmp_path / "data"))
  for name in ("DIV2K", "Set5", "Set14"):
    data_root.set_dir(name, tmp_path / "data").mkdir(parents=True)
  config = _recipe("edsr:x4")
  (tmp_path / "x2.pt").write_bytes(b"")
  for source in ("EDSR_x2", str(tmp_path / "x2.pt")):  # a release with a URL, a file
    config.init_from = source
    assert requirements.missing(config) == []
  config.init_from = "RCAN_BIX2"  # published on a drive without a direct link
  (what, command), = requirements.missing(config)
  assert what.startswith("RCAN_BIX2: no direct download (") and what.endswith("(config.init_from)")
  assert command == "fetch it by hand, then --config.init_from=FILE"
  config.init_from = "EDSR_x9"
  (what, _), = requirements.missing(config)
  assert what == "EDSR_x9: no training run, weights file or release of that name (config.init_from)"
