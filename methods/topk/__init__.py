"""TopK sparse autoencoder (Makhzani & Frey 2014; Gao et al. 2024): ``config`` (torch-free), ``model``."""
