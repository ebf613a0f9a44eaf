"""Helpers shared by ``bench``, ``methods`` and ``tasks`` that depend on none of them (a leaf of the import graph)."""
