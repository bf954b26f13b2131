"""Training: mesh and shardings, state, optimizer, step, checkpoints, logs, the loop."""
