"""Helpers of the scorer tests: one application decided alone, as a service would."""

import pandas as pd

from bnpl_risk.histories import Histories


def own_rows(histories: Histories, customer_id: str) -> Histories:
    """The histories of one customer alone: what a service holds at checkout."""
    return Histories(*(t[t["customer_id"] == customer_id] for t in histories.tables().values()))


def decide_alone(scorer, histories: Histories, app, **kw):
    """``scorer.decide_one`` of application row ``app`` from its customer's own rows."""
    return scorer.decide_one(
        own_rows(histories, app.customer_id),
        app.customer_id,
        app.as_of,
        requested_amount=None if pd.isna(app.requested_amount) else app.requested_amount,
        channel=app.channel,
        **kw,
    )
