"""Deterministic autoencoder (the control): ``config`` (torch-free), ``model``."""
