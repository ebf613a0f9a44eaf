"""TON / Variational Sparse Coding (Tonolini et al., UAI 2019): ``config`` (torch-free), ``model``."""
