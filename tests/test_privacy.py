"""Pseudonymised ids with a secret key (issue 11, item 2): HMAC-SHA256, key never a parameter.

Reference: RFC 2104 / FIPS 198-1 HMAC, computed here with Python's ``hmac`` (the recipe the README gives
the bank's own systems to map a mask back).
"""
from __future__ import annotations

import hashlib
import hmac
import os
import stat
from pathlib import Path

import pytest

from clientlens import ClientLensError
from clientlens import privacy
from clientlens.privacy import id_key, mask_ids


def _hmac_mask(key: str, cid: str) -> str:
    return "K-" + hmac.new(key.encode(), cid.encode(), hashlib.sha256).hexdigest()[:12]


def test_masks_are_hmac_sha256_of_the_raw_id_with_the_key_rfc2104():
    key = os.environ["CLIENTLENS_ID_KEY"]
    assert mask_ids(["C00000001", "O'Brien"]).tolist() == [_hmac_mask(key, "C00000001"), _hmac_mask(key, "O'Brien")]


def test_same_key_same_masks_another_key_unlinkable(monkeypatch):
    ids = [f"C{i:08d}" for i in range(200)]
    first = mask_ids(ids).tolist()
    assert mask_ids(ids).tolist() == first                    # stable across calls (and runs)
    monkeypatch.setenv("CLIENTLENS_ID_KEY", "another-key-of-enough-length-42")
    other = mask_ids(ids).tolist()
    assert not set(first) & set(other)                        # nothing links the two
    assert len(set(other)) == len(ids)


def test_key_file_is_created_on_first_use_with_mode_0600(tmp_path, monkeypatch):
    path = tmp_path / "cfg" / "clientlens" / "id_key"
    monkeypatch.delenv("CLIENTLENS_ID_KEY")
    monkeypatch.setenv("CLIENTLENS_ID_KEY_FILE", str(path))
    key = id_key()
    assert path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(key) == 64 and int(key, 16) >= 0                # 32 random bytes, hex
    assert id_key() == key                                    # read back, not regenerated
    assert mask_ids(["C1"]).tolist() == [_hmac_mask(key.decode(), "C1")]


def test_default_key_file_is_in_the_users_config_not_the_project(monkeypatch):
    from clientlens import config

    monkeypatch.delenv("CLIENTLENS_ID_KEY_FILE")
    p = privacy.key_path()
    assert p == (Path.home() / ".config" / "clientlens" / "id_key").resolve()
    assert config.PROJECT_ROOT not in p.parents


def test_tests_never_touch_the_real_home_key_file():
    assert os.environ.get("CLIENTLENS_ID_KEY") and os.environ.get("CLIENTLENS_ID_KEY_FILE")
    assert privacy.key_path() != (Path.home() / ".config" / "clientlens" / "id_key").resolve()


@pytest.mark.parametrize("value, fragment", [("", "is empty"), ("   ", "is empty"), ("short-key", "too short")])
def test_empty_or_short_keys_are_refused_in_one_line(monkeypatch, value, fragment):
    monkeypatch.setenv("CLIENTLENS_ID_KEY", value)
    with pytest.raises(ClientLensError, match=fragment) as info:
        mask_ids(["C1"])
    assert "\n" not in str(info.value) and (not value.strip() or value not in str(info.value))


def test_a_key_file_inside_the_project_is_refused(monkeypatch):
    from clientlens import config

    monkeypatch.delenv("CLIENTLENS_ID_KEY")
    monkeypatch.setenv("CLIENTLENS_ID_KEY_FILE", str(config.PROJECT_ROOT / "id_key"))
    with pytest.raises(ClientLensError, match="must lie outside the project folder"):
        id_key()
    assert not (config.PROJECT_ROOT / "id_key").exists()


def test_prepared_hmac_equals_the_standard_library_for_short_long_and_block_sized_keys():
    """Reference: hmac.new (RFC 2104), incl. keys longer than SHA-256's 64-byte block (hashed first)."""
    import hashlib
    import hmac

    from clientlens.privacy import _hmac_sha256

    for key in (b"k" * 16, b"x" * 64, b"y" * 65, b"z" * 200):
        mac = _hmac_sha256(key)
        for msg in (b"", b"C00000001", "客户-7".encode("utf-8"), b"a" * 1000):
            assert mac(msg) == hmac.new(key, msg, hashlib.sha256).hexdigest()


def test_masks_remembered_in_the_process_equal_fresh_hmacs_per_key_and_length():
    """Reference: HMAC-SHA256 by the standard library. A second call with the same ids is served from the
    process's memo; another key or length is never served from it."""
    ids = [f"C{i:06d}" for i in range(2_000)]
    k1, k2 = b"a-key-of-sixteen-chars", b"another-key-sixteen-c"
    for key, n in ((k1, 12), (k1, 12), (k2, 12), (k1, 8), (k1, 12)):
        got = mask_ids(ids[::-1], n, key=key)
        assert got.tolist() == [_hmac_mask(key.decode(), i)[:2 + n] for i in ids[::-1]]
    assert privacy._MASKED["tag"] == (hashlib.sha256(k1).digest(), 12) and len(privacy._MASKED["ids"]) == 2_000
    assert k1 not in privacy._MASKED["tag"]


@pytest.mark.parametrize("length", [12, 20])
def test_masks_hashed_in_duckdb_equal_hmac_sha256_rfc2104_and_mask_ids(length):
    # the run cache masks the whole base in DuckDB: the same digests as the standard library's HMAC, for a
    # short key, a key longer than SHA-256's 64-byte block (hashed first, RFC 2104) and non-ASCII ids
    import duckdb

    ids = ["C00000001", "O'Brien", "客户-0042", " padded ", "C00000001"]
    con = duckdb.connect()
    con.execute("CREATE TABLE people (\"customer id\" VARCHAR)")
    con.executemany("INSERT INTO people VALUES (?)", [[i] for i in ids + [None]])
    for key in (b"k" * 32, b"long-key-" * 10):
        privacy._MASKED.update(tag=None, ids={})
        raw, masked = privacy.mask_ids_in_duckdb(con, "people", "customer id", length, key=key)
        assert raw.tolist() == sorted(set(ids))            # distinct, sorted, NULL left out
        assert masked.tolist() == ["K-" + hmac.new(key, i.encode(), hashlib.sha256).hexdigest()[:length] for i in raw]
        assert privacy._MASKED["ids"] == dict(zip(raw, masked))   # mask_ids then finds them
        assert mask_ids(raw, length, key=key).tolist() == masked.tolist()
    with pytest.raises(ValueError, match="length must be between 1 and 64; got 0"):
        privacy.mask_ids_in_duckdb(con, "people", "customer id", 0, key=b"k" * 32)
