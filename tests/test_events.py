"""Tests of clientlens.events: the event rules of ../shared/domain.md and campaign management.

References: hand computations on a tiny hand-made bank (every expected number is worked out
in the comments: thresholds are hit exactly, just missed and just passed), and the planted
event cases of the demo bank (truth/events_truth.parquet, docs/demo-bank.md).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clientlens import DataError, ParamsError
from clientlens.data import load_bank
from clientlens.events import (EVENTS, EventRules, apply_cooldown, campaign_tasks, daily_counts, detect_events,
                               event_window, rules_table, run_daily_job)

D = "2026-10-31"   # the evaluation day: last 30 days = 10-02..10-31, before = 09-02..10-01 and 08-03..09-01


def _spend(cust, dates_amounts, category="consumption", direction="out"):
    return [(cust, d, a, direction, category) for d, a in dates_amounts]


def make_bank(d: Path) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    ids = ["S1", "S2", "S3", "S4", "S5", "S6", "F1", "F2", "F3", "O1", "O2", "O3", "I1", "B1", "B2", "X1", "M1"]
    birth = {"B1": "1990-11-07", "B2": "2000-02-29", "X1": "1985-03-03"}
    cust = pd.DataFrame({
        "customer_id": ids,
        "birth_date": pd.to_datetime([birth.get(i, "1970-06-15") for i in ids]),
        "open_date": pd.to_datetime(["2020-01-01"] * len(ids)),
        "channel_mobile": [i not in ("S6", "M1") for i in ids],
        "marketing_opt_out": [i == "X1" for i in ids],
    })
    cust.to_parquet(d / "customers.parquet")
    before = [("2026-09-10", 500.0), ("2026-09-20", 500.0), ("2026-08-10", 500.0), ("2026-08-20", 500.0)]
    rows = []
    # S1: baseline (1000 + 1000) / 2 = 1000 in 2 transactions; now 1210 in 3: +21% and 3 > 2.4 -> surge
    rows += _spend("S1", before + [("2026-10-05", 410.0), ("2026-10-15", 400.0), ("2026-10-31", 400.0)])
    # S2: now exactly 1200 (+20%, not MORE than 20%) in 3 transactions -> no surge
    rows += _spend("S2", before + [("2026-10-05", 400.0), ("2026-10-15", 400.0), ("2026-10-31", 400.0)])
    # S3: amount up five-fold but only 2 transactions (not more than 2.4) -> no surge
    rows += _spend("S3", before + [("2026-10-05", 2500.0), ("2026-10-31", 2500.0)])
    # S4: no spend in days 31-90: no baseline, not judged
    rows += _spend("S4", [("2026-10-05", 900.0), ("2026-10-31", 900.0)])
    # S5: baseline 5 transactions; now 6 = +20% exactly (not more) although the amount doubles -> no surge
    five = [(f"2026-09-{d:02d}", 100.0) for d in (3, 5, 7, 9, 11)] + [(f"2026-08-{d:02d}", 100.0) for d in (4, 6, 8, 10, 12)]
    rows += _spend("S5", five + [(f"2026-10-{d:02d}", 200.0) for d in (3, 5, 7, 9, 11, 13)])
    # S6: the surge is in transfers, not spend -> no surge; also no mobile app
    rows += _spend("S6", before + [("2026-10-05", 900.0), ("2026-10-15", 900.0), ("2026-10-31", 900.0)],
                   category="transfer")
    # M1: a real surge (2000 in 3 vs 1000 in 2) for a customer without the mobile app -> SMS
    rows += _spend("M1", before + [("2026-10-05", 700.0), ("2026-10-15", 700.0), ("2026-10-31", 600.0)])
    # FX at 7.10 CNY per USD: USD 10,000 = 71,000 exactly -> event (SMS); 70,999.99 -> none;
    # USD 30,000 = 213,000 -> event by RM the next day; F1 also surges the same day (deduplicated)
    rows += _spend("F1", before + [("2026-10-05", 410.0), ("2026-10-15", 400.0), ("2026-10-31", 400.0)])
    rows += _spend("F1", [(D, 71_000.0)], category="fx_purchase")
    rows += _spend("F2", [(D, 70_999.99)], category="fx_purchase")
    rows += _spend("F3", [(D, 213_000.0), (D, 1_000.0)], category="fx_purchase")
    # large outflow: 100,000 exactly -> event; 99,999.99 -> none; a 150,000 purchase is not a transfer -> none
    rows += _spend("O1", [(D, 100_000.0)], category="transfer")
    rows += _spend("O2", [(D, 99_999.99)], category="transfer")
    rows += _spend("O3", [(D, 150_000.0)], category="consumption")
    # large inflow: 250,000 in -> event; X1 (opted out) also gets one
    rows += _spend("I1", [(D, 250_000.0)], category="transfer", direction="in")
    rows += _spend("X1", [(D, 300_000.0)], category="transfer", direction="in")
    tx = pd.DataFrame(rows, columns=["customer_id", "txn_date", "amount", "direction", "category"])
    tx.insert(0, "txn_id", [f"T{i}" for i in range(len(tx))])
    tx["txn_date"] = pd.to_datetime(tx["txn_date"])
    tx.to_parquet(d / "transactions.parquet")
    return d


@pytest.fixture(scope="module")
def bank(tmp_path_factory):
    return load_bank(make_bank(tmp_path_factory.mktemp("events_bank")), tables=["customers", "transactions"])


@pytest.fixture(scope="module")
def events_d(bank):
    return detect_events(bank, D, D)


def _keys(ev, event):
    return sorted(ev.loc[ev["event"] == event, "customer_id"])


def test_spend_surge_needs_more_than_20pct_in_amount_and_count_by_hand(events_d):
    assert _keys(events_d, "spend_surge") == ["F1", "M1", "S1"]
    s1 = events_d[(events_d["customer_id"] == "S1") & (events_d["event"] == "spend_surge")].iloc[0]
    assert (s1["value"], s1["baseline"], s1["n_now"], s1["n_before"]) == (1210.0, 1000.0, 3.0, 2.0)


def test_fx_purchase_from_usd_10000_in_one_transaction(events_d):
    assert _keys(events_d, "fx_purchase") == ["F1", "F3"]
    f3 = events_d[events_d["customer_id"] == "F3"].iloc[0]
    # the 1,000 FX purchase the same day is not a qualifying transaction
    assert f3["value"] == 213_000.0 and f3["amount_usd"] == pytest.approx(30_000.0) and f3["n_now"] == 1


def test_large_movements_are_single_transfers_at_or_above_the_threshold(events_d):
    assert _keys(events_d, "large_outflow") == ["O1"]
    assert _keys(events_d, "large_inflow") == ["I1", "X1"]


def test_birthday_seven_days_ahead_and_29_february(bank, events_d):
    assert _keys(events_d, "birthday") == ["B1"]
    assert events_d.loc[events_d["customer_id"] == "B1", "value"].iloc[0] == 36    # turns 36 on 2026-11-07
    rules = {"events": ["birthday"]}
    # 2027 is a common year: the 29-February birthday is greeted for 28 February (day 2027-02-21)
    common = detect_events(bank, "2027-02-20", "2027-02-22", rules)
    assert list(zip(common["customer_id"], common["event_date"].dt.strftime("%m-%d"))) == [("B2", "02-21")]
    # 2028 is a leap year: only on 2028-02-22 (29 February ahead), not for the 28th
    leap = detect_events(bank, "2028-02-20", "2028-02-23", rules)
    assert list(zip(leap["customer_id"], leap["event_date"].dt.strftime("%m-%d"))) == [("B2", "02-22")]


def test_spend_surge_base_period_minimums_by_hand(bank):
    """S1 and M1 have a base period of 1,000 CNY in 2 transactions per 30 days (hand computation above):
    at the minimums they still surge (>=), one cent or one transaction more and they do not."""
    rule = {"events": ["spend_surge"]}
    at = detect_events(bank, D, D, {**rule, "surge_min_base_spend": 1000.0, "surge_min_base_count": 2})
    assert {"S1", "M1"} <= set(_keys(at, "spend_surge"))
    above_spend = detect_events(bank, D, D, {**rule, "surge_min_base_spend": 1000.01})
    above_count = detect_events(bank, D, D, {**rule, "surge_min_base_count": 3})
    assert not {"S1", "M1"} & set(_keys(above_spend, "spend_surge"))
    assert not {"S1", "M1"} & set(_keys(above_count, "spend_surge"))
    with pytest.raises(ParamsError, match="surge_min_base_count"):
        EventRules.from_params({"surge_min_base_count": -1})


def test_thresholds_come_from_params(bank):
    ev = detect_events(bank, D, D, {"fx_min_usd": 30_000.0, "large_outflow_min": 99_999.0, "surge_min_spend": 1500.0,
                                    "events": ["fx_purchase", "large_outflow", "spend_surge"]})
    assert _keys(ev, "fx_purchase") == ["F3"]
    assert _keys(ev, "large_outflow") == ["O1", "O2"]
    assert _keys(ev, "spend_surge") == ["M1"]          # 2,000 >= 1,500; S1 and F1 spend 1,210
    assert set(ev["event"]) == {"fx_purchase", "large_outflow", "spend_surge"}


def test_cooldown_keeps_the_first_trigger_then_one_after_more_than_cooldown_days():
    days = pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-31", "2026-02-01", "2026-02-02", "2026-01-02"])
    ev = pd.DataFrame({"customer_id": ["A"] * 5 + ["B"], "event_date": days, "event": ["spend_surge"] * 6,
                       "value": 1.0})
    kept = apply_cooldown(ev, 30)
    # A: 01-01 kept; 01-02 and 01-31 (30 days later: not MORE than 30) dropped; 02-01 (31 days) kept;
    # 02-02 is 1 day after the kept 02-01 -> dropped. B is its own group.
    assert list(zip(kept["customer_id"], kept["event_date"].dt.strftime("%m-%d"))) == \
        [("A", "01-01"), ("B", "01-02"), ("A", "02-01")]
    assert len(apply_cooldown(ev, 0)) == 6
    with pytest.raises(ParamsError, match="cooldown_days must be an integer >= 0; got -1"):
        apply_cooldown(ev, -1)


def test_campaign_tasks_opt_out_dedup_channel_schedule_and_caps(bank, events_d):
    cust = bank.df("customers")
    tasks = campaign_tasks(events_d, cust, allow_raw_ids=True)
    f = tasks.attrs["funnel"]
    # 3 surges + 2 FX + 1 outflow + 2 inflows + 1 birthday = 9; X1 opted out; F1's surge merged into its FX
    assert f == {"events": 9, "opted_out": 1, "deduplicated": 1, "over_cap": 0, "delayed": 0, "tasks": 7}
    t = tasks.set_index("customer_id")
    assert t.loc["F1", "event"] == "fx_purchase" and t.loc["F1", "also"] == "spend_surge"
    assert (t.drop(index="F1")["also"] == "").all()   # a single event of the day: nothing else to mention
    assert t.loc["F1", "channel"] == "sms" and t.loc["F1", "scheduled_date"] == pd.Timestamp(D)
    assert t.loc["F3", "channel"] == "rm" and t.loc["F3", "scheduled_date"] == pd.Timestamp("2026-11-01")
    assert t.loc["O1", "channel"] == "rm" and t.loc["I1", "channel"] == "rm"
    assert t.loc["S1", "channel"] == "app" and t.loc["M1", "channel"] == "sms"     # M1 has no mobile app
    assert t.loc["B1", "channel"] == "sms" and "X1" not in t.index
    assert t.loc["S1", "reason"] == "spend 1,210 in the last 30 days vs 1,000 before (+21%), 3 vs 2.0 transactions"
    assert t.loc["F3", "reason"] == "FX purchase of USD 30,000"
    from clientlens import i18n

    with i18n.using("zh"):   # amounts as a Chinese reader counts them (i18n.money): 万 from 10,000 on
        zh = campaign_tasks(events_d, cust, allow_raw_ids=True).set_index("customer_id")
        assert zh.loc["S1", "reason"] == "近 30 天消费 1,210元，此前为 1,000元（+21%），笔数 3 对比 2.0"
        assert zh.loc["F3", "reason"] == "购汇 3.00 万美元"
        conditions = rules_table(EventRules()).set_index("event")["condition"]
        assert conditions["large_outflow"].endswith("不低于 10.00 万元") and "100,000" not in "".join(conditions)
    # cap of 1 RM task a day: O1, F3 and I1 are all RM tasks for 11-01 -> O1 (priority 1) is kept,
    # F3 (priority 2) and I1 (priority 3) are over the cap
    capped = campaign_tasks(events_d, cust, {"caps": {"rm": 1, "app": 10, "sms": 10}}, allow_raw_ids=True)
    rm = capped[capped["channel"] == "rm"]
    assert list(rm["customer_id"]) == ["O1"] and capped.attrs["funnel"]["over_cap"] == 2
    assert rm["scheduled_date"].tolist() == [pd.Timestamp("2026-11-01")]
    # with max_delay_days 1, F3 waits one day for room (11-02); I1 would be 2 days late: dropped
    waited = campaign_tasks(events_d, cust, {"caps": {"rm": 1, "app": 10, "sms": 10}, "max_delay_days": 1},
                            allow_raw_ids=True)
    rm = waited[waited["channel"] == "rm"]
    assert list(zip(rm["customer_id"], rm["scheduled_date"].dt.strftime("%m-%d"), rm["delay_days"])) == \
        [("O1", "11-01", 0), ("F3", "11-02", 1)]
    assert waited.attrs["funnel"]["over_cap"] == 1 and waited.attrs["funnel"]["delayed"] == 1
    late = campaign_tasks(events_d, cust, {"caps": {"rm": 1, "app": 10, "sms": 10}, "max_delay_days": 2},
                          allow_raw_ids=True)
    assert late.loc[late["channel"] == "rm", "delay_days"].tolist() == [0, 1, 2]
    assert late.attrs["funnel"]["over_cap"] == 0
    masked = campaign_tasks(events_d, cust)
    assert "customer_id" not in masked.columns and masked["customer_id_masked"].str.startswith("K-").all()


def test_campaign_tasks_needs_opt_out_column_unless_told(events_d):
    with pytest.raises(DataError, match="marketing_opt_out' is missing"):
        campaign_tasks(events_d, pd.DataFrame({"customer_id": ["S1"]}))
    assert campaign_tasks(events_d, None, exclude_opt_out=False).attrs["funnel"]["tasks"] == 8


def test_rules_validate_with_one_line_messages():
    with pytest.raises(ParamsError, match=r"unknown event rule parameter\(s\) \['fx_min'\]"):
        EventRules.from_params({"fx_min": 1})
    with pytest.raises(ParamsError, match="priority must list every event exactly once"):
        EventRules.from_params({"priority": ["fx_purchase"]})
    with pytest.raises(ParamsError, match="caps must map channels"):
        EventRules.from_params({"caps": {"rm": -1}})
    with pytest.raises(ParamsError, match="fx_rm_min_usd must be >= fx_min_usd"):
        EventRules.from_params({"fx_rm_min_usd": 5000.0})
    with pytest.raises(ParamsError, match="events must be a non-empty subset"):
        EventRules.from_params({"events": ["wealth_purchase_failed"]})
    with pytest.raises(ParamsError, match="surge_window_days must be an integer >= 1; got 0"):
        EventRules.from_params({"surge_window_days": 0})
    with pytest.raises(ParamsError, match="history_days must be an integer >= 1; got 0"):
        event_window(D, 0)
    assert event_window(D, 30)[0].isoformat() == "2026-10-02"
    table = rules_table(EventRules())
    assert list(table["event"]) == ["large_outflow", "fx_purchase", "large_inflow", "time_deposit_maturity",
                                    "wealth_maturity", "spend_surge", "card_expiry", "birthday"]
    assert "more than 20%" in table.set_index("event").loc["spend_surge", "condition"]


def test_missing_optional_category_column_skips_the_rules_that_need_it(tmp_path):
    """category is an optional contract column: its four rules are skipped with the reason, the others run."""
    d = make_bank(tmp_path / "b")
    full = detect_events(load_bank(d, tables=["customers", "transactions"]), D, D)
    tx = pd.read_parquet(d / "transactions.parquet").drop(columns="category")
    tx.to_parquet(d / "transactions.parquet")
    b = load_bank(d, tables=["customers", "transactions"])
    ev = detect_events(b, D, D)
    assert set(ev.attrs["skipped"]) >= {"spend_surge", "large_inflow", "large_outflow", "fx_purchase"}
    assert all("'category'" in why for e, why in ev.attrs["skipped"].items() if e in E_CATEGORY)
    assert not set(ev["event"]) & E_CATEGORY
    assert set(ev["event"]) == set(full["event"]) - E_CATEGORY and "birthday" in set(ev["event"])


E_CATEGORY = {"spend_surge", "large_inflow", "large_outflow", "fx_purchase"}


def test_daily_counts_have_every_day():
    ev = pd.DataFrame({"event_date": pd.to_datetime(["2026-10-01", "2026-10-03"]), "event": ["a", "b"]})
    t = daily_counts(ev, "event_date", "event", "2026-10-01", "2026-10-04")
    assert t.shape == (4, 2) and t["a"].tolist() == [1, 0, 0, 0] and t["b"].tolist() == [0, 0, 1, 0]


def test_rules_find_exactly_the_planted_demo_events(demo_medium):
    """Planted truth: every large FX purchase and outflow the generator planted is found on its day,
    and none of the near misses (USD 8,500-9,950; 60,000-99,000 CNY) is."""
    truth = pd.read_parquet(demo_medium / "truth" / "events_truth.parquet")
    bank = load_bank(demo_medium)
    first = str(bank.sql("SELECT min(txn_date) AS d FROM transactions")["d"].iloc[0].date())
    ev = detect_events(bank, first, D, {"events": ["fx_purchase", "large_outflow"]})
    found = set(zip(ev["customer_id"], ev["event_date"].dt.date, ev["event"]))
    t = truth[truth["should_trigger"]]
    planted = set(zip(t["customer_id"], pd.to_datetime(t["event_date"]).dt.date, t["planted"]))
    assert len(planted) > 200 and found == planted
    near = truth[~truth["should_trigger"]]
    assert len(near) > 50 and not set(near["customer_id"]) & set(ev["customer_id"])


def test_every_event_has_a_rule_a_channel_and_a_priority():
    r = EventRules()
    assert set(r.channel) == set(EVENTS) == set(r.priority)


def test_event_charts_take_ax_none_and_return_the_axes():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from clientlens.plots import events as ep

    days = pd.date_range("2026-10-01", periods=5)
    counts = pd.DataFrame({"birthday": [1, 2, 0, 1, 3], "spend_surge": [4, 0, 2, 2, 1]}, index=days)
    ax = ep.plot_daily_stacked(counts, "events", order=["spend_surge", "birthday"])
    assert [p.get_height() for p in ax.patches[:5]] == [4, 0, 2, 2, 1]
    ax = ep.plot_channel_load(counts["spend_surge"], "rm", cap=2)
    # days at or over the cap (4, 2, 2) are drawn apart from the others (0, 1)
    assert sorted(p.get_height() for p in ax.containers[1]) == [2, 2, 4]
    assert any(line.get_ydata()[0] == 2 for line in ax.get_lines())
    ax = ep.plot_funnel({"events": 10, "opted_out": 2, "tasks": 8})
    pos = {t.get_text(): y for t, y in zip(ax.get_yticklabels(), ax.get_yticks())}
    assert pos["events"] > pos["opted out"] > pos["tasks"]          # read top to bottom
    assert [p.get_width() for p in ax.patches] == [10, 2, 8]
    plt.close("all")


def test_within_a_cap_equal_priority_goes_by_clv_then_amount():
    ev = pd.DataFrame({"customer_id": ["A", "B", "C"], "event_date": pd.to_datetime([D] * 3),
                       "event": ["spend_surge"] * 3, "value": [5000.0, 3000.0, 4000.0], "baseline": 1000.0,
                       "n_now": 5.0, "n_before": 2.0, "amount_usd": float("nan")})
    caps = {"caps": {"rm": 5, "app": 1, "sms": 5}}
    by_amount = campaign_tasks(ev, None, caps, exclude_opt_out=False, allow_raw_ids=True)
    assert by_amount["customer_id"].tolist() == ["A"] and by_amount.attrs["funnel"]["over_cap"] == 2
    clv = pd.DataFrame({"customer_id": ["A", "B"], "clv": [10.0, 1e6], "clv_tier": ["low", "high"]})
    by_clv = campaign_tasks(ev, None, caps, exclude_opt_out=False, clv=clv, allow_raw_ids=True)
    assert by_clv["customer_id"].tolist() == ["B"] and by_clv["clv_tier"].tolist() == ["high"]
    # C has no CLV: ranked after every customer with one
    two = campaign_tasks(ev, None, {"caps": {"rm": 5, "app": 2, "sms": 5}}, exclude_opt_out=False, clv=clv,
                         allow_raw_ids=True)
    assert two["customer_id"].tolist() == ["B", "A"]
    # the CLV report's artefact holds masked ids only (allow_raw_ids false): joined on the masked id
    from clientlens.privacy import artifact_ids

    masked = artifact_ids(clv)
    assert "customer_id" not in masked.columns
    by_masked = campaign_tasks(ev, None, caps, exclude_opt_out=False, clv=masked, allow_raw_ids=True)
    assert by_masked["customer_id"].tolist() == ["B"] and by_masked["clv_tier"].tolist() == ["high"]
    with pytest.raises(DataError, match="clv: columns clv and customer_id"):
        campaign_tasks(ev, None, caps, exclude_opt_out=False, clv=pd.DataFrame({"customer_id": ["A"]}))


def test_same_data_same_events_whatever_the_thread_count(demo_small):
    bank = load_bank(demo_small)
    runs = []
    for threads in (1, 2):
        bank.con.execute(f"SET threads = {threads}")
        trig, kept = run_daily_job(bank, "2026-10-01", D, {"surge_min_spend": 3000.0})
        runs.append((trig, kept))
    pd.testing.assert_frame_equal(runs[0][0], runs[1][0])
    pd.testing.assert_frame_equal(runs[0][1], runs[1][1])
    assert len(runs[0][1]) > 100 and runs[0][1].attrs["warmup_days"] == 120


def test_daily_job_warmup_only_for_customers_with_events_equals_running_everybody(demo_small):
    bank = load_bank(demo_small)
    rules = {"surge_min_spend": 3000.0}
    trig, kept = run_daily_job(bank, "2026-10-20", D, rules, warmup_days=60)
    everybody = apply_cooldown(detect_events(bank, "2026-08-21", D, rules), 30)
    everybody = everybody[everybody["event_date"] >= pd.Timestamp("2026-10-20")].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, everybody, check_like=False)
    assert len(kept) < len(trig) and set(kept["event"]) >= {"spend_surge", "birthday"}
    # a daily run (one day) keeps a surge only if the same customer had none in the 30 days before
    _, one = run_daily_job(bank, D, D, rules)
    assert set(one["customer_id"]) <= set(trig.loc[trig["event_date"] == pd.Timestamp(D), "customer_id"])


def test_waiting_tasks_compete_again_with_the_next_days_tasks():
    ev = pd.DataFrame({"customer_id": ["A", "B", "C"], "event_date": pd.to_datetime([D, D, "2026-11-01"]),
                       "event": ["spend_surge"] * 3, "value": [5000.0, 3000.0, 9000.0], "baseline": 1000.0,
                       "n_now": 5.0, "n_before": 2.0, "amount_usd": float("nan")})
    rules = {"caps": {"rm": 5, "app": 1, "sms": 5}, "max_delay_days": 1}
    t = campaign_tasks(ev, None, rules, exclude_opt_out=False, allow_raw_ids=True)
    # 10-31: A (larger than B); 11-01: C (new, larger) beats the waiting B; B would be 2 days late: dropped
    assert list(zip(t["customer_id"], t["scheduled_date"].dt.strftime("%m-%d"))) == [("A", "10-31"), ("C", "11-01")]
    assert t.attrs["funnel"]["over_cap"] == 1 and t.attrs["funnel"]["delayed"] == 0
    with pytest.raises(ParamsError, match="max_delay_days must be an integer >= 0; got -1"):
        EventRules.from_params({"max_delay_days": -1})


def test_event_summary_and_channel_load_by_hand():
    from clientlens.events import channel_load, event_summary

    rules = EventRules.from_params({"caps": {"rm": 1, "app": 5, "sms": 5}})
    days = ["2026-10-01", "2026-10-02"]
    trig = pd.DataFrame({"customer_id": ["A", "A", "B", "C"], "event": ["spend_surge"] * 3 + ["birthday"],
                         "event_date": pd.to_datetime(["2026-10-01", "2026-10-02", "2026-10-02", "2026-10-01"])})
    kept = trig.iloc[[0, 2, 3]]
    s = event_summary(trig, kept, daily_counts(kept, "event_date", "event", *days), rules, n_customers=10)
    assert s.loc["spend_surge"].tolist() == [3, 2, 2, 1.0, 1, 0.2]   # hits, events, customers, mean, max, share
    assert s.loc["birthday", "events"] == 1 and s.loc["large_outflow", "rule hits"] == 0
    assert list(s.index) == ["large_outflow", "fx_purchase", "large_inflow", "time_deposit_maturity", "wealth_maturity",
                             "spend_surge", "card_expiry", "birthday"]
    tasks = pd.DataFrame({"scheduled_date": pd.to_datetime(["2026-10-01", "2026-10-02", "2026-10-02"]),
                          "channel": ["rm", "rm", "sms"]})
    load = channel_load(daily_counts(tasks, "scheduled_date", "channel", *days), rules, n_days=2)
    assert load.loc["rm"].tolist() == [2, 1.0, 1, 1, 2]          # tasks, mean, max, cap, days at cap
    assert load.loc["sms"].tolist() == [1, 0.5, 1, 5, 0] and load.loc["app", "tasks"] == 0


# --------------------------------------------------------------------------- maturity rules (issue 14)
def test_maturity_rules_find_exactly_the_planted_maturities_in_the_window(demo_small):
    """Reference: truth/maturities_truth.parquet of the demo (every maturing holding, with whether its
    rule should fire: time deposits from 100,000, near misses planted just under it)."""
    from clientlens.events import MATURITY_EVENTS

    bank = load_bank(demo_small)
    rules = EventRules.from_params({"events": list(MATURITY_EVENTS)})
    start, end = event_window("2026-10-31", 90)
    got = detect_events(bank, start, end, rules)
    truth = pd.read_parquet(demo_small / "truth" / "maturities_truth.parquet")
    lead = np.where(truth["event"] == "card_expiry", rules.card_expiry_lead_days, rules.maturity_lead_days)
    truth["event_date"] = (pd.to_datetime(truth["maturity_date"]) - pd.to_timedelta(lead, unit="D")).astype("datetime64[s]")
    want = truth[truth["should_trigger"] & truth["event_date"].between(pd.Timestamp(start), pd.Timestamp(end))]
    want = want.groupby(["customer_id", "event_date", "event"], as_index=False)["amount"].sum()
    key = ["customer_id", "event_date", "event"]
    g = got.sort_values(key).reset_index(drop=True)
    w = want.sort_values(key).reset_index(drop=True)
    assert len(w) > 100 and set(w["event"]) == set(MATURITY_EVENTS)
    assert g[key].astype(str).equals(w[key].astype(str))
    assert g["value"].to_numpy() == pytest.approx(w["amount"].to_numpy())
    # the planted near misses (time deposits just under 100,000) never fire
    near = truth[(truth["event"] == "time_deposit_maturity") & ~truth["should_trigger"]
                 & truth["event_date"].between(pd.Timestamp(start), pd.Timestamp(end)) & (truth["amount"] >= 95_000)]
    assert len(near) > 0
    hits = got[got["event"] == "time_deposit_maturity"].merge(near[["customer_id", "event_date"]],
                                                              on=["customer_id", "event_date"])
    assert (hits["value"] >= 100_000).all()        # only when another large deposit matures the same day


def test_maturity_rules_without_holdings_are_skipped_with_the_reason(tmp_path):
    bank = load_bank(make_bank(tmp_path / "bank"))
    got = detect_events(bank, D, D, {"events": ["card_expiry", "birthday"]})
    assert "no holdings table" in got.attrs["skipped"]["card_expiry"]


def test_tasks_never_pair_a_customer_with_a_product_above_their_level(demo_small):
    from clientlens.offers import Catalogue

    bank = load_bank(demo_small)
    cat = Catalogue.from_params()
    start, end = event_window("2026-10-31", 60)
    _, kept = run_daily_job(bank, start, end, {})
    customers = bank.df("customers")
    tasks = campaign_tasks(kept, customers, {}, catalogue=cat, allow_raw_ids=True)
    appetite = customers.set_index("customer_id")["risk_appetite"].reindex(tasks["customer_id"]).to_numpy(dtype=object)
    assert cat.suitable(appetite, tasks["product"].to_numpy(dtype=object)).all()
    f = tasks.attrs["funnel"]
    assert f["unsuitable"] > 0                       # large inflows of conservative customers: no wealth offer
    unfiltered = campaign_tasks(kept, customers, {}, allow_raw_ids=True)
    a2 = customers.set_index("customer_id")["risk_appetite"].reindex(unfiltered["customer_id"]).to_numpy(dtype=object)
    assert not cat.suitable(a2, unfiltered["product"].to_numpy(dtype=object)).all()


# --------------------------------------------------------------------------- rule hits as runs (issue 18)
def _runs(rows):
    """Hand-made rule hits as runs: (customer, event, first day, days, value)."""
    return pd.DataFrame({"customer_id": [r[0] for r in rows],
                         "event_date": pd.to_datetime([r[2] for r in rows]).astype("datetime64[s]"),
                         "days": np.array([r[3] for r in rows], dtype=np.int64), "event": [r[1] for r in rows],
                         "value": [float(r[4]) for r in rows], "baseline": 1000.0, "n_now": 5.0, "n_before": 2.0,
                         "amount_usd": float("nan")})


def _kept_days(kept):
    return list(zip(kept["customer_id"], kept["event"], kept["event_date"].dt.strftime("%m-%d"), kept["value"]))


def test_cooldown_on_runs_equals_cooldown_on_days_on_hand_made_runs():
    from clientlens.events import apply_cooldown_on_runs, expand_runs

    runs = _runs([
        ("A", "spend_surge", "2026-10-01", 3, 1),    # 10-01..10-03, touching the next run (values changed)
        ("A", "spend_surge", "2026-10-04", 5, 2),    # 10-04..10-08
        ("A", "birthday", "2026-10-02", 1, 9),       # another event of A: its own cooldown
        ("B", "spend_surge", "2026-06-01", 100, 3),  # 06-01..09-08: longer than several cooldowns
        ("B", "spend_surge", "2026-09-20", 2, 4),    # 09-20..09-21: inside the cooldown of 09-03's kept day
        ("C", "spend_surge", "2026-10-10", 1, 5),
        ("C", "spend_surge", "2026-10-12", 40, 6),   # 10-12..11-20
    ])
    # cooldown 2 (keep, then skip 2 days): A 10-01, 10-04, 10-07 (touching runs chain); B every 3rd day of its run
    # from 06-01 and 09-20 (09-08 was the last kept); C 10-10, 10-13 (2 days after), 10-16, ...
    two = apply_cooldown_on_runs(runs, 2)
    assert [d for c, e, d, v in _kept_days(two) if c == "A" and e == "spend_surge"] == ["10-01", "10-04", "10-07"]
    assert [v for c, e, d, v in _kept_days(two) if c == "A" and e == "spend_surge"] == [1.0, 2.0, 2.0]
    # cooldown 30: B keeps 06-01, 07-02, 08-02, 09-02 (days 0, 31, 62, 93 of its 100-day run); 09-20 is in the cooldown
    thirty = apply_cooldown_on_runs(runs, 30)
    assert [d for c, e, d, v in _kept_days(thirty) if c == "B"] == ["06-01", "07-02", "08-02", "09-02"]
    assert [d for c, e, d, v in _kept_days(thirty) if c == "C"] == ["10-10", "11-10"]
    assert [v for c, e, d, v in _kept_days(thirty) if c == "C"] == [5.0, 6.0]   # the values of the run holding the day
    # cooldown 0 keeps every day of every run
    assert len(apply_cooldown_on_runs(runs, 0)) == int(runs["days"].sum())
    for cooldown in (0, 1, 2, 7, 30, 99, 100):
        pd.testing.assert_frame_equal(apply_cooldown_on_runs(runs, cooldown), apply_cooldown(expand_runs(runs), cooldown),
                                      check_exact=True)


def test_cooldown_on_runs_equals_cooldown_on_days_on_random_runs():
    """Many customers with runs that touch, leave gaps or span several cooldowns, in a shuffled order."""
    from clientlens.events import apply_cooldown_on_runs, expand_runs

    rng = np.random.default_rng(18)
    rows = []
    for c in range(200):
        for ev in ("spend_surge", "large_inflow"):
            day = pd.Timestamp("2026-03-01") + pd.Timedelta(days=int(rng.integers(0, 20)))
            for _ in range(int(rng.integers(1, 8))):
                n = int(rng.integers(1, 70))
                rows.append((f"C{c:03d}", ev, day, n, rng.integers(1, 10_000)))
                day += pd.Timedelta(days=n + int(rng.choice([0, 0, 1, 5, 40])))   # touching, or a gap
    runs = _runs(rows).sample(frac=1.0, random_state=1).reset_index(drop=True)
    for cooldown in (0, 1, 6, 30):
        days = expand_runs(runs)
        want = apply_cooldown(days, cooldown)
        assert (0 < len(want) < len(days)) or cooldown == 0
        pd.testing.assert_frame_equal(apply_cooldown_on_runs(runs, cooldown), want, check_exact=True)


def test_daily_job_hits_as_runs_expand_to_detect_events_and_count_the_same_rule_hits(demo_small):
    from clientlens.events import apply_cooldown_on_runs, event_summary, expand_runs, rule_hits

    bank = load_bank(demo_small)
    rules = EventRules.from_params({"surge_min_spend": 3000.0})
    start, end = event_window(D, 60)
    triggered, kept = run_daily_job(bank, start, end, rules)
    days = detect_events(bank, start, end, rules)
    surge = triggered[triggered["event"] == "spend_surge"]
    assert (surge["days"] > 1).sum() > 100 and (triggered.loc[triggered["event"] != "spend_surge", "days"] == 1).all()
    assert len(triggered) < len(days)
    pd.testing.assert_frame_equal(expand_runs(triggered), days, check_exact=True)
    assert rule_hits(triggered).to_dict() == days.groupby("event").size().to_dict()
    daily = daily_counts(kept, "event_date", "event", start, end)
    pd.testing.assert_frame_equal(event_summary(triggered, kept, daily, rules, 3000),
                                  event_summary(days, kept, daily, rules, 3000))
    # and the cooldown on the window's runs equals the cooldown on its days
    for cooldown in (0, 7, 30):
        pd.testing.assert_frame_equal(apply_cooldown_on_runs(triggered, cooldown), apply_cooldown(days, cooldown),
                                      check_exact=True)


@pytest.mark.parametrize("settings", [
    {}, {"surge_min_spend": 3000.0, "surge_min_base_spend": 3000.0, "surge_min_base_count": 4},
    {"surge_window_days": 7, "cooldown_days": 3}, {"cooldown_days": 0}, {"cooldown_days": 10, "warmup_days": 200}])
def test_daily_job_keeps_what_the_cooldown_keeps_on_every_day_of_everybody_from_the_warmup(demo_small, settings):
    """Reference: the previous implementation's meaning: every rule on every day of the warm-up and the window for
    every customer, one row per day, :func:`apply_cooldown`, then the window's days."""
    settings = dict(settings)
    warmup = settings.pop("warmup_days", None)
    bank = load_bank(demo_small)
    rules = EventRules.from_params(settings)
    start, end = event_window(D, 45)
    _, kept = run_daily_job(bank, start, end, rules, warmup_days=warmup)
    warmup = kept.attrs["warmup_days"]
    everybody = apply_cooldown(detect_events(bank, start - pd.Timedelta(days=warmup).to_pytimedelta(), end, rules),
                               rules.cooldown_days)
    everybody = everybody[everybody["event_date"] >= pd.Timestamp(start)].reset_index(drop=True)
    assert len(kept) > 500 and "spend_surge" in set(kept["event"])
    pd.testing.assert_frame_equal(kept, everybody, check_exact=True)
