"""Shared fixtures: cached demo banks generated once per (size, seed).

Demo banks are generated into ``tests/.cache/demo_<n>_<seed>_<generator hash>`` on first use and
reused by every test and xdist worker afterwards (atomic rename, so two workers
racing to generate never see a half-written folder).
"""
from __future__ import annotations

from pathlib import Path

import os
import tempfile

import pytest

# Masked ids are keyed with a secret (clientlens.privacy): tests never touch the real key file in the
# user's home. A fixed test key (identical in every xdist worker, so cached reports join) comes from
# the environment; tests of the key file itself point CLIENTLENS_ID_KEY_FILE at a tmp path.
os.environ["CLIENTLENS_ID_KEY"] = "test-key-0123456789abcdef-not-a-real-secret"
os.environ["CLIENTLENS_ID_KEY_FILE"] = os.path.join(tempfile.mkdtemp(prefix="clientlens-test-key-"), "id_key")
TEST_ID_KEY = os.environ["CLIENTLENS_ID_KEY"]
# the loader's check memo (clientlens.loadmemo) lives in a tmp folder of the test run, never the user's cache
os.environ["CLIENTLENS_LOAD_MEMO"] = tempfile.mkdtemp(prefix="clientlens-test-load-memo-")

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(__file__).resolve().parent / ".cache"


def cached_demo(n_customers: int, seed: int) -> Path:
    """A demo bank of ``n_customers`` with ``seed``; generated once, then reused."""
    from clientlens.demo import cached_demo as demo_in_cache

    return demo_in_cache(CACHE, n_customers, seed)


@pytest.hookimpl(tryfirst=True)   # before pytest-xdist's own hook reads the xdist_group marks added here
def pytest_collection_modifyitems(config, items):
    """Longest first: the tests marked ``slow`` before the rest, those with the largest ``slow(seconds=...)``
    (their typical duration on two cores, used for this order alone) first of all. With ``--dist loadgroup``
    (``make test``) each test is handed to whichever worker is free, so the two workers start on the long
    end-to-end runs and end together on short tests, instead of one ending alone on a five-minute run.
    The tests on the session's local Spark (fixture ``spark``) form one group, run by one worker: one JVM
    started and warmed up instead of one per worker."""
    def expected_seconds(item) -> float:
        mark = item.get_closest_marker("slow")
        return 0.0 if mark is None else float(mark.kwargs.get("seconds", 20))

    items.sort(key=expected_seconds, reverse=True)     # stable: the collection order among equals
    for item in items:
        if "spark" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("spark"))


@pytest.fixture(scope="session")
def demo_small() -> Path:
    """3,000 customers, seed 7: fast, for notebook runs and smoke tests."""
    return cached_demo(3_000, 7)


@pytest.fixture(scope="session")
def demo_medium() -> Path:
    """20,000 customers, seed 42 (the default demo): for planted-truth recovery tests."""
    return cached_demo(20_000, 42)
