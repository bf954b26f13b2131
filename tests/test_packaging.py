"""What the wheel carries: every package, the recipes as sr_jax.configs, every data file read."""
import pathlib
import tomllib

from sr_jax import recipes

REPO = pathlib.Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())


def test_every_package_is_listed():
  found = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "sr_jax").rglob("__init__.py")}
  listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
  assert listed == found | {"sr_jax.configs"}
  assert PYPROJECT["tool"]["setuptools"]["package-dir"] == {"sr_jax.configs": "configs"}


def test_every_data_file_the_code_reads_is_package_data():
  data = PYPROJECT["tool"]["setuptools"]["package-data"]["sr_jax"]
  shipped = {p.relative_to(REPO / "sr_jax").as_posix() for p in (REPO / "sr_jax").rglob("*")
             if p.is_file() and p.suffix not in (".py", ".pyc")}
  assert set(data) == shipped


def test_recipes_are_found_by_name():
  assert "edsr" in recipes.names() and "quickstart" in recipes.names()
  assert recipes.resolve("edsr:x4") == f"{recipes.directory() / 'edsr'}.py:x4"
  assert recipes.resolve("configs/edsr.py:x4") == "configs/edsr.py:x4"  # a path stays a path
  assert recipes.resolve("nosuchrecipe") == "nosuchrecipe"


def test_python_requirement_matches_the_pins():
  assert PYPROJECT["project"]["requires-python"] == ">=3.11"
  assert PYPROJECT["project"]["license"] == "Apache-2.0"
  assert (REPO / "LICENSE").read_text().lstrip().startswith("Apache License")
