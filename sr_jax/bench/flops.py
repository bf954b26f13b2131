"""Analytic FLOPs of any JAX function: a walk over its jaxpr counting convolutions and matmuls.

Independent of the backend's cost model (which on GPU may not see inside cuDNN/cuBLAS calls), so
TFLOP/s figures compare across machines and against PyTorch. Counted as XLA's cost analysis
counts: a multiply-add is two operations, taps on padding are not work. Elementwise work
(activations, Adam, the loss) is left out, so this count sits a little under XLA's.
Grouped, depthwise and dilated convolutions count their useful multiply-adds, gradients included
(tests/bench/test_flops.py, by hand); XLA:CPU, by contrast, computes a depthwise convolution's
kernel gradient (one output channel per input channel) as a dense C×C convolution and a diagonal
select, and its cost analysis then reports C× the multiply-adds counted here.
"""
import math

import jax
from jax.extend import core
import numpy as np


def _valid_taps(in_size, out_size, window, stride, pad_lo, lhs_dil, rhs_dil) -> int:
  """(output position, kernel tap) pairs along one spatial dim that read a real input element,
  not padding or a hole of the input dilation (transposed convolutions)."""
  pos = (np.arange(out_size)[:, None] * stride - pad_lo + np.arange(window)[None, :] * rhs_dil)
  return int(np.sum((pos >= 0) & (pos <= (in_size - 1) * lhs_dil) & (pos % lhs_dil == 0)))


def _conv_flops(eqn) -> int:
  """2 · multiply-adds that touch real input: padding taps are not counted, as in XLA's cost
  analysis. Holds for the transposed and batch-grouped convolutions that autodiff emits."""
  p = eqn.params
  lhs, rhs, out = (v.aval.shape for v in (*eqn.invars[:2], eqn.outvars[0]))
  lhs_spec, rhs_spec, out_spec = p["dimension_numbers"]
  taps = math.prod(
      _valid_taps(lhs[l], out[o], rhs[r], stride, lo, ld, rd)
      for l, r, o, stride, (lo, _), ld, rd in zip(
          lhs_spec[2:], rhs_spec[2:], out_spec[2:], p["window_strides"], p["padding"],
          p["lhs_dilation"], p["rhs_dilation"]))
  out_points = math.prod(out) // math.prod(out[d] for d in out_spec[2:])  # batch · features
  return 2 * out_points * rhs[rhs_spec[1]] * taps


def _dot_flops(eqn) -> int:
  (lhs_contract, _), _ = eqn.params["dimension_numbers"]
  lhs = eqn.invars[0].aval
  return 2 * math.prod(eqn.outvars[0].aval.shape) * math.prod(lhs.shape[d] for d in lhs_contract)


_COUNTED = {"conv_general_dilated": _conv_flops, "dot_general": _dot_flops}


def _sub_jaxprs(value):
  if isinstance(value, core.ClosedJaxpr):
    return [value.jaxpr]
  if isinstance(value, core.Jaxpr):
    return [value]
  return []


def jaxpr_flops(jaxpr: core.Jaxpr) -> int:
  """Conv + dot FLOPs of a jaxpr, nested calls included: scan bodies times their length, the
  costliest branch of a cond, while-loop bodies once (their trip count is not static)."""
  total = 0
  for eqn in jaxpr.eqns:
    if eqn.primitive.name in _COUNTED:
      total += _COUNTED[eqn.primitive.name](eqn)
      continue
    for name, value in eqn.params.items():
      if name == "branches":
        total += max(jaxpr_flops(b.jaxpr) for b in value)
        continue
      for sub in _sub_jaxprs(value):
        total += jaxpr_flops(sub) * (eqn.params.get("length", 1) if eqn.primitive.name == "scan"
                                     else 1)
  return total


def count(fn, *args) -> int:
  """FLOPs of fn(*args); args may be jax.ShapeDtypeStructs (nothing runs)."""
  return jaxpr_flops(jax.make_jaxpr(fn)(*args).jaxpr)


def xla_flops(compiled, devices: int = 1) -> float | None:
  """FLOPs of a compiled program from XLA's cost analysis (None if absent).

  The analysis is per device: a program sharded over `devices` does that many times more."""
  cost = compiled.cost_analysis()
  cost = cost[0] if isinstance(cost, (list, tuple)) else cost  # older JAX: one dict per program
  value = (cost or {}).get("flops")
  return None if value is None else float(value) * devices
