"""Checks that can fail: the verdict rows reports show for data and job checks.

Every check here returns a row ``{"check", "value", "threshold", "verdict"}`` for
:func:`clientlens.report.show_verdicts`. A check whose threshold equals a cap the job
enforces, or that the data cannot trigger, is a defect: each check measures something the
job does not already force, and a test shows it returning WARN or FAIL on a fixture.
"""
from __future__ import annotations

import pandas as pd

from .i18n import t
from .report import FAIL, PASS, WARN


def check_row(check: str, value: str, threshold: str, verdict: str) -> dict:
    """One verdict row (all values as display strings)."""
    return {"check": check, "value": value, "threshold": threshold, "verdict": verdict}


def fatigue_check(wide: pd.DataFrame, min_contacts: int) -> dict:
    """Can the contact-fatigue tag fire on these data at all?

    The tag needs ``min_contacts`` campaign contacts of one customer in 365 days. When no
    customer has that many (for example two campaigns in the window and a threshold of 3),
    the tag is empty whatever the customers' fatigue: WARN, do not read "0 fatigued" as
    "nobody is fatigued".

    Parameters
    ----------
    wide : DataFrame
        The wide table with ``n_contacts_365d``.
    min_contacts : int
        The tag's threshold (``TagRules.fatigue_min_contacts``).

    Returns
    -------
    dict
        A verdict row: PASS when at least one customer reaches the threshold, WARN otherwise.
    """
    most = int(wide["n_contacts_365d"].max()) if len(wide) else 0
    return check_row(t("contact fatigue can be observed: most campaign contacts of one customer in 365 days"),
                     f"{most:,}", t(">= {n} (fatigue_min_contacts; else the tag cannot fire)", n=min_contacts),
                     PASS if most >= min_contacts else WARN)


def contact_pressure(events: pd.DataFrame, max_tasks: int) -> dict:
    """Contact pressure the rules generate, measured BEFORE campaign management's caps.

    Counts, per customer, the days with at least one event after the cooldown (what would
    become a task each day before opt-outs, suitability and the channel caps remove some). The
    caps keep the task list in check; this measures whether the rules themselves hit some
    customers too often, which the caps only hide.

    Parameters
    ----------
    events : DataFrame
        Events after the cooldown (``customer_id``, ``event_date``).
    max_tasks : int
        Most contact days one customer may get in the window.

    Returns
    -------
    dict
        A verdict row: WARN when some customer has more than ``max_tasks`` event days.
    """
    days = events.drop_duplicates(["customer_id", "event_date"]).groupby("customer_id").size()
    most = int(days.max()) if len(days) else 0
    over = int((days > max_tasks).sum())
    return check_row(t("contact pressure before the caps: most event days for one customer in the window"),
                     t("{most:,} ({over:,} customer(s) above)", most=most, over=over), f"<= {max_tasks}",
                     PASS if most <= max_tasks else WARN)


def event_job_checks(kept: pd.DataFrame, tasks: pd.DataFrame, rules, catalogue, *, max_tasks_per_customer: int,
                     allow_raw_ids: bool, n_events: int) -> list[dict]:
    """The checks of the event job (07_event_triggers).

    Parameters
    ----------
    kept : DataFrame
        Events after the cooldown, with ``attrs["skipped"]`` (rules skipped for missing data).
    tasks : DataFrame
        Campaign tasks with ``attrs["funnel"]`` (``over_cap``), ``risk_appetite`` and ``product``.
    rules : clientlens.events.EventRules
        The rules run.
    catalogue : clientlens.offers.Catalogue
        Product risk levels and the suitability mapping.
    max_tasks_per_customer : int
        Contact-pressure threshold (see :func:`contact_pressure`).
    allow_raw_ids : bool
        Whether the export carries raw ids.
    n_events : int
        Number of rules of the practice (``len(clientlens.events.EVENTS)``).

    Returns
    -------
    list of dict
        Verdict rows: contact pressure, tasks over a cap, rules run, suitability, ids.
    """
    over = int(tasks.attrs["funnel"]["over_cap"])
    skipped = kept.attrs.get("skipped", {})
    n_unsuitable = int((~catalogue.suitable(tasks["risk_appetite"].replace("", None).to_numpy(dtype=object),
                                             tasks["product"].to_numpy(dtype=object))).sum())
    return [
        contact_pressure(kept, max_tasks_per_customer),
        check_row(t("tasks dropped over a channel cap"), f"{over:,}", "0", PASS if over == 0 else WARN),
        check_row(t("rules run"), t("{n} of {total}", n=len(rules.events) - len(skipped), total=n_events),
                  t("every rule whose data exist"), PASS if not skipped else WARN),
        check_row(t("tasks offering a product above the customer's risk level"), f"{n_unsuitable:,}",
                  t("0 (suitability)"), PASS if n_unsuitable == 0 else FAIL),
        check_row(t("ids in the export"), t("raw") if allow_raw_ids else t("masked"), t("masked"),
                  WARN if allow_raw_ids else PASS),
    ]


#: Segmentation checks: silhouette of a usable structure (Kaufman and Rousseeuw: above 0.25 a weak
#: but real structure, below 0.1 none) and the smallest segment a campaign can still address.
SILHOUETTE_WARN, SILHOUETTE_FAIL = 0.25, 0.10
MIN_SHARE_WARN, MIN_SHARE_FAIL = 0.02, 0.005


def segmentation_checks(k_selection: pd.DataFrame, k: int, stability_threshold: float) -> list[dict]:
    """Checks of the chosen segmentation (03_segmentation): stability, silhouette, smallest segment.

    Parameters
    ----------
    k_selection : DataFrame
        ``CustomerSegmenter.k_selection_`` (index k; ``stability_ari_mean``, ``silhouette``, ``min_share``).
    k : int
        The chosen number of segments.
    stability_threshold : float
        Mean bootstrap ARI at or above which k is stable (WARN below, FAIL 0.2 below it).

    Returns
    -------
    list of dict
        Verdict rows; each can WARN or FAIL on a poor segmentation.
    """
    from .report import grade

    stab = k_selection.loc[k, "stability_ari_mean"]
    sil = k_selection.loc[k, "silhouette"]
    share = k_selection.loc[k, "min_share"]
    return [
        check_row(t("stability of the chosen k (mean bootstrap ARI)"), t("not computed") if pd.isna(stab) else f"{stab:.3f}",
                  f">= {stability_threshold:g}",
                  WARN if pd.isna(stab) else grade(stab, warn=stability_threshold, fail=stability_threshold - 0.2,
                                                    higher_is_better=True)),
        check_row(t("silhouette of the chosen k (sample)"), f"{sil:.3f}", t(">= 0.25 (reasonable structure)"),
                  grade(sil, warn=SILHOUETTE_WARN, fail=SILHOUETTE_FAIL, higher_is_better=True)),
        check_row(t("smallest segment share"), f"{share:.1%}", ">= 2%",
                  grade(share, warn=MIN_SHARE_WARN, fail=MIN_SHARE_FAIL, higher_is_better=True)),
    ]


# ----------------------------------------------------------------------------------------- 04_clv
def _err_row(check: str, err_pct: float, warn: float, fail: float, sign: bool = True) -> dict:
    from .report import grade

    return check_row(check, f"{err_pct:+.1f}%" if sign else f"{err_pct:.1f}%",
                     t("|error| < {warn:g}% (fail >= {fail:g}%)" if sign else "< {warn:g}% (fail >= {fail:g}%)",
                       warn=warn, fail=fail),
                     grade(abs(err_pct), warn=warn, fail=fail))


def clv_total_error_check(compare: pd.DataFrame, label: str, warn: float, fail: float) -> dict:
    """Total holdout transactions of the chosen model, predicted vs actual (WARN/FAIL at ``warn``/``fail`` %).

    ``compare`` is :func:`clientlens.clv.compare_models`'s table (``model``, ``total_error_pct``).
    """
    err = float(compare.loc[compare["model"] == label, "total_error_pct"].iloc[0])
    return _err_row(t("{model}: total holdout transactions, predicted vs actual", model=label), err, warn, fail)


def clv_tracking_check(track: pd.DataFrame, warn: float, fail: float, after_days: int = 28) -> dict:
    """Worst cumulative tracking error after the first ``after_days`` of the holdout, in %.

    ``track`` is :func:`clientlens.clv.holdout_tracking`'s table (``days``, ``cum_predicted``, ``cum_actual``).
    """
    late = track[track["days"] >= after_days]
    worst = float((late["cum_predicted"] / late["cum_actual"] - 1).abs().max() * 100) if len(late) else float("nan")
    return _err_row(t("cumulative tracking, worst week after the first 4 weeks"), worst, warn, fail, sign=False)


def clv_top_deciles_check(dec: pd.DataFrame, warn: float, fail: float, top: int = 3) -> dict:
    """Holdout value of the top ``top`` deciles of predicted value, predicted vs actual, in %."""
    top_dec = dec[dec["decile"] <= top]
    err = float(100 * (top_dec["predicted_value"].sum() / top_dec["actual_value"].sum() - 1))
    return _err_row(t("holdout value of the top {top} deciles, predicted vs actual", top=top), err, warn, fail)


def spend_independence_check(independence: dict, max_corr: float) -> dict:
    """Gamma-Gamma's assumption: |Pearson r| of frequency and spend below ``max_corr`` (else WARN)."""
    return check_row(t("Gamma-Gamma: frequency-spend correlation (Pearson)"), f"{independence['pearson_r']:+.3f}",
                     f"|r| < {max_corr:g}", PASS if independence["independent"] else WARN)
