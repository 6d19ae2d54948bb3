"""Lesson Markdown is rendered with tables, code and admonitions, and nothing in it can run."""
from __future__ import annotations

import re

from courses.markdown import problems, render

HOSTILE = """# Pipeline

<script>alert('x')</script>
<img src="x" onerror="alert(1)">
<a href="#" onclick="steal()">click</a>
[bad link](javascript:alert(1))
[data link](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)
[vb](vbscript:msgbox)
![tracker](http://evil.example/pixel.png)
<iframe src="https://evil.example"></iframe>
<p style="background:url(javascript:alert(1))">styled</p>
[fine](https://example.com/guide) and [mail](mailto:help@example.com)
"""


def test_scripts_handlers_and_unsafe_links_are_inactive():
    html = render(HOSTILE)
    assert "<script" not in html and "alert('x')" not in html
    assert not re.search(r"\son[a-z]+\s*=", html)
    assert "javascript:" not in html and "vbscript:" not in html and "data:text/html" not in html
    assert "<iframe" not in html and "style=" not in html
    assert "http://evil.example" not in html
    assert '<a href="https://example.com/guide"' in html and 'href="mailto:help@example.com"' in html


def test_tables_code_and_admonitions_render():
    html = render("| a | b |\n|---|---|\n| 1 | 2 |\n\n```\ncode <b>x</b>\n```\n\n!!! tip \"In the CRM\"\n    Do it.\n")
    assert "<table>" in html and "<td>1</td>" in html
    assert "<pre><code>code &lt;b&gt;x&lt;/b&gt;" in html
    assert '<div class="admonition tip">' in html and '<p class="admonition-title">In the CRM</p>' in html


def test_images_only_from_this_site_or_https():
    html = render("![a](/static/a.png) ![b](https://cdn.example/b.png) ![c](http://cdn.example/c.png)")
    assert 'src="/static/a.png"' in html and 'src="https://cdn.example/b.png"' in html
    assert "http://cdn.example/c.png" not in html


def test_problems_name_the_line():
    found = dict(problems(HOSTILE))
    assert "raw HTML <script>" in found[3]
    assert "javascript:" in found[6] and "data:" in found[7]
    assert "must be https" in found[9]
    assert 12 not in found  # https and mailto links are fine
    assert problems("```\n<script>in a code block</script>\n```\nand `<b>` inline\n") == []
