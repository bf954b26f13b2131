"""The one place where shardings are stated: a 1-D `data` mesh over every device.

Batches are split along `data`; parameters, optimizer state and EMA are replicated. The
axis is Auto, not Explicit (jax.make_mesh's default), because pixel shuffle reshapes a
batch-sharded array in ways Explicit sharding rejects.
"""
import jax
import numpy as np
from jax.sharding import AxisType, NamedSharding, PartitionSpec as P

DATA_AXIS = "data"


def make_mesh() -> jax.sharding.Mesh:
  return jax.make_mesh((jax.device_count(),), (DATA_AXIS,), axis_types=(AxisType.Auto,))


def local_mesh() -> jax.sharding.Mesh:
  """This process's devices only: for work one process does alone (the end-of-run summary), which
  a mesh spanning other hosts would wait on forever."""
  return jax.make_mesh((jax.local_device_count(),), (DATA_AXIS,), axis_types=(AxisType.Auto,),
                       devices=jax.local_devices())


def batch_sharding(mesh) -> NamedSharding:
  return NamedSharding(mesh, P(DATA_AXIS))


def replicated(mesh) -> NamedSharding:
  return NamedSharding(mesh, P())


def global_from_host(x: np.ndarray, sharding: NamedSharding) -> jax.Array:
  """A global array from a host array that every process holds in full (eval batches)."""
  return jax.make_array_from_callback(x.shape, sharding, lambda index: x[index])
