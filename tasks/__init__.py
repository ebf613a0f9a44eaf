"""Corpora and everything that judges codes.

Nothing here imports torch, ``methods`` or ``bench``: metrics take numpy arrays and labels, corpora
yield token-id arrays, so that every number can be checked without a model in the loop.
"""
