"""The response model report (05_response_model): parameter checks, the fit for every target kind,
the texts and tables a reviewer reads, and the saved artefacts with their descriptions.

The scorecard itself is :mod:`clientlens.scoring`, the targets :mod:`clientlens.targets`, the list
:mod:`clientlens.marketing_list`; this module only joins them for the report.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from . import DataError, ParamsError
from .i18n import t, value
from .params import parse_date, require

#: columns and formats of the scorecard table
SCORECARD_COLUMNS = ["description", "variable", "iv", "coefficient", "points_min", "points_max", "points_range"]
SCORECARD_FMT = {"iv": "{:.3f}", "coefficient": "{:.3f}", "points_min": "{:.1f}", "points_max": "{:.1f}",
                 "points_range": "{:.1f}"}
#: columns and formats of the first validation check
METRICS_FMT = {"AUC": "{:.3f}", "Gini": "{:.3f}", "KS": "{:.3f}", "lift top 10%": "{:.2f}x"}
METRICS_PERCENT = ["capture top 10%", "capture top 20%"]


def check_params(p: Mapping[str, Any]):
    """Validate 05_response_model's parameters.

    Parameters
    ----------
    p : mapping
        The notebook's parameters (:func:`clientlens.params.namespace_params`).

    Returns
    -------
    target : dict
        The checked target; a campaign response target without its own ``campaigns`` takes the
        ``campaigns`` parameter.
    catalogue : clientlens.offers.Catalogue
        The product catalogue (``products``, ``suitability``).

    Raises
    ------
    ParamsError
        One line naming the parameter, e.g. ``pdo must be > 0; got 0``.
    """
    from . import offers, targets

    parse_date("as_of", p["as_of"])
    require("unknown_customers", p["unknown_customers"], choices=["fail", "drop"])
    require("split", p["split"], choices=["auto", "random", "out_of_time"])
    tgt = targets.check_target(p["target"], data_dir=p["data_dir"])
    if tgt["kind"] == "campaign_response":
        tgt["campaigns"] = tgt["campaigns"] or p["campaigns"]
    require("validation_share", p["validation_share"], min=0.05, max=0.5)
    if p["split"] == "out_of_time":
        parse_date("oot_date", p["oot_date"])
    for name, kw in {"binning_source": dict(choices=["auto", "fit", "saved"]), "feature_lag_days": dict(min=1),
                     "max_variables": dict(min=1), "pdo": dict(min=0, min_exclusive=True),
                     "base_odds": dict(min=0, min_exclusive=True), "C": dict(min=0, min_exclusive=True),
                     "list_top_n": dict(min=0), "list_top_frac": dict(min=0, max=1, min_exclusive=True),
                     "recent_contact_days": dict(min=0), "rm_min_aum": dict(min=0), "n_reasons": dict(min=1, max=5),
                     "list_sizing": dict(choices=["economics", "rule"]), "list_days": dict(min=1),
                     "control_share": dict(min=0, max=0.5)}.items():
        require(name, p[name], **kw)
    catalogue = offers.Catalogue.from_params(p["products"], p["suitability"])
    if tgt["kind"] == "campaign_response" and not tgt["campaigns"]:
        raise ParamsError("campaigns must name at least one campaign_id")
    return tgt, catalogue


@dataclass
class ModelRun:
    """The fitted model of 05 with what the report needs around it (:func:`fit`).

    Attributes
    ----------
    model : dict
        ``scorecard``, ``challenger``, ``samples``, ``meta`` (and ``base`` for a derived target).
    sample : object
        The development/validation sample (``meta`` describes it).
    binning_info : dict
        Which binning was used and why (:func:`clientlens.scoring.choose_binning`).
    campaigns : list
        The training campaigns (the ``campaigns`` parameter for a derived target).
    split : str
        The split used (``auto`` resolved to ``random`` for campaigns).
    run_cache : clientlens.cache.RunCache or None
    binning_reused : bool
        02_binning's binning was reused.
    """

    model: dict
    sample: Any
    binning_info: dict
    campaigns: list
    split: str
    run_cache: Any = None
    binning_reused: bool = False


def fit(bank, tgt: dict, p: Mapping[str, Any], *, saved=None, log_dir=None) -> ModelRun:
    """Build the sample of the target kind, choose the binning (02's if fitted on it) and fit the models.

    Parameters
    ----------
    bank : Bank or None
        None for a target of kind ``table``.
    tgt : dict
        The checked target (:func:`check_params`).
    p : mapping
        05's parameters.
    saved : path, optional
        02_binning's ``binning.pkl`` (reused when fitted on the same development sample).
    log_dir : path, optional
        Where the run cache logs.

    Returns
    -------
    ModelRun

    Raises
    ------
    DataError
        A campaign response target on data without the ``campaigns`` table.
    """
    from . import scoring, targets
    from .cache import RunCache

    run_cache = (RunCache.for_run(bank, parse_date("as_of", p["as_of"]), p["reports_dir"], log_dir=log_dir)
                 if bank is not None else None)  # computed once per dated run
    if tgt["kind"] == "campaign_response" and not bank.has("campaigns"):
        raise DataError(f"{p['data_dir']}: table 'campaigns' not found; a response model needs campaign results")
    campaigns, split = p["campaigns"], p["split"]
    common = dict(max_variables=p["max_variables"], pdo=p["pdo"], base_score=p["base_score"], base_odds=p["base_odds"],
                  C=p["C"], fit_challenger=p["fit_challenger"], random_state=p["seed"], allow_raw_ids=p["allow_raw_ids"])
    bp = {"iv_min": p["iv_min"], "iv_max": p["iv_max"], "max_corr": p["max_corr"], "keep_suspicious": p["keep_suspicious"]}
    if tgt["kind"] == "campaign_response":
        campaigns, split = tgt["campaigns"], ("random" if split == "auto" else split)
        kw = dict(feature_lag_days=p["feature_lag_days"], split=split, validation_share=p["validation_share"],
                  oot_date=p["oot_date"], as_of=p["as_of"])
        sample = run_cache.model_sample(campaigns, random_state=p["seed"], **kw,
                                        in_time_share=p["validation_share"] if split == "out_of_time" else 0.0)
    else:
        sample = targets.build_sample(bank, tgt, as_of=p["as_of"], split=split, validation_share=p["validation_share"],
                                      random_state=p["seed"])
    binner, binning_info = scoring.choose_binning(p["binning_source"], saved, sample.meta)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if tgt["kind"] == "campaign_response":
            model = scoring.fit_response_model(bank, campaigns, binner=binner, sample=sample, binning_info=binning_info,
                                               binner_params=bp, fit_cache=run_cache, **kw, **common)
        else:
            bp.update(leak_auc=p["leak_auc"], target_name=tgt.get("column"))
            model = targets.fit_target_model(sample, tgt, binner=binner, binning_info=binning_info, binner_params=bp,
                                             **common)
    return ModelRun(model=model, sample=sample, binning_info=binning_info, campaigns=campaigns, split=split,
                    run_cache=run_cache, binning_reused=binner is not None)


def fit_warnings(run: ModelRun) -> list[str]:
    """Warnings of the fit: 02's binning not reused, contacts without a recorded response left out."""
    info, out = run.binning_info, []
    if info["kind"] == "warning":
        out.append(t("02_binning's binning not reused (different sample): {why}", why="; ".join(info["mismatch"])))
    for cid, k in run.model["meta"]["dropped_no_response"].items():
        if k:
            out.append(t("{campaign}: {k:,} contact(s) without a recorded response left out", campaign=cid, k=k))
    return out


def binning_callout(run: ModelRun) -> dict:
    """The callout on the binning used: ``text``, ``kind`` and ``title`` of :func:`clientlens.report.callout`."""
    info = run.binning_info
    return dict(text=t("{note} The scorecard's coefficients are fitted here on the same development sample.",
                       note=info["note"]), kind=info["kind"],
                title=t("Binning reused from 02_binning") if run.binning_reused else t("Binning fitted in this report"))


def training_md(run: ModelRun, *, validation_share: float, oot_date: str) -> str:
    """Markdown of 05's training section: the target, the validation part and the binning's sample."""
    from .samples import describe_meta

    meta = run.model["meta"]
    note = run.sample.meta.get("observation_note")
    split_text = note if note else (
        t("a stratified random {share:.0%} of the contacts;", share=validation_share) if run.split == "random"
        else t("the contacts on or after {oot_date} (out-of-time), with a random {share:.0%} of the earlier contacts "
               "as an in-time holdout;", oot_date=oot_date, share=validation_share))
    return t("**Target.** {target}\n\n**Validation:** {split} The validation rows are never used to fit the binning or "
             "the coefficients.\n\n**Binning fitted on:** the {sample}.", target=value(meta["target"]), split=split_text,
             sample=describe_meta(run.binning_info["sample"]))


def dropped_table(dropped: Mapping[str, str]) -> pd.DataFrame:
    """The variables of the binning a scorecard left out (``ResponseScorecard.dropped_``) with their reason in the
    report's language (``variable``, ``reason``)."""
    from .i18n import t_matching
    from .scoring import DROP_TEMPLATES

    return pd.DataFrame({"variable": list(dropped), "reason": [t_matching(r, DROP_TEMPLATES) for r in dropped.values()]})


def points_md(base_score: float, base_odds: float, pdo: float) -> str:
    """Markdown: how points relate to the odds of response (base score, base odds, points to double the odds)."""
    return t("**Points:** {base_score:g} points at odds of {base_odds:g} non-responders per responder "
             "(a {rate:.1%} response rate); every {pdo:g} points double the odds of response. "
             "The score is the sum of the points of the customer's bins below.", base_score=base_score,
             base_odds=base_odds, rate=1 / (1 + base_odds), pdo=pdo)


def validation_check(samples: pd.DataFrame, has_challenger: bool) -> tuple[pd.DataFrame, dict, pd.DataFrame, str]:
    """The first check on the validation (or out-of-time) sample: both models' AUC, Gini, KS, lift, capture.

    Parameters
    ----------
    samples : DataFrame
        The scored development and validation samples (``sample``, ``response``, ``prob``,
        ``prob_challenger``).
    has_challenger : bool

    Returns
    -------
    val : DataFrame
        The out-of-time rows when present, else the validation rows.
    models : dict
        Model name -> predicted probabilities on ``val``.
    table : DataFrame
        One row per model.
    caption : str
    """
    from .scoring import validation_metrics

    val = samples[samples["sample"] == ("out_of_time" if (samples["sample"] == "out_of_time").any() else "validation")]
    models = {t("scorecard"): val["prob"]}
    if has_challenger:
        models[t("challenger (gradient boosting)")] = val["prob_challenger"]
    rows = []
    for name, prob in models.items():
        m = validation_metrics(val["response"], prob)
        rows.append({"model": name, "AUC": m["auc"], "Gini": m["gini"], "KS": m["ks"], "lift top 10%": m["lift_top10"],
                     "capture top 10%": m["capture_top10"], "capture top 20%": m["capture_top20"]})
    caption = t("Out-of-time sample ({n:,} contacts, {k:,} responders)" if (val["sample"] == "out_of_time").all()
                else "Validation sample ({n:,} contacts, {k:,} responders)", n=len(val), k=int(val["response"].sum()))
    return val, models, pd.DataFrame(rows), caption


def stability_warnings(stab: pd.DataFrame) -> list[str]:
    """A warning naming the score and variables not stable against today's base (none when all are)."""
    if not (stab["band"] != "stable").any():
        return []
    return [t("Not stable against today's base: {items}", items=", ".join(
        f"{i} ({x:.3f}, {value(b)})" for i, x, b in zip(stab["item"], stab["index"], stab["band"]) if b != "stable"))]


def scoring_base(run: ModelRun, as_of) -> pd.DataFrame:
    """The rows to score: the target's own base, else the wide table as of ``as_of`` (from the run cache)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base = run.model.get("base")
        return run.run_cache.wide_table(parse_date("as_of", str(as_of))) if base is None else base


_PARAM_KEYS = ["feature_lag_days", "validation_share", "oot_date", "binning_source", "iv_min", "iv_max",
               "keep_suspicious", "max_corr", "max_variables", "pdo", "base_score", "base_odds", "C", "fit_challenger",
               "seed"]


def model_meta(run: ModelRun, tgt: dict, p: Mapping[str, Any], bank=None) -> dict:
    """What ``scorecard.pkl`` records besides the models: as-of date, data, parameters, fingerprints, IV."""
    from . import targets

    params = {"target": tgt, "campaigns": run.campaigns, "feature_lag_days": p["feature_lag_days"], "split": run.split,
              **{k: p[k] for k in _PARAM_KEYS[1:]}}
    return dict(as_of=p["as_of"], data_dir=str(p["data_dir"]), params=params,
                fingerprints=targets.fingerprints(tgt) if bank is None else
                run.run_cache.file_digests() if run.run_cache is not None else bank.fingerprints(),
                iv=run.model["scorecard"].summary().set_index("variable")["iv"].to_dict())


def save_artifacts(out_dir: str | os.PathLike, run: ModelRun, ml, *, tgt: dict, as_of: str) -> pd.DataFrame:
    """Save 05's artefacts into ``out_dir``; the table of files and their content for the report.

    Writes ``scorecard.pkl`` (scorecard, challenger, meta), ``validation_scored.parquet``,
    ``scored_sample.parquet`` (for 06), ``scorecard.sql`` / ``scorecard.json``, ``base_scores.parquet``,
    ``marketing_list.csv`` / ``.parquet`` and, with list economics, ``list_gains.parquet``.

    Parameters
    ----------
    out_dir : path
    run : ModelRun
        The fit (its ``model["meta"]`` completed by :func:`model_meta`).
    ml : clientlens.marketing_list.MarketingList
    tgt : dict
        The target (the scored sample's date column).
    as_of : str

    Returns
    -------
    DataFrame
        Columns ``file`` and ``content``.
    """
    from . import scorecard_sql, scoring, validation

    out, m = Path(out_dir), run.model
    samples = m["samples"]
    files = [(scoring.save_model({"scorecard": m["scorecard"], "challenger": m["challenger"], "meta": m["meta"]},
                                 out / "scorecard.pkl"), t("fitted scorecard, challenger and model card data"))]
    samples.to_parquet(out / "validation_scored.parquet", index=False)
    files.append((out / "validation_scored.parquet", t("scored development and validation contacts (masked ids)")))
    date_col = "contact_date" if tgt["kind"] == "campaign_response" else "obs_date"
    validation.scored_sample(samples, date_col=date_col).to_parquet(out / "scored_sample.parquet", index=False)
    files.append((out / "scored_sample.parquet",
                  t("scored sample for 06: sample (development / validation / out_of_time), target, prob, score (masked ids)")))
    sql = scorecard_sql.save_scorecard_sql(m["scorecard"], out, id_columns=["customer_id"])
    files += [(sql["sql"], t("the scorecard as one SQL SELECT (DuckDB and Spark SQL) over a table of the model variables")),
              (sql["json"], t("the scorecard as a JSON spec (bins, special and missing codes, points)"))]
    ml.base_scores.to_parquet(out / "base_scores.parquet", index=False)
    files.append((out / "base_scores.parquet", t("scores of the whole base as of {as_of} (masked ids)", as_of=as_of)))
    lst = scoring.export_list(ml.list, out, "marketing_list")
    files += [(lst["csv"], t("marketing list with its product and group (model = contact, control = random "
                             "holdout, not contacted) (CSV, UTF-8)")), (lst["parquet"], t("marketing list (Parquet)"))]
    if ml.gains is not None:
        ml.gains.to_parquet(out / "list_gains.parquet", index=False)
        files.append((out / "list_gains.parquet", t("gains by cut-off of the list economics")))
    return pd.DataFrame({"file": [Path(f).name for f, _ in files], "content": [c for _, c in files]})


def stability_caption(as_of: str) -> str:
    """Caption of the stability table of the list section: development sample vs the base as of ``as_of``."""
    return t("Stability: score PSI and CSI per variable, development sample vs base as of {as_of} (as 02 and 06)",
             as_of=as_of)


def show_warnings(warnings: list[str]) -> None:
    """The report's warnings in one callout titled "Warnings", or a "No warnings." pass."""
    from . import report

    if warnings:
        report.callout("\n\n".join(warnings), kind="warning", title=t("Warnings"))
    else:
        report.callout(t("No warnings."), kind="pass", title=t("Warnings"))
