"""One definition of the customer activity counts every report shows.

Several reports count "customers without transactions", "active" and "dormant" customers. They must
give the same number for the same name, and a different name where the definition differs:

* **without any transaction**: no transaction row in either direction up to the as-of date (00).
* **without outgoing transactions**: no ``direction = 'out'`` row up to the as-of date. The CLV
  transaction models (04) count only customer-initiated outgoing payments, so salary-only customers
  are in this count but not in the one above.
* **active**: at least one outgoing transaction in the last ``dormant_days`` days up to the as-of date.
* **dormant**: no outgoing transaction in the last ``dormant_days`` days (including never). The
  lifecycle stage "dormant" (01) is this count minus the customers in the contact stage (tenure below
  ``contact_days``), since the lifecycle rules test the contact stage first.

``active + dormant`` is every customer of the master; ``without any transaction`` is a subset of
``without outgoing transactions``, which is a subset of ``dormant``.
"""
from __future__ import annotations

import datetime as _dt

import pandas as pd

from .i18n import t
from .params import to_date, require

__all__ = ["ACTIVITY_COUNTS", "activity_counts", "without_label"]

#: name -> definition (the sentence a report shows beside the count)
ACTIVITY_COUNTS: dict[str, str] = {
    "customers": "customers in the customer master",
    "without any transaction": "no transaction row in either direction up to the as-of date",
    "without outgoing transactions": "no 'out' transaction up to the as-of date (the CLV models count only "
                                     "outgoing payments: salary-only customers are here, not above)",
    "active": "at least one 'out' transaction in the last {dormant_days} days",
    "dormant": "no 'out' transaction in the last {dormant_days} days, including never (the lifecycle stage "
               "'dormant' also excludes customers in the contact stage)",
}


def activity_counts(bank, as_of, dormant_days: int = 180) -> pd.DataFrame:
    """The shared activity counts of the customer master as of a date.

    Parameters
    ----------
    bank : clientlens.data.BankData
        Loaded bank; ``customers`` is required, ``transactions`` optional (absent: nobody transacted).
    as_of : date or str
        Transactions dated after it are ignored.
    dormant_days : int
        Window of the active / dormant split, days (the lifecycle rule's ``dormant_days``).

    Returns
    -------
    pandas.DataFrame
        Columns ``count`` (the names of :data:`ACTIVITY_COUNTS`, in that order), ``customers``,
        ``share`` (of the master) and ``definition`` (in the report's language; the names stay English).
    """
    require("dormant_days", dormant_days, min=1)
    day = to_date("as_of", as_of)
    since = day - _dt.timedelta(days=int(dormant_days) - 1)
    if bank.has("transactions"):
        n, none_any, none_out, active = bank.con.execute(
            "WITH t AS (SELECT customer_id, count(*) AS n_any, "
            "count(*) FILTER (WHERE direction = 'out') AS n_out, "
            "count(*) FILTER (WHERE direction = 'out' AND txn_date >= CAST(? AS DATE)) AS n_recent "
            "FROM transactions WHERE txn_date <= CAST(? AS DATE) GROUP BY customer_id) "
            "SELECT count(*), count(*) FILTER (WHERE coalesce(t.n_any, 0) = 0), "
            "count(*) FILTER (WHERE coalesce(t.n_out, 0) = 0), count(*) FILTER (WHERE coalesce(t.n_recent, 0) > 0) "
            "FROM customers c LEFT JOIN t ON c.customer_id = t.customer_id",
            [since.isoformat(), day.isoformat()]).fetchone()
    else:
        n = int(bank.con.execute("SELECT count(*) FROM customers").fetchone()[0])
        none_any, none_out, active = n, n, 0
    values = {"customers": n, "without any transaction": none_any, "without outgoing transactions": none_out,
              "active": active, "dormant": n - active}
    return pd.DataFrame({
        "count": list(ACTIVITY_COUNTS),
        "customers": [int(values[k]) for k in ACTIVITY_COUNTS],
        "share": [values[k] / n if n else 0.0 for k in ACTIVITY_COUNTS],
        "definition": [t(d, dormant_days=int(dormant_days)) for d in ACTIVITY_COUNTS.values()]})


def without_label(directions=("out",), categories=None) -> str:
    """The name of the count of customers a transaction filter leaves out (e.g. 04's CLV inputs).

    ``directions=('out',)`` and no category filter give ``"without outgoing transactions"`` (the
    shared definition); any other filter gets a name that says what it counts.
    """
    dirs = sorted(set(directions or ("in", "out")))
    if categories:
        return f"without {'/'.join(dirs)} transactions in {', '.join(map(str, categories))}"
    if dirs == ["in", "out"]:
        return "without any transaction"
    return "without outgoing transactions" if dirs == ["out"] else f"without {'/'.join(dirs)} transactions"
