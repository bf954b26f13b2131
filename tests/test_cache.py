"""The persistent compilation cache: a second process loads what the first compiled."""
import subprocess
import sys

from sr_jax import cache

_SCRIPT = """
import sys, jax, jax.numpy as jnp
from jax import monitoring
from sr_jax import cache
hits = []
monitoring.register_event_listener(lambda name, **kw: hits.append(name) if 'cache_hits' in name else None)
assert cache.enable(sys.argv[1]) == sys.argv[1]
jax.jit(lambda x: jnp.tanh(x @ x.T).sum()).lower(jnp.ones((48, 48))).compile()
print(len(hits))
"""


def test_a_restart_hits_the_cache(tmp_path):
  run = lambda: subprocess.run([sys.executable, "-c", _SCRIPT, str(tmp_path)], check=True,
                               capture_output=True, text=True).stdout.split()[-1]
  assert run() == "0"
  assert any(tmp_path.iterdir())
  assert int(run()) >= 1


def test_empty_path_disables():
  assert cache.enable("") is None
