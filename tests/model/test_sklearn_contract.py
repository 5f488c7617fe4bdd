"""CreditModel honours the scikit-learn estimator contract."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from bnpl_risk.model import CreditModel


@parametrize_with_checks([CreditModel()])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
