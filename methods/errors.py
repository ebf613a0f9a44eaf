"""Errors a user can act on: unknown method, bad hyperparameter, broken plugin."""
from __future__ import annotations


class MethodError(ValueError):
    """The named method or one of its hyperparameters is unusable; the message says what would work."""
