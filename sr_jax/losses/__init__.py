"""Loss functions: pure functions of (prediction, target) arrays."""
