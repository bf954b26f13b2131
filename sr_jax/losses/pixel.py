"""Pixel losses between SR and HR batches in [0, 1]; each returns a scalar mean."""
import jax.numpy as jnp


def l1(pred, target):
  return jnp.mean(jnp.abs(pred - target))


def mse(pred, target):
  return jnp.mean((pred - target) ** 2)


def charbonnier(pred, target, eps: float = 1e-3):
  """sqrt((x - y)² + ε²), LapSRN's robust L1 (ε = 1e-3)."""
  return jnp.mean(jnp.sqrt((pred - target) ** 2 + eps**2))


PIXEL_LOSSES = {"l1": l1, "mse": mse, "charbonnier": charbonnier}
REDUCTIONS = ("mean", "sum")


def reduced(loss_fn, reduction: str):
  """loss_fn as a mean over every element ('mean'), or summed over each image's pixels and
  channels and averaged over the batch ('sum')."""
  if reduction == "mean":
    return loss_fn
  return lambda pred, target: loss_fn(pred, target) * (pred.size // pred.shape[0])
