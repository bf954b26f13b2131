"""The XLA flags sr_jax sets before JAX starts a backend: appended to XLA_FLAGS at `import sr_jax`.

XLA:CPU hands convolutions (all but the smallest) to a YNNPACK fusion, and that fusion runs on
one thread (measured on jaxlib 0.10.2; 0.11.2 has the same flag): on a 2-core machine a 3×3
convolution's forward and both gradients use 1.0 CPU-second per wall-second, where PyTorch's use
2.0. Without it, XLA:CPU runs convolutions with Eigen on its intra-op thread pool.
`-individual_convolution` removes only that fusion type; dots and elementwise work keep YNNPACK
(bench/NOTES.md has the measurements and the A/B). Other backends ignore XLA:CPU's options.

A setting of the same flag already in XLA_FLAGS is the user's and is kept. The flags take effect
only if JAX has not started a backend before sr_jax is imported. XLA aborts on a flag it does not
know, so they are set only for the jaxlib versions in `KNOWN`.
"""
import importlib.metadata
import os

FLAGS = {"xla_cpu_experimental_ynn_fusion_type": "-individual_convolution"}
KNOWN = ("0.10.", "0.11.")  # jaxlib versions that have every flag in FLAGS


def _jaxlib_version() -> str:
  try:
    return importlib.metadata.version("jaxlib")
  except importlib.metadata.PackageNotFoundError:
    return ""


def appended(xla_flags: str, flags: dict[str, str]) -> str:
  """`xla_flags` (an XLA_FLAGS value) with each of `flags` ({name: value}) it does not set
  appended: a flag already there is the user's."""
  added = [f"--{name}={value}" for name, value in flags.items() if f"--{name}=" not in xla_flags]
  return " ".join([xla_flags, *added]).strip()


def with_defaults(xla_flags: str, jaxlib_version: str) -> str:
  """`xla_flags` with FLAGS appended where this jaxlib knows them."""
  return appended(xla_flags, FLAGS) if jaxlib_version.startswith(KNOWN) else xla_flags


def apply() -> None:
  """Appends FLAGS to the XLA_FLAGS of this process (and of the processes it starts)."""
  current = os.environ.get("XLA_FLAGS", "")
  updated = with_defaults(current, _jaxlib_version())
  if updated != current:
    os.environ["XLA_FLAGS"] = updated
