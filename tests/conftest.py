"""Shared fixtures: cached demo banks generated once per (size, seed).

Demo banks are generated into ``tests/.cache/demo_<n>_<seed>_<generator hash>`` on first use and
reused by every test and xdist worker afterwards (atomic rename, so two workers
racing to generate never see a half-written folder).
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(__file__).resolve().parent / ".cache"


def cached_demo(n_customers: int, seed: int) -> Path:
    """A demo bank of ``n_customers`` with ``seed``; generated once, then reused."""
    from clientlens.demo import generate_demo, generator_version

    # keyed by the generator's source hash: a changed generator never reuses a stale bank
    final = CACHE / f"demo_{n_customers}_{seed}_{generator_version()}"
    if (final / ".complete").exists():
        return final
    CACHE.mkdir(parents=True, exist_ok=True)
    for old in [CACHE / f"demo_{n_customers}_{seed}", *CACHE.glob(f"demo_{n_customers}_{seed}_*")]:
        if old != final and old.exists():
            shutil.rmtree(old, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp_demo_{n_customers}_{seed}_", dir=CACHE))
    generate_demo(tmp, n_customers=n_customers, seed=seed, progress=False)
    (tmp / ".complete").write_text("ok")
    try:
        os.rename(tmp, final)
    except OSError:  # another worker won the race
        shutil.rmtree(tmp, ignore_errors=True)
    return final


@pytest.fixture(scope="session")
def demo_small() -> Path:
    """3,000 customers, seed 7: fast, for notebook runs and smoke tests."""
    return cached_demo(3_000, 7)


@pytest.fixture(scope="session")
def demo_medium() -> Path:
    """20,000 customers, seed 42 (the default demo): for planted-truth recovery tests."""
    return cached_demo(20_000, 42)
