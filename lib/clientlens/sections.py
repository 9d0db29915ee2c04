"""Report sections: the tables, charts and verdicts a report shows for one result.

A notebook stays a report script (narrative + one call per section); the table building
and the captions live here. Table builders (``*_table``) are pure and return a DataFrame;
``show_*`` functions display (tables through :mod:`clientlens.report`, which escapes every
value, charts through :mod:`clientlens.plots` and ``plt.show()``) and return ``None``.

Sections of ``01_profile``: :func:`show_profile_header`, :func:`show_data_quality`,
:func:`show_base_overview`, :func:`show_portrait`, :func:`show_lifecycle`,
:func:`show_quadrants`, :func:`show_rfm`, :func:`show_tag_coverage`,
:func:`show_rule_segments`, :func:`show_marketing`, :func:`show_thresholds`.
"""
from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pandas as pd

from . import checks, report

_SHARE_COLS = ("share", "aum_share", "primary_share")


def _show():
    import matplotlib.pyplot as plt

    plt.tight_layout()
    plt.show()


def _pct_cols(frame) -> list[str]:
    return [c for c in _SHARE_COLS if c in frame]


# ----------------------------------------------------------------------------------------- 01_profile
def show_profile_header(wide: pd.DataFrame, tags: pd.DataFrame, as_of_date, notes=()) -> None:
    """Analysis date, base size, columns, balances month-end; the loader's notes; missing optional tables."""
    n = len(wide)
    has_balances = "aum" in wide
    report.show_md(
        f"**Analysis date:** {as_of_date.isoformat()} &nbsp;·&nbsp; **customers:** {n:,} &nbsp;·&nbsp; "
        f"**wide-table columns:** {wide.shape[1] - 1:,} &nbsp;·&nbsp; **tags:** {tags.shape[1] - 1:,} &nbsp;·&nbsp; "
        f"**balances as of month-end:** "
        f"{pd.Timestamp(wide['balance_month_end'].iloc[0]).date() if has_balances and n else 'n/a'}")
    for note in notes:
        report.callout(note, kind="note")
    if not has_balances:
        report.callout("No monthly balances table: AUM, product holding, value tiers, the quadrant and the "
                       "primary-account flag are skipped; lifecycle stages other than contact and dormant are "
                       "shown as 'active'.", kind="warning", title="Optional table missing")
    if "n_contacts_365d" not in wide:
        report.callout("No campaigns table: the marketing-activity section is skipped.", kind="note",
                       title="Optional table missing")


def show_data_quality(dq: dict, outlier_iqr: float) -> None:
    """Missing values, extreme values, constant and duplicate columns of :func:`features.data_quality`."""
    miss = dq["missing"]
    report.show_table(miss[miss["source"]].drop(columns="source"), caption="Missing values: customer attributes",
                      percent_cols=["share"])
    report.show_table(miss[~miss["source"]].drop(columns="source"),
                      caption="Empty by design: derived columns (not a defect)", percent_cols=["share"], max_rows=15)
    report.show_table(dq["outliers"], caption=f"Extreme values beyond {outlier_iqr:g} IQR (amounts on log scale)",
                      percent_cols=["share"], fmt={"fence": "{:,.0f}", "max": "{:,.0f}"})
    report.show_md(f"**Constant columns:** {', '.join(dq['constant']) or 'none'}. "
                   f"**Duplicate columns:** {', '.join(f'{a} = {b}' for a, b in dq['duplicates']) or 'none'}.")


def show_quality_warnings(dq: dict) -> None:
    """The data-quality warnings, and once, apart, the findings expected by design (not warnings)."""
    if dq["warnings"]:
        report.callout("\n".join(dq["warnings"]), kind="warning",
                       title=f"{len(dq['warnings'])} data-quality warning(s)")
    else:
        report.callout("No data-quality warnings.", kind="pass")
    if dq.get("by_design"):
        report.callout("\n".join(dq["by_design"]), kind="note", title="Expected by design (not warnings)")


def base_overview_table(wide: pd.DataFrame, conc: dict, top_share: float) -> pd.DataFrame:
    """The base at a glance: customers, AUM total / mean / median, concentration, activity."""
    return pd.DataFrame([
        ("Customers", f"{len(wide):,}"),
        ("Total AUM (CNY)", f"{wide['aum'].sum():,.0f}"),
        ("Mean AUM (CNY)", f"{wide['aum'].mean():,.0f}"),
        ("Median AUM (CNY)", f"{wide['aum'].median():,.0f}"),
        (f"Share of AUM held by the top {top_share:.0%}", f"{conc['top_share']:.1%}"),
        ("Gini coefficient of AUM", f"{conc['gini']:.2f}"),
        ("Customers with a transaction in the last 90 days", f"{(wide['n_txn_90d'] > 0).mean():.1%}"),
    ], columns=["measure", "value"])


def show_base_overview(wide: pd.DataFrame, top_share: float) -> None:
    """Base size, AUM distribution and Lorenz curve (AUM only with balances)."""
    import matplotlib.pyplot as plt

    from .features import concentration
    from .plots import profile as pp

    n = len(wide)
    if "aum" not in wide:
        report.show_md(f"**Customers:** {n:,}; with a transaction in the last 90 days: "
                       f"{(wide['n_txn_90d'] > 0).mean():.1%}. AUM is not available without monthly balances.")
        return
    conc = concentration(wide["aum"], top_share=top_share)
    report.show_table(base_overview_table(wide, conc, top_share), caption="The base at a glance")
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8))
    pp.plot_value_distribution(wide["aum"], label="AUM", ax=axes[0])
    pp.plot_lorenz(conc["lorenz"], conc["top_share"], top_share, gini=conc["gini"], ax=axes[1])
    _show()
    report.show_md(f"The top {top_share:.0%} of customers hold **{conc['top_share']:.1%}** of AUM "
                   f"(Gini {conc['gini']:.2f}).")


def show_portrait(wide: pd.DataFrame, tags: pd.DataFrame, rules) -> None:
    """Share bars by age band, city, occupation, channel preference (with AUM shares); product penetration."""
    from .plots import profile as pp
    from .tags import band_labels

    has_balances = "aum" in wide

    def aum_shares(col):
        if not has_balances:
            return None
        a = wide[["customer_id", "aum"]].merge(tags[["customer_id", col]], on="customer_id")
        return a.groupby(col)["aum"].sum() / a["aum"].sum()

    panels = [(c, t, o) for c, t, o in [
        ("age_band", "Age band", band_labels(rules.age_bands, "age") + ["unknown"]),
        ("city", "City", None),
        ("occupation", "Occupation", None),
        ("channel_preference", "Preferred transaction channel (>= "
         f"{rules.channel_pref_min_share:.0%} of 365-day transactions)", None),
    ] if c in tags]
    for col, title, order in panels:
        s = tags[col].value_counts(normalize=True)
        if order is None and len(s) > 12:
            s = s.head(12)
        pp.plot_share_bars(s, title=title, value_share=aum_shares(col), order=order)
        _show()
    if has_balances:
        prods = [c for c in wide.columns if c.startswith("has_")]
        pp.plot_penetration(wide[prods].mean().rename(lambda c: c[4:]),
                            title="Product penetration: customers holding each product at as-of")
        _show()


def show_lifecycle(wide: pd.DataFrame, tags: pd.DataFrame, rules) -> None:
    """Lifecycle thresholds, the stage chart and the stages side by side."""
    from .plots import profile as pp
    from .tags import LIFECYCLE_STAGES, segment_summary

    report.show_md(f"Thresholds: contact < {rules.contact_days} days of tenure; dormant: no 'out' transaction in "
                   f"{rules.dormant_days} days; growth ratio >= {rules.growth_ratio:g}; decline ratio <= "
                   f"{rules.decline_ratio:g}.")
    order = list(LIFECYCLE_STAGES) + ["active"]
    pp.plot_lifecycle_funnel(tags["lifecycle_stage"].value_counts(), order=order)
    _show()
    life = segment_summary(wide, tags, "lifecycle_stage", order=order)
    report.show_table(life, caption="Lifecycle stages side by side", percent_cols=_pct_cols(life))


def quadrant_actions_table(tags: pd.DataFrame) -> pd.DataFrame:
    """Customers per quadrant and recommended action, with their share of the base."""
    actions = tags.groupby(["quadrant", "quadrant_action"]).size().rename("customers").reset_index()
    actions["share_of_base"] = actions["customers"] / len(tags)
    return actions


def show_quadrants(wide: pd.DataFrame, tags: pd.DataFrame, rules) -> None:
    """Value x potential quadrant chart, quadrants side by side, action per quadrant."""
    from .plots import profile as pp
    from .tags import QUADRANTS, segment_summary

    if "aum" not in wide:
        report.callout("Skipped: the quadrant needs AUM from the monthly balances table.", kind="note")
        return
    q = segment_summary(wide, tags, "quadrant", order=list(QUADRANTS)).set_index("quadrant")
    q["action"] = tags.groupby("quadrant")["quadrant_action"].agg(lambda s: s.value_counts().index[0])
    pp.plot_quadrant(q, value_threshold=rules.high_value_aum, potential_threshold=rules.high_potential_income)
    _show()
    report.show_table(q.reset_index(), caption="Quadrants side by side", percent_cols=_pct_cols(q))
    report.show_table(quadrant_actions_table(tags), caption="Recommended action per quadrant (customers)",
                      percent_cols=["share_of_base"])


def show_rfm(wide: pd.DataFrame, tags: pd.DataFrame, rules) -> None:
    """RFM weights and cuts, the R x F grids (count, mean M) and the RFM segments side by side."""
    import matplotlib.pyplot as plt

    from .plots import profile as pp
    from .tags import segment_summary

    report.show_md(f"Weights R / F / M: {', '.join(f'{w:g}' for w in rules.rfm_weights)}; tier cuts: high >= "
                   f"{rules.rfm_tier_cuts[0]:g}, medium >= {rules.rfm_tier_cuts[1]:g}.")
    grid = tags.pivot_table(index="rfm_r", columns="rfm_f", values="customer_id", aggfunc="count")
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8))
    pp.plot_rfm_grid(grid, ax=axes[0])
    mgrid = tags.pivot_table(index="rfm_r", columns="rfm_f", values="rfm_m", aggfunc="mean")
    pp.plot_rfm_grid(mgrid, title="Mean M score by R and F score", fmt="{:.1f}", cbar_label="Mean M score",
                     ax=axes[1])
    _show()
    rfm = segment_summary(wide, tags, "rfm_segment")
    report.show_table(rfm, caption="RFM segments side by side", percent_cols=_pct_cols(rfm))


def show_tag_coverage(tags: pd.DataFrame) -> None:
    """Coverage chart and table of every tag."""
    from .plots import profile as pp
    from .tags import tag_coverage

    cov = tag_coverage(tags)
    pp.plot_tag_coverage(cov)
    _show()
    report.show_table(cov, caption="Tag library coverage", percent_cols=["coverage", "top_share"], max_rows=80)


def primary_conditions_table(tags: pd.DataFrame, rules) -> pd.DataFrame:
    """Customers meeting each of the three primary-account conditions, and all three."""
    cond = pd.DataFrame({
        "condition": [f"1. more than {rules.primary_min_key_txn} key transactions in each of the last 3 months",
                      f"2. auto sweep or auto debit, or more than {rules.primary_max_products} products",
                      f"3. no payroll move-out (retention < {rules.primary_retention_floor:g} in "
                      f"{rules.primary_low_months} consecutive months)",
                      "all three: primary account"],
        "customers meeting it": [int(tags["primary_active"].sum()), int(tags["primary_linked"].sum()),
                                 int(tags["primary_no_moveout"].sum()), int(tags["is_primary_account"].sum())]})
    cond["share"] = cond["customers meeting it"] / len(tags)
    return cond


def show_rule_segments(wide: pd.DataFrame, tags: pd.DataFrame, rules) -> None:
    """Value tiers, RFM tiers, primary account, product pattern, activity side by side; primary conditions."""
    from .tags import segment_summary

    for col, title in [("value_tier", "Value tiers (cumulative AUM share)"), ("rfm_tier", "RFM tiers"),
                       ("is_primary_account", "Primary account (three-condition rule)"),
                       ("product_pattern", "Product-holding pattern"), ("activity_level", "Activity level")]:
        if col not in tags:
            continue
        if col == "is_primary_account":
            tmp = tags.assign(is_primary_account=tags[col].map({True: "primary", False: "not primary"})
                              .fillna("unknown"))
            s = segment_summary(wide, tmp, col)
        else:
            s = segment_summary(wide, tags, col, order=["high", "medium", "low"])
        report.show_table(s, caption=title, percent_cols=_pct_cols(s))
    if "is_primary_account" in tags and tags["is_primary_account"].notna().all():
        report.show_table(primary_conditions_table(tags, rules),
                          caption="Primary-account rule: customers meeting each condition", percent_cols=["share"])


def marketing_table(tags: pd.DataFrame, rules) -> pd.DataFrame:
    """Customers contacted, responding, fatigued and opted out in 365 days, with shares of the base."""
    mk = pd.DataFrame({
        "measure": ["contacted in 365 days", "responded in 365 days", "fatigued (contacted "
                    f">= {rules.fatigue_min_contacts} times, no response)", "opted out of marketing"],
        "customers": [int(tags["contacted_365d"].sum()), int(tags["responded_365d"].sum()),
                      int(tags["marketing_fatigue"].sum()),
                      int(tags["marketing_opt_out"].sum()) if "marketing_opt_out" in tags else np.nan]})
    mk["share"] = mk["customers"] / len(tags)
    return mk


def show_marketing(wide: pd.DataFrame, tags: pd.DataFrame, rules) -> None:
    """Marketing activity table, whether fatigue can be observed (a check that can WARN), contact recency."""
    from .plots import profile as pp

    if "n_contacts_365d" not in wide:
        report.callout("Skipped: no campaigns table.", kind="note")
        return
    report.show_table(marketing_table(tags, rules), caption="Marketing activity", percent_cols=["share"])
    report.show_verdicts([checks.fatigue_check(wide, rules.fatigue_min_contacts)], caption="Marketing-activity check")
    pp.plot_share_bars(tags["contact_recency"].value_counts(normalize=True),
                       title="Time since the last campaign contact",
                       order=["<=30d", "31-90d", "91-365d", ">365d", "never"])
    _show()


def thresholds_table(rules) -> pd.DataFrame:
    """Every tag-rule threshold in effect (tuples shown as lists)."""
    return pd.DataFrame([(k, str(list(v)) if isinstance(v, tuple) else str(v)) for k, v in asdict(rules).items()],
                        columns=["parameter", "value"])


def show_thresholds(rules, wide: pd.DataFrame, tags: pd.DataFrame, allow_raw_ids: bool) -> None:
    """Tag-rule thresholds in effect and the saved artefacts."""
    report.show_table(thresholds_table(rules), caption="Tag-rule thresholds in effect", max_rows=60)
    report.show_md(f"Saved artefacts: `tags.parquet` ({tags.shape[1] - 1} tags) and `wide.parquet` "
                   f"({wide.shape[1] - 1} features) in the report's files folder, keyed by the masked "
                   f"`customer_id_masked`" + (" and the raw `customer_id` (allow_raw_ids)." if allow_raw_ids
                                              else "; no raw ids."))


# ----------------------------------------------------------------------------------------- 03_segmentation
_TREATMENT = {"categorical": "one-hot", "flag": "0/1 flag, standardise"}


def segment_features_table(segmenter) -> pd.DataFrame:
    """Each clustering feature of a fitted ``CustomerSegmenter``: treatment, missing share, indicator."""
    rows = []
    for col in segmenter.features_:
        spec = segmenter.preprocessor_.specs_[col]
        treat = (("log1p, clip, standardise" if spec.get("log") else "clip, standardise")
                 if spec["kind"] == "numeric" else _TREATMENT[spec["kind"]])
        rows.append({"feature": col, "treatment": treat, "missing": spec["missing_share"],
                     "missing indicator": "yes" if spec.get("indicator") else "no"})
    return pd.DataFrame(rows)


def show_segment_features(segmenter) -> None:
    """The clustering features and how they are prepared."""
    report.show_table(segment_features_table(segmenter), caption="Clustering features and how they are prepared",
                      percent_cols=["missing"], index=False)


_K_FMTS = {"inertia": "{:,.0f}", "silhouette": "{:.3f}", "calinski_harabasz": "{:,.0f}", "davies_bouldin": "{:.3f}",
           "stability ARI (mean)": "{:.3f}", "stability ARI (sd)": "{:.3f}", "bic": "{:,.0f}"}


def show_k_selection(sel: pd.DataFrame, k: int, stability_threshold: float, reason: str) -> None:
    """Criteria per k (charts and table) and the reason for the chosen k."""
    import matplotlib.pyplot as plt

    from .plots import segments as sp

    metrics = ["inertia", "silhouette", "calinski_harabasz", "davies_bouldin"] + (["bic"] if "bic" in sel else [])
    fig, axes = plt.subplots(2, 3, figsize=(15, 8))
    for ax, m in zip(axes.flat, metrics):
        sp.plot_k_metric(sel, m, chosen_k=k, ax=ax)
    used = len(metrics)
    if len(sel) > 1 and sel["stability_ari_mean"].notna().any():
        sp.plot_stability(sel, threshold=stability_threshold, chosen_k=k, ax=axes.flat[len(metrics)])
        used += 1
    for ax in axes.flat[used:]:
        ax.set_visible(False)
    fig.suptitle("Choosing the number of segments", fontsize=12)
    fig.tight_layout()
    plt.show()
    tab = sel.reset_index().rename(columns={"stability_ari_mean": "stability ARI (mean)",
                                            "stability_ari_sd": "stability ARI (sd)",
                                            "min_share": "smallest segment"})
    report.show_table(tab, caption="k-selection criteria per k", index=False,
                      fmt={c: f for c, f in _K_FMTS.items() if c in tab.columns}, percent_cols=["smallest segment"])
    report.callout(reason, kind="note", title=f"Chosen: k = {k}")


def show_segment_profiles(prof, names: pd.Series, k: int) -> None:
    """Segments' size and value table, size bars and the z-score heatmap."""
    import matplotlib.pyplot as plt

    from .plots import segments as sp

    name_map = names.to_dict()
    summary = prof.summary.copy()
    summary.insert(0, "label", names)
    summary_show = summary.reset_index().rename(columns={"n_customers": "customers", "share_customers": "% customers",
                                                          "share_aum": "% AUM", "mean_aum": "mean AUM (CNY)"})
    report.show_table(summary_show, caption="Segments: size and value", index=False,
                      fmt={"customers": "{:,.0f}", "mean AUM (CNY)": "{:,.0f}"},
                      percent_cols=["% customers", "% AUM"])
    fig, axes = plt.subplots(1, 2, figsize=(16, 0.55 * k + 3), gridspec_kw={"width_ratios": [1, 2.2]})
    sp.plot_segment_sizes(prof.summary, labels=name_map, ax=axes[0])
    sp.plot_profile_heatmap(prof.zscores, labels=name_map, ax=axes[1])
    fig.tight_layout()
    plt.show()


def key_features_table(stat: pd.DataFrame, overall: pd.Series) -> pd.DataFrame:
    """Features as rows, ``all customers`` then one column per segment (``segment <n>``)."""
    t = stat.T.copy()
    t.columns = [f"segment {s}" for s in t.columns]
    t.insert(0, "all customers", overall)
    t.index.name = "feature"
    return t.reset_index()


def show_segment_key_features(prof, wide: pd.DataFrame, features, names: pd.Series) -> None:
    """Mean and median of the key features per segment, and what sets each segment apart."""
    for stat, what, overall in ((prof.means, "Mean", prof.overall),
                                (prof.medians, "Median", wide[list(features)].median(numeric_only=True))):
        report.show_table(key_features_table(stat, overall), caption=f"{what} of the key features per segment",
                          index=False, fmt="{:,.2f}")
    d = prof.distinguishing.copy()
    d["label"] = d["segment"].map(names.to_dict())
    d["direction"] = np.where(d["z"] > 0, "above", "below")
    report.show_table(d[["segment", "label", "rank", "feature", "z", "direction", "segment_mean", "overall_mean"]],
                      caption="What sets each segment apart (largest |z| first)", index=False,
                      fmt={"z": "{:+.2f}", "segment_mean": "{:,.2f}", "overall_mean": "{:,.2f}"})


def show_rule_crosstabs(labels, tags: pd.DataFrame, names: pd.Series, k: int) -> None:
    """Each segment across the rule segmentations (lifecycle, quadrant, RFM tier) with a reading."""
    import matplotlib.pyplot as plt

    from . import segments as sg
    from .plots import segments as sp
    from .tags import LIFECYCLE_STAGES, QUADRANTS

    name_map = names.to_dict()
    rule_cols = [(c, t, o) for c, t, o in (("lifecycle_stage", "lifecycle stage", list(LIFECYCLE_STAGES)),
                                           ("quadrant", "value x potential quadrant", list(QUADRANTS)),
                                           ("rfm_tier", "RFM tier", ["high", "medium", "low"])) if c in tags.columns]
    if not rule_cols:
        report.callout("No rule segments available (tags missing): cross-tabs skipped.", kind="warning")
    for col, title, order in rule_cols:
        ct = sg.crosstab_segments(labels, tags[col], other_name=title, order=order)
        fig, ax = plt.subplots(figsize=(max(6, 1.1 * ct.shape[1] + 4), 0.5 * k + 2.2))
        sp.plot_crosstab(ct, labels=name_map, ax=ax)
        fig.tight_layout()
        plt.show()
        report.callout(sg.crosstab_reading(labels, tags[col], name_map, title), kind="note", title=f"Reading: {title}")


def show_assignment_preview(assign: pd.DataFrame, allow_raw_ids: bool) -> None:
    """The first rows of ``segments.parquet`` (ids masked unless ``allow_raw_ids``)."""
    from .privacy import mask_ids

    preview = assign.head(5).copy()
    if not allow_raw_ids:
        preview["customer_id"] = mask_ids(preview["customer_id"]).to_numpy()
    report.show_table(preview, caption="segments.parquet: first rows (ids masked)" if not allow_raw_ids
                      else "segments.parquet: first rows", index=False)


def show_segmentation_checks(sel: pd.DataFrame, k: int, stability_threshold: float, k_range: tuple,
                             k_fixed: bool, fit_warnings=()) -> None:
    """Segmentation checks, a warning when k sits at the edge of its range, the fit's warnings."""
    report.show_verdicts(checks.segmentation_checks(sel, k, stability_threshold), caption="Segmentation checks")
    if k in tuple(k_range) and not k_fixed:
        report.callout(f"The chosen k = {k} is at the edge of the range {k_range[0]}-{k_range[1]}: widen the range "
                       "to check.", kind="warning")
    msgs = sorted({str(w.message).splitlines()[0] for w in fit_warnings})
    if msgs:
        report.show_md("### Warnings")
        for m in msgs[:10]:
            report.callout(m, kind="warning")
