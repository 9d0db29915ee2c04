"""The model card of the response scorecard: governance items from params, facts from the fit.

A validator signs a model card that says who owns the model, what it is for and on whom, what it
predicts, where it must not be used, how it is monitored and whether it is approved; and that shows the
statistics of the regression itself:

* variance inflation factors of the WOE inputs on the development sample, ``VIF_j = [R^-1]_jj`` with
  ``R`` their correlation matrix (the same definition as the selection filter of :mod:`clientlens.binning`);
* coefficient standard errors, Wald z and p-values of the logistic regression, from the unpenalised
  maximum-likelihood refit on the development WOE (:func:`clientlens.validation.logistic_fit`), shown
  beside the scorecard's own (L2-penalised) coefficient. The inverse of the Fisher information
  ``(X' W X)^-1`` with ``W = diag(p (1 - p))`` is the covariance.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from . import DataError, ParamsError

__all__ = ["CARD_KEYS", "check_card_params", "vif", "woe_from_bins", "coefficient_table", "build_model_card", "monitoring_plan"]

#: Keys of the ``model_card`` parameter (06_model_validation).
CARD_KEYS = ("owner", "intended_use", "population", "limitations", "approval_status", "approved_by",
             "approval_date")


def check_card_params(card: Mapping | None) -> dict:
    """Validate the ``model_card`` parameter: a dict with keys among :data:`CARD_KEYS`, text values."""
    card = dict(card or {})
    unknown = sorted(set(card) - set(CARD_KEYS))
    if unknown:
        raise ParamsError(f"model_card: unknown key(s) {unknown}; valid: {list(CARD_KEYS)}")
    for k, v in card.items():
        if not isinstance(v, (str, int, float)) or isinstance(v, bool):
            raise ParamsError(f"model_card.{k} must be text; got {v!r}")
    return {k: str(card.get(k, "") or "") for k in CARD_KEYS}


def vif(W: pd.DataFrame) -> pd.Series:
    """Variance inflation factor of each column of ``W`` (``diag`` of the inverse correlation matrix)."""
    if W.shape[1] == 0:
        return pd.Series(dtype=float)
    if W.shape[1] == 1:
        return pd.Series([1.0], index=W.columns)
    C = np.corrcoef(W.to_numpy(dtype=float), rowvar=False)
    if not np.all(np.isfinite(C)):
        raise DataError("VIF: a model variable is constant on the development sample")
    return pd.Series(np.diag(np.linalg.pinv(C)), index=W.columns)


def woe_from_bins(scorecard, scored: pd.DataFrame) -> pd.DataFrame:
    """WOE of each scorecard variable from the ``bin_<variable>`` indices of a score frame
    (:func:`clientlens.scoring.score_frame`; index -1, an unseen category, has WOE 0)."""
    out = {}
    for v in scorecard.variables_:
        col = f"bin_{v}"
        if col not in scored.columns:
            raise DataError(f"the scored sample lacks column {col!r}; rerun 05_response_model")
        out[v] = np.append(scorecard.binner_.binnings_[v].woe, 0.0)[scored[col].to_numpy(dtype="int64")]
    return pd.DataFrame(out, index=scored.index)


def coefficient_table(scorecard, scored_dev: pd.DataFrame, y_dev) -> pd.DataFrame:
    """One row per term: scorecard coefficient, unpenalised MLE, its standard error, z, p-value and VIF,
    on the development sample (a score frame with ``bin_<variable>`` columns)."""
    from .scoring import describe_variable
    from .validation import logistic_fit

    W = woe_from_bins(scorecard, scored_dev)
    X = np.column_stack([np.ones(len(W)), W.to_numpy()])
    fit = logistic_fit(X, np.asarray(y_dev, dtype=float))
    v = vif(W)
    names = ["(intercept)"] + list(scorecard.variables_)
    return pd.DataFrame({
        "term": names, "description": ["intercept"] + [describe_variable(x) for x in scorecard.variables_],
        "coefficient": [scorecard.intercept_] + [float(scorecard.coef_[x]) for x in scorecard.variables_],
        "mle": fit["coef"], "std_error": fit["se"], "z": fit["z"], "p_value": fit["p_value"],
        "vif": [np.nan] + [float(v[x]) for x in scorecard.variables_]})


def monitoring_plan(thresholds: Mapping[str, tuple], n_periods: int) -> str:
    """The monitoring plan in words, from the verdict thresholds of 06."""
    from .i18n import t

    def th(k, fmt="{:g}"):
        w, f = thresholds[k][:2]
        return f"{fmt.format(w)} / {fmt.format(f)}"
    return t("Monthly, at each month-end: score PSI and each variable's CSI against the development sample (WARN / "
             "FAIL at {psi}; the last {n} month-ends are shown in 06). After each campaign with recorded responses: "
             "AUC (WARN / FAIL below {auc}), KS ({ks}), lift in the top 10% ({lift}), rank order across deciles and "
             "the calibration tests (p below {hl}) on the new responses; model group vs control group. Any FAIL: "
             "review before the next list.", psi=th("score_psi"), n=n_periods, auc=th("auc"), ks=th("ks"),
             lift=th("lift_top10"), hl=th("hl_p"))


def build_model_card(meta: Mapping, card: Mapping, scorecard, *, n_base: int, as_of: str, code: Mapping,
                     monitoring: str, fitted_here: bool, challenger: bool) -> pd.DataFrame:
    """The model card as an ``item`` / ``value`` table.

    ``meta`` is the model's metadata (:func:`clientlens.scoring.fit_response_model`), ``card`` the checked
    ``model_card`` parameter (:func:`check_card_params`), ``code`` :func:`clientlens.runner.code_version`.
    Empty governance items read "not recorded".
    """
    from .i18n import t, value
    from .samples import describe_meta

    m = meta
    nr = t("not recorded")
    c = {k: (v or nr) for k, v in check_card_params(card).items()}
    binfo = m.get("binning") or {}
    if binfo.get("mismatch"):
        bdec = t("02_binning's binning not reused (fitted on another sample: {why})", why="; ".join(binfo["mismatch"]))
    elif binfo.get("source") == "02_binning":
        bdec = t("02_binning's binning reused: it was fitted on this model's development sample")
    else:
        bdec = binfo.get("note", nr)
    n, r = m.get("n", {}), m.get("responders", {})

    def part(s):
        return t("{n:,} contacts, {k:,} responders", n=n[s], k=r[s]) if s in n else t("none")

    split = (t("stratified random, {share:.0%} validation", share=m["validation_share"]) if m.get("split") == "random"
             else t("out of time: contacts on or after {date} are the out-of-time sample", date=m.get("oot_date"))
             + (t(" (the earlier contacts are split at random into development and an in-time holdout)")
                if n.get("validation") else ""))
    approval = c["approval_status"] + ("" if c["approved_by"] == nr else t(" by {who}", who=c["approved_by"])) + \
        ("" if c["approval_date"] == nr else t(" on {date}", date=c["approval_date"]))
    rows = [
        ("Owner", c["owner"]),
        ("Intended use", c["intended_use"]),
        ("Population", c["population"]),
        ("Target", value(m["target"])),
        ("Limitations", c["limitations"]),
        ("Monitoring plan", monitoring),
        ("Approval status", approval),
        ("Training campaigns", ", ".join(m["campaigns"])),
        ("Contact dates", "; ".join(f"{k}: " + t("{a} to {b}", a=a, b=b) for k, (a, b) in m["contact_windows"].items())),
        ("Features as of", "; ".join(f"{k}: {d}" for k, d in m["features_as_of"].items())),
        ("Split", split),
        ("Development sample", part("development")),
        ("In-time holdout", part("validation")),
        ("Out-of-time sample", part("out_of_time")),
        ("Scored base", t("{n:,} customers as of {as_of}", n=n_base, as_of=m.get("as_of", as_of))),
        ("Binning fitted on", describe_meta(binfo.get("sample"))),
        ("Binning decision", bdec),
        ("Model", t("logistic regression on WOE, {k} variables, L2 C = {C}; challenger: {challenger}",
                    k=len(scorecard.variables_), C=m.get("C"),
                    challenger=t("gradient boosting (HistGradientBoosting)") if challenger else t("none"))),
        ("Points", t("{base_score:g} points at odds {base_odds:g}:1 against response; PDO {pdo:g}",
                     **{k: m["points"][k] for k in ("base_score", "base_odds", "pdo")})),
        ("Code version", f"clientlens {code.get('clientlens_version')}, commit "
                         + (str(code["git_commit"])[:12] if code.get("git_commit") else "n/a")
                         + (t(" (uncommitted changes)") if code.get("git_dirty") else "")),
        ("Fitted in", t("06_model_validation (05 artefacts absent)") if fitted_here else "05_response_model"),
    ]
    return pd.DataFrame(rows, columns=["item", "value"])
