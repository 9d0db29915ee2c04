"""Glue of the post-evaluation report (09_post_evaluation): windows, campaigns, scores, segments, migration.

The analyses themselves are in :mod:`clientlens.uplift`; this module decides *what* they run on: the
evaluated period and its KPI month-ends, the campaigns (strategy executions) with a control group, the
score of the uplift deciles, the segments of the trends (03's when present) and the tags at two dates
for the migration matrix.
"""
from __future__ import annotations

import datetime as _dt
from typing import Sequence

import numpy as np
import pandas as pd

from . import ParamsError
from .data import is_in
from .params import parse_date, require, require_int

#: readable headers of 09's tables (``report.show_table(..., headers=HEADERS)``); the saved Parquet keeps the names
HEADERS = {"campaign_id": "campaign", "kpi": "KPI", "n_treated": "treated customers", "n_control": "control customers",
           "ci_low": "interval low", "ci_high": "interval high", "incremental_low": "incremental (low)",
           "incremental_high": "incremental (high)", "incremental_value": "incremental value",
           "incremental_value_low": "incremental value (low)", "incremental_value_high": "incremental value (high)",
           "ntile": "n-tile (1 = highest)", "min_score": "lowest score", "max_score": "highest score",
           "rate_treated": "response (treated)", "rate_control": "response (control)",
           "incremental_responders": "incremental responders", "qini": "Qini coefficient",
           "n_boot": "bootstrap resamples", "month_end": "month-end", "segment_name": "segment name",
           "aum": "total AUM", "aum_mean": "mean AUM", "active_share": "active share",
           "primary_share": "primary-account share", "churn_share": "churn share"}
#: the scores of the uplift deciles (``uplift_score``) in the report's words
SCORE_LABELS = {"aum_before": "pre-period AUM", "prob": "the response model's propensity"}


def score_label(source: str) -> str:
    """``uplift_score`` as the report names it (:data:`SCORE_LABELS`, translated; an unknown name as given)."""
    from .i18n import t

    return t(SCORE_LABELS[source]) if source in SCORE_LABELS else str(source)


#: the goal KPIs (:data:`clientlens.uplift.BINARY_KPIS`, ``MEAN_KPIS``) as 09's tables show them
KPI_LABELS = {"response_rate": "response rate", "primary_account_rate": "primary-account rate",
              "product_holding_rate": "product-holding rate", "active_share": "active share", "aum_change": "AUM change"}

#: columns of 09's tables holding ids that must not break at their hyphens (``report.show_table(nowrap=)``)
ID_COLUMNS = ["campaign_id"]


def score_formats(uplift_score: str) -> dict:
    """Formats of the score columns of the uplift table: money (:func:`clientlens.i18n.money`, 万/亿 in zh) when
    the score is the pre-period AUM, the default number format for 05's probability."""
    from .i18n import money

    return dict.fromkeys(("min_score", "max_score"), money) if uplift_score == "aum_before" else {}


def kpi_amount(kpi: str, v) -> str:
    """A KPI effect or target for reading: money (:func:`clientlens.i18n.money`) for the mean KPIs (AUM change per
    customer), a share to 0.1% for the others (a difference of rates)."""
    from .i18n import money
    from .report import fmt_pct
    from .uplift import MEAN_KPIS

    return money(v) if kpi in MEAN_KPIS else fmt_pct(v, 1)


def dashboard_checks(dash: pd.DataFrame) -> pd.DataFrame:
    """09's dashboard (:func:`clientlens.uplift.goal_dashboard`) as verdict rows: the campaign (``check``), the KPI in
    words, the measured effect (``value``) and the target (``threshold``) rounded for reading, verdict, why."""
    if not len(dash):
        return pd.DataFrame(columns=["check", "kpi", "value", "threshold", "verdict", "why"])
    return pd.DataFrame({"check": dash["campaign_id"].to_numpy(), "kpi": dash["kpi"].replace(KPI_LABELS).to_numpy(),
                         "value": [kpi_amount(k, v) for k, v in zip(dash["kpi"], dash["effect"])],
                         "threshold": [">= " + kpi_amount(k, v) for k, v in zip(dash["kpi"], dash["target"])],
                         "verdict": dash["verdict"].to_numpy(), "why": dash["why"].to_numpy()})


def _month_end(d: _dt.date) -> _dt.date:
    return (pd.Timestamp(d) + pd.offsets.MonthEnd(0)).date()


def _month_end_before(d: _dt.date) -> _dt.date:
    return (pd.Timestamp(d).replace(day=1) - pd.Timedelta(days=1)).date()


def evaluation_window(as_of, period_start: str = "", period_end: str = "", outcome_months: int = 2,
                      trend_months: int = 12) -> dict:
    """The evaluated period and the month-ends of its KPIs.

    Empty ``period_start``: the calendar month ``outcome_months + 1`` months before ``as_of``'s month;
    empty ``period_end``: the end of ``period_start``'s month. ``before`` = the month-end before the period,
    ``after`` = ``outcome_months`` month-ends after the period's last month (not after ``as_of``).
    """
    as_of = parse_date("as_of", as_of) if not isinstance(as_of, _dt.date) else as_of
    last_me = as_of if _month_end(as_of) == as_of else _month_end_before(as_of)
    if period_start:
        start = parse_date("period_start", period_start)
    else:
        start = (pd.Timestamp(last_me).replace(day=1) - pd.DateOffset(months=outcome_months + 1)).date()
    end = parse_date("period_end", period_end) if period_end else _month_end(start)
    if end < start:
        raise ParamsError(f"period_end {end} is before period_start {start}")
    before = _month_end_before(start)
    after = (pd.Timestamp(_month_end(end)) + pd.offsets.MonthEnd(outcome_months)).date()
    if after > last_me:
        raise ParamsError(f"the KPIs of the period ending {end} need month-end {after} ({outcome_months} month(s) "
                          f"after it), later than the last month-end {last_me} before as_of; shorten outcome_months "
                          "or evaluate an earlier period")
    trend_start = (pd.Timestamp(last_me) - pd.offsets.MonthEnd(trend_months)).date()
    return {"period_start": start, "period_end": end, "before": before, "after": after, "as_of": as_of,
            "trend_start": trend_start, "first_month_end": min(before, trend_start), "last_month_end": last_me}


def checked_window(as_of, period_start: str = "", period_end: str = "", *, outcome_months: int = 2,
                   trend_months: int = 12, migration_months: int = 6, n_tiles: int = 10, n_boot: int = 200,
                   confidence: float = 0.95, uplift_score: str = "aum_before",
                   unknown_customers: str = "fail") -> dict:
    """09's parameters checked (one :class:`ParamsError` line each), then :func:`evaluation_window`."""
    require("unknown_customers", unknown_customers, choices=["fail", "drop"])
    require("uplift_score", uplift_score, choices=["aum_before", "prob"])
    require("confidence", confidence, min=0.5, max=0.999)
    for name, v, lo in (("outcome_months", outcome_months, 0), ("n_tiles", n_tiles, 2), ("n_boot", n_boot, 10),
                        ("trend_months", trend_months, 1), ("migration_months", migration_months, 1)):
        require_int(name, v, lo)
    return evaluation_window(as_of, period_start, period_end, outcome_months, trend_months)


def pick_campaigns(bank, start, end, campaigns: Sequence[str] = ()) -> list[str]:
    """Campaigns to evaluate: ``campaigns`` when given (each must exist), else every campaign with a
    control group and a contact between ``start`` and ``end``."""
    if not bank.has("campaigns"):
        return []
    con = bank.con
    if campaigns:
        have = {r[0] for r in con.execute("SELECT DISTINCT campaign_id FROM campaigns").fetchall()}
        missing = [c for c in campaigns if c not in have]
        if missing:
            raise ParamsError(f"campaigns: unknown campaign id(s) {missing}; the campaigns table has "
                              f"{', '.join(sorted(map(str, have))[:20])}")
        return [str(c) for c in campaigns]
    rows = con.execute("""SELECT campaign_id FROM campaigns GROUP BY campaign_id
                          HAVING count(*) FILTER (WHERE "group" = 'control') > 0
                             AND count(*) FILTER (WHERE contact_date BETWEEN ?::DATE AND ?::DATE) > 0
                          ORDER BY campaign_id""", [start, end]).fetchall()
    return [r[0] for r in rows]


def uplift_scores(outcomes: pd.DataFrame, source: str, reports_dir, as_of, include_scratch: bool = False) -> pd.Series:
    """Score per outcome row: pre-period AUM (``aum_before``), or 05's ``prob`` joined by masked id (NaN
    where absent; all NaN when 05 did not run for ``as_of``)."""
    if len(outcomes) == 0:
        return pd.Series(dtype=float)
    if source == "aum_before":
        return outcomes["aum_before"].astype(float)
    from .privacy import mask_ids, masked_key
    from .report import find_artifact

    path = find_artifact(reports_dir, str(as_of), "05_response_model", "base_scores.parquet",
                         include_scratch=include_scratch)
    if path is None:
        return pd.Series(float("nan"), index=outcomes.index)
    sc = pd.read_parquet(path)
    prob = pd.Series(sc["prob"].to_numpy(), index=masked_key(sc).to_numpy())
    prob = prob[~prob.index.duplicated()]
    return pd.Series(prob.reindex(mask_ids(outcomes["customer_id"].to_numpy()).to_numpy()).to_numpy(),
                     index=outcomes.index)


_TAG_CACHE: dict = {}


def _tags_at(bank, date, rules, cache=None) -> pd.DataFrame:
    """Tags (and AUM) at ``date``, from the run ``cache`` (:meth:`clientlens.cache.RunCache.tags`: the entries
    01 stored for ``as_of`` serve here) when given, else from the wide-table columns the tags read; the last few results are also kept in
    memory, so 09's trends and migration read the tables of ``as_of`` once."""
    from .features import wide_table_columns
    from .tags import tags_as_of

    key = (id(bank), str(date), repr(rules))
    if key in _TAG_CACHE and _TAG_CACHE[key][0] is bank:   # the cache holds the bank, so its id is not reused
        return _TAG_CACHE[key][1]
    if cache is not None:   # only the columns the tags read (or 01's stored entries)
        tags = cache.tags(date, rules=rules).copy()
        wide = cache.wide_columns(date, ["aum"]) if "aum" in wide_table_columns(bank, date) else tags[[]]
    else:
        tags, wide = tags_as_of(bank, date, rules)
    tags["aum"] = wide["aum"].to_numpy() if "aum" in wide else float("nan")
    while len(_TAG_CACHE) >= 2:
        _TAG_CACHE.pop(next(iter(_TAG_CACHE)))
    _TAG_CACHE[key] = (bank, tags)
    return tags


def trend_segments(bank, reports_dir, as_of, by: str, rules, include_scratch: bool = False, cache=None
                   ) -> tuple[pd.DataFrame, str, str | None]:
    """Customer -> segment for the trends: 03's ``segments.parquet`` column ``by`` when present, else the
    tag ``by`` (or ``lifecycle_stage``) at ``as_of`` (through the run ``cache`` when given, see :func:`_tags_at`).
    Returns (frame with customer_id, column, note)."""
    from .privacy import mask_ids, masked_key
    from .report import find_artifact

    path = find_artifact(reports_dir, str(as_of), "03_segmentation", "segments.parquet",
                         include_scratch=include_scratch)
    if path is not None:
        seg = pd.read_parquet(path)
        if by in seg.columns:
            cust = bank.con.execute("SELECT customer_id FROM customers").df()
            m = pd.Series(seg[by].astype(str).to_numpy(), index=masked_key(seg).to_numpy())
            m = m[~m.index.duplicated()]
            cust[by] = m.reindex(mask_ids(cust["customer_id"].to_numpy()).to_numpy()).to_numpy()
            return cust, by, None
    tags = _tags_at(bank, as_of, rules, cache)
    col = by if by in tags.columns else "lifecycle_stage"
    from .i18n import t

    note = t("No {by} from 03_segmentation for {as_of}: trends per {col} at {as_of} (a customer's group is held "
             "fixed over the months).", by=repr(by), col=col, as_of=as_of)
    return tags[["customer_id", col]], col, note


def migration(bank, as_of, months: int, by: str, rules, cache=None) -> tuple[_dt.date, pd.DataFrame, pd.DataFrame]:
    """Migration matrix of the tag ``by`` from the month-end ``months`` before ``as_of`` to ``as_of``.

    Tags are computed at both dates with the same rules (:func:`clientlens.tags.build_tags`); returns the
    earlier date, the counts and the AUM flows (:func:`clientlens.uplift.migration_matrix`). Customers
    not yet in the base at the earlier date (no balance row then, or opened later) are not in the rows.
    ``cache``: a :class:`clientlens.cache.RunCache` the wide tables and tags of both dates come from.
    """
    from .uplift import migration_matrix

    as_of = parse_date("as_of", as_of) if not isinstance(as_of, _dt.date) else as_of
    last_me = as_of if _month_end(as_of) == as_of else _month_end_before(as_of)
    earlier = (pd.Timestamp(last_me) - pd.offsets.MonthEnd(months)).date()
    t0, t1 = _tags_at(bank, earlier, rules, cache), _tags_at(bank, as_of, rules, cache)
    if by not in t0.columns:
        raise ParamsError(f"migration_by: {by!r} is not a tag; tags: {', '.join(c for c in t1.columns if c != 'customer_id')}")
    opened = bank.con.execute("SELECT customer_id FROM customers WHERE open_date <= ?::DATE", [earlier]).df() \
        if "open_date" in bank.columns.get("customers", []) else t0[["customer_id"]]
    t0 = t0[is_in(t0["customer_id"], opened["customer_id"])]
    if "aum" in t0:
        have = bank.con.execute("SELECT DISTINCT customer_id FROM monthly_balances WHERE month_end = ?::DATE",
                                [earlier]).df() if bank.has("monthly_balances") else t0[["customer_id"]]
        t0 = t0[is_in(t0["customer_id"], have["customer_id"])]
    from .tags import LIFECYCLE_STAGES

    order = list(LIFECYCLE_STAGES) if by == "lifecycle_stage" else None
    i0, i1 = t0.set_index("customer_id"), t1.set_index("customer_id")
    counts, flows = migration_matrix(i0[by], i1[by], i0.get("aum"), i1.get("aum"), order=order)
    return earlier, counts, flows
