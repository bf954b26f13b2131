"""Array operations shared by data, models and evaluation."""
