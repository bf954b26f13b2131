"""What every `python -m sr_jax.…` command shares: bad input ends in one line, not a traceback.

`cli.run(main)` replaces `app.run(main)`: flag errors, config files that cannot be loaded,
unknown `--config.` keys, usage errors, and the errors sr_jax raises for bad input (ConfigError naming a
key, DataError naming a file, FileNotFoundError naming a path, MissingExtra naming the optional
dependency to install) exit with status 1 and one `error: …` line on stderr, before anything
compiles. `--config=NAME[:PRESET]` names a recipe (sr_jax.recipes).
"""
import re
import sys

from absl import app, flags
import ml_collections

from sr_jax import recipes
from sr_jax.config import ConfigError
from sr_jax.data.images import DataError
from sr_jax.extras import MissingExtra

FLAGS = flags.FLAGS
INPUT_ERRORS = (ConfigError, DataError, FileNotFoundError, MissingExtra)


def _last_line(error: BaseException) -> str:
  lines = [line.strip() for line in str(error).splitlines() if line.strip()]
  return lines[-1] if lines else type(error).__name__


def _check_config_files(argv):
  """ml_collections defers a config file's load error to its first use; surface it now."""
  for name in FLAGS:
    value = FLAGS[name].value
    if value is None or isinstance(value, ml_collections.ConfigDict):
      continue
    if type(value).__name__ == "_ErrorConfig":
      given = next((a.split("=", 1)[1] for a in argv if a.startswith(f"--{name}=")), "")
      sys.exit(f"error: --{name}={given}: cannot load ({_last_line(value._error)})")  # pylint: disable=protected-access


def _recipe_names(argv):
  """--config=NAME[:PRESET] (or --config NAME) → the recipe file's path (sr_jax.recipes)."""
  out = list(argv)
  for i, arg in enumerate(out):
    if arg.startswith("--config="):
      out[i] = "--config=" + recipes.resolve(arg[len("--config="):])
    elif arg == "--config" and i + 1 < len(out):
      out[i + 1] = recipes.resolve(out[i + 1])
  return out


def parse_flags(argv):
  """absl's parsing, with ml_collections' tracebacks turned into one line."""
  argv = _recipe_names(argv)
  try:
    rest = FLAGS(argv)
  except flags.Error as e:
    sys.exit(f"error: {_last_line(e)}")
  except (AttributeError, KeyError) as e:  # an unknown --config.key
    names = re.findall(r"[A-Za-z_][A-Za-z0-9_]*", str(e))
    key = names[0] if names else str(e)
    hint = re.search(r'Did you mean "([^"]+)"', str(e))
    bad = [a.split("=")[0] for a in argv
           if a.startswith("--config.") and f".{key}." in a.split("=")[0] + "."]
    sys.exit(f"error: {bad[0] if bad else key}: no such config key"
             + (f" (did you mean {hint.group(1)!r}?)" if hint else ""))
  _check_config_files(argv)
  return rest


def run(main):
  """app.run(main) with one-line errors for bad flags, config files and input."""
  def guarded(argv):
    try:
      return main(argv)
    except (app.UsageError, *INPUT_ERRORS) as e:
      sys.exit(f"error: {e}")
  app.run(guarded, flags_parser=parse_flags)
