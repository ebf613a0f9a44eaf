"""Sparse sentence encoders: the interface, the registry, the shared GRU backbone and the methods.

Importing this package (and ``methods.registry`` / each method's ``config``) does not import torch: the
CLI lists methods and their hyperparameters without paying for it.  Model classes are loaded on
first use.
"""
