"""Shared test tools: tiny tables by hand, random small books, and a slow reference builder.

The reference (:func:`oracle`) loops over applications and filters the
tables with plain pandas, following the registry's definitions word by
word and :func:`bnpl_risk.histories.dpd.dpd_at` for days past due. The
fast builder must agree with it on any history.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from bnpl_risk.histories import Histories
from bnpl_risk.histories.dpd import dpd_at, settled_ts
from bnpl_risk.histories.schema import CATEGORIES, CHANNELS, RESELLABLE_CATEGORIES

BASE = pd.Timestamp("2024-01-01")
DAY = pd.Timedelta(days=1)
TS = "datetime64[ns]"


def ts(text):
    """A timestamp (or NaT for None) from text."""
    return pd.NaT if text is None else pd.Timestamp(text)


def customers(*rows) -> pd.DataFrame:
    """Rows: (customer_id, signup_ts, birth_year, kyc_level, city_tier)."""
    frame = pd.DataFrame(
        list(rows) or None,
        columns=["customer_id", "signup_ts", "birth_year", "kyc_level", "city_tier"],
    )
    return frame.astype({"signup_ts": TS})


def orders(*rows) -> pd.DataFrame:
    """Rows: (order_id, customer_id, order_ts, amount, category, channel, payment, status,
    refund_ts)."""
    frame = pd.DataFrame(
        list(rows) or None,
        columns=[
            "order_id",
            "customer_id",
            "order_ts",
            "amount",
            "category",
            "channel",
            "payment",
            "status",
            "refund_ts",
        ],
    )
    return frame.astype({"order_ts": TS, "refund_ts": TS, "amount": float})


def installments(*rows) -> pd.DataFrame:
    """Rows: (loan_id, customer_id, installment_no, due_date, amount_due, paid_ts,
    amount_paid)."""
    frame = pd.DataFrame(
        list(rows) or None,
        columns=[
            "loan_id",
            "customer_id",
            "installment_no",
            "due_date",
            "amount_due",
            "paid_ts",
            "amount_paid",
        ],
    )
    return frame.astype({"due_date": TS, "paid_ts": TS, "amount_due": float, "amount_paid": float})


def applications(*rows) -> pd.DataFrame:
    """Rows: (application_id, customer_id, as_of, requested_amount, channel)."""
    frame = pd.DataFrame(
        list(rows) or None,
        columns=["application_id", "customer_id", "as_of", "requested_amount", "channel"],
    )
    return frame.astype({"as_of": TS, "requested_amount": float})


# --- random small books -----------------------------------------------------------------

_AMOUNTS = (9.9, 25.5, 100.0, 100.0, 300.0, 1234.56)
# Some event and cut times share a tick; sub-second offsets exercise exact ordering.
_SUBSECOND = st.sampled_from([0, 0, 0, 1, 500_000_000, 999_999_999])


@st.composite
def moments(draw, lo_days=0, hi_days=200):
    """A time: whole minutes from BASE, sometimes midnight, sometimes with nanoseconds."""
    minutes = draw(st.integers(lo_days * 1440, hi_days * 1440))
    if draw(st.booleans()):
        minutes -= minutes % 1440
    return BASE + pd.Timedelta(minutes=minutes) + pd.Timedelta(draw(_SUBSECOND), "ns")


@st.composite
def books(draw, max_customers=3, max_orders=6, max_apps=4):
    """(Histories, applications) of a few customers with orders, loans and applications."""
    n_cust = draw(st.integers(1, max_customers))
    cust_rows, order_rows, inst_rows, app_rows = [], [], [], []
    events = []
    for c in range(n_cust):
        cid = f"c{c}"
        signup = draw(moments(0, 60))
        cust_rows.append(
            (
                cid,
                signup,
                draw(st.integers(1960, 2008)),
                draw(st.integers(0, 3)),
                draw(st.integers(1, 5)),
            )
        )
        for _ in range(draw(st.integers(0, max_orders))):
            oid = f"o{len(order_rows)}"
            t = draw(moments(0, 200))
            amount = draw(st.sampled_from(_AMOUNTS))
            payment = draw(st.sampled_from(["bnpl", "upfront"]))
            status = draw(st.sampled_from(["completed", "completed", "refunded", "cancelled"]))
            refund = None
            if status != "completed" and draw(st.integers(0, 4)):
                refund = t + pd.Timedelta(minutes=draw(st.integers(0, 60 * 1440)))
            order_rows.append(
                (
                    oid,
                    cid,
                    t,
                    amount,
                    draw(st.sampled_from(CATEGORIES)),
                    draw(st.sampled_from(CHANNELS)),
                    payment,
                    status,
                    refund,
                )
            )
            events += [t] + ([refund] if refund is not None else [])
            if payment == "bnpl":
                inst_rows += _draw_installments(draw, oid, cid, t, amount, events)
        for _ in range(draw(st.integers(1, max_apps))):
            app_rows.append(
                [
                    f"a{len(app_rows)}",
                    cid,
                    None,
                    draw(st.one_of(st.none(), st.sampled_from(_AMOUNTS))),
                    draw(st.sampled_from(CHANNELS)),
                ]
            )
    # An application's as_of is a random moment or exactly an event time (or a day multiple
    # away from one), where strictly-before matters.
    for row in app_rows:
        if events and draw(st.booleans()):
            row[2] = draw(st.sampled_from(events)) + draw(st.sampled_from([0, 1, 7, 30])) * DAY
        else:
            row[2] = draw(moments(0, 320))
    h = Histories(customers(*cust_rows), orders(*order_rows), installments(*inst_rows))
    return h, applications(*map(tuple, app_rows))


def _draw_installments(draw, oid, cid, t, amount, events):
    n = draw(st.sampled_from([1, 1, 3]))
    first = t.normalize() + 30 * DAY if draw(st.booleans()) else t + 30 * DAY
    rows = []
    for i in range(1, n + 1):
        due = first + (i - 1) * 30 * DAY
        owed = round(amount / n, 2)
        kind = draw(st.sampled_from(["never", "early", "on_time", "late", "part", "late"]))
        paid, paid_amount = None, 0.0
        if kind == "early":
            paid = due - pd.Timedelta(minutes=draw(st.integers(1, 20 * 1440)))
            paid = max(paid, t)
        elif kind == "on_time":
            paid = due + pd.Timedelta(minutes=draw(st.integers(0, 1439)))
        elif kind in ("late", "part"):
            paid = due + pd.Timedelta(minutes=draw(st.integers(1440, 50 * 1440)))
        if paid is not None:
            paid_amount = round(owed / 2, 2) if kind == "part" else owed
            events.append(paid)
        events.append(due)
        rows.append((oid, cid, i, due, owed, paid, paid_amount))
    return rows


# --- the slow reference ------------------------------------------------------------------


def own_rows(h: Histories, customer_id: str) -> Histories:
    """The rows of one customer alone: what a service holds at checkout."""
    return Histories(*(t[t["customer_id"] == customer_id] for t in h.tables().values()))


def oracle(h: Histories, apps: pd.DataFrame, windows=(7, 30, 90, 180)) -> pd.DataFrame:
    """Features by definition, one application at a time."""
    people = h.customers.set_index("customer_id")
    loans = h.installments.merge(
        h.orders[["order_id", "customer_id", "order_ts"]].rename(
            columns={"order_id": "loan_id", "customer_id": "owner"}
        ),
        on="loan_id",
    )
    rows = [_oracle_row(h, people, loans, app, windows) for app in apps.to_dict("records")]
    return pd.DataFrame(rows, index=pd.Index(apps["application_id"], name="application_id"))


def _oracle_row(h, people, loans, app, windows):
    q = app["as_of"]
    cid = app["customer_id"]
    cust = people.loc[cid]
    out = {
        "account_age_days": max((q - cust["signup_ts"]) / DAY, 0.0),
        "age_years": q.year - cust["birth_year"],
        "kyc_level": cust["kyc_level"],
        "city_tier": cust["city_tier"],
        "requested_amount": app["requested_amount"],
    }
    for c in CHANNELS:
        out[f"app_channel_{c}"] = float(app["channel"] == c)

    o = h.orders[(h.orders["customer_id"] == cid) & (h.orders["order_ts"] < q)]
    reversed_at = o["refund_ts"].where(o["refund_ts"].notna(), o["order_ts"])
    done = o[(o["status"] == "completed") | (reversed_at >= q)]
    refunded = o[(o["status"] == "refunded") & (reversed_at < q)]
    cancelled = o[(o["status"] == "cancelled") & (reversed_at < q)]

    def since(frame, w):
        return frame[frame["order_ts"] >= q - w * DAY] if w != "all" else frame

    for w in (*sorted(set(windows) | {7, 30, 90, 180}), "all"):
        tag = "all" if w == "all" else f"{w}d"
        d = since(done, w)["amount"]
        placed = since(o, w)
        out[f"spend_count_{tag}"] = len(d)
        out[f"spend_sum_{tag}"] = d.sum()
        out[f"spend_mean_{tag}"] = d.mean() if len(d) else np.nan
        out[f"spend_max_{tag}"] = d.max() if len(d) else np.nan
        out[f"spend_std_{tag}"] = d.std(ddof=0) if len(d) else np.nan
        out[f"refund_rate_{tag}"] = _share(len(since(refunded, w)), len(placed))
        out[f"cancel_rate_{tag}"] = _share(len(since(cancelled, w)), len(placed))
        out[f"refund_amount_share_{tag}"] = _share(
            since(refunded, w)["amount"].sum(), placed["amount"].sum()
        )
        out[f"_placed_{tag}"] = len(placed)
        out[f"_amount_{tag}"] = placed["amount"].sum()
    for w in (30, 90):
        p = since(o, w)
        out[f"live_stream_share_{w}d"] = _share((p["channel"] == "live_stream").sum(), len(p))
        out[f"short_video_share_{w}d"] = _share((p["channel"] == "short_video").sum(), len(p))
        night = (p["order_ts"].dt.hour < 5).sum()
        out[f"night_share_{w}d"] = _share(night, len(p))
        resold = p.loc[p["category"].isin(RESELLABLE_CATEGORIES), "amount"].sum()
        out[f"resellable_share_{w}d"] = _share(resold, p["amount"].sum())
    out["bnpl_share_90d"] = _share((since(o, 90)["payment"] == "bnpl").sum(), len(since(o, 90)))
    out["bnpl_share_all"] = _share((o["payment"] == "bnpl").sum(), len(o))
    out["days_since_last_order"] = (q - o["order_ts"].max()) / DAY if len(o) else np.nan
    out["spend_trend_30d_180d"] = _share(out["spend_sum_30d"] / 30, out["spend_sum_180d"] / 180)
    out["velocity_orders_7d_vs_90d"] = _share(out["_placed_7d"] / 7, out["_placed_90d"] / 90)
    out["velocity_amount_7d_vs_90d"] = _share(out["_amount_7d"] / 7, out["_amount_90d"] / 90)
    out["amount_placed_7d"] = out["_amount_7d"]
    out["amount_per_account_day"] = out["_amount_all"] / max(out["account_age_days"], 1.0)
    out["requested_to_avg_order"] = (
        app["requested_amount"] / out["spend_mean_all"]
        if out["spend_count_all"] and not math.isnan(app["requested_amount"])
        else np.nan
    )
    out.update(_oracle_loans(loans, cid, q, windows))
    return {k: float(v) for k, v in out.items() if not k.startswith("_")}


def _oracle_loans(inst, cid, q, windows):
    # Timestamps go to numpy by .to_datetime64(): np.datetime64(ts) drops nanoseconds.
    inst = inst[(inst["owner"] == cid) & (inst["order_ts"] < q)].reset_index(drop=True)
    settled = pd.Series(settled_ts(inst), index=inst.index)
    known = settled < q
    paid_before = inst["paid_ts"] < q
    paid_at_q = np.where(
        known,
        inst["amount_due"],
        np.where(paid_before, np.minimum(inst["amount_paid"], inst["amount_due"]), 0.0),
    )
    owed = inst["amount_due"] - paid_at_q
    loans = inst.groupby("loan_id").agg(t=("order_ts", "first"), n=("loan_id", "size"))
    out = {}
    out["bnpl_loans_all"] = len(loans)
    out["open_bnpl_loans"] = inst.loc[~known, "loan_id"].nunique()
    out["outstanding_balance"] = owed.sum()
    soon = (inst["due_date"] >= q) & (inst["due_date"] < q + 30 * DAY) & ~known
    out["due_next_30d_count"] = soon.sum()
    out["due_next_30d_amount"] = owed[soon].sum()
    out["max_plan_installments"] = loans["n"].max() if len(loans) else np.nan
    out["bnpl_tenure_days"] = (q - loans["t"].min()) / DAY if len(loans) else np.nan
    for w in (7, 30):
        out[f"new_bnpl_loans_{w}d"] = (loans["t"] >= q - w * DAY).sum()

    due = inst["due_date"]
    out["installments_due_count"] = (due < q).sum()
    now = dpd_at(inst, q.to_datetime64())
    out["current_dpd"] = now.max() if len(inst) else 0
    out["overdue_count"] = (now >= 1).sum()
    out["overdue_amount"] = owed[now >= 1].sum()

    def reached(k):
        # Reached k DPD by as_of: due + k days has come, and it was k DPD then.
        at = (due + k * DAY).to_numpy(TS)
        return (at <= q) & (dpd_at(inst, at) >= k)

    for k in (1, 7, 30):
        out[f"dpd{k}_count_all"] = reached(k).sum()
    decided = (due + DAY) <= q
    out["on_time_ratio"] = _share((decided & ~reached(1)).sum(), decided.sum())
    became = (due + DAY).to_numpy(TS)
    # Worst DPD reached at a time in the window: the DPD path peaks at min(settled, as_of).
    peak_t = np.where(known, settled.to_numpy(TS), q.to_datetime64())
    peak = np.maximum(dpd_at(inst.assign(paid_ts=pd.NaT), peak_t), 0) if len(inst) else now
    out["worst_dpd_all"] = peak.max() if len(inst) else 0
    for w in sorted(set(windows) | {7, 30, 90, 180}):
        in_window = peak_t >= (q - w * DAY).to_datetime64()
        out[f"worst_dpd_{w}d"] = peak[in_window].max() if in_window.any() else 0
        out[f"late_count_{w}d"] = (reached(1) & (became > (q - w * DAY).to_datetime64())).sum()
    cured = known & (settled >= due + DAY)
    out["cured_count"] = cured.sum()
    if out["current_dpd"] >= 1:
        out["days_since_last_late"] = 0.0
    else:
        out["days_since_last_late"] = (q - settled[cured].max()) / DAY if cured.any() else np.nan
    delay_s = ((settled - due)[known] // pd.Timedelta(seconds=1)).sum()
    out["avg_pay_delay_days"] = _share(delay_s / 86_400, known.sum())
    return out


def _share(num, den):
    return num / den if den else np.nan
