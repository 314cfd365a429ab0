"""HTML posts: visible text, hashtags, alt text and link targets are kept; markup and scripts are not."""
from auditor.engine.text import html_to_text


def test_html_extraction():
    html = ('<div><p>Love my <b>new</b> serum! <a href="https://rstyle.me/abc">shop</a></p>'
            '<img src="x.jpg" alt="Ad: Glowlab serum"><script>var ad = 1;</script>'
            '<p>#ad&nbsp;#skincare<br>line two</p></div>')
    text, links = html_to_text(html)
    assert "Love my new serum! shop" in text
    assert "Ad: Glowlab serum" in text
    assert "#ad #skincare\nline two" in text
    assert "var ad" not in text
    assert links == ["https://rstyle.me/abc"]


def test_html_post_is_audited_with_its_links(audit):
    html = '<p>My favourite bag <a href="https://www.amazon.com/dp/B01?tag=me-20">here</a></p>'
    v = audit(html=html, countries=["US"], platform="blog")
    assert v.status == "violation"
    assert any(e.kind == "affiliate" for e in v.connection.detected)
