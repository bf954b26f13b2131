"""Optional dependencies: a feature whose package is missing fails with one line naming the extra.

`require("torch", "torch", "reading .pth weights")` imports and returns the module, or raises
MissingExtra: "reading .pth weights needs torch: pip install 'sr_jax[torch]'". Every command
prints it as its one `error:` line (sr_jax.cli).
"""
import importlib
import types


class MissingExtra(ImportError):
  """An optional dependency that is not installed; the message says what to install."""


def require(module: str, extra: str, feature: str) -> types.ModuleType:
  try:
    return importlib.import_module(module)
  except ImportError:
    raise MissingExtra(f"{feature} needs {module.split('.')[0]}: pip install "
                       f"'sr_jax[{extra}]'") from None
