"""Strategy map (策略图谱) as data: load, validate, evaluate on the as-of base (定名单 + 定举措 + 抓协同).

A strategy map is a YAML file (``params/strategy_map.yaml`` for the demo) with a planning period and
one entry per strategy::

    period: {start: "2026-11-01", end: "2026-11-30"}
    strategies:
      - name: payroll_to_primary          # unique, letters / digits / _ / -
        group: payroll                    # customer group: the row of the grid
        target:                           # who: every condition must hold (AND)
          is_payroll: true                #   value      -> equal
          lifecycle_stage: [growth, maturity]  # list -> one of
          is_primary_account: false
          prob: {min: 0.02}               #   {min, max, in, not_in}
        goal: {kpi: primary_account_rate, target: 0.05}   # goal KPI and target change vs control
        product: demand_deposit           # a product of the data contract (schema.PRODUCT_BALANCE_COLUMNS)
        channels: [app, rm]               # channel sequence: the first one makes the contact
        script: payroll_plus_v1
        priority: 1                       # 1 = first; one strategy per customer per period
        capacity: 3000                    # most customers on the list (treated + control)
        start: "2026-11-01"
        end: "2026-11-30"
        control_share: 0.1                # random holdout kept as the control group
        rank_by: prob                     # optional: list order (default: map's rank_by)

Target columns are the tag library of ``01_profile`` (:data:`clientlens.tags.TAG_CATEGORIES`), the base
columns (:data:`BASE_COLUMNS`) and the artefact columns of earlier reports (:data:`ARTIFACT_COLUMNS`:
segments of ``03``, CLV and next best product of ``04``, response scores of ``05``).

:func:`load_strategy_map` validates the file (one-line :class:`clientlens.ParamsError` naming the file,
the strategy and the problem): the runner calls it before a kernel starts. :func:`assign` turns a map
into de-duplicated lists: eligibility per strategy, opt-outs and the contact cooldown removed, one
strategy per customer by priority, strategy capacities and channel caps (shared with the event job's
``caps``), and a seeded random holdout control per strategy.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import html
import os
import re
import zlib
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from . import ParamsError
from .i18n import t, value
from .schema import PRODUCT_BALANCE_COLUMNS

__all__ = ["Strategy", "StrategyMap", "load_strategy_map", "parse_strategy_map", "known_columns", "KPIS",
           "CHANNELS", "BASE_COLUMNS", "ARTIFACT_COLUMNS", "eligibility", "assign", "Assignment",
           "map_grid", "strategy_table", "coverage", "money_formats", "MONEY_COLUMNS", "overlap_matrix", "uncovered_profile", "condition_text"]

#: goal KPIs a strategy can name; 09_post_evaluation measures each treated vs control
KPIS = {
    "response_rate": "share of customers who responded (points)",
    "primary_account_rate": "share of primary-account customers at the end of the period (points)",
    "product_holding_rate": "share of customers holding the strategy's product at the end (points)",
    "active_share": "share of customers with an outgoing transaction in the last month of the period (points)",
    "aum_change": "mean change of AUM per customer over the period (CNY)",
}
#: contact channels of a channel sequence (the campaign table's channels plus WeChat and online banking)
CHANNELS = ("app", "sms", "wechat", "phone", "rm", "online", "branch")
#: base columns computed from the contract tables (:func:`build_base`)
BASE_COLUMNS = ("aum", "age", "income_monthly", "n_products", "days_since_last_contact") + tuple(
    PRODUCT_BALANCE_COLUMNS) + tuple(f"has_{p}" for p in PRODUCT_BALANCE_COLUMNS)
#: columns from earlier reports' artefacts -> the report that saves them
ARTIFACT_COLUMNS = {"segment": "03_segmentation", "segment_name": "03_segmentation", "clv": "04_clv",
                    "clv_tier": "04_clv", "p_alive": "04_clv", "next_best_product": "04_clv",
                    "score": "05_response_model", "prob": "05_response_model"}
_RANGE_KEYS = ("min", "max", "in", "not_in")
_NAME = re.compile(r"^[A-Za-z0-9_\-]+$")
_FIELDS = ("name", "group", "target", "goal", "product", "channels", "script", "priority", "capacity", "start",
           "end", "control_share", "rank_by", "description")
_REQUIRED = ("name", "group", "target", "goal", "product", "channels", "script", "priority", "capacity",
             "control_share")


def known_columns() -> list[str]:
    """Every column a target condition may name (tags, base columns, earlier reports' artefact columns)."""
    from .tags import TAG_CATEGORIES

    return sorted(set(TAG_CATEGORIES) | set(BASE_COLUMNS) | set(ARTIFACT_COLUMNS))


def _vocabularies(products: Sequence[str]) -> dict[str, tuple]:
    from .tags import LIFECYCLE_STAGES, QUADRANT_ACTIONS, QUADRANTS, RFM_SEGMENTS

    return {"lifecycle_stage": LIFECYCLE_STAGES, "quadrant": QUADRANTS, "quadrant_action": QUADRANT_ACTIONS,
            "rfm_segment": RFM_SEGMENTS, "lifecycle_simple": ("acquire", "develop", "retain", "win_back"),
            "value_tier": ("high", "medium", "low"), "rfm_tier": ("high", "medium", "low"),
            "clv_tier": ("high", "medium", "low"), "next_best_product": tuple(products)}


@dataclasses.dataclass(frozen=True)
class Strategy:
    """One validated strategy of a map (see the module docstring for the fields)."""

    name: str
    group: str
    target: dict
    goal_kpi: str
    goal_target: float
    product: str
    channels: tuple
    script: str
    priority: int
    capacity: int
    start: _dt.date
    end: _dt.date
    control_share: float
    rank_by: str | None = None
    description: str = ""

    @property
    def stages(self) -> tuple:
        """Lifecycle stages the target names (empty: every stage)."""
        cond = self.target.get("lifecycle_stage")
        if cond is None:
            return ()
        if isinstance(cond, dict):
            return tuple(cond.get("in", ()))
        return tuple(cond) if isinstance(cond, (list, tuple)) else (cond,)


@dataclasses.dataclass(frozen=True)
class StrategyMap:
    """A validated strategy map: the planning period, the default list order and the strategies by priority."""

    path: str
    period_start: _dt.date
    period_end: _dt.date
    strategies: tuple
    rank_by: tuple = ("prob", "clv", "aum")

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.strategies]

    @property
    def period_days(self) -> int:
        return (self.period_end - self.period_start).days + 1

    def columns(self) -> set[str]:
        """Columns the targets (and list orders) use."""
        cols = {c for s in self.strategies for c in s.target}
        cols |= {s.rank_by for s in self.strategies if s.rank_by}
        return cols


def _date(where: str, key: str, value) -> _dt.date:
    if isinstance(value, _dt.date):
        return value
    try:
        return _dt.date.fromisoformat(str(value))
    except ValueError:
        raise ParamsError(f"{where}: {key} must be a date YYYY-MM-DD; got {value!r}") from None


def _check_condition(where: str, col: str, cond, vocab: dict, known: set) -> None:
    if col not in known:
        raise ParamsError(f"{where}: unknown tag or column {col!r} in target; known: {', '.join(sorted(known))}")
    values: list = []
    if isinstance(cond, dict):
        bad = sorted(set(cond) - set(_RANGE_KEYS))
        if bad or not cond:
            raise ParamsError(f"{where}: condition on {col!r} must use keys {list(_RANGE_KEYS)}; got {sorted(cond)}")
        for k in ("min", "max"):
            if k in cond and (isinstance(cond[k], bool) or not isinstance(cond[k], (int, float))):
                raise ParamsError(f"{where}: {col}.{k} must be a number; got {cond[k]!r}")
        if "min" in cond and "max" in cond and cond["min"] > cond["max"]:
            raise ParamsError(f"{where}: {col}: min {cond['min']} is above max {cond['max']}")
        for k in ("in", "not_in"):
            if k in cond:
                if not isinstance(cond[k], list) or not cond[k]:
                    raise ParamsError(f"{where}: {col}.{k} must be a non-empty list; got {cond[k]!r}")
                values += cond[k]
    elif isinstance(cond, list):
        if not cond:
            raise ParamsError(f"{where}: condition on {col!r} is an empty list")
        values = cond
    elif cond is None:
        raise ParamsError(f"{where}: condition on {col!r} is empty")
    else:
        values = [cond]
    if col in vocab and vocab[col]:
        bad = [v for v in values if v not in vocab[col]]
        if bad:
            raise ParamsError(f"{where}: unknown value(s) {bad} for {col!r}; valid: {', '.join(vocab[col])}")


def parse_strategy_map(data: Mapping, *, path: str = "strategy map", products: Mapping | Sequence | None = None
                       ) -> StrategyMap:
    """Validate a parsed strategy map (a dict as read from YAML) and return a :class:`StrategyMap`.

    Parameters
    ----------
    data : mapping
        ``{"period": {"start", "end"}, "rank_by": [...], "strategies": [...]}``.
    path : str
        Named in messages.
    products : mapping or sequence, optional
        The product catalogue (params ``common.products``, keyed by contract product names). When given,
        a strategy's product must be in it as well as in :data:`clientlens.schema.PRODUCT_BALANCE_COLUMNS`.

    Raises
    ------
    ParamsError
        One line naming the file, the strategy and the problem: unknown field, tag/column or value,
        unknown product, KPI or channel, bad dates, shares or capacities, duplicate names, and two
        strategies with the same priority whose periods overlap.
    """
    if not isinstance(data, Mapping):
        raise ParamsError(f"{path}: expected a mapping with 'period' and 'strategies'")
    bad = sorted(set(data) - {"period", "strategies", "rank_by", "description"})
    if bad:
        raise ParamsError(f"{path}: unknown top-level key(s) {bad}; valid: period, strategies, rank_by, description")
    period = data.get("period")
    if not isinstance(period, Mapping) or "start" not in period or "end" not in period:
        raise ParamsError(f"{path}: 'period' must be a mapping with start and end dates")
    p_start, p_end = _date(path, "period.start", period["start"]), _date(path, "period.end", period["end"])
    if p_end < p_start:
        raise ParamsError(f"{path}: period.end {p_end} is before period.start {p_start}")
    rank_by = data.get("rank_by", ["prob", "clv", "aum"])
    if isinstance(rank_by, str):
        rank_by = [rank_by]
    known = set(known_columns())
    for c in rank_by:
        if c not in known:
            raise ParamsError(f"{path}: unknown rank_by column {c!r}; known: {', '.join(sorted(known))}")
    catalogue = list(products) if products else None
    allowed_products = [p for p in PRODUCT_BALANCE_COLUMNS if catalogue is None or p in catalogue]
    for p in catalogue or []:
        if p not in PRODUCT_BALANCE_COLUMNS:
            raise ParamsError(f"{path}: catalogue product {p!r} is not a contract product "
                              f"({', '.join(PRODUCT_BALANCE_COLUMNS)})")
    vocab = _vocabularies(PRODUCT_BALANCE_COLUMNS)
    items = data.get("strategies")
    if not isinstance(items, list) or not items:
        raise ParamsError(f"{path}: 'strategies' must be a non-empty list")
    out: list[Strategy] = []
    for i, s in enumerate(items):
        where = f"{path}: strategy {i + 1}"
        if not isinstance(s, Mapping):
            raise ParamsError(f"{where}: expected a mapping of fields")
        if isinstance(s.get("name"), str):
            where = f"{path}: strategy {s['name']!r}"
        unknown = sorted(set(s) - set(_FIELDS))
        if unknown:
            raise ParamsError(f"{where}: unknown field(s) {unknown}; valid: {', '.join(_FIELDS)}")
        missing = [f for f in _REQUIRED if f not in s]
        if missing:
            raise ParamsError(f"{where}: missing field(s) {missing}")
        name = s["name"]
        if not isinstance(name, str) or not _NAME.match(name):
            raise ParamsError(f"{where}: name must be letters, digits, '_' or '-'; got {name!r}")
        if not isinstance(s["target"], Mapping) or not s["target"]:
            raise ParamsError(f"{where}: target must be a non-empty mapping of column: condition")
        for col, cond in s["target"].items():
            _check_condition(where, str(col), cond, vocab, known)
        goal = s["goal"]
        if not isinstance(goal, Mapping) or set(goal) != {"kpi", "target"}:
            raise ParamsError(f"{where}: goal must be {{kpi: <KPI>, target: <number>}}; got {goal!r}")
        if goal["kpi"] not in KPIS:
            raise ParamsError(f"{where}: unknown goal KPI {goal['kpi']!r}; valid: {', '.join(KPIS)}")
        if isinstance(goal["target"], bool) or not isinstance(goal["target"], (int, float)):
            raise ParamsError(f"{where}: goal target must be a number; got {goal['target']!r}")
        if s["product"] not in allowed_products:
            src = "the product catalogue (params common.products)" if catalogue is not None else "the contract"
            raise ParamsError(f"{where}: unknown product {s['product']!r}; products of {src}: "
                              f"{', '.join(allowed_products)}")
        ch = s["channels"]
        if isinstance(ch, str):
            ch = [ch]
        if not isinstance(ch, list) or not ch or any(c not in CHANNELS for c in ch):
            raise ParamsError(f"{where}: channels must be a non-empty list of {', '.join(CHANNELS)}; got {s['channels']!r}")
        for key in ("priority", "capacity"):
            v = s[key]
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ParamsError(f"{where}: {key} must be an integer >= 1; got {v!r}")
        cs = s["control_share"]
        if isinstance(cs, bool) or not isinstance(cs, (int, float)) or not 0 < cs < 1:
            raise ParamsError(f"{where}: control_share must be in (0, 1); got {cs!r}")
        start = _date(where, "start", s.get("start", p_start))
        end = _date(where, "end", s.get("end", p_end))
        if end < start:
            raise ParamsError(f"{where}: end {end} is before start {start}")
        rb = s.get("rank_by")
        if rb is not None and rb not in known:
            raise ParamsError(f"{where}: unknown rank_by column {rb!r}")
        if not isinstance(s["script"], str) or not isinstance(s["group"], str):
            raise ParamsError(f"{where}: script and group must be text")
        out.append(Strategy(name=name, group=s["group"], target=dict(s["target"]), goal_kpi=goal["kpi"],
                            goal_target=float(goal["target"]), product=s["product"], channels=tuple(ch),
                            script=s["script"], priority=int(s["priority"]), capacity=int(s["capacity"]),
                            start=start, end=end, control_share=float(cs), rank_by=rb,
                            description=str(s.get("description", ""))))
    names = [s.name for s in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ParamsError(f"{path}: duplicate strategy name(s) {dup}")
    for i, a in enumerate(out):
        for b in out[i + 1:]:
            if a.priority == b.priority and a.start <= b.end and b.start <= a.end:
                raise ParamsError(f"{path}: strategies {a.name!r} and {b.name!r} share priority {a.priority} "
                                  f"in overlapping periods; give each a distinct priority")
    out.sort(key=lambda s: s.priority)
    return StrategyMap(path=path, period_start=p_start, period_end=p_end, strategies=tuple(out),
                       rank_by=tuple(rank_by))


def load_strategy_map(path: str | os.PathLike, products: Mapping | Sequence | None = None) -> StrategyMap:
    """Read and validate a strategy map YAML file (:func:`parse_strategy_map`); called before a kernel starts."""
    import yaml

    p = Path(path)
    if not p.is_file():
        raise ParamsError(f"{path}: strategy map file not found")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ParamsError(f"{path}: not valid YAML ({str(exc).strip().splitlines()[0]})") from None
    return parse_strategy_map(data, path=str(path), products=products)


# --------------------------------------------------------------------------- evaluation on the base

def condition_text(target: Mapping) -> str:
    """A target in words (the list's reason): ``is_payroll = True; lifecycle_stage in growth, maturity``."""
    parts = []
    for col, cond in target.items():
        if isinstance(cond, dict):
            if "min" in cond:
                parts.append(f"{col} >= {cond['min']:g}")
            if "max" in cond:
                parts.append(f"{col} <= {cond['max']:g}")
            if "in" in cond:
                parts.append(t("{column} in {values}", column=col, values=", ".join(str(value(v)) for v in cond["in"])))
            if "not_in" in cond:
                parts.append(t("{column} not in {values}", column=col,
                               values=", ".join(str(value(v)) for v in cond["not_in"])))
        elif isinstance(cond, list):
            parts.append(t("{column} in {values}", column=col, values=", ".join(str(value(v)) for v in cond)))
        else:
            parts.append(f"{col} = {cond}")
    return "; ".join(parts)


def _cond_mask(series: pd.Series, cond) -> np.ndarray:
    s = series
    if isinstance(cond, dict):
        m = np.ones(len(s), bool)
        num = pd.to_numeric(s, errors="coerce") if ("min" in cond or "max" in cond) else None
        if "min" in cond:
            m &= (num >= cond["min"]).fillna(False).to_numpy()
        if "max" in cond:
            m &= (num <= cond["max"]).fillna(False).to_numpy()
        if "in" in cond:
            m &= s.isin(cond["in"]).to_numpy()
        if "not_in" in cond:
            m &= ~s.isin(cond["not_in"]).to_numpy() & s.notna().to_numpy()
        return m
    if isinstance(cond, list):
        return s.isin(cond).fillna(False).to_numpy(bool)
    if isinstance(cond, bool):
        return (s.astype("boolean") == cond).fillna(False).to_numpy(bool)
    return (s == cond).fillna(False).to_numpy(bool)


def eligibility(base: pd.DataFrame, smap: StrategyMap) -> tuple[pd.DataFrame, dict]:
    """Which customers each strategy's target selects (before opt-outs, cooldown and de-duplication).

    Returns
    -------
    eligible : DataFrame of bool
        One column per strategy, rows aligned with ``base``.
    skipped : dict
        ``{strategy: reason}`` for strategies whose target names a column the base lacks (an earlier
        report did not run): they select nobody, and the report says why.
    """
    eligible, skipped = {}, {}
    for s in smap.strategies:
        absent = [c for c in s.target if c not in base.columns]
        if absent:
            srcs = sorted({ARTIFACT_COLUMNS.get(c, "01_profile") for c in absent})
            skipped[s.name] = t("column(s) {columns} absent (run {reports} for this date)", columns=", ".join(absent),
                                reports=", ".join(srcs))
            eligible[s.name] = np.zeros(len(base), bool)
            continue
        m = np.ones(len(base), bool)
        for col, cond in s.target.items():
            m &= _cond_mask(base[col], cond)
        eligible[s.name] = m
    return pd.DataFrame(eligible, index=base.index), skipped


@dataclasses.dataclass
class Assignment:
    """Result of :func:`assign`: one row per customer on a list, the funnel and the eligibility."""

    lists: pd.DataFrame           # customer rows: strategy, group (treated / control), rank, ...
    funnel: pd.DataFrame          # per strategy: eligible, opted out, cooldown, taken by higher, capacity, ...
    eligible: pd.DataFrame        # bool, one column per strategy
    skipped: dict                 # strategy -> why it selected nobody
    channel_budget: dict          # channel -> contacts available in the period (cap x days)
    channel_used: dict            # channel -> treated contacts planned


def _rank_col(base: pd.DataFrame, s: Strategy, smap: StrategyMap) -> str | None:
    for c in ([s.rank_by] if s.rank_by else []) + list(smap.rank_by):
        if c in base.columns:
            return c
    return None


def assign(base: pd.DataFrame, smap: StrategyMap, *, caps: Mapping[str, int] | None = None,
           cooldown_days: int = 30, exclude_opt_out: bool = True, seed: int = 42,
           id_col: str = "customer_id_masked", catalogue=None) -> Assignment:
    """Turn the map into de-duplicated lists with a random holdout control per strategy.

    Strategies are taken in priority order. For each: customers its target selects, minus opt-outs
    (``marketing_opt_out``), minus customers contacted by any campaign in the last ``cooldown_days``
    (``days_since_last_contact``), minus customers already on a higher-priority list (one strategy per
    customer per period). The rest are ranked (``rank_by``, descending; ties by id) and the top ones
    taken up to the strategy's ``capacity`` and to the room left on its first channel: daily ``caps``
    (the event job's) x days of the map's period. A random ``control_share`` of the taken customers
    (exactly ``round(control_share x n)``, seeded by ``seed`` and the strategy name, so adding a strategy
    does not redraw another one's control) is held out: not contacted, kept to measure the effect.
    Only treated customers use channel room.

    Parameters
    ----------
    base : DataFrame
        One row per customer with ``id_col`` and the columns the targets name.
    smap : StrategyMap
    caps : dict, optional
        Contacts per channel and day (``07_event_triggers``' ``event_rules.caps``); a channel not in it
        is not capped.
    cooldown_days : int
        Customers contacted within this many days before the period start are left out.
    exclude_opt_out : bool
        Leave out customers who refused marketing contact.
    seed : int
        Random state of the control draws.
    catalogue : clientlens.offers.Catalogue, optional
        Suitability (适当性管理): customers whose ``risk_appetite`` does not allow the strategy's product
        are left out first (``unsuitable`` in the funnel).
    """
    if id_col not in base.columns:
        raise ParamsError(f"base has no column {id_col!r}")
    if isinstance(cooldown_days, bool) or not isinstance(cooldown_days, (int, np.integer)) or cooldown_days < 0:
        raise ParamsError(f"cooldown_days must be an integer >= 0; got {cooldown_days!r}")
    caps = dict(caps or {})
    eligible, skipped = eligibility(base, smap)
    n = len(base)
    opt = base["marketing_opt_out"].fillna(False).to_numpy(bool) if (exclude_opt_out and "marketing_opt_out"
                                                                      in base) else np.zeros(n, bool)
    if "days_since_last_contact" in base and cooldown_days > 0:
        d = pd.to_numeric(base["days_since_last_contact"], errors="coerce").to_numpy(float)
        cool = ~np.isnan(d) & (d < cooldown_days)
    else:
        cool = np.zeros(n, bool)
    taken = np.zeros(n, bool)
    budget = {c: int(v) * smap.period_days for c, v in caps.items()}
    used = {c: 0 for c in budget}
    ids = base[id_col].astype(str).to_numpy()
    rows, funnel = [], []
    for s in smap.strategies:
        e = eligible[s.name].to_numpy()
        f = {"strategy": s.name, "priority": s.priority, "eligible": int(e.sum())}
        if catalogue is not None:
            appetite = base["risk_appetite"].to_numpy(dtype=object) if "risk_appetite" in base else \
                np.full(n, None, dtype=object)
            suit = catalogue.suitable(appetite, s.product)
            f["unsuitable"] = int((e & ~suit).sum())
            e = e & suit
        f["opted_out"] = int((e & opt).sum())
        e2 = e & ~opt
        f["cooldown"] = int((e2 & cool).sum())
        e3 = e2 & ~cool
        f["on_higher_priority_list"] = int((e3 & taken).sum())
        cand = np.nonzero(e3 & ~taken)[0]
        rc = _rank_col(base, s, smap)
        if rc is not None and len(cand):
            key = pd.to_numeric(base[rc].iloc[cand], errors="coerce").fillna(-np.inf).to_numpy(float)
            cand = cand[np.lexsort((ids[cand], -key))]
        else:
            cand = cand[np.argsort(ids[cand], kind="stable")]
        n_take = min(len(cand), s.capacity)
        ch = s.channels[0]
        if ch in budget:
            room = max(budget[ch] - used[ch], 0)
            fit = min(n_take, int(room / (1 - s.control_share)) + 1)
            while fit > 0 and fit - round(s.control_share * fit) > room:   # treated must fit the room
                fit -= 1
            n_take_cap = fit
        else:
            n_take_cap = n_take
        f["over_capacity"] = max(0, len(cand) - s.capacity)
        f["over_channel_cap"] = n_take - n_take_cap
        n_take = n_take_cap
        sel = cand[:n_take]
        rng = np.random.default_rng([int(seed), zlib.crc32(s.name.encode("utf-8"))])
        n_ctrl = int(round(s.control_share * n_take))
        is_ctrl = np.zeros(n_take, bool)
        is_ctrl[rng.permutation(n_take)[:n_ctrl]] = True
        taken[sel] = True
        if ch in used:
            used[ch] += int(n_take - n_ctrl)
        f["treated"], f["control"] = int(n_take - n_ctrl), n_ctrl
        funnel.append(f)
        rows.append(pd.DataFrame({
            "row": sel, "strategy": s.name, "priority": s.priority, "group": np.where(is_ctrl, "control", "treated"),
            "rank": np.arange(1, n_take + 1), "rank_by": rc or "id",
            "rank_score": (pd.to_numeric(base[rc].iloc[sel], errors="coerce").to_numpy(float) if rc
                           else np.full(n_take, np.nan)),
            "product": s.product, "channel_sequence": " > ".join(s.channels), "first_channel": ch,
            "script": s.script, "reason": condition_text(s.target), "period_start": pd.Timestamp(s.start),
            "period_end": pd.Timestamp(s.end)}))
    lists = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    lists.insert(0, id_col, ids[lists["row"].to_numpy()] if len(lists) else [])
    if "customer_id" in base.columns and id_col != "customer_id":
        lists.insert(0, "customer_id", base["customer_id"].to_numpy()[lists["row"].to_numpy()])
    return Assignment(lists=lists, funnel=pd.DataFrame(funnel), eligible=eligible, skipped=skipped,
                      channel_budget=budget, channel_used=used)


# --------------------------------------------------------------------------- tables for the report

def strategy_table(smap: StrategyMap) -> pd.DataFrame:
    """One row per strategy: priority, group, target in words, goal (a share to 0.1%, money as
    :func:`clientlens.i18n.money`), product, channels, script, period, control."""
    from .postevaluation import kpi_amount

    return pd.DataFrame([{
        "priority": s.priority, "strategy": s.name, "group": s.group, "target": condition_text(s.target),
        "goal": f"{value(s.goal_kpi)} {'+' if s.goal_target >= 0 else ''}{kpi_amount(s.goal_kpi, s.goal_target)}",
        "product": value(s.product),
        "channels": " > ".join(value(c) for c in s.channels),
        "script": s.script, "capacity": s.capacity, "period": t("{a} to {b}", a=s.start, b=s.end),
        "control_share": s.control_share} for s in smap.strategies])


#: money columns of 08's tables (:func:`coverage`, :func:`uncovered_profile`): shown with :func:`clientlens.i18n.money`
MONEY_COLUMNS = ("AUM eligible", "AUM on list", "clv on list", "uncovered_aum")


def money_formats(df: pd.DataFrame) -> dict:
    """``report.show_table(fmt=)`` of the money columns of ``df`` (:data:`MONEY_COLUMNS`): whole units in en, 万/亿 in zh."""
    from .i18n import money

    return {c: money for c in df.columns if c in MONEY_COLUMNS}


def map_grid(smap: StrategyMap, stages: Sequence[str] | None = None, escape: bool = True) -> pd.DataFrame:
    """The strategy map as the practice draws it: customer groups (rows) x lifecycle stages (columns).

    A strategy whose target names no lifecycle stage sits in the column ``all stages``. Cells list
    ``name (P<priority>): product via channels``; cell text is HTML-escaped when ``escape``.
    """
    from .tags import LIFECYCLE_STAGES

    stages = list(stages or LIFECYCLE_STAGES)
    cols = stages + (["all stages"] if any(not s.stages for s in smap.strategies) else [])
    groups = list(dict.fromkeys(s.group for s in smap.strategies))
    grid = pd.DataFrame("", index=groups, columns=cols)
    for s in smap.strategies:
        text = t("{name} (P{priority}): {product} via {channels}", name=s.name, priority=s.priority,
                 product=value(s.product), channels=" > ".join(value(c) for c in s.channels))
        text = html.escape(text) if escape else text
        for st in (s.stages or ("all stages",)):
            if st in grid.columns:
                cur = grid.loc[s.group, st]
                grid.loc[s.group, st] = f"{cur}; {text}" if cur else text
    if escape:
        grid.index = [html.escape(g) for g in grid.index]
    grid.index.name = "customer group"
    return grid


def coverage(base: pd.DataFrame, result: Assignment, value_col: str | None = None) -> pd.DataFrame:
    """Per strategy: customers eligible and on the list (treated, control), their AUM and value."""
    out = []
    lists = result.lists
    for f in result.funnel.itertuples(index=False):
        rows = lists.loc[lists["strategy"] == f.strategy, "row"].to_numpy()
        e = result.eligible[f.strategy].to_numpy()
        r = {"strategy": f.strategy, "priority": f.priority, "eligible": f.eligible,
             "on list": len(rows), "treated": f.treated, "control": f.control}
        if "aum" in base:
            r["AUM eligible"] = float(base["aum"].to_numpy(float)[e].sum())
            r["AUM on list"] = float(base["aum"].to_numpy(float)[rows].sum())
        if value_col and value_col in base:
            r[f"{value_col} on list"] = float(np.nansum(pd.to_numeric(base[value_col], errors="coerce")
                                                         .to_numpy(float)[rows]))
        out.append(r)
    return pd.DataFrame(out)


def overlap_matrix(result: Assignment) -> pd.DataFrame:
    """Customers eligible for both strategies (diagonal: eligible for the strategy), before de-duplication."""
    e = result.eligible.to_numpy().astype(np.int64)
    m = e.T @ e
    return pd.DataFrame(m, index=result.eligible.columns, columns=result.eligible.columns)


def uncovered_profile(base: pd.DataFrame, result: Assignment, by: str = "lifecycle_stage") -> pd.DataFrame:
    """Customers no strategy's target selects, by ``by`` (customers, share of that group, AUM)."""
    any_e = result.eligible.to_numpy().any(axis=1) if result.eligible.shape[1] else np.zeros(len(base), bool)
    key = base[by].astype(str) if by in base else pd.Series("all", index=base.index)
    aum = base["aum"].to_numpy(float) if "aum" in base else np.zeros(len(base))
    df = pd.DataFrame({by: key.to_numpy(), "uncovered": ~any_e, "aum": np.where(~any_e, aum, 0.0)})
    g = df.groupby(by, sort=True).agg(customers=("uncovered", "size"), uncovered=("uncovered", "sum"),
                                      uncovered_aum=("aum", "sum")).reset_index()
    g["uncovered share"] = g["uncovered"] / g["customers"]
    return g


# --------------------------------------------------------------------------- the as-of base

#: artefacts of earlier reports the base joins (report, file, columns taken); keyed by customer_id_masked
ARTIFACTS = (
    ("01_profile", "tags.parquet", None),
    ("03_segmentation", "segments.parquet", ("segment", "segment_name")),
    ("04_clv", "clv.parquet", ("clv", "clv_tier", "p_alive", "next_best_product")),
    ("04_clv", "next_best_product.parquet", ("next_best_product",)),
    ("05_response_model", "base_scores.parquet", ("score", "prob")),
)


def base_frame(bank, as_of, period_start=None) -> pd.DataFrame:
    """The as-of base from the contract tables: one row per customer with :data:`BASE_COLUMNS`.

    AUM and product balances of the last month-end on or before ``as_of`` (``has_<product>``: balance > 0),
    age and income from the customer master, opt-out flag, and the days from the last campaign contact
    to ``period_start`` (default: the day after ``as_of``). One DuckDB query per table; dates are bound
    parameters.
    """
    from .params import to_date

    as_of = to_date("as_of", as_of)
    start = to_date("period_start", period_start) if period_start is not None else as_of + _dt.timedelta(days=1)
    con = bank.con
    ccols = set(bank.columns.get("customers", []))
    sel = ["customer_id"]
    if "birth_date" in ccols:
        sel.append("date_diff('year', birth_date, ?::DATE) AS age")
    for c in ("income_monthly", "marketing_opt_out", "risk_appetite"):
        if c in ccols:
            sel.append(c)
    args = [as_of] if "birth_date" in ccols else []
    base = con.execute(f"SELECT {', '.join(sel)} FROM customers ORDER BY customer_id", args).df()
    if bank.has("monthly_balances"):
        bcols = set(bank.columns.get("monthly_balances", []))
        prods = [p for p in PRODUCT_BALANCE_COLUMNS if p in bcols]
        extra = [c for c in ("aum", "n_products") if c in bcols]
        cols = ", ".join(["customer_id"] + prods + extra)
        bal = con.execute(
            f"SELECT {cols} FROM monthly_balances WHERE month_end = "
            "(SELECT max(month_end) FROM monthly_balances WHERE month_end <= ?::DATE)", [as_of]).df()
        for p in prods:
            bal[f"has_{p}"] = bal[p].fillna(0) > 0
        base = base.merge(bal, on="customer_id", how="left")
        for p in prods:
            base[f"has_{p}"] = base[f"has_{p}"].fillna(False).astype(bool)
    if bank.has("campaigns"):
        last = con.execute("SELECT customer_id, max(contact_date) AS last_contact FROM campaigns "
                           "WHERE contact_date <= ?::DATE GROUP BY customer_id", [as_of]).df()
        base = base.merge(last, on="customer_id", how="left")
        base["days_since_last_contact"] = (pd.Timestamp(start) - pd.to_datetime(base["last_contact"])).dt.days
        base = base.drop(columns="last_contact")
    return base


def build_base(bank, as_of, *, reports_dir, period_start=None, include_scratch: bool = False,
               tag_rules: Mapping | None = None, cache=None) -> tuple[pd.DataFrame, list[str]]:
    """The base a strategy map is evaluated on, with earlier reports' artefacts joined by masked id.

    :func:`base_frame`, then the tags of ``01_profile`` (computed here with ``tag_rules`` when that report
    did not run for ``as_of``), segments of ``03``, CLV and next best product of ``04``, scores of ``05``
    (:data:`ARTIFACTS`, found with :func:`clientlens.report.find_artifact`). Returns the base (with
    ``customer_id`` and ``customer_id_masked``) and notes on what was absent. ``cache`` (a
    :class:`clientlens.cache.RunCache`): tags computed here come from the run cache (01's entries when
    01 stored them without its artefacts, or a re-run's).
    """
    from .privacy import MASKED_ID, mask_ids, masked_key
    from .report import find_artifact

    base = base_frame(bank, as_of, period_start)
    base[MASKED_ID] = mask_ids(base["customer_id"].to_numpy()).to_numpy()
    notes: list[str] = []
    found_tags = False
    for stem, fname, cols in ARTIFACTS:
        path = find_artifact(reports_dir, str(as_of), stem, fname, include_scratch=include_scratch)
        if path is None:
            continue
        art = pd.read_parquet(path)
        key = masked_key(art)
        keep = [c for c in (cols or art.columns) if c in art.columns and c not in ("customer_id", MASKED_ID)
                and c not in base.columns]
        if not keep:
            continue
        part = art[keep].copy()
        part[MASKED_ID] = key.to_numpy()
        base = base.merge(part.drop_duplicates(MASKED_ID), on=MASKED_ID, how="left")
        found_tags |= stem == "01_profile"
    base = _scan_artifacts(base, reports_dir, as_of, include_scratch)
    if not found_tags:
        from .features import build_wide_table
        from .tags import build_tags

        if cache is not None:
            tags = cache.wide_and_tags(as_of, rules=tag_rules)[1]
        else:
            tags = build_tags(build_wide_table(bank, as_of), tag_rules)
        keep = [c for c in tags.columns if c != "customer_id" and c not in base.columns]
        base = base.merge(tags[["customer_id"] + keep], on="customer_id", how="left")
        notes.append(t("No tag table of 01_profile for {as_of}: tags computed here with the default tag rules.",
                       as_of=as_of))
    absent: dict[str, list] = {}
    for col, stem in ARTIFACT_COLUMNS.items():
        if col not in base.columns:
            absent.setdefault(stem, []).append(col)
    for stem, cols in absent.items():
        notes.append(t("No {columns} from {report} for {as_of} (that report did not run for this date, or does not "
                       "produce them): strategies naming them select nobody, list order falls back.",
                       columns=", ".join(cols), report=stem, as_of=as_of))
    return base, notes


def list_checks(export: pd.DataFrame, smap: StrategyMap, result: Assignment, *, allow_raw_ids: bool = False
                ) -> list[dict]:
    """The report's checks of the exported lists (verdict rows for :func:`clientlens.report.show_verdicts`):
    no customer on two lists, a control group on every non-empty list, no empty list, no channel over its
    room, masked ids."""
    from .report import FAIL, PASS, WARN

    id_col = "customer_id" if allow_raw_ids else "customer_id_masked"
    dups = int(export[id_col].duplicated().sum())
    counts = export.groupby(["strategy", "group"]).size().unstack(fill_value=0).reindex(smap.names, fill_value=0)
    ctrl = counts["control"] if "control" in counts else pd.Series(0, index=counts.index)
    no_ctrl = [n for n in smap.names if ctrl[n] == 0 and counts.loc[n].sum() > 0]
    empty = [n for n in smap.names if counts.loc[n].sum() == 0]
    over = [c for c in result.channel_budget if result.channel_used[c] > result.channel_budget[c]]
    none = t("none")
    return [
        {"check": t("customers on more than one list"), "value": f"{dups:,}", "threshold": "0",
         "verdict": PASS if dups == 0 else FAIL},
        {"check": t("lists without a control group"), "value": ", ".join(no_ctrl) or none, "threshold": none,
         "verdict": PASS if not no_ctrl else FAIL},
        {"check": t("strategies with an empty list"), "value": ", ".join(empty) or none, "threshold": none,
         "verdict": PASS if not empty else WARN},
        {"check": t("channels over their room"), "value": ", ".join(value(c) for c in over) or none, "threshold": none,
         "verdict": PASS if not over else FAIL},
        {"check": t("ids in the export"), "value": t("raw") if allow_raw_ids else t("masked"), "threshold": t("masked"),
         "verdict": WARN if allow_raw_ids else PASS},
    ]


def channel_room(result: Assignment) -> pd.DataFrame:
    """Per capped channel: contacts available in the period, planned by the map, share used."""
    room = pd.DataFrame({"channel": list(result.channel_budget),
                         "contacts available in the period": list(result.channel_budget.values()),
                         "planned by the map": [result.channel_used[c] for c in result.channel_budget]})
    avail = room["contacts available in the period"]
    room["share used"] = room["planned by the map"] / avail.where(avail > 0)
    return room


def _scan_artifacts(base: pd.DataFrame, reports_dir, as_of, include_scratch: bool) -> pd.DataFrame:
    """Artefact columns still absent (e.g. ``next_best_product`` saved by 04 under another file name): taken
    from any Parquet file of that report's folder that has them and is keyed by customer."""
    import pyarrow.parquet as pq

    from . import config
    from .privacy import MASKED_ID, masked_key
    from .report import require_ended

    root = config.resolve(reports_dir)
    for stem in dict.fromkeys(ARTIFACT_COLUMNS.values()):
        want = [c for c, st in ARTIFACT_COLUMNS.items() if st == stem and c not in base.columns]
        if want:
            require_ended(stem)
        folders = [root / str(as_of) / f"{stem}_files"] + ([root / "_scratch" / stem] if include_scratch else [])
        for folder in folders:
            if not want or not folder.is_dir():
                continue
            for f in sorted(folder.glob("*.parquet")):
                names = set(pq.read_schema(f).names)
                cols = [c for c in want if c in names]
                key = [k for k in (MASKED_ID, "customer_id") if k in names]
                if not cols or not key:
                    continue
                art = pd.read_parquet(f, columns=key + cols)
                part = art[cols].copy()
                part[MASKED_ID] = masked_key(art).to_numpy()
                base = base.merge(part.drop_duplicates(MASKED_ID), on=MASKED_ID, how="left")
                want = [c for c in want if c not in cols]
    return base
