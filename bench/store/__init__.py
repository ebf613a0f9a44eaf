"""The results folder: typed records, weights, provenance, and which records are of an older protocol."""
