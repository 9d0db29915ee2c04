"""Plotting helpers, one module per report area; every function takes ax=None and returns the axes."""
