"""sr_jax.xla_flags: XLA:CPU's convolutions leave the one-threaded YNNPACK fusion at `import sr_jax`."""
import os
import subprocess
import sys

from sr_jax import xla_flags

FLAG = "--xla_cpu_experimental_ynn_fusion_type"

# A 3×3 convolution's forward and both gradients, compiled on the CPU; prints the XLA_FLAGS the
# process ended up with and whether a YNNPACK fusion is left in the compiled program.
_PROBE = """
import os
import sr_jax
import jax, jax.numpy as jnp
conv = lambda x, w: jax.lax.conv_general_dilated(x, w, (1, 1), "SAME",
                                                 dimension_numbers=("NHWC", "HWIO", "NHWC"))
loss = lambda x, w: jnp.sum(conv(x, w) ** 2)
x, w = jnp.ones((2, 16, 16, 64)), jnp.ones((3, 3, 64, 64))  # YNNPACK takes 64 channels, not 16
text = jax.jit(jax.grad(loss, argnums=(0, 1))).lower(x, w).compile().as_text()
print(os.environ.get("XLA_FLAGS", ""))
print("__ynn_fusion" in text)
"""


def _probe(xla_flags_env: str) -> tuple[str, bool]:
  env = {**os.environ, "XLA_FLAGS": xla_flags_env, "JAX_PLATFORMS": "cpu"}
  out = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True,
                       timeout=300, check=True).stdout.strip().splitlines()
  return out[-2], out[-1] == "True"


def test_the_flag_is_appended_for_known_jaxlib_versions():
  flag = f"{FLAG}=-individual_convolution"
  assert xla_flags.with_defaults("", "0.10.2") == flag
  assert xla_flags.with_defaults("--xla_backend_optimization_level=0", "0.11.2") == \
      f"--xla_backend_optimization_level=0 {flag}"


def test_a_users_setting_and_unknown_versions_are_left_alone():
  own = f"--xla_dump_to=/tmp/x {FLAG}=individual_convolution"
  assert xla_flags.with_defaults(own, "0.10.2") == own
  # XLA aborts on a flag it does not know: nothing is added where the version is not known.
  assert xla_flags.with_defaults("--xla_dump_to=/tmp/x", "0.12.0") == "--xla_dump_to=/tmp/x"
  assert xla_flags.with_defaults("", "") == ""


def test_importing_sr_jax_takes_convolutions_out_of_ynnpack():
  flags, ynn = _probe("--xla_backend_optimization_level=0")
  assert flags == f"--xla_backend_optimization_level=0 {FLAG}=-individual_convolution"
  assert not ynn
  # The same program with the fusion type the user asks for keeps its YNNPACK fusion, so the
  # check above can fail.
  flags, ynn = _probe(f"--xla_backend_optimization_level=0 {FLAG}=individual_convolution")
  assert flags.endswith(f"{FLAG}=individual_convolution") and ynn
