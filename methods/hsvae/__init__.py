"""HSVAE (Prokhorov et al., RepL4NLP 2021): ``config`` (torch-free identity and hyperparameters), ``model``."""
