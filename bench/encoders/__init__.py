"""Frozen sentence encoders: resolution to one identity, encoding, and the on-disk embedding cache."""
