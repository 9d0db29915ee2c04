"""Tests of the demo bank generator (clientlens.demo) against its spec, docs/demo-bank.md.

Fast structural tests generate small banks into tmp_path; the realism and planted-truth
tests use the cached ``demo_medium`` bank (20,000 customers, seed 42) and recompute every
planted rule independently with pandas from the generated tables.
"""
from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from scipy import stats

from clientlens import ParamsError
from clientlens.data import load_bank
from clientlens.demo import generate_demo
from clientlens.schema import TABLES

AS_OF = pd.Timestamp("2026-10-31")
TABLE_FILES = ("customers", "monthly_balances", "transactions", "campaigns", "holdings")


# ---------------------------------------------------------------------------
# structure, determinism, schema
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_bank(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo_small_a")
    summary = generate_demo(out, n_customers=1_500, seed=3, chunk_size=600, progress=False)
    return out, summary


def _read(folder, name):
    sub = "truth/" if name in ("customers_truth", "campaign_truth") else ""
    return pq.read_table(folder / f"{sub}{name}.parquet")


def test_same_seed_gives_identical_tables_and_other_seed_differs(small_bank, tmp_path):
    out_a, summary_a = small_bank
    out_b = tmp_path / "b"
    summary_b = generate_demo(out_b, n_customers=1_500, seed=3, chunk_size=600, progress=False)
    assert summary_a["rows"] == summary_b["rows"]
    for name in TABLE_FILES + ("customers_truth", "campaign_truth"):
        assert _read(out_a, name).equals(_read(out_b, name)), name
    assert json.loads((out_a / "truth/truth.json").read_text()) == json.loads((out_b / "truth/truth.json").read_text())
    out_c = tmp_path / "c"
    generate_demo(out_c, n_customers=1_500, seed=4, chunk_size=600, progress=False)
    assert not _read(out_a, "transactions").equals(_read(out_c, "transactions"))
    income = "income_monthly"
    assert not _read(out_a, "customers").column(income).equals(_read(out_c, "customers").column(income))


def test_summary_counts_match_files(small_bank):
    out, summary = small_bank
    assert summary["n_customers"] == 1_500 and summary["seed"] == 3 and summary["seconds"] > 0
    for name in TABLE_FILES:
        assert summary["rows"][name] == pq.read_metadata(out / f"{name}.parquet").num_rows
    assert summary["rows"]["customers"] == 1_500


def test_tables_follow_the_contract_and_load_bank_accepts_them(small_bank):
    out, _ = small_bank
    bank = load_bank(out, allow_pii=True)
    assert bank.present == set(TABLE_FILES)
    for name in TABLE_FILES:
        schema = pq.read_schema(out / f"{name}.parquet")
        assert schema.names == TABLES[name].column_names, name   # every contract column, in order
        for col in TABLES[name].columns:
            t = schema.field(col.name).type
            if col.kind == "bool":
                assert str(t) == "bool", (name, col.name)
            elif col.kind == "number":
                assert str(t) == "double", (name, col.name)
            elif col.kind == "int":
                assert str(t) == "int64", (name, col.name)
            elif col.kind == "date":
                assert str(t) == "date32[day]", (name, col.name)
            else:
                assert str(t) == "string", (name, col.name)
    cust = bank.df("customers")
    assert cust["customer_id"].str.fullmatch(r"C\d{8}").all()
    assert cust["customer_id"].is_unique
    # synthetic personal data, so that masking is meaningful
    assert cust["phone"].str.fullmatch(r"1[35789]\d{9}").all()
    assert cust["id_number"].str.fullmatch(r"\d{17}[\dX]").all()
    assert cust["name"].notna().all() and cust["name"].str.len().between(2, 3).all()
    tx = bank.df("transactions")
    assert tx["txn_id"].is_unique and tx["txn_id"].str.fullmatch(r"T\d{11}").all()
    assert set(tx["direction"]) == {"in", "out"}
    assert tx["txn_date"].max() <= AS_OF and tx["txn_date"].min() >= pd.Timestamp("2024-11-01")
    assert (tx["amount"] > 0).all()
    bal = bank.df("monthly_balances")
    ends = sorted(bal["month_end"].unique())
    assert len(ends) == 24 and ends[0] == pd.Timestamp("2024-11-30") and ends[-1] == AS_OF
    parts = bal[["demand_deposit", "time_deposit", "wealth_mgmt", "fund", "insurance"]].sum(axis=1)
    assert np.allclose(parts, bal["aum"], atol=0.05)
    # no balance row before the month of opening
    opened = bal.merge(cust[["customer_id", "open_date"]], on="customer_id")
    assert (opened["month_end"] >= opened["open_date"]).all()
    # PII is dropped by default
    assert "name" not in load_bank(out).df("customers").columns


def test_chunked_generation_has_no_duplicate_ids_across_chunks(small_bank):
    out, _ = small_bank
    tx = pq.read_table(out / "transactions.parquet", columns=["txn_id"]).column(0).to_pandas()
    assert tx.is_unique
    truth = pq.read_table(out / "truth/customers_truth.parquet").to_pandas()
    assert truth["customer_id"].tolist() == [f"C{i:08d}" for i in range(1, 1_501)]


@pytest.mark.parametrize("kwargs, message", [
    ({"n_customers": 10}, "n_customers must be an integer >= 100; got 10"),
    ({"seed": -1}, "seed must be a non-negative integer; got -1"),
    ({"months": 6}, "months must be an integer >= 12; got 6"),
    ({"as_of": "31/10/2026"}, "as_of must be a date YYYY-MM-DD"),
    ({"chunk_size": 5}, "chunk_size must be an integer >= 100; got 5"),
])
def test_bad_parameters_raise_params_error(tmp_path, kwargs, message):
    with pytest.raises(ParamsError, match=re.escape(message)):
        generate_demo(tmp_path / "x", **{"n_customers": 200, **kwargs}, progress=False)


def test_other_as_of_and_months(tmp_path):
    generate_demo(tmp_path, n_customers=300, seed=1, as_of="2025-06-15", months=12, progress=False)
    bank = load_bank(tmp_path)
    ends = bank.sql("select distinct month_end from monthly_balances order by 1")["month_end"]
    assert len(ends) == 12 and ends.iloc[-1] == pd.Timestamp("2025-05-31")
    assert bank.sql("select max(txn_date) m from transactions")["m"].iloc[0] <= pd.Timestamp("2025-06-15")


# ---------------------------------------------------------------------------
# the default demo bank (20k, seed 42): realism and planted truth
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def medium(demo_medium):
    bank = load_bank(demo_medium)
    d = {
        "customers": bank.df("customers"),
        "balances": bank.df("monthly_balances"),
        "tx": bank.df("transactions"),
        "campaigns": bank.df("campaigns"),
        "truth": pd.read_parquet(demo_medium / "truth/customers_truth.parquet"),
        "ctruth": pd.read_parquet(demo_medium / "truth/campaign_truth.parquet"),
        "json": json.loads((demo_medium / "truth/truth.json").read_text()),
        "events": pd.read_parquet(demo_medium / "truth/events_truth.parquet"),
    }
    d["events"]["event_date"] = pd.to_datetime(d["events"]["event_date"]).astype(d["tx"]["txn_date"].dtype)
    d["truth"] = d["truth"].set_index("customer_id").loc[d["customers"]["customer_id"]].reset_index()
    for col in ("first_txn_date", "dropout_date"):
        d["truth"][col] = pd.to_datetime(d["truth"][col]).astype("datetime64[us]")
    return d


def _last_out(medium):
    out = medium["tx"][medium["tx"]["direction"] == "out"]
    return medium["customers"]["customer_id"].map(out.groupby("customer_id")["txn_date"].max())


def test_aum_is_concentrated_top_20_percent_hold_70_to_85_percent(medium):
    bal = medium["balances"]
    aum = bal.loc[bal["month_end"] == AS_OF, "aum"].sort_values(ascending=False).to_numpy()
    top = aum[: len(aum) // 5].sum() / aum.sum()
    assert 0.70 <= top <= 0.85
    # log-normal-like: log AUM is roughly symmetric, the raw values heavily right-skewed
    assert stats.skew(aum) > 5 and abs(stats.skew(np.log(aum))) < 1.0


def test_missing_income_and_education_5_to_15_percent_and_opt_out_about_3_percent(medium):
    c = medium["customers"]
    assert 0.05 <= c["income_monthly"].isna().mean() <= 0.15
    assert 0.05 <= c["education"].isna().mean() <= 0.15
    assert 0.02 <= c["marketing_opt_out"].mean() <= 0.04
    # declared income equals the true income where present
    t = medium["truth"]
    present = c["income_monthly"].notna()
    assert np.allclose(c.loc[present, "income_monthly"], t.loc[present, "true_income"])


@pytest.mark.slow(seconds=45)
def test_dormant_share_15_to_25_percent_and_some_customers_never_transact(medium):
    last = _last_out(medium)
    dormant = last.isna() | (last <= AS_OF - pd.Timedelta(days=180))
    assert 0.15 <= dormant.mean() <= 0.25
    no_txn = ~medium["customers"]["customer_id"].isin(medium["tx"]["customer_id"])
    assert 0.02 <= no_txn.mean() <= 0.05


def test_transaction_counts_are_heavy_tailed_tens_per_year(medium):
    tx = medium["tx"]
    n = len(medium["customers"])
    per_year = tx.groupby("customer_id").size().reindex(medium["customers"]["customer_id"], fill_value=0) / 2.0
    assert 20 <= per_year.mean() <= 80
    assert per_year.quantile(0.99) > 5 * per_year.median()
    assert len(tx) / n / 2 == pytest.approx(per_year.mean())


def test_holiday_months_have_a_spending_peak(medium):
    tj = medium["json"]
    out = medium["tx"][medium["tx"]["direction"] == "out"]
    day_tot = out.groupby(["customer_id", "txn_date"])["amount"].sum().reset_index()
    hol = day_tot["txn_date"].dt.month.isin(tj["holiday_months"])
    ratio = day_tot.loc[hol, "amount"].mean() / day_tot.loc[~hol, "amount"].mean()
    assert ratio == pytest.approx(tj["holiday_multiplier"], rel=0.1)
    monthly = out.groupby(out["txn_date"].dt.month)["amount"].sum()
    assert monthly.idxmax() in tj["holiday_months"]


def test_monthly_series_have_no_step_from_generation_mechanics(medium):
    """Monthly volumes move smoothly: no jump where a planted rule's window starts (e.g. the primary
    rule's last 3 months), no cliff from the BTYD dropout; only the Jan/Feb holiday peak in amounts."""
    tx, bal, tj = medium["tx"], medium["balances"], medium["json"]
    m = tx["txn_date"].dt.to_period("M")
    out, sal = tx["direction"] == "out", tx["category"] == "salary"
    bm = bal["month_end"].dt.to_period("M")
    pay = bal["payroll_retention"].notna()
    series = {
        "in_rows": tx[~out & ~sal].groupby(m).size(), "in_amount": tx[~out & ~sal].groupby(m)["amount"].sum(),
        "out_rows": tx[out].groupby(m).size(), "out_amount": tx[out].groupby(m)["amount"].sum(),
        "salary_rows": tx[sal].groupby(m).size(), "aum": bal.groupby(bm)["aum"].sum(),
        "customers_with_balance": bal.groupby(bm).size(),
    }
    hol = set(tj["holiday_months"])
    for name, s in series.items():
        s = s.sort_index()
        assert len(s) == tj["months"], name
        change = s.pct_change().iloc[1:]
        touches_holiday = np.array([p.month in hol or (p - 1).month in hol for p in change.index])
        checked = change[~touches_holiday] if name == "out_amount" else change
        assert checked.abs().max() <= 0.25, (name, checked.abs().idxmax(), checked.abs().max())
        # the rule windows (last 3 / last 9 months) do not stand out from the months before them
        assert 0.8 <= s.iloc[-3:].mean() / s.iloc[-6:-3].mean() <= 1.2, name
    # salary move-outs (retention < 0.2) are as common before the primary rule's window as in it
    low = (bal.loc[pay, "payroll_retention"] < 0.2).groupby(bm[pay]).mean().sort_index()
    assert abs(low.iloc[-3:].mean() - low.iloc[:-3].mean()) < 0.015
    # accounts open at a smoothly varying rate (no step at the 180-day contact boundary)
    opens = medium["customers"]["open_date"].dt.to_period("M").value_counts()
    opens = opens.reindex(sorted(series["aum"].index)).iloc[1:]
    assert opens.pct_change().iloc[1:].abs().max() <= 0.5


def test_btyd_truth_marginals_are_exactly_gamma_and_beta(medium):
    tj, t = medium["json"], medium["truth"]
    lam = t["btyd_lambda"].dropna()
    p = t["btyd_p"].dropna()
    nu = t["gg_nu"].dropna()
    b, g = tj["bgnbd"], tj["gamma_gamma"]
    assert stats.kstest(lam, stats.gamma(b["r"], scale=1 / b["alpha"]).cdf).pvalue > 0.001
    assert stats.kstest(p, stats.beta(b["a"], b["b"]).cdf).pvalue > 0.001
    assert stats.kstest(nu, stats.gamma(g["q"], scale=1 / g["gamma"]).cdf).pvalue > 0.001
    # ~36 transaction days a year when alive: r / alpha per day
    assert 365 * b["r"] / b["alpha"] == pytest.approx(36.5)


def test_btyd_truth_is_consistent_with_transactions(medium):
    t = medium["truth"]
    out = medium["tx"][medium["tx"]["direction"] == "out"]
    days = out.groupby("customer_id")["txn_date"].agg(["nunique", "min", "max"])
    days = days.reindex(t["customer_id"])
    assert (days["nunique"].fillna(0).to_numpy() == t["n_txn_days"].to_numpy()).all()
    assert days["min"].equals(pd.Series(t["first_txn_date"].to_numpy(), index=days.index, name="min"))
    dead = ~t["alive_at_as_of"].to_numpy() & t["n_txn_days"].to_numpy().astype(bool)
    assert (days["max"].to_numpy()[dead] == t["dropout_date"].to_numpy()[dead]).all()
    assert t.loc[t["alive_at_as_of"], "dropout_date"].isna().all()
    # customers opened inside the window make their first 'out' transaction on the open date
    c = medium["customers"].set_index("customer_id").loc[t["customer_id"]]
    inside = (c["open_date"] >= pd.Timestamp("2024-11-01")).to_numpy() & t["n_txn_days"].gt(0).to_numpy()
    assert (c["open_date"].to_numpy()[inside] == t["first_txn_date"].to_numpy()[inside]).all()


def test_bgnbd_fit_recovers_planted_params_fader_hardie_lee_2005(medium):
    """BG/NBD (Fader, Hardie & Lee 2005) fitted on distinct 'out' days, daily periods."""
    from lifetimes import BetaGeoFitter

    out = medium["tx"][medium["tx"]["direction"] == "out"][["customer_id", "txn_date"]].drop_duplicates()
    g = out.groupby("customer_id")["txn_date"].agg(["min", "max", "count"])
    freq = g["count"] - 1
    rec = (g["max"] - g["min"]).dt.days
    T = (AS_OF - g["min"]).dt.days
    fit = BetaGeoFitter().fit(freq, rec, T)
    truth = medium["json"]["bgnbd"]
    for k, tol in (("r", 0.15), ("alpha", 0.15), ("a", 0.2), ("b", 0.2)):
        assert fit.params_[k] == pytest.approx(truth[k], rel=tol), (k, fit.params_[k], truth[k])


def test_gamma_gamma_day_totals_match_planted_p_q_gamma(medium):
    """Gamma-Gamma (Fader, Hardie & Lee 2005b): deflated day totals are Gamma(p, nu_i)."""
    tj = medium["json"]
    g = tj["gamma_gamma"]
    out = medium["tx"][medium["tx"]["direction"] == "out"]
    day = out.groupby(["customer_id", "txn_date"])["amount"].sum().reset_index()
    # the planted event rows (large FX purchases and outflows) are outside the spend process
    planted = medium["events"][["customer_id", "event_date"]].rename(columns={"event_date": "txn_date"})
    day = day.merge(planted.assign(_p=1), on=["customer_id", "txn_date"], how="left")
    day = day[day["_p"].isna()].drop(columns="_p")
    hol = day["txn_date"].dt.month.isin(tj["holiday_months"])
    day["spend"] = np.where(hol, day["amount"] / tj["holiday_multiplier"], day["amount"])
    per = day.groupby("customer_id")["spend"].agg(["mean", "std", "count"])
    many = per[per["count"] >= 30]
    # within-customer coefficient of variation of a Gamma(p, nu) is 1/sqrt(p)
    assert (many["std"] / many["mean"]).median() == pytest.approx(1 / np.sqrt(g["p"]), rel=0.05)
    # mean day spend p * nu_i^-1 matches the truth per customer, and E = p gamma / (q - 1) overall
    nu = medium["truth"].set_index("customer_id")["gg_nu"].loc[many.index]
    assert np.corrcoef(np.log(many["mean"]), np.log(g["p"] / nu))[0, 1] > 0.95
    assert per["mean"].mean() == pytest.approx(g["p"] * g["gamma"] / (g["q"] - 1), rel=0.15)


def test_lifecycle_stage_truth_equals_the_documented_rule(medium):
    c, bal, t = medium["customers"], medium["balances"], medium["truth"]
    tenure = (AS_OF - c["open_date"]).dt.days
    last = _last_out(medium)
    ends = sorted(bal["month_end"].unique())
    aum = bal.pivot(index="customer_id", columns="month_end", values="aum").reindex(c["customer_id"])
    recent = aum[ends[-3:]].mean(axis=1, skipna=True).to_numpy()
    base = aum[ends[-9:-3]].mean(axis=1, skipna=True).to_numpy()
    ratio = recent / base
    stage = np.select(
        [tenure.to_numpy() < 180, (last.isna() | (last <= AS_OF - pd.Timedelta(days=180))).to_numpy(),
         ratio >= 1.2, ratio <= 0.8], ["contact", "dormant", "growth", "decline"], "maturity")
    assert (stage == t["lifecycle_stage"].to_numpy()).all()
    shares = t["lifecycle_stage"].value_counts(normalize=True)
    ranges = {"contact": (0.08, 0.12), "growth": (0.15, 0.25), "maturity": (0.30, 0.40),
              "decline": (0.10, 0.20), "dormant": (0.15, 0.25)}
    for s, (lo, hi) in ranges.items():
        assert lo <= shares[s] <= hi, (s, shares[s])
    # growth / decline are clear cases, not near the thresholds
    active = np.isin(stage, ["growth", "decline", "maturity"])
    r = ratio[active]
    assert ((r > 1.1) & (r < 1.2)).mean() < 0.01 and ((r > 0.8) & (r < 0.9)).mean() < 0.01


def test_quadrant_truth_and_recovery_with_missing_income_as_low_potential(medium):
    c, bal, t = medium["customers"], medium["balances"], medium["truth"]
    aum = c["customer_id"].map(bal[bal["month_end"] == AS_OF].set_index("customer_id")["aum"])
    tq = medium["json"]["quadrant"]

    def quadrant(income):
        hv = aum.to_numpy() >= tq["high_value_aum"]
        hp = np.nan_to_num(income, nan=0.0) >= tq["high_potential_income"]
        return np.where(hv, np.where(hp, "high_value_high_potential", "high_value_low_potential"),
                        np.where(hp, "low_value_high_potential", "low_value_low_potential"))

    assert (quadrant(t["true_income"].to_numpy()) == t["quadrant"].to_numpy()).all()
    observed = pd.Series(quadrant(c["income_monthly"].to_numpy())).value_counts(normalize=True)
    planted = t["quadrant"].value_counts(normalize=True)
    for q in planted.index:
        assert abs(observed.get(q, 0.0) - planted[q]) <= 0.02, q
    assert (planted > 0.05).all() and len(planted) == 4


def _primary_rule(medium):
    c, bal, tx = medium["customers"], medium["balances"], medium["tx"]
    months = pd.period_range(end=AS_OF.to_period("M"), periods=3, freq="M")
    key = tx[(tx["category"] != "salary") & tx["txn_date"].dt.to_period("M").isin(months)]
    counts = (key.groupby(["customer_id", key["txn_date"].dt.to_period("M")]).size().unstack(fill_value=0)
              .reindex(index=c["customer_id"], columns=months, fill_value=0))
    now = bal[bal["month_end"] == AS_OF].set_index("customer_id").reindex(c["customer_id"])
    cond2 = now["auto_sweep"] | now["auto_debit"] | (now["n_products"] > 5)
    ret = (bal[bal["month_end"].dt.to_period("M").isin(months)]
           .pivot(index="customer_id", columns="month_end", values="payroll_retention").reindex(c["customer_id"]))
    all_low = (ret < 0.2).sum(axis=1) == 3
    return counts, cond2, ret, all_low


def test_primary_account_truth_equals_the_three_condition_rule_with_near_misses(medium):
    counts, cond2, ret, all_low = _primary_rule(medium)
    t = medium["truth"].set_index("customer_id")
    cond1 = (counts > 5).all(axis=1)
    rule = cond1 & cond2 & ~all_low
    assert (rule.to_numpy() == t.loc[rule.index, "is_primary_account"].to_numpy()).all()
    active = t["lifecycle_stage"].isin(["growth", "maturity", "decline"])
    share = t.loc[active, "is_primary_account"].mean()
    assert 0.15 <= share <= 0.25
    # near misses: exactly 5 key transactions in one month, everything else satisfied
    exactly5 = ((counts == 5).sum(axis=1) == 1) & ((counts > 5).sum(axis=1) == 2) & cond2 & ~all_low
    assert exactly5.sum() >= 100
    # salary moved out: retention < 0.2 in all three months, conditions 1 and 2 hold
    assert (cond1 & cond2 & all_low).sum() >= 50
    # still primary with low retention in exactly two of the three months
    two_low = (ret < 0.2).sum(axis=1) == 2
    assert (t.loc[rule.index, "is_primary_account"] & two_low).sum() >= 30


def test_campaign_response_2_to_6_percent_with_positive_planted_uplift(medium):
    cp, ct, tj = medium["campaigns"], medium["ctruth"], medium["json"]
    # besides the three model campaigns, the planted strategy executions (S-*) of the post-evaluation
    assert set(cp["campaign_id"]) == {"WM2025", "CC2026", "FD2026"} | {e["campaign_id"] for e in
                                                                      tj["strategy_executions"]}
    cp = cp[cp["campaign_id"].isin(["WM2025", "CC2026", "FD2026"])]
    assert 0.02 <= cp["response"].mean() <= 0.06
    for cid, g in cp.groupby("campaign_id"):
        assert g["response"].sum() >= 300, cid
        assert 0.01 <= g["response"].mean() <= 0.08, cid
    c = medium["customers"].set_index("customer_id")
    assert not c.loc[cp["customer_id"], "marketing_opt_out"].any()
    assert (cp["contact_date"].to_numpy() > c.loc[cp["customer_id"], "open_date"].to_numpy()).all()
    non_dormant = (medium["truth"]["lifecycle_stage"] != "dormant").sum()
    for s in tj["campaigns"]:
        assert s["planted_uplift"] > 0.01
        assert s["expected_rate_model"] - s["expected_rate_control"] == pytest.approx(s["planted_uplift"])
        assert 0.3 <= (s["n_model"] + s["n_control"]) / non_dormant <= 0.7
    m = cp.merge(ct, on=["campaign_id", "customer_id", "group"], validate="one_to_one")
    assert len(m) == len(cp)
    from sklearn.metrics import roc_auc_score
    for cid, g in m.groupby("campaign_id"):
        auc = roc_auc_score(g["response"], g["true_propensity"])
        assert 0.72 <= auc <= 0.88, (cid, auc)
        by_group = g.groupby("group")["response"].mean()
        assert by_group["model"] > by_group["control"], cid
        # true propensity is calibrated: expected responders close to observed
        assert g["true_propensity"].sum() == pytest.approx(g["response"].sum(), rel=0.15)


def test_segments_sizes_and_kmeans_recovers_them(medium):
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score
    from sklearn.preprocessing import StandardScaler

    c, bal, tx, t = medium["customers"], medium["balances"], medium["tx"], medium["truth"]
    shares = t["segment"].value_counts(normalize=True)
    assert len(shares) == 6 and shares.between(0.08, 0.30).all()
    now = bal[bal["month_end"] == AS_OF].set_index("customer_id").reindex(c["customer_id"])
    last_year = tx[tx["txn_date"] > AS_OF - pd.Timedelta(days=365)]
    n365 = last_year.groupby("customer_id").size().reindex(c["customer_id"], fill_value=0)
    mob = (last_year["channel"] == "mobile").groupby(last_year["customer_id"]).mean().reindex(c["customer_id"])
    income = c["income_monthly"].fillna(c["income_monthly"].median())
    X = np.column_stack([
        np.log1p(now["aum"]), (AS_OF - c["birth_date"]).dt.days / 365.25, np.log1p(income), np.log1p(n365),
        mob.fillna(0), now["n_products"], c["payroll_flag"], c["channel_branch"],
        (now["wealth_mgmt"] + now["fund"]) / now["aum"]])
    labels = KMeans(6, n_init=4, random_state=0).fit_predict(StandardScaler().fit_transform(X))
    assert adjusted_rand_score(t["segment"], labels) >= 0.6


def test_cached_demo_reuses_its_bank_and_replaces_a_stale_version(tmp_path):
    from clientlens.demo import cached_demo, generator_version

    stale = tmp_path / "demo_100_3_0000000000"
    stale.mkdir()
    first = cached_demo(tmp_path, 100, 3)
    assert first.name == f"demo_100_3_{generator_version()}" and (first / ".complete").exists()
    assert not stale.exists()
    mtime = (first / "transactions.parquet").stat().st_mtime_ns
    assert cached_demo(tmp_path, 100, 3) == first
    assert (first / "transactions.parquet").stat().st_mtime_ns == mtime          # reused, not regenerated
    assert not list(tmp_path.glob(".tmp_demo_*"))
