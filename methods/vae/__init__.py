"""Dense Gaussian VAE (the control): ``config`` (torch-free), ``model``."""
