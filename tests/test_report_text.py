"""The checks of issue 17's done-means test (tests/report_text.py) on hand-written pages: each can fail."""
from __future__ import annotations

from report_text import english_in_zh, report_problems, visible_text

PAGE = """<html><head><title>Report title words here</title><style>p { color: red } /* https://cdn.example */</style>
<script>var a = "some script words here";</script></head><body>
<h2 id="x">客户分群<a class="anchor-link" href="#x">¶</a></h2>
<p>全体客户分为 6 个客群，结果保存为 segments.parquet；参数 <code>k_rule is not read</code>。</p>
<table class="clientlens-glossary"><tbody><tr><td>general_win_back</td><td>一般挽留客户</td></tr></tbody></table>
<div class="jp-Cell celltag_clientlens-provenance"><table><thead><tr><th>参数</th><th>取值</th></tr></thead>
<tbody><tr><td>data_dir</td><td>/tmp/some folder with words</td></tr></tbody></table>
<table><thead><tr><th>中间结果</th><th>状态</th></tr></thead><tbody><tr><td>customer wide table as of</td><td>复用</td></tr>
</tbody></table></div>
</body></html>"""


def test_visible_text_leaves_out_styles_scripts_code_anchors_glossary_keys_and_raw_provenance_values():
    text = visible_text(PAGE)
    assert "客户分群" in text and "segments.parquet" in text and "customer wide table as of" in text
    for hidden in ("Report title", "color: red", "script words", "k_rule", "¶", "general_win_back", "data_dir",
                   "some folder"):
        assert hidden not in text, hidden


def test_english_in_zh_finds_sentences_and_snake_case_headers_but_not_names_numbers_or_files():
    found = english_in_zh(PAGE)
    assert found == ["English: 'customer wide table as of'"]
    page = ("<table><thead><tr><th>aum_share</th><th>AUM 占比</th></tr></thead></table>"
            "<p>Calinski-Harabasz, Davies-Bouldin 指数；clv.parquet；3de9cbcf11；1,234.5 元；BG/NBD；k = 6</p>")
    assert english_in_zh(page) == ["snake_case header: 'aum_share'"]


def test_report_problems_finds_literal_markdown_and_external_urls_not_css_comments():
    assert report_problems(PAGE) == []
    bad = ("<p>**Target.** text</p><p>## 2. Heading</p><p>see `param`</p>"
           "<script src='https://cdn.example/require.js'></script><div style=\"background: url('//x.example/a.png')\">"
           "</div><link href=\"http://fonts.example/css\">")
    found = report_problems(bad)
    assert sum(f.startswith("literal markdown") for f in found) == 3
    assert sum(f.startswith("external URL") for f in found) == 3


def test_english_inside_the_analysts_own_param_text_is_not_a_missing_translation():
    from report_text import english_in_zh, user_texts

    own = user_texts({"common": {"x": 1}, "06": {"evaluation_model": "the bank's earlier campaign model (demo)",
                                                  "card": {"intended_use": ["rank eligible customers by score"]}}})
    page = ("<html><body><p>模型组：the bank's earlier campaign model (demo)</p>"
            "<p>用途：rank eligible customers by score</p><p>but this English sentence stays</p></body></html>")
    assert english_in_zh(page) and english_in_zh(page, own) == ["English: 'but this English sentence stays'"]
