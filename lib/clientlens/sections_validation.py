"""Sections of report ``06_model_validation``: the targeting model's validation, verdict first.

:func:`check_params` validates the report's parameters (one clear line per bad value) and derives the
target's wording and the thresholds; :func:`run` loads 05's model and scores (or fits here), validates
them (:func:`clientlens.validation.validate_model`) and returns a :class:`ValidationRun`. The ``show_*``
functions display one section each (tables through :mod:`clientlens.report`, which escapes every
value; charts through :mod:`clientlens.plots` and ``plt.show()``), add what a reader must be warned
about to ``ValidationRun.warnings`` and return ``None``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from . import report
from .i18n import t

__all__ = ["ValidationRun", "check_params", "run", "show_verdict", "show_rank_order", "show_charts",
           "show_calibration", "show_stability", "show_stability_over_time", "show_post_evaluation",
           "show_model_card", "show_warnings", "warning_lines"]

#: Parameters of 06 checked against a range: name -> (min, max).
RANGES = {"n_tiles": (2, 50), "confidence": (0.5, 0.999), "validation_share": (0.05, 0.5),
          "n_boot": (100, 100000), "stability_periods": (1, 60)}


def check_params(p: dict) -> dict:
    """Validate 06's parameters (``namespace_params(globals())``) and derive what the report needs.

    Returns
    -------
    dict
        ``as_of_date``, ``card_params`` (:func:`clientlens.model_card.check_card_params`), ``target``
        (:func:`clientlens.targets.check_target`), ``tdesc`` (its wording, :func:`clientlens.targets.describe`)
        and ``thresholds`` (``{check: (warn, fail)}`` from the ``<check>_warn`` / ``<check>_fail`` parameters).
    """
    from . import model_card as mc, targets, validation
    from .params import parse_date, require

    as_of_date = parse_date("as_of", p["as_of"])
    require("unknown_customers", p["unknown_customers"], choices=["fail", "drop"])
    for k, (lo, hi) in RANGES.items():
        require(k, p[k], min=lo, max=hi)
    card_params = mc.check_card_params(p.get("model_card"))
    tgt = targets.check_target(p["target"], data_dir=p["data_dir"])
    tdesc = targets.describe({**tgt, "campaigns": tgt.get("campaigns") or p["campaigns"]}
                             if tgt["kind"] == "campaign_response" else tgt)
    thresholds = {k: (p[f"{k}_warn"], p[f"{k}_fail"]) for k in validation.DEFAULT_THRESHOLDS}
    return {"as_of_date": as_of_date, "card_params": card_params, "target": tgt, "tdesc": tdesc,
            "thresholds": thresholds}


@dataclass
class ValidationRun:
    """The model, its scores and the validation result of 06 (see :func:`run`)."""

    p: dict
    chk: dict
    inputs: dict
    res: dict
    warnings: list = field(default_factory=list)

    @property
    def model(self) -> dict:
        return self.inputs["model"]

    @property
    def scored(self) -> pd.DataFrame:
        return self.inputs["scored"]

    @property
    def base_scores(self) -> pd.DataFrame:
        return self.inputs["base_scores"]

    @property
    def scorecard(self):
        return self.model["scorecard"]

    @property
    def challenger(self):
        return self.model.get("challenger")

    @property
    def primary(self) -> str:
        return self.res["primary"]

    @property
    def primary_name(self) -> str:
        return self.res["names"][self.primary]

    @property
    def metrics(self) -> dict:
        return self.res["metrics"][self.primary]

    @property
    def val(self) -> pd.DataFrame:
        """The verdict sample (out-of-time when the data has one, else the in-time holdout)."""
        return self.scored[self.scored["sample"] == self.primary]

    @property
    def dev(self) -> pd.DataFrame:
        return self.scored[self.scored["sample"] == "development"]

    def models(self) -> dict:
        """Predicted probabilities of the verdict sample: the scorecard, and the challenger when scored."""
        val = self.val
        out = {t("scorecard"): val["prob"].to_numpy()}
        if self.challenger is not None and "prob_challenger" in val.columns:
            out[t("challenger (gradient boosting)")] = val["prob_challenger"].to_numpy()
        return out


def run(bank, p: dict, chk: dict) -> ValidationRun:
    """05's model and scores (fitted here when absent), validated with 06's thresholds.

    Parameters
    ----------
    bank : clientlens.data.BankData or None
        The loaded bank (None for a target of kind table).
    p : dict
        06's parameters.
    chk : dict
        :func:`check_params`.
    """
    from . import validation

    inp = validation.load_validation_inputs(
        bank, p["reports_dir"], p["as_of"], include_scratch=not p["output_dir"], campaigns=p["campaigns"],
        validation_share=p["validation_share"], random_state=p["seed"], allow_raw_ids=p["allow_raw_ids"])
    warnings = [t("Model fitted in-notebook: 05_response_model artefacts not found")] if inp["fitted_here"] else []
    res = validation.validate_model(inp["scored"], inp["base_scores"], inp["model"]["scorecard"], chk["thresholds"],
                                    n_tiles=p["n_tiles"], confidence=p["confidence"], n_boot=p["n_boot"],
                                    random_state=p["seed"], leakage_review=p.get("leakage_review"), as_of=p["as_of"])
    return ValidationRun(p, chk, inp, res, warnings)


def _show():
    import matplotlib.pyplot as plt

    plt.tight_layout()
    plt.show()


def show_verdict(v: ValidationRun) -> None:
    """What the model predicts, the checks with their verdicts, the overall message, the samples, the benchmark."""
    from . import lift, validation

    tdesc, res, val, conf = v.chk["tdesc"], v.res, v.val, v.p["confidence"]
    report.show_md(t("**What the model predicts:** whether a customer {predicts} (target 1); scored: {population}.",
                     predicts=tdesc["predicts"], population=tdesc["population"]))
    report.show_verdicts(res["verdicts"], caption=t(
        "Validation checks on the {sample} sample ({n:,} rows, {k:,} {events}); {conf:.0%} intervals in brackets",
        sample=t(v.primary_name), n=len(val), k=int(val["target"].sum()), events=tdesc["events"], conf=conf))
    text, kind, title = validation.overall_message(res, v.inputs["source_note"])
    report.callout(text, kind=kind, title=title)
    report.show_table(validation.sample_counts(v.scored), caption=t(
        "Samples: development (fits the binning and the scorecard), in-time holdout (validation), out-of-time"))
    if tdesc["benchmark"]:
        report.callout(t("Labelled benchmark, not a threshold: {benchmark}. This model on the {sample} sample: the "
                         "top 10% captured {capture:.0%} of {events} (lift {lift:.1f}x).", benchmark=tdesc["benchmark"],
                         sample=t(v.primary_name), capture=lift.capture_at(val["target"], val["prob"], 0.1),
                         events=tdesc["events"], lift=lift.lift_at(val["target"], val["prob"], 0.1)), kind="note",
                       title=t("Reference bank's result"))


def ntile_table(ntiles: pd.DataFrame) -> pd.DataFrame:
    """The n-tile table with the reader's column names."""
    show = ntiles[["ntile", "count", "responders", "response_rate", "lift", "cum_capture_rate", "cum_lift", "ks"]]
    return show.rename(columns={"ntile": "n-tile (1 = best)", "cum_capture_rate": "capture (cumulative)",
                                "cum_lift": "lift (cumulative)"})


def show_rank_order(v: ValidationRun) -> None:
    """The n-tile table, the rank-order tests of adjacent n-tiles and the rank-order chart."""
    import matplotlib.pyplot as plt

    from .plots import validation as vplots

    m = v.metrics
    report.show_table(ntile_table(m["ntile_table"]), caption=t("N-tile table of the {sample} sample", sample=t(v.primary_name)),
                      percent_cols=["response_rate", "capture (cumulative)"],
                      fmt={"lift": "{:.2f}", "lift (cumulative)": "{:.2f}", "ks": "{:.3f}"})
    report.show_table(m["rank_order"], caption=t("Rank order: adjacent n-tiles (one-sided two-proportion z-test, "
                                                 "Holm-adjusted)"), percent_cols=["rate", "next_rate"],
                      fmt={"z": "{:.2f}", "p_value": "{:.3g}", "p_holm": "{:.3g}"})
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    vplots.rank_order_chart(m["ntile_table"], ax=ax)
    _show()


def show_charts(v: ValidationRun) -> None:
    """Gains, lift per n-tile, KS and ROC of the verdict sample."""
    import matplotlib.pyplot as plt

    from .plots import lift as lplots

    y, p, models = v.val["target"].to_numpy(), v.val["prob"].to_numpy(), v.models()
    fig, axes = plt.subplots(2, 2, figsize=(12, 9))
    lplots.gains_chart(y, models, ax=axes[0, 0])
    lplots.lift_chart(v.metrics["ntile_table"], ax=axes[0, 1])
    lplots.ks_chart(y, p, ax=axes[1, 0])
    lplots.roc_chart(y, models, ax=axes[1, 1])
    _show()


def challenger_table(y, models: dict) -> pd.DataFrame:
    """AUC, KS and lift in the top 10% of each model on the same sample."""
    from . import lift

    return pd.DataFrame([{"model": k, "AUC": lift.auc(y, s), "KS": lift.ks(y, s), "lift top 10%": lift.lift_at(y, s, 0.1)}
                         for k, s in models.items()])


def show_calibration(v: ValidationRun) -> None:
    """Calibration tests and chart; the scorecard beside the challenger when there is one."""
    import matplotlib.pyplot as plt

    from . import validation
    from .plots import lift as lplots

    cal = v.metrics["calibration"]
    report.show_table(validation.calibration_summary(cal), caption=t("Calibration of the {sample} sample", sample=t(v.primary_name)))
    fig, ax = plt.subplots(figsize=(5.6, 4.8))
    lplots.calibration_chart(cal["table"], ax=ax)
    _show()
    models = v.models()
    if len(models) > 1:
        report.show_table(challenger_table(v.val["target"].to_numpy(), models),
                          caption=t("Scorecard vs challenger on the same sample"),
                          fmt={"AUC": "{:.3f}", "KS": "{:.3f}", "lift top 10%": "{:.2f}x"})


def show_stability(v: ValidationRun) -> None:
    """Score distribution, score PSI and CSI per variable, development sample vs today's base."""
    import matplotlib.pyplot as plt

    from . import scoring
    from .plots import lift as lplots

    as_of = v.p["as_of"]
    fig, ax = plt.subplots(figsize=(6.8, 4.0))
    lplots.score_distribution_chart(v.dev["score"], v.base_scores["score"],
                                    labels=("development sample", t("base as of {as_of}", as_of=as_of)), ax=ax,
                                    title="Score distribution: development sample vs today's base")
    _show()
    report.show_table(v.res["stability"].rename(columns={"index": "PSI / CSI", "top_bin": "bin contributing most"}),
                      caption=t("Score PSI and CSI per model variable, development sample vs base as of {as_of}",
                                as_of=as_of),
                      fmt={"PSI / CSI": "{:.4f}"})
    for var, tab in v.res["csi"].items():
        report.show_table(tab, caption=t("CSI bin by bin: {description} ({variable})",
                                         description=scoring.describe_variable(var), variable=var),
                          percent_cols=["expected_share", "actual_share"], fmt={"psi": "{:.4f}"})


def show_stability_over_time(v: ValidationRun, bank) -> None:
    """Score PSI and CSI of the base at each of the last month-ends against the development sample."""
    import matplotlib.pyplot as plt

    from . import validation
    from .plots import validation as vplots

    p, sc = v.p, v.scorecard
    frames = validation.scores_at_month_ends(
        bank, v.model, p["as_of"], n_periods=p["stability_periods"], allow_raw_ids=p["allow_raw_ids"],
        reports_dir=p["reports_dir"], output_dir=p["output_dir"]) \
        if bank is not None and p["target"].get("kind") != "table" else {}
    if not frames:
        report.callout(t("No bank tables (target of kind table): stability over time is not measured."), kind="note")
        return
    watch, shifted = p["score_psi_warn"], p["score_psi_fail"]
    over_time = validation.stability_over_time(sc, v.dev, frames, watch=watch, shifted=shifted)
    wide = over_time.pivot(index="item", columns="date", values="index").reindex(["score"] + sc.variables_)
    report.show_table(wide.reset_index(), caption=t("PSI / CSI at the last {n} month-ends (rows: the score, then each "
                                                        "model variable)", n=len(frames)), fmt="{:.3f}")
    fig, ax = plt.subplots(figsize=(9, 4.4))
    vplots.stability_over_time_chart(over_time, watch=watch, shifted=shifted, ax=ax)
    _show()


def show_post_evaluation(v: ValidationRun, bank) -> None:
    """Model group vs control group of the evaluation campaign; this model's n-tiles on the control group."""
    from . import validation

    p = v.p
    camp, conf = p["evaluation_campaign"], p["confidence"]
    r = validation.post_evaluation(bank, camp, confidence=conf) \
        if bank is not None and p["target"].get("kind", "campaign_response") == "campaign_response" else None
    selector = p["evaluation_model"] or t("the bank's model in use at the time of the campaign (not the model validated "
                                          "here)")
    if r is not None:
        report.show_table(r.to_frame().assign(group=[t("model group (模型组)"), t("control group (非模型组)")]),
                          percent_cols=["response_rate"],
                          caption=t("Campaign {campaign}: response by group; model group selected by {selector}",
                                    campaign=camp, selector=selector))
        report.callout(t("Model group {model:.2%} vs control {control:.2%}: {diff:+.2f} points ({conf:.0%} interval "
                         "{low:+.2f} to {high:+.2f}, Newcombe), p = {p:.2g}. This measures what {selector} added on "
                         "campaign {campaign}; it is not an outcome of the model validated here.", model=r.rate_model,
                         control=r.rate_control, diff=r.difference * 100, conf=conf, low=r.ci_low * 100,
                         high=r.ci_high * 100, p=r.p_value, selector=selector, campaign=camp),
                       kind="note", title=t("What this comparison is"))
    else:
        report.callout(t("Campaign {campaign}: no model and control group with recorded responses.", campaign=camp),
                       kind="warning")
        v.warnings.append(t("post-evaluation skipped: {campaign} lacks responses by group", campaign=camp))
    ctl = validation.control_group_outcome(v.scored, camp, n=p["n_tiles"])
    if ctl is not None:
        report.show_table(ctl[["ntile", "count", "responders", "response_rate", "lift"]], percent_cols=["response_rate"],
                          caption=t("Outcome of THIS model on untargeted customers: {campaign} control group (not "
                                    "used to fit) by this model's n-tile", campaign=camp), fmt={"lift": "{:.2f}"})


def coefficients_table(v: ValidationRun) -> pd.DataFrame:
    """Scorecard coefficients beside the unpenalised refit (standard errors, p-values), VIF, IV and IV band."""
    from . import model_card as mc
    from .binning import iv_band

    sc, dev = v.scorecard, v.dev
    coefs = mc.coefficient_table(sc, dev, dev["target"]).assign(iv=lambda t: t["term"].map(sc.iv_))
    coefs["IV band"] = coefs["iv"].map(lambda x: iv_band(x) if pd.notna(x) else "")
    return coefs


def show_model_card(v: ValidationRun) -> None:
    """The model card, the coefficient table and the leakage review of suspicious variables."""
    from . import model_card as mc
    from .runner import code_version

    p, card_params = v.p, v.chk["card_params"]
    card = mc.build_model_card(v.model["meta"], card_params, v.scorecard, n_base=len(v.base_scores), as_of=p["as_of"],
                               code=code_version(), monitoring=mc.monitoring_plan(v.chk["thresholds"],
                                                                                  p["stability_periods"]),
                               fitted_here=v.inputs["fitted_here"], challenger=v.challenger is not None)
    report.show_table(card, caption=t("Model card"), max_rows=60)
    if card_params["approval_status"] == "":
        v.warnings.append(t("Model card: no approval status recorded (model_card.approval_status)"))
    report.show_table(coefficients_table(v), caption=t("Coefficients: scorecard, unpenalised refit with standard "
                                                       "errors and p-values, VIF, IV"),
                      fmt={c: "{:.3f}" for c in ("coefficient", "mle", "std_error", "z", "vif", "iv")} | {"p_value": "{:.3g}"})
    res = v.res
    if res["suspicious"]:
        report.callout(t("Suspicious IV band (> 0.5): {variables}. Review record: {note}",
                         variables=", ".join(res["suspicious"]), note=res["leakage"]["note"]),
                       kind="pass" if res["leakage"]["verdict"] == "PASS" else "warning", title=t("Leakage review"))


def warning_lines(v: ValidationRun) -> list[str]:
    """The report's warnings: those collected by the sections, then every check that did not pass."""
    from .i18n import value

    return v.warnings + [f"{value(r['check'])}: {t(r['verdict'])}" + (f" ({value(r['note'])})" if r["note"] else "")
                         for _, r in v.res["verdicts"].iterrows() if r["verdict"] != "PASS"]


def show_warnings(v: ValidationRun) -> None:
    """The warnings section (a pass line when there is none)."""
    lines = warning_lines(v)
    if lines:
        report.callout("\n\n".join(lines), kind="warning", title=t("Warnings"))
    else:
        report.callout(t("No warnings."), kind="pass", title=t("Warnings"))
