"""Strategy map and post-evaluation benchmarks (issue 15: 08 and 09 on 1M customers within 120 s each).

``strategy_08@1M``: the library work of 08_strategy on the 1,000,000-customer demo bank: the as-of base
(tags computed here, as when 01_profile did not run: the worst case), the demo strategy map's eligibility,
de-duplication, caps and controls, coverage and the list export.
``post_evaluation_09@1M``: the library work of 09_post_evaluation: customer x month KPIs (13 month-ends),
the planted executions' outcomes, treated vs control, uplift deciles and Qini with 200 bootstrap resamples,
segment trends and the lifecycle migration matrix (tags at two dates).
"""
from __future__ import annotations

import time

from benchmarks.harness import Case, demo_data

AS_OF = "2026-10-31"


def _prepare(params, cache):
    demo_data(params["demo_customers"])


def _run_08(params, cache):
    import tempfile

    from clientlens import config
    from clientlens import strategy as S
    from clientlens.data import load_bank
    from clientlens.privacy import artifact_ids

    t0 = time.perf_counter()
    bank = load_bank(demo_data(params["demo_customers"]))
    smap = S.load_strategy_map(config.PROJECT_ROOT / "params" / "strategy_map.yaml")
    base, _ = S.build_base(bank, AS_OF, reports_dir=tempfile.mkdtemp(), period_start=smap.period_start)
    t1 = time.perf_counter()
    res = S.assign(base, smap, caps={"rm": 50, "app": 2000, "sms": 2000}, cooldown_days=30, seed=42)
    S.coverage(base, res)
    S.overlap_matrix(res)
    S.uncovered_profile(base, res)
    export = artifact_ids(res.lists.drop(columns=["row", "customer_id_masked"]))
    t2 = time.perf_counter()
    return {"customers": len(base), "on_lists": len(export), "base_s": round(t1 - t0, 2),
            "assign_s": round(t2 - t1, 2)}


def _run_09(params, cache):
    from clientlens import postevaluation as P
    from clientlens import uplift as U
    from clientlens.data import load_bank
    from clientlens.tags import TagRules

    import os
    import tempfile

    os.environ["CLIENTLENS_LOAD_MEMO"] = tempfile.mkdtemp()   # the loader's checks run in full (no memo)
    t0 = time.perf_counter()
    bank = load_bank(demo_data(params["demo_customers"]))
    win = P.evaluation_window(AS_OF, "2026-05-01", "2026-05-31", 2, 12)
    U.customer_months(bank, win["first_month_end"], win["last_month_end"])
    camps = P.pick_campaigns(bank, win["period_start"], win["period_end"])
    out = U.campaign_outcomes(bank, camps, win["before"], win["after"])
    U.compare_groups(out)
    t1 = time.perf_counter()
    for c in camps:
        d = out[out["campaign_id"] == c].dropna(subset=["aum_before"])
        U.uplift_by_ntile(d["response_rate"], d["treated"], d["aum_before"])
        U.qini_bootstrap(d["response_rate"].to_numpy(), d["treated"].to_numpy(), d["aum_before"].to_numpy(), 200)
    t2 = time.perf_counter()
    segs = bank.con.execute("SELECT customer_id, 'all' AS seg FROM customers").df()
    U.segment_trends(bank, segs, by="seg")
    _, counts, _ = P.migration(bank, AS_OF, 6, "lifecycle_stage", TagRules())
    t3 = time.perf_counter()
    return {"contacted": len(out), "campaigns": len(camps), "kpis_s": round(t1 - t0, 2),
            "uplift_qini_s": round(t2 - t1, 2), "trends_migration_s": round(t3 - t2, 2),
            "migration_customers": int(counts.to_numpy().sum())}


CASES = [
    Case("strategy_08", "1M", _run_08, _prepare, {"demo_customers": 1_000_000}, target="<= 120 s (issue 15)"),
    Case("post_evaluation_09", "1M", _run_09, _prepare, {"demo_customers": 1_000_000},
         target="<= 120 s (issue 15)"),
    Case("strategy_08", "20k", _run_08, _prepare, {"demo_customers": 20_000}, target="smoke"),
    Case("post_evaluation_09", "20k", _run_09, _prepare, {"demo_customers": 20_000}, target="smoke"),
]
