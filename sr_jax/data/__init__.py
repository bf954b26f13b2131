"""Input data: image sources, the grain training pipeline, benchmark sets."""
