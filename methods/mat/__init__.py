"""MAT-VAE (Mathieu et al., ICML 2019): ``config`` (torch-free identity and hyperparameters), ``model``."""
