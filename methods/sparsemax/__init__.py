"""Sparsemax autoencoder (after Trifonov et al., BlackboxNLP 2018): ``config`` (torch-free), ``model``."""
