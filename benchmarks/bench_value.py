"""Value-to-the-bank and next-best-product benchmarks (issue 14): each within 60 s and 8 GB at 1M customers.

``value_model``: annual margins by product from balances and transactions (DuckDB), the BTYD retention
projection (model fitted untimed in ``prepare``) and the cohort rule. ``next_best_product``: holdings at two
month-ends, co-holding and acquisition rules, the customer profile and each customer's next best product.
"""
from __future__ import annotations

import json
from pathlib import Path

from benchmarks.harness import Case, demo_data

AS_OF = "2026-10-31"


def _model_path(params, cache) -> Path:
    return cache / f"value_bgnbd_{params['demo_customers']}.json"


def _prepare_value(params, cache):
    """The demo bank, its RFM table and a fitted BG/NBD (untimed: the fit is benchmarked in bench_clv)."""
    out = _model_path(params, cache)
    if out.exists():
        return
    from clientlens import clv
    from clientlens.data import load_bank

    bank = load_bank(demo_data(params["demo_customers"]), tables=["customers", "transactions"])
    rfm = clv.rfm_summary(bank, as_of=AS_OF).table
    model = clv.BTYDModel("bgnbd", random_state=0).fit(rfm)
    rfm.to_parquet(out.with_suffix(".parquet"))
    out.write_text(json.dumps(model.params_))


def _fitted(params, cache):
    """The RFM table and the BG/NBD rebuilt from its saved parameters (lifetimes' fitters do not pickle)."""
    import pandas as pd
    from lifetimes import BetaGeoFitter

    from clientlens import clv

    p = json.loads(_model_path(params, cache).read_text())
    model = clv.BTYDModel("bgnbd")
    model.fitter_ = BetaGeoFitter()
    model.fitter_.params_ = pd.Series(p)
    model.params_ = p
    return pd.read_parquet(_model_path(params, cache).with_suffix(".parquet")), model


def _run_value(params, cache):
    from clientlens import value
    from clientlens.data import load_bank

    rfm, model = _fitted(params, cache)
    bank = load_bank(demo_data(params["demo_customers"]), tables=["customers", "monthly_balances", "transactions"])
    rates = value.ValueRates()
    margins = value.annual_margins(bank, AS_OF, rates)
    ret = value.retention_weights(rfm, model, horizon_months=rates.horizon_months,
                                  discount_rate=rates.discount_rate).join(rfm[["frequency"]])
    v = value.customer_value(margins, ret, rates)
    return {"customers": len(v), "too_new": int(v["too_new"].sum()),
            "spearman_value_aum": round(float(v["value"].corr(v["aum"], method="spearman")), 3)}


def _prepare_demo(params, cache):
    demo_data(params["demo_customers"])


def _run_nbp(params, cache):
    from clientlens import offers
    from clientlens.data import load_bank

    bank = load_bank(demo_data(params["demo_customers"]), tables=["customers", "monthly_balances"])
    now = offers.holdings_matrix(bank, AS_OF)
    before = offers.holdings_matrix(bank, "2025-10-31")
    co = offers.association_rules(now, min_support=0.01)
    acq = offers.acquisition_rules(before, now)
    prof = offers.customer_profile(bank, AS_OF)
    nbp = offers.next_best_product(now, prof, co, offers.Catalogue.from_params())
    return {"customers": len(nbp), "with_product": int((nbp["product"] != "").sum()),
            "top_coholding": f"{co.iloc[0]['antecedent']}->{co.iloc[0]['consequent']}",
            "top_acquisition": f"{acq.iloc[0]['antecedent']}->{acq.iloc[0]['consequent']}"}


CASES = [
    Case("value_model", "1M-customers", _run_value, _prepare_value, {"demo_customers": 1_000_000},
         target="<= 60 s, <= 8 GB"),
    Case("next_best_product", "1M-customers", _run_nbp, _prepare_demo, {"demo_customers": 1_000_000},
         target="<= 60 s, <= 8 GB"),
    Case("value_model", "200k-customers", _run_value, _prepare_value, {"demo_customers": 200_000},
         target="smaller size when the machine is shared"),
    Case("next_best_product", "200k-customers", _run_nbp, _prepare_demo, {"demo_customers": 200_000},
         target="smaller size when the machine is shared"),
    Case("value_model", "20k-customers", _run_value, _prepare_value, {"demo_customers": 20_000}, target="smoke"),
    Case("next_best_product", "20k-customers", _run_nbp, _prepare_demo, {"demo_customers": 20_000}, target="smoke"),
]
