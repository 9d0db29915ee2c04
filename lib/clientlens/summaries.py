"""The "what this says" lines at the top of each report (issue 17): 3-5 sentences from its results.

Each builder takes what its report has computed and returns a list of plain-text sentences (no
markdown; :func:`clientlens.report.summary` escapes and displays them, and the runner moves them to
just after the report's title). Every sentence is one literal with ``{placeholders}`` filled by
``str.format``, so a translation can reorder them. Builders never raise on an empty result: they say
what is missing instead.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from .i18n import money, t, value

__all__ = ["overview", "profile", "binning", "segmentation", "clv", "response", "validation", "events",
           "strategy", "post_evaluation", "worst_check"]

_ORDER = {"FAIL": 0, "WARN": 1, "PASS": 2}


def worst_check(checks) -> dict | None:
    """The first check with the worst verdict (FAIL before WARN before PASS); None when there are none."""
    rows = checks.to_dict("records") if isinstance(checks, pd.DataFrame) else list(checks)
    if not rows:
        return None
    return min(rows, key=lambda r: _ORDER.get(str(r.get("verdict")), 3))


def _checks_line(checks, what: str) -> str:
    rows = checks.to_dict("records") if isinstance(checks, pd.DataFrame) else list(checks)
    w = worst_check(rows)
    what = t(what)
    if w is None:
        return t("No {what} were run.", what=what)
    counts = {v: sum(str(r.get("verdict")) == v for r in rows) for v in ("PASS", "WARN", "FAIL")}
    if w["verdict"] == "PASS":
        return t("All {n} {what} pass.", n=len(rows), what=what)
    return t("{what_cap}: {fail} FAIL, {warn} WARN, {ok} PASS; read first: {check} ({verdict}).",
             what_cap=what[:1].upper() + what[1:], fail=counts["FAIL"], warn=counts["WARN"], ok=counts["PASS"],
             check=value(w["check"]), verdict=t(w["verdict"]))


# ----------------------------------------------------------------------------------------- 00
def overview(ov) -> list[str]:
    """00: base and transactions, the data checks, customers without transactions, the largest AUM gap."""
    lines = [t("{c:,} customers and {t:,} transactions as of {d:%Y-%m-%d}.",
               c=ov.n_customers, t=ov.n_transactions, d=ov.as_of_date)]
    lines.append(_checks_line(ov.checks, "data checks"))
    act = ov.activity_counts.set_index("count")["customers"]
    if "without any transaction" in act and "customers" in act:
        n, no = int(act["customers"]), int(act["without any transaction"])
        lines.append(t("{no:,} customers ({share:.1%}) have no transaction at all in the data.",
                       no=no, share=no / max(n, 1)))
    if len(ov.recon):
        i = ov.recon["residual_share"].abs().idxmax()
        r = ov.recon.loc[i]
        lines.append(t("Month-end AUM change and net flows differ by at most {s:.1%} of AUM (in {m:%Y-%m}).",
                       s=abs(float(r["residual_share"])), m=pd.Timestamp(r["month_end"])))
    return lines


# ----------------------------------------------------------------------------------------- 01
def profile(wide: pd.DataFrame, tags: pd.DataFrame) -> list[str]:
    """01: base size and AUM, active share, the largest lifecycle stage, primary-account share."""
    n = len(wide)
    lines = []
    if "aum" in wide:
        lines.append(t("{n:,} customers hold {aum} CNY of AUM (median {med} CNY per customer).",
                       n=n, aum=money(wide["aum"].sum()), med=money(wide["aum"].median() if n else 0.0)))
    else:
        lines.append(t("{n:,} customers (no monthly balances: AUM is not available).", n=n))
    if "n_txn_90d" in wide and n:
        lines.append(t("{s:.1%} of customers made a transaction in the last 90 days.",
                       s=float((wide["n_txn_90d"] > 0).mean())))
    if "lifecycle_stage" in tags and n:
        vc = tags["lifecycle_stage"].value_counts()
        lines.append(t("The largest lifecycle stage is {stage} with {k:,} customers ({s:.1%}).",
                       stage=value(vc.index[0]), k=int(vc.iloc[0]), s=vc.iloc[0] / n))
    if "is_primary_account" in tags:
        flag = tags["is_primary_account"].dropna()
        if len(flag):
            lines.append(t("{s:.1%} of customers with balances use the bank as their primary account.",
                           s=float(flag.astype(bool).mean())))
    if "quadrant_action" in tags and n:
        vc = tags["quadrant_action"].value_counts()
        lines.append(t("Most frequent value x potential action: {a} ({s:.1%} of customers).",
                       a=value(vc.index[0]), s=vc.iloc[0] / n))
    return lines[:5]


# ----------------------------------------------------------------------------------------- 02
def binning(summary: pd.DataFrame, selected: Sequence[str], psi: pd.DataFrame | None = None,
            psi_watch: float = 0.1) -> list[str]:
    """02: candidates and selected variables, the strongest one, suspicious IVs, stability."""
    lines = [t("{s} of {n} candidate variables were selected for the model.", s=len(selected), n=len(summary))]
    if len(summary):
        top = summary.sort_values("iv", ascending=False).iloc[0]
        lines.append(t("The strongest variable is {v} with IV {iv:.3f} ({band}).",
                       v=top["variable"], iv=float(top["iv"]), band=value(top["iv_band"])))
        n_susp = int((summary["iv_band"] == "suspicious").sum())
        lines.append(t("{k} variable(s) have a suspicious IV above 0.5 and were checked for leakage.", k=n_susp)
                     if n_susp else t("No variable has a suspicious IV above 0.5."))
    if psi is not None and len(psi):
        n_moved = int((psi["psi"] >= psi_watch).sum())
        lines.append(t("{k} of {n} selected variables moved (PSI at or above {w:g}) between the samples.",
                       k=n_moved, n=len(psi), w=psi_watch) if n_moved else
                     t("Every selected variable is stable between the samples (PSI below {w:g}).", w=psi_watch))
    return lines


# ----------------------------------------------------------------------------------------- 03
def segmentation(labels, names: Mapping | pd.Series, k: int, k_selection: pd.DataFrame, stability_threshold: float,
                 reason: str = "") -> list[str]:
    """03: the number of segments and why, the largest and smallest segment, the bootstrap stability."""
    labels = np.asarray(labels)
    names = dict(names)
    n = max(len(labels), 1)
    counts = pd.Series(labels).value_counts()
    lines = [t("The base splits into {k} segments.", k=k) + (" " + reason if reason else "")]
    if len(counts):
        big, small = counts.index[0], counts.index[-1]
        lines.append(t("Largest segment: {name} ({s:.1%} of customers); smallest: {name2} ({s2:.1%}).",
                       name=names.get(big, big), s=counts.iloc[0] / n, name2=names.get(small, small),
                       s2=counts.iloc[-1] / n))
    if k in k_selection.index and "stability_ari_mean" in k_selection:
        ari = float(k_selection.loc[k, "stability_ari_mean"])
        if np.isfinite(ari):
            lines.append(t("Bootstrap stability at k = {k}: ARI {ari:.2f}, at or above the {t:.2f} threshold."
                           if ari >= stability_threshold else
                           "Bootstrap stability at k = {k}: ARI {ari:.2f}, below the {t:.2f} threshold: "
                           "read the segments with care.", k=k, ari=ari, t=stability_threshold))
    return lines


# ----------------------------------------------------------------------------------------- 04
def clv(vals: pd.DataFrame, compare: pd.DataFrame | None = None, model_label: str = "",
        currency: str = "CNY") -> list[str]:
    """04: total value, its concentration, the value tiers, the holdout error of the chosen model."""
    lines = []
    if "clv" in vals and len(vals):
        v = vals["clv"].fillna(0).sort_values(ascending=False)
        total = float(v.sum())
        top = float(v.iloc[: max(1, int(round(0.2 * len(v))))].sum())
        lines.append(t("The {n:,} customers are worth {t} {c} to the bank over their expected relationship.",
                       n=len(v), t=money(total), c=value(currency)))
        if total > 0:
            lines.append(t("The most valuable 20% of customers hold {s:.1%} of that value.", s=top / total))
    if "clv_tier" in vals and len(vals):
        vc = vals["clv_tier"].value_counts()
        if "high" in vc:
            lines.append(t("{k:,} customers ({s:.1%}) are in the high value tier.", k=int(vc["high"]),
                           s=vc["high"] / len(vals)))
    if compare is not None and len(compare) and model_label:
        row = compare[compare["model"] == model_label]
        if len(row) and pd.notna(row["total_error_pct"].iloc[0]):
            lines.append(t("The chosen transaction model ({m}) misses the holdout total by {e:+.1f}%.",
                           m=model_label, e=float(row["total_error_pct"].iloc[0])))
    return lines or [t("No customer could be valued.")]


# ----------------------------------------------------------------------------------------- 05
def response(metrics: pd.DataFrame, lst: pd.DataFrame, product: str, base_prob=None) -> list[str]:
    """05: ranking power on the validation sample, the list (product, size), expected responders."""
    lines = []
    if len(metrics):
        m = metrics.iloc[0]
        lines.append(t("On customers it was not fitted on, the scorecard's top 10% hold {c:.0%} of responders "
                       "(lift {l:.1f}x; AUC {a:.3f}).", c=float(m["capture top 10%"]), l=float(m["lift top 10%"]),
                       a=float(m["AUC"])))
    contacted = lst[lst["group"] == "model"] if "group" in lst else lst
    lines.append(t("The marketing list offers {p} to {n:,} customers, with {k:,} more kept back as a random "
                   "control group.", p=value(product), n=len(contacted), k=len(lst) - len(contacted)))
    if "propensity" in contacted and len(contacted):
        exp = float(contacted["propensity"].sum())
        base = float(pd.Series(base_prob).mean()) if base_prob is not None and len(base_prob) else float("nan")
        lines.append(t("Expected responders on the list: about {e:,.0f} (mean predicted response {m:.1%} vs "
                       "{b:.1%} over the base).", e=exp, m=float(contacted["propensity"].mean()), b=base))
    return lines


# ----------------------------------------------------------------------------------------- 06
def validation(res: Mapping, sample_name: str) -> list[str]:
    """06: the overall verdict, the worst check, AUC and the score PSI."""
    verdicts = res["verdicts"]
    lines = [t("Overall verdict on the {s} sample: {v}.", s=value(sample_name), v=t(res["overall"]))]
    w = worst_check(verdicts)
    if w is not None and w["verdict"] != "PASS":
        x = w.get(sample_name, w.get("value", ""))      # the verdict table names its value column after the sample
        lines.append(t("Worst check: {c} is {v} (value {x}).", c=value(w["check"]), v=t(w["verdict"]), x=x))
    m = res["metrics"][res["primary"]]
    if "auc" in m:
        lines.append(t("AUC {a:.3f} ({lo:.3f} to {hi:.3f}).", a=float(m["auc"]), lo=float(m.get("auc_low", np.nan)),
                       hi=float(m.get("auc_high", np.nan))))
    stab = res.get("stability")
    if stab is not None and len(stab):
        lines.append(t("Score PSI against today's base: {p:.3f} ({band}).", p=float(stab.iloc[0]["index"]),
                       band=value(stab.iloc[0]["band"])))
    n_fail = int((verdicts["verdict"] == "FAIL").sum())
    n_warn = int((verdicts["verdict"] == "WARN").sum())
    lines.append(t("{f} check(s) FAIL and {w} WARN out of {n}.", f=n_fail, w=n_warn, n=len(verdicts)))
    return lines[:5]


# ----------------------------------------------------------------------------------------- 07
def events(kept: pd.DataFrame, tasks: pd.DataFrame, today: pd.DataFrame, history_days: int, checks) -> list[str]:
    """07: events and tasks of the back-test, the most frequent event, today's tasks, the job checks."""
    lines = [t("Over the last {d} days the rules found {e:,} events, which became {t:,} contact tasks "
               "({p:,.0f} a day).", d=history_days, e=len(kept), t=len(tasks), p=len(tasks) / max(history_days, 1))]
    if len(kept) and "event" in kept:
        vc = kept["event"].value_counts()
        lines.append(t("The most frequent event is {e} ({s:.1%} of events).", e=value(vc.index[0]),
                       s=vc.iloc[0] / len(kept)))
    lines.append(t("{n:,} tasks are due today.", n=len(today)))
    lines.append(_checks_line(checks, "event job checks"))
    return lines


# ----------------------------------------------------------------------------------------- 08
def strategy(n_base: int, n_strategies: int, lists: pd.DataFrame, checks, skipped: Mapping | None = None) -> list[str]:
    """08: strategies, customers on a list and controls, strategies selecting nobody, the list checks."""
    n_control = int((lists["group"] == "control").sum()) if "group" in lists else 0
    n_on = len(lists)
    lines = [t("{s} strategies put {n:,} of {b:,} customers ({share:.1%}) on a list, {c:,} of them held out as "
               "random controls.", s=n_strategies, n=n_on, b=n_base, share=n_on / max(n_base, 1), c=n_control)]
    if "strategy" in lists and n_on:
        vc = lists["strategy"].value_counts()
        lines.append(t("The largest list is {s} with {k:,} customers.", s=value(vc.index[0]), k=int(vc.iloc[0])))
    if skipped:
        lines.append(t("{k} strategy(ies) select nobody: {names}.", k=len(skipped), names=", ".join(skipped)))
    lines.append(_checks_line(checks, "list checks"))
    return lines


# ----------------------------------------------------------------------------------------- 09
def post_evaluation(camps: Sequence[str], comparison: pd.DataFrame, confidence: float = 0.95) -> list[str]:
    """09: campaigns evaluated, the incremental response of each (with its interval), what is significant."""
    if not len(camps) or not len(comparison):
        return [t("No campaign with a control group was contacted in the evaluated period: nothing to evaluate.")]
    lines = [t("{k} campaign(s) evaluated against their random control groups.", k=len(camps))]
    resp = comparison[comparison["kpi"] == "response_rate"] if "kpi" in comparison else comparison.iloc[0:0]
    for _, r in resp.head(3).iterrows():
        sig = r["ci_low"] > 0 or r["ci_high"] < 0
        text = ("{c}: response {t:.1%} treated vs {k:.1%} control, {d:+.1f} percentage points ({conf:.0%} "
                "interval {lo:+.1f} to {hi:+.1f}); significant." if sig else
                "{c}: response {t:.1%} treated vs {k:.1%} control, {d:+.1f} percentage points ({conf:.0%} "
                "interval {lo:+.1f} to {hi:+.1f}); not significant.")
        lines.append(t(text, c=r["campaign_id"], t=float(r["treated"]), k=float(r["control"]),
                       d=100 * float(r["difference"]), conf=confidence, lo=100 * float(r["ci_low"]),
                       hi=100 * float(r["ci_high"])))
    return lines[:5]
