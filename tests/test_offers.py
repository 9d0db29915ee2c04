"""Tests of clientlens.offers: suitability, association rules, next best product, list economics.

References: hand counts on a tiny basket (support, confidence, lift worked out in the comments),
the planted product affinities of the demo bank (truth.json "products"), and constructed lists
whose profit-maximising cut is known.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from clientlens import ParamsError
from clientlens.data import load_bank
from clientlens.offers import (Catalogue, acquisition_rules, association_rules, customer_profile, holdings_matrix,
                               holdout_control, next_best_product, size_list, suitability_filter)

AS_OF = "2026-10-31"


def _basket():
    # 5 customers: fund held by 1, 2, 3; insurance by 2, 3, 4; loan by 5 only
    return pd.DataFrame({"fund": [1, 1, 1, 0, 0], "insurance": [0, 1, 1, 1, 0], "loan": [0, 0, 0, 0, 1]},
                        index=list("ABCDE")).astype(bool)


def test_support_confidence_lift_match_hand_counts_on_a_tiny_basket():
    r = association_rules(_basket()).set_index(["antecedent", "consequent"])
    # fund -> insurance: both = {B, C} = 2 of 5 -> support 0.4; confidence 2/3; lift (2/3) / (3/5) = 10/9
    fi = r.loc[("fund", "insurance")]
    assert fi["support"] == pytest.approx(0.4)
    assert fi["confidence"] == pytest.approx(2 / 3)
    assert fi["lift"] == pytest.approx(10 / 9)
    assert fi["n_antecedent"] == 3 and fi["n_both"] == 2
    # loan -> fund: never together -> support 0, confidence 0, lift 0
    assert r.loc[("loan", "fund"), "confidence"] == 0 and r.loc[("loan", "fund"), "lift"] == 0
    assert len(r) == 6                             # every ordered pair of 3 products
    assert len(association_rules(_basket(), min_support=0.3)) == 2


def test_acquisition_rules_match_hand_counts():
    before = _basket()
    after = before.copy()
    after.loc[["A", "E"], "insurance"] = True      # A (holds fund) and E (holds loan) take insurance
    r = acquisition_rules(before, after).set_index(["antecedent", "consequent"])
    # without insurance at the start: A, E. fund-holders among them: A -> 1 of 1 acquired: confidence 1;
    # base rate of insurance acquisition = 2 of 2 = 1 -> lift 1; support 1 / 5
    assert r.loc[("fund", "insurance"), "confidence"] == pytest.approx(1.0)
    assert r.loc[("fund", "insurance"), "support"] == pytest.approx(0.2)
    assert r.loc[("loan", "insurance"), "lift"] == pytest.approx(1.0)
    # nobody acquired fund: confidence 0
    assert r.loc[("insurance", "fund"), "confidence"] == 0


def test_catalogue_suitability_levels_and_errors():
    cat = Catalogue.from_params()
    ok = cat.suitable(["conservative", "conservative", "balanced", "balanced", "aggressive", None, None],
                      ["fund", "time_deposit", "fund", "insurance", "fund", "fund", "credit_card"])
    # fund is R3: not for conservative (R1) nor unassessed (only unrated products); deposits and cards are unrated
    assert ok.tolist() == [False, True, True, True, True, False, True]
    # no offer (None, NaN, empty) is always suitable; one product for every customer is broadcast
    assert cat.suitable(["conservative"] * 3, [None, float("nan"), ""]).all()
    assert cat.suitable(["conservative", "aggressive", None], "fund").tolist() == [False, True, False]
    pairs = pd.DataFrame({"risk_appetite": ["conservative", "balanced"], "product": ["wealth_mgmt", "wealth_mgmt"]})
    kept, counts = suitability_filter(pairs, cat)
    assert counts["unsuitable"] == 1 and len(kept) == 1 and counts["unsuitable_by_product"] == {"wealth_mgmt": 1}
    with pytest.raises(ParamsError, match="unknown product"):
        Catalogue.from_params({"gold": {"risk": "R2"}})
    with pytest.raises(ParamsError, match="must be one of"):
        Catalogue.from_params({"fund": {"risk": "R9"}})
    with pytest.raises(ParamsError, match="max_level must map every appetite"):
        Catalogue.from_params(None, {"max_level": {"conservative": "R1"}})


@pytest.fixture(scope="module")
def small(demo_small):
    return load_bank(demo_small), json.loads((demo_small / "truth" / "truth.json").read_text())


def test_planted_coholding_and_acquisition_affinities_are_the_top_rules(small):
    bank, truth = small
    planted = truth["products"]
    now = holdings_matrix(bank, AS_OF)
    co = association_rules(now, min_support=0.01)
    top = co.iloc[0]
    pair = {planted["coholding"]["antecedent"], planted["coholding"]["consequent"]}
    assert {top["antecedent"], top["consequent"]} == pair          # the planted pair has the highest lift
    r = co.set_index(["antecedent", "consequent"]).loc[(planted["coholding"]["antecedent"],
                                                        planted["coholding"]["consequent"])]
    assert r["confidence"] >= planted["coholding"]["extra_prob"]    # at least the planted extra probability
    before = holdings_matrix(bank, "2025-10-31")
    acq = acquisition_rules(before, now, min_support=0.005)
    a = acq.iloc[0]
    A = planted["acquisition"]
    assert (a["antecedent"], a["consequent"]) == (A["antecedent"], A["consequent"])
    assert a["confidence"] == pytest.approx(A["prob"], abs=0.1)      # 3k bank: ~190 loan holders, SE ~0.04


def test_next_best_product_is_never_held_unsuitable_or_ineligible(small):
    bank, _ = small
    now = holdings_matrix(bank, AS_OF)
    prof = customer_profile(bank, AS_OF)
    cat = Catalogue.from_params()
    rules = acquisition_rules(holdings_matrix(bank, "2025-10-31"), now)
    nbp = next_best_product(now, prof, rules, cat)
    got = nbp[nbp["product"] != ""]
    assert len(got) > 0.3 * len(nbp)
    held = now.to_numpy()[now.index.get_indexer(got.index), [list(now.columns).index(p) for p in got["product"]]]
    assert not held.any()
    assert cat.suitable(prof.loc[got.index, "risk_appetite"].to_numpy(dtype=object), got["product"].to_numpy()).all()
    for p, g in got.groupby("product"):
        assert cat.eligible(prof.loc[g.index], p).all()
    f = nbp.attrs["funnel"]
    assert f["unsuitable_pairs"] > 0 and f["customers_with_product"] == len(got)


def _candidates(n=1000, seed=0):
    rng = np.random.default_rng(seed)
    p = np.sort(rng.beta(1, 12, n))[::-1]
    chan = np.where(np.arange(n) % 10 == 0, "rm", "sms")
    return pd.DataFrame({"customer_id": [f"C{i}" for i in range(n)], "propensity": p, "channel": chan})


def test_doubling_the_contact_cost_shrinks_the_list_and_the_cut_maximises_profit():
    cand = _candidates()
    costs = {"rm": 40.0, "sms": 5.0}
    lst, gains = size_list(cand, value_per_response=400.0, contact_cost=costs, capacity={})
    lst2, _ = size_list(cand, value_per_response=400.0, contact_cost={k: 2 * v for k, v in costs.items()}, capacity={})
    assert 0 < len(lst2) < len(lst) < len(cand)
    # every listed customer has positive expected profit, everyone left out a non-positive one
    profit = cand["propensity"] * 400 - cand["channel"].map(costs)
    assert (lst["expected_profit"] > 0).all() and len(lst) == int((profit > 0).sum())
    chosen = gains.loc[gains["chosen"]].iloc[0]
    assert chosen["expected_profit"] == pytest.approx(gains["expected_profit"].max())


def test_capacity_of_n_per_day_caps_rm_contacts_at_n():
    cand = _candidates()
    lst, _ = size_list(cand, value_per_response=1000.0, contact_cost={"rm": 1.0, "sms": 0.1},
                       capacity={"rm": 7}, days=1)
    assert (lst["channel"] == "rm").sum() == 7
    assert lst.attrs["funnel"]["over_capacity"] > 0
    lst3, _ = size_list(cand, value_per_response=1000.0, contact_cost={"rm": 1.0, "sms": 0.1},
                        capacity={"rm": 7}, days=3)
    assert (lst3["channel"] == "rm").sum() == 21


def test_holdout_control_is_a_random_ten_percent():
    lst = _candidates(2000)
    a = holdout_control(lst, 0.1, random_state=1)
    assert (a["group"] == "control").sum() == 200
    # random, not the bottom of the list: the control's mean rank is near the middle
    pos = np.flatnonzero(a["group"].to_numpy() == "control")
    assert abs(pos.mean() - 1000) < 100
    assert a["group"].equals(holdout_control(lst, 0.1, random_state=1)["group"])      # seeded
    assert not a["group"].equals(holdout_control(lst, 0.1, random_state=2)["group"])
    with pytest.raises(ParamsError, match="control_share"):
        holdout_control(lst, 1.5)
