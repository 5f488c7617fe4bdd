"""On German credit, the defaults beat a plain LGBMClassifier on the same folds."""

from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from bnpl_risk.model import CreditModel

GERMAN = Path("/work/shared/data/german_credit.csv")


@pytest.mark.slow
@pytest.mark.skipif(not GERMAN.exists(), reason="the shared public data sets are not here")
def test_german_credit_auc_beats_plain_lightgbm():
    X = pd.read_csv(GERMAN)
    y = (X.pop("creditability") == "bad").astype(int).to_numpy()
    as_categories = X.astype({c: "category" for c in X.select_dtypes(exclude="number")})
    ours, plain = [], []
    for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(X, y):
        model = CreditModel(random_state=0).fit(X.iloc[train], y[train])
        ours.append(roc_auc_score(y[test], model.predict_proba(X.iloc[test])[:, 1]))
        base = lgb.LGBMClassifier(n_jobs=1, verbose=-1).fit(as_categories.iloc[train], y[train])
        plain.append(roc_auc_score(y[test], base.predict_proba(as_categories.iloc[test])[:, 1]))
    assert np.mean(ours) >= max(np.mean(plain), 0.780)
