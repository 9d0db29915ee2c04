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
from . import i18n
from .i18n import t

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
    report.show_md(t(
        "**Analysis date:** {as_of} &nbsp;·&nbsp; **customers:** {n:,} &nbsp;·&nbsp; "
        "**wide-table columns:** {n_cols:,} &nbsp;·&nbsp; **tags:** {n_tags:,} &nbsp;·&nbsp; "
        "**balances as of month-end:** {month_end}", as_of=as_of_date.isoformat(), n=n, n_cols=wide.shape[1] - 1,
        n_tags=tags.shape[1] - 1,
        month_end=pd.Timestamp(wide['balance_month_end'].iloc[0]).date() if has_balances and n else t("n/a")))
    for note in notes:
        report.callout(note, kind="note")
    if not has_balances:
        report.callout(t("No monthly balances table: AUM, product holding, value tiers, the quadrant and the "
                         "primary-account flag are skipped; lifecycle stages other than contact and dormant are "
                         "shown as 'active'."), kind="warning", title=t("Optional table missing"))
    if "n_contacts_365d" not in wide:
        report.callout(t("No campaigns table: the marketing-activity section is skipped."), kind="note",
                       title=t("Optional table missing"))


def _column_names() -> dict:
    """Format of a ``column`` of wide-table names: in a translated report the reader's label and the name."""
    from .i18n import get_language
    from .scoring import describe_variable

    if get_language() == "en":
        return {}
    return {"column": lambda c: t("{label} ({name})", label=describe_variable(str(c)), name=c)}


def show_data_quality(dq: dict, outlier_iqr: float) -> None:
    """Missing values, extreme values, constant and duplicate columns of :func:`features.data_quality`."""
    miss = dq["missing"]
    report.show_table(miss[miss["source"]].drop(columns="source"), caption=t("Missing values: customer attributes"),
                      percent_cols=["share"], fmt=_column_names())
    report.show_table(miss[~miss["source"]].drop(columns="source"),
                      caption=t("Empty by design: derived columns (not a defect)"), percent_cols=["share"], max_rows=15,
                      fmt=_column_names())
    report.show_table(dq["outliers"], caption=t("Extreme values beyond {iqr:g} IQR (amounts on log scale)",
                                                iqr=outlier_iqr),
                      percent_cols=["share"], fmt={"fence": "{:,.0f}", "max": "{:,.0f}", **_column_names()})
    report.show_md(t("**Constant columns:** {constant}. **Duplicate columns:** {duplicates}.",
                     constant=", ".join(dq["constant"]) or t("none"),
                     duplicates=", ".join(f"{a} = {b}" for a, b in dq["duplicates"]) or t("none")))


def show_quality_warnings(dq: dict) -> None:
    """The data-quality warnings, and once, apart, the findings expected by design (not warnings)."""
    if dq["warnings"]:
        report.callout("\n".join(dq["warnings"]), kind="warning",
                       title=t("{n} data-quality warning(s)", n=len(dq["warnings"])))
    else:
        report.callout(t("No data-quality warnings."), kind="pass")
    if dq.get("by_design"):
        report.callout("\n".join(dq["by_design"]), kind="note", title=t("Expected by design (not warnings)"))


def base_overview_table(wide: pd.DataFrame, conc: dict, top_share: float) -> pd.DataFrame:
    """The base at a glance: customers, AUM total / mean / median, concentration, activity."""
    return pd.DataFrame([
        (t("Customers"), f"{len(wide):,}"),
        (t("Total AUM (CNY)"), i18n.money(wide['aum'].sum())),
        (t("Mean AUM (CNY)"), i18n.money(wide['aum'].mean())),
        (t("Median AUM (CNY)"), i18n.money(wide['aum'].median())),
        (t("Share of AUM held by the top {top:.0%}", top=top_share), f"{conc['top_share']:.1%}"),
        (t("Gini coefficient of AUM"), f"{conc['gini']:.2f}"),
        (t("Customers with a transaction in the last 90 days"), f"{(wide['n_txn_90d'] > 0).mean():.1%}"),
    ], columns=["measure", "value"])


def show_base_overview(wide: pd.DataFrame, top_share: float) -> None:
    """Base size, AUM distribution and Lorenz curve (AUM only with balances)."""
    import matplotlib.pyplot as plt

    from .features import concentration
    from .plots import profile as pp

    n = len(wide)
    if "aum" not in wide:
        report.show_md(t("**Customers:** {n:,}; with a transaction in the last 90 days: {share:.1%}. AUM is not "
                         "available without monthly balances.", n=n, share=(wide["n_txn_90d"] > 0).mean()))
        return
    conc = concentration(wide["aum"], top_share=top_share)
    report.show_table(base_overview_table(wide, conc, top_share), caption=t("The base at a glance"))
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8))
    pp.plot_value_distribution(wide["aum"], label="AUM", ax=axes[0])
    pp.plot_lorenz(conc["lorenz"], conc["top_share"], top_share, gini=conc["gini"], ax=axes[1])
    _show()
    report.show_md(t("The top {top:.0%} of customers hold **{held:.1%}** of AUM (Gini {gini:.2f}).",
                     top=top_share, held=conc["top_share"], gini=conc["gini"]))


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

    panels = [(c, title, o) for c, title, o in [
        ("age_band", t("Age band"), band_labels(rules.age_bands, "age") + ["unknown"]),
        ("city", t("City"), None),
        ("occupation", t("Occupation"), None),
        ("channel_preference", t("Preferred transaction channel (>= {share:.0%} of 365-day transactions)",
                                 share=rules.channel_pref_min_share), None),
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
                            title=t("Product penetration: customers holding each product at as-of"))
        _show()


def show_lifecycle(wide: pd.DataFrame, tags: pd.DataFrame, rules) -> None:
    """Lifecycle thresholds, the stage chart and the stages side by side."""
    from .plots import profile as pp
    from .tags import LIFECYCLE_STAGES, segment_summary

    report.show_md(t("Thresholds: contact < {contact_days} days of tenure; dormant: no 'out' transaction in "
                     "{dormant_days} days; growth ratio >= {growth:g}; decline ratio <= {decline:g}.",
                     contact_days=rules.contact_days, dormant_days=rules.dormant_days, growth=rules.growth_ratio,
                     decline=rules.decline_ratio))
    order = list(LIFECYCLE_STAGES) + ["active"]
    pp.plot_lifecycle_stages(tags["lifecycle_stage"].value_counts(), order=order)
    _show()
    life = segment_summary(wide, tags, "lifecycle_stage", order=order)
    report.show_table(life, caption=t("Lifecycle stages side by side"), percent_cols=_pct_cols(life))


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
        report.callout(t("Skipped: the quadrant needs AUM from the monthly balances table."), kind="note")
        return
    q = segment_summary(wide, tags, "quadrant", order=list(QUADRANTS)).set_index("quadrant")
    q["action"] = tags.groupby("quadrant")["quadrant_action"].agg(lambda s: s.value_counts().index[0])
    pp.plot_quadrant(q, value_threshold=rules.high_value_aum, potential_threshold=rules.high_potential_income)
    _show()
    report.show_table(q.reset_index(), caption=t("Quadrants side by side"), percent_cols=_pct_cols(q))
    report.show_table(quadrant_actions_table(tags), caption=t("Recommended action per quadrant (customers)"),
                      percent_cols=["share_of_base"])


def show_rfm(wide: pd.DataFrame, tags: pd.DataFrame, rules) -> None:
    """RFM weights and cuts, the R x F grids (count, mean M) and the RFM segments side by side."""
    import matplotlib.pyplot as plt

    from .plots import profile as pp
    from .tags import segment_summary

    report.show_md(t("Weights R / F / M: {weights}; tier cuts: high >= {high:g}, medium >= {medium:g}.",
                     weights=", ".join(f"{w:g}" for w in rules.rfm_weights), high=rules.rfm_tier_cuts[0],
                     medium=rules.rfm_tier_cuts[1]))
    grid = tags.pivot_table(index="rfm_r", columns="rfm_f", values="customer_id", aggfunc="count")
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8))
    pp.plot_rfm_grid(grid, ax=axes[0])
    mgrid = tags.pivot_table(index="rfm_r", columns="rfm_f", values="rfm_m", aggfunc="mean")
    pp.plot_rfm_grid(mgrid, title="Mean M score by R and F score", fmt="{:.1f}", cbar_label="Mean M score",
                     ax=axes[1])
    _show()
    rfm = segment_summary(wide, tags, "rfm_segment")
    report.show_table(rfm, caption=t("RFM segments side by side"), percent_cols=_pct_cols(rfm))


def show_tag_coverage(tags: pd.DataFrame) -> None:
    """Coverage chart and table of every tag."""
    from .plots import profile as pp
    from .tags import tag_coverage

    cov = tag_coverage(tags)
    pp.plot_tag_coverage(cov)
    _show()
    report.show_table(cov, caption=t("Tag library coverage"), percent_cols=["coverage", "top_share"], max_rows=80)


def primary_conditions_table(tags: pd.DataFrame, rules) -> pd.DataFrame:
    """Customers meeting each of the three primary-account conditions, and all three."""
    cond = pd.DataFrame({
        "condition": [t("1. more than {n} key transactions in each of the last 3 months", n=rules.primary_min_key_txn),
                      t("2. auto sweep or auto debit, or more than {n} products", n=rules.primary_max_products),
                      t("3. no payroll move-out (retention < {floor:g} in {months} consecutive months)",
                        floor=rules.primary_retention_floor, months=rules.primary_low_months),
                      t("all three: primary account")],
        "customers meeting it": [int(tags["primary_active"].sum()), int(tags["primary_linked"].sum()),
                                 int(tags["primary_no_moveout"].sum()), int(tags["is_primary_account"].sum())]})
    cond["share"] = cond["customers meeting it"] / len(tags)
    return cond


def show_rule_segments(wide: pd.DataFrame, tags: pd.DataFrame, rules) -> None:
    """Value tiers, RFM tiers, primary account, product pattern, activity side by side; primary conditions."""
    from .tags import segment_summary

    for col, title in [("value_tier", t("Value tiers (cumulative AUM share)")), ("rfm_tier", t("RFM tiers")),
                       ("is_primary_account", t("Primary account (three-condition rule)")),
                       ("product_pattern", t("Product-holding pattern")), ("activity_level", t("Activity level"))]:
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
                          caption=t("Primary-account rule: customers meeting each condition"), percent_cols=["share"])


def marketing_table(tags: pd.DataFrame, rules) -> pd.DataFrame:
    """Customers contacted, responding, fatigued and opted out in 365 days, with shares of the base."""
    mk = pd.DataFrame({
        "measure": [t("contacted in 365 days"), t("responded in 365 days"),
                    t("fatigued (contacted >= {n} times, no response)", n=rules.fatigue_min_contacts),
                    t("opted out of marketing")],
        "customers": [int(tags["contacted_365d"].sum()), int(tags["responded_365d"].sum()),
                      int(tags["marketing_fatigue"].sum()),
                      int(tags["marketing_opt_out"].sum()) if "marketing_opt_out" in tags else np.nan]})
    mk["share"] = mk["customers"] / len(tags)
    return mk


def show_marketing(wide: pd.DataFrame, tags: pd.DataFrame, rules) -> None:
    """Marketing activity table, whether fatigue can be observed (a check that can WARN), contact recency."""
    from .plots import profile as pp

    if "n_contacts_365d" not in wide:
        report.callout(t("Skipped: no campaigns table."), kind="note")
        return
    report.show_table(marketing_table(tags, rules), caption=t("Marketing activity"), percent_cols=["share"])
    report.show_verdicts([checks.fatigue_check(wide, rules.fatigue_min_contacts)],
                         caption=t("Marketing-activity check"))
    pp.plot_share_bars(tags["contact_recency"].value_counts(normalize=True),
                       title=t("Time since the last campaign contact"),
                       order=["<=30d", "31-90d", "91-365d", ">365d", "never"])
    _show()


def thresholds_table(rules) -> pd.DataFrame:
    """Every tag-rule threshold in effect (tuples shown as lists; whole numbers without ``.0``, as a params file
    states them)."""
    def shown(v):
        if isinstance(v, tuple):
            return "[" + ", ".join(shown(x) for x in v) + "]"
        return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)

    return pd.DataFrame([(k, shown(v)) for k, v in asdict(rules).items()], columns=["parameter", "value"])


def show_thresholds(rules, wide: pd.DataFrame, tags: pd.DataFrame, allow_raw_ids: bool) -> None:
    """Tag-rule thresholds in effect and the saved artefacts."""
    report.show_table(thresholds_table(rules), caption=t("Tag-rule thresholds in effect"), max_rows=60)
    report.show_md(t("Saved artefacts: `tags.parquet` ({n_tags} tags) and `wide.parquet` ({n_features} features) "
                     "in the report's files folder, keyed by the masked `customer_id_masked`",
                     n_tags=tags.shape[1] - 1, n_features=wide.shape[1] - 1)
                   + t(" and the raw `customer_id` (allow_raw_ids)." if allow_raw_ids else "; no raw ids."))


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
    report.show_table(segment_features_table(segmenter), caption=t("Clustering features and how they are prepared"),
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
    fig.suptitle(t("Choosing the number of segments"), fontsize=12)
    fig.tight_layout()
    plt.show()
    tab = sel.reset_index().rename(columns={"stability_ari_mean": "stability ARI (mean)",
                                            "stability_ari_sd": "stability ARI (sd)",
                                            "min_share": "smallest segment"})
    report.show_table(tab, caption=t("k-selection criteria per k"), index=False,
                      fmt={c: f for c, f in _K_FMTS.items() if c in tab.columns}, percent_cols=["smallest segment"])
    report.callout(reason, kind="note", title=t("Chosen: k = {k}", k=k))


def show_segment_profiles(prof, names: pd.Series, k: int) -> None:
    """Segments' size and value table, size bars and the z-score heatmap."""
    import matplotlib.pyplot as plt

    from .plots import segments as sp

    name_map = names.to_dict()
    summary = prof.summary.copy()
    summary.insert(0, "label", names)
    summary_show = summary.reset_index().rename(columns={"n_customers": "customers", "share_customers": "% customers",
                                                          "share_aum": "% AUM", "mean_aum": "mean AUM (CNY)"})
    report.show_table(summary_show, caption=t("Segments: size and value"), index=False,
                      fmt={"customers": "{:,.0f}", "mean AUM (CNY)": i18n.money},
                      percent_cols=["% customers", "% AUM"])
    fig, axes = plt.subplots(1, 2, figsize=(16, 0.55 * k + 3), gridspec_kw={"width_ratios": [1, 2.2]})
    sp.plot_segment_sizes(prof.summary, labels=name_map, ax=axes[0])
    sp.plot_profile_heatmap(prof.zscores, labels=name_map, ax=axes[1])
    fig.tight_layout()
    plt.show()


def key_features_table(stat: pd.DataFrame, overall: pd.Series) -> pd.DataFrame:
    """Features as rows, ``all customers`` then one column per segment (``segment <n>``)."""
    tab = stat.T.copy()
    tab.columns = [t("segment {s}", s=s) for s in tab.columns]
    tab.insert(0, "all customers", overall)
    tab.index.name = "feature"
    return tab.reset_index()


def show_segment_key_features(prof, wide: pd.DataFrame, features, names: pd.Series) -> None:
    """Mean and median of the key features per segment, and what sets each segment apart."""
    for stat, caption, overall in ((prof.means, t("Mean of the key features per segment"), prof.overall),
                                   (prof.medians, t("Median of the key features per segment"),
                                    wide[list(features)].median(numeric_only=True))):
        report.show_table(key_features_table(stat, overall), caption=caption,
                          index=False, fmt="{:,.2f}")
    d = prof.distinguishing.copy()
    d["label"] = d["segment"].map(names.to_dict())
    d["direction"] = np.where(d["z"] > 0, "above", "below")
    report.show_table(d[["segment", "label", "rank", "feature", "z", "direction", "segment_mean", "overall_mean"]],
                      caption=t("What sets each segment apart (largest |z| first)"), index=False,
                      fmt={"z": "{:+.2f}", "segment_mean": "{:,.2f}", "overall_mean": "{:,.2f}"})


def show_rule_crosstabs(labels, tags: pd.DataFrame, names: pd.Series, k: int) -> None:
    """Each segment across the rule segmentations (lifecycle, quadrant, RFM tier) with a reading."""
    import matplotlib.pyplot as plt

    from . import segments as sg
    from .plots import segments as sp
    from .tags import LIFECYCLE_STAGES, QUADRANTS

    name_map = names.to_dict()
    rule_cols = [(c, r, o) for c, r, o in (("lifecycle_stage", "lifecycle stage", list(LIFECYCLE_STAGES)),
                                           ("quadrant", "value x potential quadrant", list(QUADRANTS)),
                                           ("rfm_tier", "RFM tier", ["high", "medium", "low"])) if c in tags.columns]
    if not rule_cols:
        report.callout(t("No rule segments available (tags missing): cross-tabs skipped."), kind="warning")
    for col, title, order in rule_cols:
        ct = sg.crosstab_segments(labels, tags[col], other_name=t(title), order=order)
        fig, ax = plt.subplots(figsize=(max(6, 1.1 * ct.shape[1] + 4), 0.5 * k + 2.2))
        sp.plot_crosstab(ct, labels=name_map, ax=ax)
        fig.tight_layout()
        plt.show()
        report.callout(sg.crosstab_reading(labels, tags[col], name_map, title), kind="note",
                       title=t("Reading: {rule}", rule=t(title)))


def show_assignment_preview(assign: pd.DataFrame, allow_raw_ids: bool) -> None:
    """The first rows of ``segments.parquet`` (ids masked unless ``allow_raw_ids``)."""
    from .privacy import mask_ids

    preview = assign.head(5).copy()
    if not allow_raw_ids:
        preview["customer_id"] = mask_ids(preview["customer_id"]).to_numpy()
    report.show_table(preview, caption=t("segments.parquet: first rows (ids masked)") if not allow_raw_ids
                      else t("segments.parquet: first rows"), index=False)


def show_segmentation_checks(sel: pd.DataFrame, k: int, stability_threshold: float, k_range: tuple,
                             k_fixed: bool, fit_warnings=()) -> None:
    """Segmentation checks, a warning when k sits at the edge of its range, the fit's warnings."""
    report.show_verdicts(checks.segmentation_checks(sel, k, stability_threshold), caption=t("Segmentation checks"))
    if k in tuple(k_range) and not k_fixed:
        report.callout(t("The chosen k = {k} is at the edge of the range {lo}-{hi}: widen the range to check.",
                         k=k, lo=k_range[0], hi=k_range[1]), kind="warning")
    msgs = sorted({str(w.message).splitlines()[0] for w in fit_warnings})
    if msgs:
        report.show_md("### " + t("Warnings"))
        for m in msgs[:10]:
            report.callout(m, kind="warning")


# ----------------------------------------------------------------------------------------- 04_clv
def clv_windows_table(rfm, n_calibration: int, period: str, directions, categories, refunds: str) -> pd.DataFrame:
    """Windows and counts of the RFM summary: calibration / holdout, rows and customers counted."""
    c = rfm.counts
    return pd.DataFrame([
        {"item": t("period unit"), "value": t(period)},
        {"item": t("calibration window"), "value": t("first transaction .. {end}", end=rfm.calibration_end)},
        {"item": t("holdout window"), "value": t("{start} .. {end} ({n:,.0f} {period}s)", start=rfm.calibration_end,
                                                 end=rfm.observation_end, n=rfm.holdout_length, period=t(period))},
        {"item": t("transactions counted"),
         "value": t("direction in {directions}", directions=directions)
         + (t(", category in {categories}", categories=categories) if categories else "")},
        {"item": t("transaction rows used"), "value": f"{c['rows_used']:,}"},
        {"item": t("customers with transactions"), "value": f"{c['customers']:,}"},
        {"item": t("customers {without} (no CLV)", without=i18n.value(c.get("without_label", "without transactions"))),
         "value": f"{c.get('customers_without_transactions', 0):,}"},
        {"item": t("customers in the calibration fit"), "value": f"{n_calibration:,}"},
        {"item": t("customers first seen in the holdout"), "value": f"{c.get('customers_new_in_holdout', 0):,}"},
        {"item": t("rows after as-of excluded"), "value": f"{c['future_rows']:,}"},
        {"item": t("zero/negative-amount rows ({refunds})", refunds=refunds), "value": f"{c['refund_rows']:,}"},
    ])


def show_clv_inputs(rfm, n_calibration: int, period: str, directions, categories, refunds: str,
                    currency: str) -> None:
    """Windows and counts, and the distribution of the customer inputs (frequency, recency, T, spend)."""
    report.show_table(clv_windows_table(rfm, n_calibration, period, directions, categories, refunds),
                      caption=t("Windows and counts"))
    desc = rfm.table[["frequency", "recency", "T", "monetary_value"]].describe(
        percentiles=[0.25, 0.5, 0.75, 0.95]).T
    desc = desc.drop(columns=["count"]).rename(columns={"std": "std dev"})
    desc.index = [t("frequency ({period}s)", period=t(period)), t("recency ({period}s)", period=t(period)),
                  t("T ({period}s)", period=t(period)), t("monetary value ({currency})", currency=i18n.value(currency))]
    report.show_table(desc, caption=t("Customer inputs over the whole window"), fmt="{:,.1f}")


def show_model_comparison(compare: pd.DataFrame, label: str, n_calibration: int) -> None:
    """Calibration fit and holdout error of each transaction model; which fits and predicts best."""
    shown = compare.rename(columns={"log_likelihood": "log-likelihood", "aic": "AIC", "bic": "BIC",
                                    "predicted": "holdout predicted", "actual": "holdout actual",
                                    "total_error_pct": "total error %", "mae": "MAE", "rmse": "RMSE"})
    report.show_table(shown, caption=t("Transaction models: calibration fit and holdout error ({n:,} customers)",
                                       n=n_calibration),
                      fmt={"log-likelihood": "{:,.0f}", "AIC": "{:,.0f}", "BIC": "{:,.0f}",
                           "holdout predicted": "{:,.0f}", "holdout actual": "{:,.0f}", "total error %": "{:+.1f}",
                           "MAE": "{:.2f}", "RMSE": "{:.2f}"})
    best_ll = compare.loc[compare["log_likelihood"].idxmax(), "model"]
    best_mae = compare.loc[compare["mae"].idxmin(), "model"]
    report.show_md(t("Best calibration fit: **{best_ll}**; lowest holdout error per customer: **{best_mae}**. "
                     "CLV below uses **{label}** (parameter `model`).", best_ll=best_ll, best_mae=best_mae, label=label))


def show_period_validation(cal: pd.DataFrame, rfm, model, period: str) -> None:
    """Period transactions (observed vs expected) and calibration vs holdout, chart and table."""
    import matplotlib.pyplot as plt

    from . import clv
    from .plots import clv as plots

    pt = clv.period_transactions(cal, model)
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.2))
    plots.plot_period_transactions(pt, model.label, period, ax=axes[0])
    cvh = clv.calibration_vs_holdout(rfm, model)
    plots.plot_calibration_holdout(cvh, period, ax=axes[1])
    _show()
    report.show_table(cvh.rename(columns={"calibration_frequency": "calibration frequency",
                                          "actual": "mean actual (holdout)", "predicted": "mean predicted (holdout)"}),
                      caption=t("Calibration vs holdout: mean transactions per customer in the holdout"),
                      fmt={"customers": "{:,.0f}", "mean actual (holdout)": "{:.2f}",
                           "mean predicted (holdout)": "{:.2f}"})


def show_tracking(track: pd.DataFrame) -> None:
    """Holdout tracking, per step and cumulated."""
    import matplotlib.pyplot as plt

    from .plots import clv as plots

    fig, axes = plt.subplots(1, 2, figsize=(13, 4.2))
    plots.plot_tracking(track, cumulative=False, ax=axes[0])
    plots.plot_tracking(track, cumulative=True, ax=axes[1])
    _show()


def show_decile_error(dec: pd.DataFrame, currency: str) -> None:
    """Holdout error by decile of predicted value: chart and table."""
    import matplotlib.pyplot as plt

    from .plots import clv as plots

    plots.plot_decile_error(dec, currency=currency)
    plt.show()
    pred, act = (t(h, currency=i18n.value(currency)) for h in ("pred. value ({currency})", "actual value ({currency})"))
    report.show_table(dec.rename(columns={"predicted_transactions": "pred. transactions",
                                          "actual_transactions": "actual transactions",
                                          "predicted_value": pred, "actual_value": act,
                                          "transactions_error_pct": "transactions error %",
                                          "value_error_pct": "value error %"}),
                      caption=t("Holdout error by decile of predicted value (1 = highest)"),
                      fmt={"pred. transactions": "{:,.0f}", "actual transactions": "{:,.0f}", pred: "{:,.0f}",
                           act: "{:,.0f}", "transactions error %": "{:+.1f}", "value error %": "{:+.1f}"})


def spend_model_warnings(spend) -> list[str]:
    """Warnings of a fitted Gamma-Gamma model: customers left out, doubtful independence."""
    out = []
    ind = spend.independence_
    if spend.n_excluded_:
        out.append(t("{n:,} customer(s) with repeat periods but zero or negative net spend were left out of the "
                     "Gamma-Gamma fit (they get the population mean spend)", n=spend.n_excluded_))
    if not ind["independent"]:
        out.append(t("frequency and spend are correlated (r = {r:+.2f}): Gamma-Gamma's independence assumption is "
                     "doubtful; read CLV by spend with care", r=ind["pearson_r"]))
    return out


def show_spend_model(rfm, final_model, spend, period: str, currency: str, seed: int) -> None:
    """Frequency vs spend chart, fitted parameters of the whole-window models, population mean spend."""
    import matplotlib.pyplot as plt

    from .plots import clv as plots

    ind = spend.independence_
    plots.plot_frequency_vs_spend(rfm.table, ind["pearson_r"], currency=currency, random_state=seed)
    plt.show()
    params_tbl = pd.DataFrame([
        {"model": t("{model} (whole window)", model=final_model.label),
         "parameters": ", ".join(f"{k} = {v:.4g}" for k, v in final_model.params_.items()),
         "customers": final_model.n_customers_, "distinct patterns": final_model.n_patterns_},
        {"model": t("{model} (whole window)", model="Gamma-Gamma"), "parameters": ", ".join(f"{k} = {v:.4g}" for k, v in spend.params_.items()),
         "customers": spend.n_customers_, "distinct patterns": np.nan},
    ])
    report.show_table(params_tbl, caption=t("Fitted parameters (time unit: {period})", period=t(period)))
    report.show_md(t("Population mean spend per transaction period: **{mean:,.0f} {currency}**. Correlation of "
                     "frequency and spend: **r = {r:+.3f}** on {n:,} customers.", mean=spend.population_mean_,
                     currency=i18n.value(currency), r=ind["pearson_r"], n=ind["n"]))


_SHARES = {"customer_share": "share of customers", "value_share": "share of value", "aum_share": "share of AUM"}


def _money_cols(currency: str) -> dict:
    c = i18n.value(currency)
    return {"total_value": t("value ({currency})", currency=c), "mean_value": t("mean value ({currency})", currency=c),
            "annual_margin": t("annual margin ({currency})", currency=c), "aum": t("AUM ({currency})", currency=c),
            **_SHARES}


def _money_fmt(currency: str) -> dict:
    return {h: i18n.money for k, h in _money_cols(currency).items() if k not in _SHARES}


def show_value(vals: pd.DataFrame, rates, currency: str) -> None:
    """Margin components, the base's total value and concentration, value tiers, concentration charts."""
    import matplotlib.pyplot as plt

    from . import clv, value
    from .plots import clv as plots

    established = vals[~vals["too_new"]]
    comp = value.components(vals)
    per_year = t("per year ({currency})", currency=i18n.value(currency))
    report.show_table(comp.rename(columns={"annual_amount": per_year, "share_of_gross": "share of gross margin"}),
                      caption=t("Where the bank's annual margin comes from ({n:,} customers)", n=len(vals)), index=False,
                      percent_cols=["share of gross margin"], fmt={per_year: i18n.money})
    rho = float(vals["value"].corr(vals["aum"], method="spearman"))
    n_new = int(vals["too_new"].sum())
    report.show_md(t("Total value of the base over {months} months: **{total} {currency}**; the top 20% of "
                     "established customers hold **{top:.0%}** of it. Rank correlation of value with AUM (Spearman): "
                     "**{rho:.2f}**. **{n_new:,}** customers have less than {days} days of history: cohort value, flag "
                     "\"too new to project\", no rank.", months=rates.horizon_months, total=i18n.money(vals["value"].sum()),
                     currency=i18n.value(currency), top=clv.top_share(established["value"], 0.2), rho=rho, n_new=n_new,
                     days=rates.min_history_days))
    tiers = value.value_by_group(vals, vals["clv_tier"], "clv_tier")
    report.show_table(tiers.rename(columns={"clv_tier": "value tier", **_money_cols(currency)})
                      .drop(columns=["customers"]),
                      caption=t("Value tiers (established customers ranked; too-new customers apart)"),
                      percent_cols=list(_SHARES.values()), index=False, fmt=_money_fmt(currency))
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.4))
    plots.plot_concentration(clv.concentration_curve(established["value"]), ax=axes[0])
    plots.plot_clv_distribution(established["value"], currency=currency, ax=axes[1])
    _show()


def value_groupings(run_cache, as_of_date, vals: pd.DataFrame, seg_path, as_of: str,
                    warnings: list[str]) -> dict:
    """Lifecycle stage and quadrant (tag library) and segment (03's ``segments.parquet``) per valued customer.

    The segments artefact is joined on the masked id (the same key whether it holds raw or masked
    ids). Problems are appended to ``warnings``; the number matched is shown. Returns
    ``{name: Series(group, index=customer_id)}``.
    """
    from . import ClientLensError
    from .data import is_in
    from .privacy import mask_ids, masked_key

    groupings = {}
    try:
        tag_tbl = run_cache.tags(as_of_date)   # the run's tags (01's entry), without reading its wide table
        for col in ("lifecycle_stage", "quadrant"):
            if col in tag_tbl:
                groupings[col] = tag_tbl.set_index("customer_id")[col]
    except ClientLensError as exc:
        warnings.append(t("lifecycle stages not available: {error}", error=exc))
    if seg_path is None:
        report.callout(t("No segments artefact for this date (03_segmentation has not run): CLV by segment is skipped."))
        return groupings
    seg = pd.read_parquet(seg_path)
    seg_col = next((c for c in ("segment_name", "segment") if c in seg.columns), None)
    if ("customer_id_masked" in seg.columns or "customer_id" in seg.columns) and seg_col:
        seg_ids = masked_key(seg).map(pd.Series(vals.index, index=mask_ids(vals.index).to_numpy()))
        groupings["segment"] = pd.Series(seg[seg_col].to_numpy(), index=seg_ids.to_numpy()).loc[
            lambda s: s.index.notna()]
        n_matched = int(is_in(groupings["segment"].index, vals.index).sum())
        report.show_md(t("Segments from the segmentation report of {as_of}: {n:,} of {total:,} valued customers "
                         "matched.", as_of=as_of, n=n_matched, total=len(vals)))
    else:
        warnings.append(t("segments artefact {name} has no customer id / segment_name column: CLV by segment is "
                          "skipped", name=seg_path.name))
    return groupings


def show_value_by_group(vals: pd.DataFrame, groupings: dict, currency: str) -> None:
    """Value beside AUM for each grouping: table and chart."""
    import matplotlib.pyplot as plt

    from . import value
    from .plots import offers as oplots

    for name, g in groupings.items():
        tbl = value.value_by_group(vals, g, name)
        report.show_table(tbl.rename(columns=_money_cols(currency)),
                          caption=t("Value beside AUM by {group}", group=t(name.replace("_", " "))), index=False,
                          percent_cols=list(_SHARES.values()), fmt=_money_fmt(currency))
        oplots.plot_value_vs_aum(tbl, name)
        plt.show()


def show_nbp_rules(now, before, co_rules, acq_rules, top_rules: int) -> None:
    """Co-holding and acquisition rules (highest lift) and the co-holding matrix."""
    import matplotlib.pyplot as plt

    from . import offers
    from .plots import offers as oplots

    rule_fmt = {"support": "{:.1%}", "confidence": "{:.1%}", "lift": "{:.2f}", "n_antecedent": "{:,}", "n_both": "{:,}"}
    report.show_table(co_rules.head(top_rules),
                      caption=t("Co-holding rules at {month_end} (highest lift; support >= 1%)",
                                month_end=now.attrs["month_end"]),
                      fmt=rule_fmt, index=False)
    report.show_table(acq_rules.head(top_rules),
                      caption=t("Acquisition rules: {start} -> {end} (highest lift; n_antecedent = holders of the first "
                                "without the second at the start)", start=before.attrs["month_end"],
                                end=now.attrs["month_end"]),
                      fmt=rule_fmt, index=False)
    oplots.plot_coholding(offers.coholding_matrix(now))
    plt.show()


def show_next_best_product(nbp: pd.DataFrame, catalogue, vals: pd.DataFrame, groupings: dict) -> None:
    """Catalogue, the next-best-product funnel and the product mix by segment (or lifecycle stage)."""
    f = nbp.attrs["funnel"]
    report.show_table(catalogue.table(), caption=t("Product catalogue and suitability (parameters products, suitability)"),
                      index=False, fmt={"value of a response": i18n.money})
    report.show_md(t("{n:,} of {total:,} customers get a next best product. Of the {pairs:,} customer-product pairs "
                     "not held, **{unsuitable:,}** are above the customer's risk level (left out) and {ineligible:,} "
                     "fail an eligibility rule.", n=f["customers_with_product"], total=f["customers"],
                     pairs=f["candidate_pairs"], unsuitable=f["unsuitable_pairs"], ineligible=f["ineligible_pairs"]))
    if "segment" in groupings:
        by = groupings["segment"].reindex(vals.index).fillna(t("unknown")).rename("segment")
    else:
        by = groupings.get("lifecycle_stage", pd.Series("all", index=vals.index)).reindex(vals.index).rename("group")
    mix = pd.crosstab(by, vals["next_best_product"].replace("", "(none)"), normalize="index")
    report.show_table(mix.reset_index(), caption=t("Next best product by {group} (share of customers)", group=t(by.name)),
                      percent_cols=list(mix.columns), index=False)


def show_top_customers(save: pd.DataFrame, allow_raw_ids: bool) -> None:
    """The five most valuable established customers (masked ids unless ``allow_raw_ids``)."""
    example = save[~save["too_new"]].sort_values("clv", ascending=False).head(5)
    example = example.assign(customer=example["customer_id"] if allow_raw_ids else example["customer_id_masked"])
    report.show_table(example[["customer", "aum", "annual_margin", "p_alive", "retention_years", "clv",
                               "next_best_product"]],
                      caption=t("Most valuable established customers (masked ids)") if not allow_raw_ids
                      else t("Most valuable customers"),
                      percent_cols=["p_alive"], fmt={"aum": i18n.money, "annual_margin": i18n.money,
                                                     "retention_years": "{:.2f}", "clv": i18n.money}, index=False)
    report.show_md(t("Saved {n:,} rows to `clv.parquet`.", n=len(save)))


def show_warnings(warnings) -> None:
    """Each warning as a callout, or one "No warnings." pass."""
    if warnings:
        for w in warnings:
            report.callout(w, kind="warning")
    else:
        report.callout(t("No warnings."), kind="pass")


# ----------------------------------------------------------------------------------------- 07_event_triggers
def show_channel_load(tasks: pd.DataFrame, rules, start, end, history_days: int) -> None:
    """Daily tasks per channel against each cap (charts), tasks per channel, tasks by event and channel."""
    import matplotlib.pyplot as plt

    from . import events as E
    from .plots import events as ep

    # tasks go out up to rm_lead_days + max_delay_days after the window's last event
    daily_tasks = E.daily_counts(tasks, "scheduled_date", "channel", start,
                                 end + pd.Timedelta(days=rules.rm_lead_days + rules.max_delay_days))
    daily_tasks = daily_tasks.reindex(columns=["rm", "app", "sms"], fill_value=0)
    fig, axes = plt.subplots(1, 3, figsize=(16, 3.4))
    for ax, ch in zip(axes, daily_tasks.columns):
        ep.plot_channel_load(daily_tasks[ch], ch, cap=rules.caps.get(ch), ax=ax)
    fig.tight_layout()
    plt.show()
    per_channel = E.channel_load(daily_tasks, rules, history_days)
    report.show_table(per_channel.reset_index(), caption=t("Tasks per channel"), index=False,
                      fmt={"tasks": "{:,.0f}", "per day (mean)": "{:,.1f}", "per day (max)": "{:,.0f}",
                           "cap per day": "{:,.0f}"})
    mix = pd.crosstab(tasks["event"], tasks["channel"]).reindex(
        [e for e in rules.priority if e in rules.events]).fillna(0)
    report.show_table(mix.astype(int).reset_index(), caption=t("Tasks by event and channel (back-test window)"),
                      index=False)


def show_today_tasks(today: pd.DataFrame, as_of_date, preview_rows: int) -> None:
    """Today's tasks by event and channel and the first ``preview_rows`` rows (ids as exported)."""
    if today.empty:
        report.callout(t("No event on {date}: no task today.", date=as_of_date), kind="note")
        return
    counts = pd.crosstab(today["event"], today["channel"], margins=True, margins_name="total")
    report.show_table(counts.reset_index(), caption=t("Today's tasks ({date}): {n:,}", date=as_of_date, n=len(today)),
                      index=False)
    show = today.sort_values("priority", kind="stable").drop(columns=["value"]).head(preview_rows)
    report.show_table(show, caption=t("First {n} of today's tasks (highest priority first)", n=min(preview_rows, len(today))),
                      index=False,
                      fmt={"scheduled_date": lambda d: pd.Timestamp(d).strftime("%Y-%m-%d"),
                           "event_date": lambda d: pd.Timestamp(d).strftime("%Y-%m-%d")})


# ----------------------------------------------------------------------------------- 09_post_evaluation
_RATE_COLS = ["treated", "control", "difference", "ci_low", "ci_high"]


def show_treated_vs_control(comparison: pd.DataFrame) -> None:
    """09's section 2: response (incremental responders), AUM change (incremental AUM and value) and the
    other goal KPIs, treated vs control, each with its interval (:func:`clientlens.uplift.compare_groups`)."""
    from .postevaluation import HEADERS, ID_COLUMNS, KPI_LABELS

    if not len(comparison):
        return
    resp = comparison[comparison["kpi"] == "response_rate"]
    report.show_table(resp.drop(columns=["kpi", "incremental_value"], errors="ignore"), index=False, headers=HEADERS,
                      caption=t("Response: treated vs control, incremental responders"), percent_cols=_RATE_COLS,
                      nowrap=ID_COLUMNS)
    aum = comparison[comparison["kpi"] == "aum_change"]
    money = [c for c in _RATE_COLS + ["incremental", "incremental_low", "incremental_high", "incremental_value"]
             if c in aum.columns]
    report.show_table(aum.drop(columns=["kpi"]), index=False, fmt=dict.fromkeys(money, i18n.money), headers=HEADERS,
                      caption=t("AUM change per customer: incremental AUM and value"), nowrap=ID_COLUMNS)
    other = comparison[~comparison["kpi"].isin(["response_rate", "aum_change"])]
    other = other.assign(kpi=other["kpi"].replace(KPI_LABELS))
    report.show_table(other.drop(columns=["incremental_value"], errors="ignore"), index=False, headers=HEADERS,
                      caption=t("Other goal KPIs at the outcome month-end"), percent_cols=_RATE_COLS, nowrap=ID_COLUMNS)
