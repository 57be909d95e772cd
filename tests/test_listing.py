"""List-page discovery without running JavaScript."""

from crawler.listing import discover


def allow_all(_url: str) -> bool:
    return True


def test_month_relative_rows_with_dates_and_next_links() -> None:
    html = """<html><body><ul class="nav"><li><a href="/index.html">首页</a></li></ul>
    <ul><li><a href="./202411/t20241106_123.html" title="关于某某的通知">关于某某…</a><span>2024-11-06</span></li>
    <li><a href="../202410/t20241001_99.html">另一个通知</a> <span>2024年10月01日</span></li>
    <li><a href="./202411/P020241106.pdf">附件.pdf</a></li></ul>
    <a href="index_1.html">下一页</a><a href="index_9.html">尾页</a></body></html>"""
    listing = discover(html, "http://gov.cn/col/sub/index.html", allows=allow_all)
    assert [(link.url, link.title, link.date) for link in listing.links] == [
        ("http://gov.cn/col/sub/202411/t20241106_123.html", "关于某某的通知", "2024-11-06"),
        ("http://gov.cn/col/202410/t20241001_99.html", "另一个通知", "2024-10-01"),
    ]
    assert listing.next_pages == ["http://gov.cn/col/sub/index_1.html", "http://gov.cn/col/sub/index_9.html"]


def test_trs_create_page_html() -> None:
    html = '<html><body><script>createPageHTML(4, 0, "index", "html");</script></body></html>'
    listing = discover(html, "http://a.gov.cn/zcwj/", allows=allow_all)
    assert listing.next_pages == [f"http://a.gov.cn/zcwj/index_{i}.html" for i in (1, 2, 3)]


def test_beijing_pager() -> None:
    html = "<html><body><div class='changepage'><script>Pager({size:3, current:0, prefix:'index',suffix:'shtml'});</script></div></body></html>"
    listing = discover(html, "https://www.beijing.gov.cn/zhengce/zhengcefagui/index.html", allows=allow_all)
    assert listing.next_pages == [
        "https://www.beijing.gov.cn/zhengce/zhengcefagui/index_1.shtml",
        "https://www.beijing.gov.cn/zhengce/zhengcefagui/index_2.shtml",
    ]


def test_document_write_lists() -> None:
    html = """<html><body><script>
    document.write('<li><a href="./202501/t20250102_5001.shtml" target="_blank">海淀区某某措施</a></li>');
    document.write("<li><a href=\\"./202501/t20250103_5002.shtml\\">另一措施</a></li>");
    </script></body></html>"""
    listing = discover(html, "https://zyk.bjhd.gov.cn/zwdt/zcwj/", allows=allow_all)
    assert [link.url for link in listing.links] == [
        "https://zyk.bjhd.gov.cn/zwdt/zcwj/202501/t20250102_5001.shtml",
        "https://zyk.bjhd.gov.cn/zwdt/zcwj/202501/t20250103_5002.shtml",
    ]
    assert listing.links[0].title == "海淀区某某措施"


def test_redirect_shell() -> None:
    html = "<html><head><script>window.location.replace('./gongkai/zcwjk/');</script></head><body></body></html>"
    listing = discover(html, "https://www.bjsjs.gov.cn/", allows=allow_all)
    assert listing.redirect == "https://www.bjsjs.gov.cn/gongkai/zcwjk/"


def test_allow_filter_and_duplicate_slashes() -> None:
    html = (
        '<html><body><a href="//affair/file/otherfile/0123456789abcdef0123456789abcdef.html">x</a>'
        '<a href="/other/202401/t20240101_1.html">y</a></body></html>'
    )
    listing = discover(html, "http://www.bjchy.gov.cn/affair/file/otherfile/", allows=lambda u: "/affair/file/" in u)
    assert [link.url for link in listing.links] == [
        "http://www.bjchy.gov.cn/affair/file/otherfile/0123456789abcdef0123456789abcdef.html"
    ]
    html = '<html><body><a href="http://www.bjchy.gov.cn//affair/file/otherfile/0123456789abcdef0123456789abcdef.html">x</a></body></html>'
    listing = discover(html, "http://www.bjchy.gov.cn/affair/file/otherfile/", allows=lambda u: "/affair/file/" in u)
    assert [link.url for link in listing.links] == [
        "http://www.bjchy.gov.cn/affair/file/otherfile/0123456789abcdef0123456789abcdef.html"
    ]
