"""Chinese labels render with a real glyph (no 'Glyph ... missing from font(s)' warning)."""
from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")


def test_chinese_category_labels_render_without_missing_glyphs(tmp_path):
    import matplotlib.pyplot as plt

    from clientlens.plots import CJK_FONT_NAME

    assert CJK_FONT_NAME, "the CJK fallback font (mplfonts) is not installed"
    fig, ax = plt.subplots()
    ax.barh(["上海", "稳健型", "退休", "Beijing"], [3, 2, 1, 4])
    ax.set_title("客户画像 by city")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph ... missing from font(s)"
        fig.savefig(tmp_path / "cjk.png")
    plt.close(fig)
    assert (tmp_path / "cjk.png").stat().st_size > 1000
