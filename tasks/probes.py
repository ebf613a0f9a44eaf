"""Classification probes on codes: how much label information a frozen code carries.

A logistic regression on standardised codes (scikit-learn pipeline), fit on train codes and scored
on test codes.  The paper's probe protocol is unpublished (methods.md §5.3): this is the harness's.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


@dataclass(frozen=True)
class ProbeScore:
    accuracy: float
    macro_f1: float
    n_train: int


def logistic_probe(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, test_y: np.ndarray,
                   *, C: float = 1.0, max_iter: int = 1000, random_state: int = 0) -> ProbeScore:
    clf = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=max_iter, random_state=random_state))
    clf.fit(train_x, train_y)
    pred = clf.predict(test_x)
    return ProbeScore(float(accuracy_score(test_y, pred)), float(f1_score(test_y, pred, average="macro")),
                      len(train_y))
