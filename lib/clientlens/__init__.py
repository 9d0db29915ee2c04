"""ClientLens: a notebook-based workbench for retail-bank customer insight and precision marketing."""
from __future__ import annotations

__version__ = "0.1.0"


class ClientLensError(Exception):
    """A problem the user can fix (bad input, bad params). Its message is one line."""


class DataError(ClientLensError):
    """Bad input data: the message names the file, the column and the problem."""


class ParamsError(ClientLensError):
    """Bad parameters: the message names the key and lists the valid ones."""
