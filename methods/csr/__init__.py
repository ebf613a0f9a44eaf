"""CSR, Contrastive Sparse Representation (Wen et al., ICML 2025), through sentence-transformers: ``config``, ``model``."""
