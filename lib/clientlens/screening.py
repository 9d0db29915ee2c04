"""Variable screening (02_binning): parameter checks, samples per target kind, the fitted binner,
the leakage review text and the saved artefacts.

The notebook 02_binning is narrative plus calls into this module; the binning itself is
:mod:`clientlens.binning`, the targets :mod:`clientlens.targets`.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from . import ParamsError
from .i18n import t, value
from .params import parse_date, require

def check_params(p: Mapping[str, Any]) -> dict:
    """Validate 02_binning's parameters; the target with its campaigns filled in.

    Parameters
    ----------
    p : mapping
        The notebook's parameters (:func:`clientlens.params.namespace_params`).

    Returns
    -------
    dict
        The checked target (:func:`clientlens.targets.check_target`); a campaign response target
        without its own ``campaigns`` takes the ``campaigns`` parameter.

    Raises
    ------
    ParamsError
        One line naming the parameter, e.g. ``max_n_bins must be >= 2; got 1``.
    """
    from . import targets

    parse_date("as_of", p["as_of"])
    require("unknown_customers", p["unknown_customers"], choices=["fail", "drop"])
    require("comparison", p["comparison"], choices=["base", "campaign", "holdout"])
    require("split", p["split"], choices=["auto", "random", "out_of_time"])
    tgt = targets.check_target(p["target"], data_dir=p["data_dir"])
    if tgt["kind"] == "campaign_response":
        tgt["campaigns"] = tgt["campaigns"] or p["campaigns"]
    require("validation_share", p["validation_share"], min=0.05, max=0.5)
    require("feature_lag_days", p["feature_lag_days"], min=1)
    if p["split"] == "out_of_time":
        parse_date("oot_date", p["oot_date"])
    if p["comparison"] == "campaign" and not p["comparison_campaign"] and tgt["kind"] == "campaign_response":
        raise ParamsError("comparison_campaign must name a later campaign when comparison is 'campaign'")
    if tgt["kind"] == "campaign_response" and not tgt["campaigns"]:
        raise ParamsError("campaigns must name at least one campaign_id")
    for name, kw in {"max_n_bins": dict(min=2, max=50), "min_bin_size": dict(min=0, max=0.5),
                     "min_event_count": dict(min=1), "min_bin_events": dict(min=0), "iv_min": dict(min=0),
                     "iv_max": dict(min=p["iv_min"]), "max_corr": dict(min=0, max=1), "max_vif": dict(min=1),
                     "max_selected": dict(min=1), "psi_watch": dict(min=0), "psi_shifted": dict(min=p["psi_watch"]),
                     "n_jobs": dict(min=1, max=8), "top_n_chart": dict(min=5, max=200)}.items():
        require(name, p[name], **kw)
    return tgt


def build_samples(bank, tgt: dict, p: Mapping[str, Any], *, log_dir=None):
    """The development and comparison samples of 02_binning for any target kind.

    Parameters
    ----------
    bank : Bank or None
        The loaded bank (None for a target of kind ``table``).
    tgt : dict
        The checked target (:func:`check_params`).
    p : mapping
        The notebook's parameters.
    log_dir : path, optional
        Where the run cache logs (the report's output folder).

    Returns
    -------
    samples : clientlens.binning.BinningSamples
    ts : clientlens.targets.TargetSample or None
        The target sample (None for a campaign response).
    warnings : list of str
        Features dated after the as-of date.
    """
    from . import binning, targets
    from .cache import RunCache

    ts = None
    if tgt["kind"] == "campaign_response":
        split = "random" if p["split"] == "auto" else p["split"]
        kw = dict(feature_lag_days=p["feature_lag_days"], split=split, validation_share=p["validation_share"],
                  oot_date=p["oot_date"], random_state=p["seed"], as_of=p["as_of"],
                  in_time_share=p["validation_share"] if split == "out_of_time" else 0.0)
        run_cache = RunCache.for_run(bank, parse_date("as_of", p["as_of"]), p["reports_dir"], log_dir=log_dir)
        sample = run_cache.model_sample(tgt["campaigns"], **kw)
        # today's scoring base (the PSI comparison): the run's wide table, built once for 01, 03, 05 and this report
        base = run_cache.wide_table(parse_date("as_of", p["as_of"])) if p["comparison"] == "base" else None
        samples = binning.campaign_samples(bank, tgt["campaigns"], sample=sample, base=base, comparison=p["comparison"],
                                           comparison_campaign=p["comparison_campaign"] or None,
                                           exclude_columns=p["exclude_columns"], **kw)
    else:
        ts = targets.build_sample(bank, tgt, as_of=p["as_of"], split=p["split"],
                                  validation_share=p["validation_share"], random_state=p["seed"])
        samples = targets.binning_samples(ts)
    as_of_date = parse_date("as_of", p["as_of"])
    warns = [t("Features dated {date} are after the as-of date {as_of}.", date=d, as_of=as_of_date)
             for d in samples.meta["features_as_of"].values() if d and parse_date("features_as_of", d) > as_of_date]
    return samples, ts, warns


def fit_binner(samples, tgt: dict, p: Mapping[str, Any], *, bank=None, log_dir=None):
    """The :class:`clientlens.binning.WoeBinner` of 02_binning, fitted on the development sample.

    With ``bank``, the fit is stored in the run cache and reused while the development sample, the settings and
    the code are unchanged (:meth:`clientlens.cache.RunCache.fitted`).

    Parameters
    ----------
    samples : clientlens.binning.BinningSamples
    tgt : dict
        The checked target (an own table names its target column in the leakage checks).
    p : mapping
        The notebook's parameters (binning and selection settings, ``seed``).
    bank : Bank, optional
        The loaded bank (its run cache); None: fitted here, not stored.
    log_dir : path, optional
        Where the run cache logs (the report's output folder).

    Returns
    -------
    clientlens.binning.WoeBinner
    """
    from . import binning
    from .cache import RunCache

    binner = binning.WoeBinner(
        categorical_variables=[c for c in p["categorical_variables"] if c in samples.X_dev.columns],
        special_codes=p["special_codes"] or None, monotonic_trend=p["monotonic_trend"], max_n_bins=p["max_n_bins"],
        min_bin_size=p["min_bin_size"], min_event_count=p["min_event_count"],
        min_bin_events=p["min_bin_events"] or None, iv_min=p["iv_min"], iv_max=p["iv_max"],
        keep_suspicious=p["keep_suspicious"], max_corr=p["max_corr"], max_vif=p["max_vif"],
        max_selected=p["max_selected"], prescreen=p["prescreen"], n_jobs=p["n_jobs"], random_state=p["seed"],
        leak_auc=p["leak_auc"], target_name=tgt.get("column") if tgt["kind"] == "table" else None)
    if bank is None:
        return binner.fit(samples.X_dev, samples.y_dev)
    run_cache = RunCache.for_run(bank, parse_date("as_of", p["as_of"]), p["reports_dir"], log_dir=log_dir)
    return run_cache.fitted(binner, samples.X_dev, samples.y_dev)


def leakage_review(binner, samples_meta: Mapping, *, iv_max: float, leak_auc: float,
                   review: Mapping | None = None) -> tuple[str, pd.DataFrame, list[str]]:
    """The leakage section of 02_binning: plain text for a callout, the checks table and warnings.

    Parameters
    ----------
    binner : clientlens.binning.WoeBinner
        Fitted; ``leakage_`` holds the automated checks of the variables with IV above ``iv_max``.
    samples_meta : mapping
        The samples' meta (``features_as_of``: the features' dates per campaign or target).
    iv_max, leak_auc : float
        The suspicious IV threshold and the single-variable AUC of a leak (as the binner).
    review : mapping, optional
        The recorded review ``{reviewer, date, conclusion}`` (``leakage_review`` parameter).

    Returns
    -------
    text : str
        Plain text (no markdown; paragraphs separated by blank lines), empty when no variable is above ``iv_max``.
    checks : DataFrame
        The automated checks with a ``selected`` column.
    warnings : list of str
    """
    summary, selected = binner.summary_, binner.selected_
    n_susp = int((summary["iv"] > iv_max).sum())
    checks = binner.leakage_.copy()
    if not n_susp:
        return "", checks, []
    leaks = checks[checks["finding"] != ""]
    paras = [t("{n} variable(s) have IV above {iv_max:g}. Automated checks on each: single-variable AUC "
               ">= {leak_auc:g} (separates the target almost perfectly), a name repeating the target's, a value "
               "measured after the observation date. A variable the checks clear is kept for review "
               "(keep_suspicious); a leak found is dropped with its reason.", n=n_susp, iv_max=iv_max,
               leak_auc=leak_auc)]
    dates = ", ".join(f"{k}: {v}" for k, v in samples_meta.get("features_as_of", {}).items())
    if dates:
        paras.append(t("Timing: the features are computed as of {dates}; the target is observed after that date.",
                       dates=dates))
    if len(leaks):
        paras.append(t("Leak found, dropped: {leaks}", leaks="; ".join(
            f"{v} ({value(f)})" for v, f in zip(leaks["variable"], leaks["finding"]))))
    rec = {k: str((review or {}).get(k, "") or "") for k in ("reviewer", "date", "conclusion")}
    kept_any = bool(set(checks.loc[checks["finding"] == "", "variable"]) & set(selected))
    warns = []
    if all(rec.values()):
        paras.append(t("Review record: {reviewer}, {date}: {conclusion}", **rec))
    elif kept_any:
        paras.append(t("WARN: suspicious variables kept without a recorded review (leakage_review needs reviewer, "
                       "date and conclusion): confirm each variable's definition before using the model."))
        warns.append(t("suspicious variables kept without a recorded review"))
    checks["selected"] = checks["variable"].isin(selected)
    checks["finding"] = checks["finding"].map(binning_finding)
    if "decision" in checks:
        checks["decision"] = checks["decision"].map(t)
    warns.append(t("{n} variable(s) with IV > {iv_max:g} (possible leakage): {leaks} leak(s) dropped, "
                   "{kept} selected after review", n=n_susp, iv_max=iv_max, leaks=len(leaks),
                   kept=int(checks["selected"].sum())))
    return "\n\n".join(paras), _yes_no(checks), warns


def binning_finding(finding: str) -> str:
    """A leakage finding in the report's language (:func:`clientlens.binning.finding_text`)."""
    from .binning import finding_text

    return finding_text(finding)


def _yes_no(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with its True/False columns as yes/no words in a translated report (unchanged in English)."""
    from .i18n import get_language

    if get_language() == "en":
        return df
    flags = [c for c in df.columns if df[c].dtype == bool]
    return df.assign(**{c: df[c].map({True: t("yes"), False: t("no")}) for c in flags})


def ranking_table(summary: pd.DataFrame) -> pd.DataFrame:
    """The IV ranking of every candidate (:data:`SUMMARY_COLUMNS`), drop reasons in the report's language."""
    from .binning import reason_text

    return _yes_no(summary[SUMMARY_COLUMNS].assign(reason=summary["reason"].map(reason_text)))


def show_ranking(summary: pd.DataFrame) -> None:
    """02's tables under the IV chart: variables per IV band and the ranking of every candidate."""
    from . import report

    report.show_table(band_counts(summary), caption=t("Variables per IV band"))
    report.show_table(ranking_table(summary), caption=t("IV ranking of all candidate variables"),
                      fmt={"iv": "{:.3f}", "ks": "{:.3f}", "gini": "{:.3f}"}, max_rows=60)


def show_selected_variable(binner, summary: pd.DataFrame, variable: str) -> None:
    """One selected variable of 02: IV, KS, bins and trend, the WOE / event-rate chart and the bin table."""
    import matplotlib.pyplot as plt

    from . import report
    from .plots import binning as plots

    row = summary.set_index("variable").loc[variable]
    report.show_md(t("### {variable}\nIV **{iv:.3f}** ({band}), KS {ks:.3f}, {n_bins} bins, trend: {trend}",
                     variable=variable, iv=row["iv"], band=value(row["iv_band"]), ks=row["ks"],
                     n_bins=int(row["n_bins"]), trend=value(row["trend"])))
    fig, ax = plt.subplots(figsize=(9, 3.6))
    plots.plot_woe_bins(binner.bin_table(variable), variable, ax=ax)
    plt.tight_layout()
    plt.show()
    report.show_table(binner.bin_table(variable), caption=t("Bins of {variable}", variable=variable),
                      percent_cols=["share", "event_rate"], fmt={"woe": "{:.3f}", "iv": "{:.4f}"})


def show_dropped(binner) -> None:
    """02's dropped variables: counts per reason, then every dropped variable with its reason."""
    from . import binning, report

    dropped = binning.dropped_table(binner)
    report.show_table(dropped["kind"].value_counts().rename_axis("reason").rename("variables").reset_index(),
                      caption=t("Dropped variables by reason"))
    report.show_table(dropped.assign(reason=dropped["reason"].map(binning.reason_text)),
                      caption=t("Dropped variables"), fmt={"iv": "{:.3f}", "prescreen_iv": "{:.3f}"}, max_rows=250)


def sample_meta_table(meta: Mapping) -> pd.DataFrame:
    """The sample a saved binning was fitted on, as an item/value table (no ids: a hash prefix).

    Parameters
    ----------
    meta : mapping
        :attr:`clientlens.binning.BinningSamples.meta`.

    Returns
    -------
    DataFrame
        Columns ``item`` and ``value`` (text).
    """
    items = {"campaigns": ", ".join(meta["campaigns"]), "features before contact (days)": meta["feature_lag_days"],
             "split": meta["split"], "validation share": meta["validation_share"],
             "out-of-time date": meta["oot_date"] or "-", "seed": meta["seed"], "development contacts": meta["n_dev"],
             "responders": meta["n_events"], "development ids (SHA-256, first 16)": meta["dev_ids_sha256"][:16]}
    return pd.DataFrame({"item": [t(k) for k in items], "value": list(items.values())}).astype({"value": str})


def save_artifacts(out_dir: str | os.PathLike, binner, samples, psi_df: pd.DataFrame) -> list[str]:
    """Save 02_binning's artefacts into ``out_dir``; the names of the files there.

    Writes ``binning.pkl`` (with the sample's meta), ``iv_summary.parquet`` / ``.csv``,
    ``bin_tables.parquet``, ``psi.parquet`` and ``selected_variables.csv``.

    Parameters
    ----------
    out_dir : path
    binner : clientlens.binning.WoeBinner
        Fitted.
    samples : clientlens.binning.BinningSamples
    psi_df : DataFrame
        PSI of the selected variables.

    Returns
    -------
    list of str
        Sorted names of the files in ``out_dir``.
    """
    from . import binning

    out = Path(out_dir)
    binning.save_binning(binner, out / "binning.pkl", meta=samples.meta)
    binner.summary_.to_parquet(out / "iv_summary.parquet", index=False)
    binner.summary_.to_csv(out / "iv_summary.csv", index=False)
    binning.all_bin_tables(binner).to_parquet(out / "bin_tables.parquet", index=False)
    psi_df.to_parquet(out / "psi.parquet", index=False)
    pd.DataFrame({"variable": binner.selected_}).to_csv(out / "selected_variables.csv", index=False)
    return sorted(f.name for f in out.iterdir() if f.is_file())


#: columns of the IV ranking table of 02_binning
SUMMARY_COLUMNS = ["variable", "dtype", "iv", "iv_band", "ks", "gini", "n_bins", "trend", "selected", "reason"]
_BANDS = ["suspicious", "strong", "medium", "weak", "useless", "n/a"]


def samples_summary_md(binner, samples, *, target: dict, min_bin_size: float) -> str:
    """Markdown sentence of 02_binning: candidates, binned, selected, the target and the bin sizes.

    Parameters
    ----------
    binner : clientlens.binning.WoeBinner
        Fitted.
    samples : clientlens.binning.BinningSamples
    target : dict
        The checked target (:func:`check_params`): a campaign response names its campaigns, another kind
        what it predicts in its own words (:func:`clientlens.targets.describe`).
    min_bin_size : float
        Smallest bin share of records.

    Returns
    -------
    str
        Markdown for :func:`clientlens.report.show_md` (data values escaped).
    """
    from .report import esc
    from .targets import describe

    s, y = binner.summary_, samples.y_dev
    if target["kind"] == "campaign_response":
        what = t("response to **{campaigns}**", campaigns=esc(", ".join(target["campaigns"])))
        events, rows = t("responders"), t("contacts")
    else:
        words = describe(target)
        what, events, rows = f"**{esc(words['predicts'])}**", esc(words["events"]), t("rows")
    return t("**{n}** candidate variables; **{binned}** were binned optimally after the fast pre-screen and the data "
             "checks; **{selected}** are selected. Target: {what}, {k:,} {events} of {n_rows:,} {rows} ({rate:.1%}). "
             "Each regular bin holds at least **{min_events:,}** {events} (`min_bin_events`; 0 = max(5% of the "
             "{events}, 20)) and {min_size:.0%} of the {rows}.", n=len(s), binned=int((s["n_bins"] > 0).sum()),
             selected=len(binner.selected_), what=what, k=int(y.sum()), events=events, n_rows=len(y), rows=rows,
             rate=y.mean(), min_events=binner.min_bin_events_, min_size=min_bin_size)


def band_counts(summary: pd.DataFrame) -> pd.DataFrame:
    """Variables per IV band, strongest band first (every band listed, zero included).

    Parameters
    ----------
    summary : DataFrame
        :attr:`clientlens.binning.WoeBinner.summary_` (column ``iv_band``).

    Returns
    -------
    DataFrame
        Columns ``IV band`` and ``variables``.
    """
    counts = summary["iv_band"].value_counts().reindex(_BANDS, fill_value=0)
    return counts.rename("variables").rename_axis("IV band").reset_index()


def psi_of_selected(binner, samples, *, watch: float, shifted: float) -> pd.DataFrame:
    """PSI of each selected variable, development vs comparison sample (empty frame when none is selected).

    Parameters
    ----------
    binner : clientlens.binning.WoeBinner
        Fitted.
    samples : clientlens.binning.BinningSamples
    watch, shifted : float
        PSI band thresholds.

    Returns
    -------
    DataFrame
        Columns ``variable, psi, band, n_dev, n_cmp, top_bin``.
    """
    if not binner.selected_:
        return pd.DataFrame(columns=["variable", "psi", "band", "n_dev", "n_cmp", "top_bin"])
    return binner.psi(samples.X_dev, samples.X_cmp, watch=watch, shifted=shifted)


def psi_verdict(psi_df: pd.DataFrame, watch: float) -> tuple[str, str, list[str]]:
    """The stability callout of 02_binning: kind (``pass`` / ``warning``), plain text and warnings.

    Parameters
    ----------
    psi_df : DataFrame
        :func:`psi_of_selected`.
    watch : float
        PSI at or above it is not stable.

    Returns
    -------
    kind : str
    text : str
    warnings : list of str
    """
    unstable = psi_df[psi_df["band"] != "stable"]
    if not len(unstable):
        return "pass", t("All {n} selected variables are stable (PSI < {watch:g}).", n=len(psi_df), watch=watch), []
    txt = ", ".join(f"{v} ({p:.3f}, {value(b)})" for v, p, b in zip(unstable["variable"], unstable["psi"],
                                                                    unstable["band"]))
    return ("warning", t("Not stable: {variables}. Check the bin shares before relying on these variables.",
                         variables=txt),
            [t("{n} selected variable(s) with PSI >= {watch:g}", n=len(unstable), watch=watch)])
