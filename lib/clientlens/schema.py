"""The data contract: canonical tables, columns and types.

This module is the single source of truth for the contract described in
``docs/data-contract.md``. The loader (:mod:`clientlens.data`) validates bank
extracts against it and the demo generator (:mod:`clientlens.demo`) writes
tables that satisfy it.

Column kinds
------------
``id``        customer or record identifier, read as string
``date``      calendar date (``YYYY-MM-DD`` in CSV)
``number``    numeric amount or rate (float)
``int``       integer count
``bool``      0/1 or true/false flag
``category``  short text label (any language, e.g. Chinese values survive)
``text``      free text
PII columns (``pii=True``) are personal data: the loader drops them unless
``allow_pii`` is set, and reports never show them.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    """One column of the contract."""

    name: str
    kind: str
    required: bool = True
    nullable: bool = False
    pii: bool = False
    description: str = ""


@dataclass(frozen=True)
class Table:
    """One table of the contract."""

    name: str
    columns: tuple[Column, ...]
    required: bool = True
    key: tuple[str, ...] = ()
    description: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"table {self.name!r} has no column {name!r}")


C = Column

CUSTOMERS = Table(
    "customers",
    (
        C("customer_id", "id", description="unique customer number (raw identifier: never shown in reports)"),
        C("name", "text", required=False, nullable=True, pii=True, description="customer name"),
        C("phone", "text", required=False, nullable=True, pii=True, description="mobile phone number"),
        C("id_number", "text", required=False, nullable=True, pii=True, description="national ID number"),
        C("birth_date", "date", nullable=True, description="date of birth"),
        C("gender", "category", required=False, nullable=True, description="F / M"),
        C("education", "category", required=False, nullable=True,
          description="high_school / college / bachelor / postgraduate"),
        C("occupation", "category", required=False, nullable=True,
          description="employee / civil_servant / professional / business_owner / retired / student / other"),
        C("income_monthly", "number", required=False, nullable=True, description="declared monthly income, CNY"),
        C("city", "category", required=False, nullable=True, description="city of residence"),
        C("open_date", "date", description="date the relationship was opened"),
        C("risk_appetite", "category", required=False, nullable=True,
          description="conservative / balanced / aggressive"),
        C("payroll_flag", "bool", required=False, description="salary paid through this bank (代发薪)"),
        C("channel_mobile", "bool", required=False, description="mobile app user"),
        C("channel_online", "bool", required=False, description="online banking user"),
        C("channel_phone", "bool", required=False, description="phone banking user"),
        C("channel_branch", "bool", required=False, description="branch visitor in the last year"),
        C("marketing_opt_out", "bool", required=False, description="customer refused marketing contact"),
    ),
    key=("customer_id",),
    description="customer master, one row per customer",
)

MONTHLY_BALANCES = Table(
    "monthly_balances",
    (
        C("customer_id", "id"),
        C("month_end", "date", description="last calendar day of the month"),
        C("demand_deposit", "number", description="demand (current) deposit balance, CNY"),
        C("time_deposit", "number", description="time deposit balance, CNY"),
        C("wealth_mgmt", "number", description="wealth-management products, CNY"),
        C("fund", "number", description="mutual funds, CNY"),
        C("insurance", "number", description="insurance cash value, CNY"),
        C("loan", "number", required=False, description="outstanding loan balance, CNY"),
        C("credit_card", "number", required=False, description="outstanding credit card balance, CNY"),
        C("aum", "number", description="assets under management = deposits + wealth + fund + insurance"),
        C("n_products", "int", required=False, description="number of products held"),
        C("auto_sweep", "bool", required=False, description="automatic sweep of funds from other banks in place"),
        C("auto_debit", "bool", required=False, description="auto-debit / withholding service in place"),
        C("payroll_amount", "number", required=False, nullable=True,
          description="salary credited this month, CNY (empty when no payroll)"),
        C("payroll_retention", "number", required=False, nullable=True,
          description="share of this month's salary still held at month end (0-1; empty when no payroll)"),
    ),
    key=("customer_id", "month_end"),
    required=False,
    description="month-end snapshot of balances and product holdings, one row per customer and month",
)

TRANSACTIONS = Table(
    "transactions",
    (
        C("txn_id", "id", required=False, description="transaction reference"),
        C("customer_id", "id"),
        C("txn_date", "date"),
        C("amount", "number", description="absolute amount, CNY; direction gives the sign"),
        C("direction", "category", description="in / out"),
        C("channel", "category", required=False, nullable=True,
          description="mobile / online / phone / branch / atm / pos"),
        C("category", "category", required=False, nullable=True,
          description="consumption / transfer / salary / wealth_purchase / wealth_redemption / fx_purchase / "
                      "loan_repayment / other"),
    ),
    key=("txn_id",),
    description="account transactions, one row per transaction",
)

CAMPAIGNS = Table(
    "campaigns",
    (
        C("campaign_id", "id"),
        C("customer_id", "id"),
        C("contact_date", "date"),
        C("channel", "category", required=False, nullable=True, description="sms / phone / app / rm"),
        C("group", "category", description="model (model-selected list) / control (non-model group)"),
        C("response", "int", nullable=True, description="1 responded, 0 did not (empty: not yet known)"),
        C("product", "category", required=False, nullable=True, description="product offered"),
    ),
    key=("campaign_id", "customer_id"),
    required=False,
    description="campaign contact history, one row per customer contacted in a campaign",
)

HOLDINGS = Table(
    "holdings",
    (
        C("holding_id", "id", required=False, description="account or contract reference"),
        C("customer_id", "id"),
        C("product", "category", description="product, one of the monthly_balances product columns "
                                             "(demand_deposit / time_deposit / wealth_mgmt / fund / insurance / "
                                             "loan / credit_card)"),
        C("amount", "number", description="principal or balance held, CNY (card: credit limit or balance)"),
        C("open_date", "date", description="date the holding was opened"),
        C("maturity_date", "date", nullable=True,
          description="maturity (time deposit, wealth product, loan) or expiry (card) date; empty when none"),
    ),
    key=("holding_id",),
    required=False,
    description="product holdings as of the as-of date, one row per account or contract (optional: the "
                "maturity and card-expiry event rules need it)",
)

TABLES: dict[str, Table] = {t.name: t for t in (CUSTOMERS, MONTHLY_BALANCES, TRANSACTIONS, CAMPAIGNS, HOLDINGS)}

PII_COLUMNS: frozenset[str] = frozenset(
    c.name for t in TABLES.values() for c in t.columns if c.pii
)

# Controlled vocabularies used by the demo generator and by tag rules.
DIRECTIONS = ("in", "out")
TXN_CHANNELS = ("mobile", "online", "phone", "branch", "atm", "pos")
TXN_CATEGORIES = (
    "consumption", "transfer", "salary", "wealth_purchase", "wealth_redemption",
    "fx_purchase", "loan_repayment", "other",
)
PRODUCT_BALANCE_COLUMNS = ("demand_deposit", "time_deposit", "wealth_mgmt", "fund", "insurance", "loan", "credit_card")
AUM_COLUMNS = ("demand_deposit", "time_deposit", "wealth_mgmt", "fund", "insurance")
