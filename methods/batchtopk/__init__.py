"""BatchTopK sparse autoencoder (Bussmann et al. 2024): ``config`` (torch-free), ``model``."""
