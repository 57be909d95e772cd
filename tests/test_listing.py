"""List-page discovery without running JavaScript."""

from crawler.listing import LinkRules, discover
from crawler.pagination import script_pages

HEURISTIC = LinkRules()


def test_month_relative_rows_with_dates_and_next_links() -> None:
    html = """<html><body><ul class="nav"><li><a href="/index.html">首页</a></li></ul>
    <ul><li><a href="./202411/t20241106_123.html" title="关于某某的通知">关于某某…</a><span>2024-11-06</span></li>
    <li><a href="../202410/t20241001_99.html">另一个通知</a> <span>2024年10月01日</span></li>
    <li><a href="./202411/P020241106.pdf">附件.pdf</a></li></ul>
    <a href="index_1.html">下一页</a><a href="index_9.html">尾页</a></body></html>"""
    listing = discover(html, "http://gov.cn/col/sub/index.html", rules=HEURISTIC)
    assert [(link.url, link.title, link.date) for link in listing.links] == [
        ("http://gov.cn/col/sub/202411/t20241106_123.html", "关于某某的通知", "2024-11-06"),
        ("http://gov.cn/col/202410/t20241001_99.html", "另一个通知", "2024-10-01"),
    ]
    assert listing.next_pages == ["http://gov.cn/col/sub/index_1.html", "http://gov.cn/col/sub/index_9.html"]


def test_trs_create_page_html() -> None:
    html = '<html><body><script>createPageHTML(4, 0, "index", "html");</script></body></html>'
    listing = discover(html, "http://a.gov.cn/zcwj/", rules=HEURISTIC)
    assert listing.next_pages == [f"http://a.gov.cn/zcwj/index_{i}.html" for i in (1, 2, 3)]


def test_beijing_pager() -> None:
    html = "<html><body><div class='changepage'><script>Pager({size:3, current:0, prefix:'index',suffix:'shtml'});</script></div></body></html>"
    listing = discover(html, "https://www.beijing.gov.cn/zhengce/zhengcefagui/index.html", rules=HEURISTIC)
    assert listing.next_pages == [
        "https://www.beijing.gov.cn/zhengce/zhengcefagui/index_1.shtml",
        "https://www.beijing.gov.cn/zhengce/zhengcefagui/index_2.shtml",
    ]


def test_document_write_lists() -> None:
    html = """<html><body><script>
    document.write('<li><a href="./202501/t20250102_5001.shtml" target="_blank">海淀区某某措施</a></li>');
    document.write("<li><a href=\\"./202501/t20250103_5002.shtml\\">另一措施</a></li>");
    </script></body></html>"""
    listing = discover(html, "https://zyk.bjhd.gov.cn/zwdt/zcwj/", rules=HEURISTIC)
    assert [link.url for link in listing.links] == [
        "https://zyk.bjhd.gov.cn/zwdt/zcwj/202501/t20250102_5001.shtml",
        "https://zyk.bjhd.gov.cn/zwdt/zcwj/202501/t20250103_5002.shtml",
    ]
    assert listing.links[0].title == "海淀区某某措施"


def test_redirect_shell() -> None:
    html = "<html><head><script>window.location.replace('./gongkai/zcwjk/');</script></head><body></body></html>"
    listing = discover(html, "https://www.bjsjs.gov.cn/", rules=HEURISTIC)
    assert listing.redirect == "https://www.bjsjs.gov.cn/gongkai/zcwjk/"


def test_allow_filter_and_duplicate_slashes() -> None:
    html = (
        '<html><body><a href="//affair/file/otherfile/0123456789abcdef0123456789abcdef.html">x</a>'
        '<a href="/other/202401/t20240101_1.html">y</a></body></html>'
    )
    listing = discover(
        html, "http://www.bjchy.gov.cn/affair/file/otherfile/", rules=LinkRules(allow=("/affair/file/",))
    )
    assert [link.url for link in listing.links] == [
        "http://www.bjchy.gov.cn/affair/file/otherfile/0123456789abcdef0123456789abcdef.html"
    ]
    html = '<html><body><a href="http://www.bjchy.gov.cn//affair/file/otherfile/0123456789abcdef0123456789abcdef.html">x</a></body></html>'
    listing = discover(
        html, "http://www.bjchy.gov.cn/affair/file/otherfile/", rules=LinkRules(allow=("/affair/file/",))
    )
    assert [link.url for link in listing.links] == [
        "http://www.bjchy.gov.cn/affair/file/otherfile/0123456789abcdef0123456789abcdef.html"
    ]


# --- the user's rules decide ------------------------------------------------------------------

_NON_TRS = """<html><body><div class="nav"><a href="/">首页</a><a href="/about.html">关于我们</a></div>
<ul class="list">
<li><a href="./guanyu-cujin-chanye-fazhan.html">关于促进产业发展的若干措施</a><span>2019-03-05</span></li>
<li><a href="/web/detail.jsp?id=4411">关于支持中小企业的通知</a><span>2021-07-01</span></li>
<li><a href="/art/2021/3/5/art_123_456.html">某区人才引进办法</a><span>2021-03-05</span></li>
<li><a href="/zcwj/content.shtml?id=77">某区数据管理规定</a><span>2022-01-10</span></li>
<li><a href="./P020240101.pdf">附件.pdf</a></li>
</ul>
<div class="page"><a href="index_1.html">2</a><a href="index_2.html">3</a><a href="index_1.html">下一页</a></div>
</body></html>"""


def test_allow_decides_even_for_urls_the_heuristic_would_drop() -> None:
    rules = LinkRules(allow=(r"guanyu|detail\.jsp\?id=|/art/\d{4}/|content\.shtml\?id=",))
    listing = discover(_NON_TRS, "http://qu.gov.cn/zcwj/index.html", rules=rules)
    assert [link.url for link in listing.links] == [
        "http://qu.gov.cn/zcwj/guanyu-cujin-chanye-fazhan.html",
        "http://qu.gov.cn/web/detail.jsp?id=4411",
        "http://qu.gov.cn/art/2021/3/5/art_123_456.html",
        "http://qu.gov.cn/zcwj/content.shtml?id=77",
    ]
    assert listing.links[0].date == "2019-03-05"
    # Other pages of the same list are pagination, never details, whatever allow says.
    assert listing.next_pages == ["http://qu.gov.cn/zcwj/index_1.html", "http://qu.gov.cn/zcwj/index_2.html"]
    assert ("http://qu.gov.cn/about.html", "not allowed") in listing.dropped


def test_an_allow_that_admits_list_pages_still_sees_them_as_pagination() -> None:
    listing = discover(_NON_TRS, "http://qu.gov.cn/zcwj/index.html", rules=LinkRules(allow=(r"/zcwj/",)))
    assert "http://qu.gov.cn/zcwj/index_1.html" not in [link.url for link in listing.links]
    assert "http://qu.gov.cn/zcwj/guanyu-cujin-chanye-fazhan.html" in [link.url for link in listing.links]


def test_heuristic_only_without_rules_and_drops_are_explained() -> None:
    html = _NON_TRS.replace(
        "</ul>", '<li><a href="http://other.example.com/202401/t20240101_1.html">外站</a></li></ul>'
    )
    listing = discover(html, "http://qu.gov.cn/zcwj/index.html", rules=HEURISTIC)
    assert [link.url for link in listing.links] == [
        "http://qu.gov.cn/web/detail.jsp?id=4411",
        "http://qu.gov.cn/art/2021/3/5/art_123_456.html",
        "http://qu.gov.cn/zcwj/content.shtml?id=77",
    ]
    dropped = dict(listing.dropped)
    assert dropped["http://qu.gov.cn/zcwj/guanyu-cujin-chanye-fazhan.html"] == "heuristic"
    assert dropped["http://other.example.com/202401/t20240101_1.html"] == "off-site"
    denied = discover(_NON_TRS, "http://qu.gov.cn/zcwj/index.html", rules=LinkRules(deny=(r"/art/",)))
    assert dict(denied.dropped)["http://qu.gov.cn/art/2021/3/5/art_123_456.html"] == "deny"


def test_a_list_selector_takes_its_rows_without_the_heuristic() -> None:
    listing = discover(_NON_TRS, "http://qu.gov.cn/zcwj/index.html", rules=LinkRules(selector="ul.list a"))
    assert len(listing.links) == 4 and listing.links[0].title == "关于促进产业发展的若干措施"


# --- pagination as gov sites write it ---------------------------------------------------------


def _pages(html: str, url: str) -> dict[str, str]:
    return discover(f"<html><body>{html}</body></html>", url, rules=HEURISTIC).page_how


def test_create_page_html_with_variables() -> None:
    html = """<script>var countPage = 4//共多少页
    var currentPage = 0;
    function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){}
    createPageHTML(countPage, currentPage, "index", "shtml");</script>"""
    assert _pages(html, "http://a.gov.cn/zcwj/") == {
        f"http://a.gov.cn/zcwj/index_{i}.shtml": "createPageHTML" for i in (1, 2, 3)
    }


def test_newer_trs_create_page_html_and_pager_with_variables() -> None:
    html = "<script>createPageHTML('page_div',3,1,'index','html',41);</script>"
    assert list(_pages(html, "http://a.gov.cn/zcwj/index_1.html")) == [
        "http://a.gov.cn/zcwj/index_2.html"  # page 1 is the current one
    ]
    html = "<script>var size = 3; Pager({size:size, current:0, prefix:'index', suffix:'html'});</script>"
    assert set(_pages(html, "http://a.gov.cn/zcwj/")) == {
        "http://a.gov.cn/zcwj/index_1.html",
        "http://a.gov.cn/zcwj/index_2.html",
    }


def test_query_page_numbers() -> None:
    for param in ("page", "pageNo", "pageNum"):
        html = f'<a href="list.jsp?cat=7&{param}=2">2</a><a href="list.jsp?cat=7&{param}=9">尾页</a><a href="list.jsp?cat=8&{param}=2">x</a>'
        pages = _pages(html, f"http://a.gov.cn/zw/list.jsp?cat=7&{param}=1")
        assert pages == {
            f"http://a.gov.cn/zw/list.jsp?cat=7&{param}=2": "页码链接",
            f"http://a.gov.cn/zw/list.jsp?cat=7&{param}=9": "下一页/尾页",
        }


def test_numbered_files_and_column_index_pages() -> None:
    assert _pages('<a href="2.html">2</a><a href="123456.html">某政策</a>', "http://a.gov.cn/col/1.html") == {
        "http://a.gov.cn/col/2.html": "页码链接"
    }
    assert _pages('<a href="2.html">2</a>', "http://a.gov.cn/col/index.html") == {
        "http://a.gov.cn/col/2.html": "页码链接"
    }
    assert _pages('<a href="zcwj-index-3.shtml">3</a>', "http://a.gov.cn/c/zcwj-index-2.shtml") == {
        "http://a.gov.cn/c/zcwj-index-3.shtml": "页码链接"
    }


def test_the_column_root_and_its_index_page_are_one_page() -> None:
    html = '<div class="nav"><a href="/zcwj/">政策文件</a></div><a href="index_1.html">2</a>'
    assert list(_pages(html, "http://a.gov.cn/zcwj/index.html")) == ["http://a.gov.cn/zcwj/index_1.html"]
    assert list(_pages('<a href="index.html">政策文件</a>', "http://a.gov.cn/zcwj/")) == []


def test_a_pager_series_is_the_same_from_every_page_of_its_list_and_resolved_against_its_own_folder() -> None:
    """The series is built once per list folder (issue #16: it was rebuilt on each of a library's
    hundreds of list pages); every page of the list, and only of that folder, gets the same links."""
    html = '<script>createPageHTML(600, 3, "index", "html");</script>'
    from_first = [p.url for p in script_pages(html, "http://127.0.0.1:9/lib/index.html")]
    from_later = [p.url for p in script_pages(html, "http://127.0.0.1:9/lib/index_7.html?x=1")]
    elsewhere = [p.url for p in script_pages(html, "http://127.0.0.1:9/other/index_2.html")]
    assert from_first == from_later and len(from_first) == 599
    assert from_first[0] == "http://127.0.0.1:9/lib/index_1.html" and from_first[-1].endswith("/lib/index_599.html")
    assert elsewhere[0] == "http://127.0.0.1:9/other/index_1.html"
