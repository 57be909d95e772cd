"""Generic government-page extraction on pages in the styles these sites use."""

import pytest

from monitor.extract import ExtractError, detect_block_page, extract_page


def page(head: str = "", body: str = "") -> str:
    return f"<html><head>{head}</head><body>{body}</body></html>"


def test_meta_tags_in_any_attribute_order_and_case() -> None:
    html = page(
        '<meta content="关于支持某产业的若干措施" name="ArticleTitle" />'
        '<meta NAME="PubDate" content="2025-07-14 01:59">'
        '<meta name="contentsource" content="北京市某某局">'
        '<meta name="keywords" content="seo words"><meta name="Keywords" content="政策,措施">',
        '<div class="TRS_Editor"><p>第一条 内容。</p></div>',
    )
    p = extract_page(html, "http://x/")
    assert p.title == "关于支持某产业的若干措施"
    assert p.meta["PubDate"] == "2025-07-14 01:59"
    assert p.meta["ContentSource"] == "北京市某某局"
    assert p.meta["Keywords"] == "政策,措施"


@pytest.mark.parametrize(
    "info_html",
    [
        # gov.cn / district table rows
        "<table><tr><td>发文字号：</td><td>京技管发〔2025〕4号</td><td>成文日期：</td><td>2025年03月01日</td></tr>"
        "<tr><td>发文机关：</td><td>北京经济技术开发区管理委员会</td></tr></table>",
        # beijing.gov.cn ol.doc-info with inline <style> and ---- for empty
        '<ol class="doc-info clearfix"><style>.noN1{width:1px}</style><li>[发文字号]<span>京技管发[2025]4号</span></li>'
        "<li>[成文日期]<span>2025-03-01</span></li><li>[发文机构]<span>北京经济技术开发区管理委员会</span></li>"
        "<li>[废止日期]<span>----</span></li></ol>",
        # dl pairs with spaces inside labels
        "<dl><dt>发文字号</dt><dd>京技管发〔2025〕4号</dd><dt>成 文 日 期：</dt><dd>2025-03-01</dd>"
        "<dt>发文机关</dt><dd>北京经济技术开发区管理委员会</dd></dl>",
        # div/span pairs with full-width colons and ideographic spaces
        '<div class="info"><span>文　　号：</span><span>京技管发〔2025〕4号</span></div>'
        "<div><span>成文日期：</span><span>2025-03-01</span></div><div><span>发布机构：</span><span>北京经济技术开发区管理委员会</span></div>",
    ],
)
def test_info_block_layouts(info_html: str) -> None:
    p = extract_page(page("", info_html + '<div id="zoom"><p>第一条 正文。</p></div>'), "http://x/")
    assert p.info["发文字号"].replace("[", "〔").replace("]", "〕") == "京技管发〔2025〕4号"
    assert p.info["成文日期"] in {"2025年03月01日", "2025-03-01"}
    assert p.info["发文机关"] == "北京经济技术开发区管理委员会"
    assert "废止日期" not in p.info  # "----" means empty
    assert p.blocks == ("第一条 正文。",)


def test_official_status_labels_are_kept() -> None:
    html = page(
        "",
        '<ul class="doc-info"><li>[有效性]<span>失效</span></li><li>[废止日期]<span>2026-01-01</span></li></ul>'
        '<div id="mainText"><p>第一条 正文。</p></div>',
    )
    p = extract_page(html, "http://x/")
    assert p.info["有效性"] == "失效" and p.info["废止日期"] == "2026-01-01"


def test_span_split_clauses_are_read_whole() -> None:
    html = page(
        "",
        '<div class="view TRS_UEDITOR"><p><span>本办法自发布之日起施行。</span><span>《北京市某规定》（京中医政字'
        "<span>[2009]59</span>号）同</span><span>时废止。</span></p><p>打印本页</p></div>",
    )
    p = extract_page(html, "http://x/")
    assert p.blocks == ("本办法自发布之日起施行。《北京市某规定》（京中医政字[2009]59号）同时废止。",)


def test_fallback_extraction_when_no_known_container() -> None:
    body = "".join(
        f"<p>第{n}条 支持企业开展技术创新,给予最高{n}00万元资金支持,具体办法另行制定并向社会公布。</p>"
        for n in "一二三四五"
    )
    html = page(
        "<title>某某措施_某网站</title>", f'<div class="nav"><a href="/">首页</a></div><div class="wrap">{body}</div>'
    )
    p = extract_page(html, "http://x/")
    assert p.body_found_by == "fallback"
    assert any("第三条" in b for b in p.blocks)
    assert p.title == "某某措施"


def test_attachments_are_listed() -> None:
    html = page(
        "",
        '<div class="TRS_UEDITOR"><p>正文内容。</p><p class="insertfileTag"><a appendix="true" '
        'href="./P020260601322559475097.pdf">附件1.pdf</a></p><a href="W0201.docx">附件2</a></div>',
    )
    p = extract_page(html, "http://site/col/202606/t20260601_1.html")
    assert [a.url for a in p.attachments] == [
        "http://site/col/202606/P020260601322559475097.pdf",
        "http://site/col/202606/W0201.docx",
    ]


@pytest.mark.parametrize(
    ("html", "status"),
    [
        ('<html><body id="detail"><script src="/_bot_sbu/sbu_fpc.js"></script></body></html>', 200),
        ("<html><body>原页面</body></html>", 412),
        ("<html><body><div>您的访问请求可能对网站造成安全威胁,已被拦截。</div></body></html>", 200),
        ("<html><head><script>document.cookie='a=b';location.reload()</script></head><body></body></html>", 200),
        ("<html><body><div class='main'></div></body></html>", 200),
    ],
)
def test_block_pages_are_recognised(html: str, status: int) -> None:
    assert detect_block_page(html, status) is not None


def test_real_page_is_not_a_block_page() -> None:
    html = page("", '<div id="zoom">' + "<p>第一条 支持企业发展,给予资金支持。</p>" * 5 + "</div>")
    assert detect_block_page(html, 200) is None


def test_empty_page_is_a_clear_error() -> None:
    with pytest.raises(ExtractError):
        extract_page("   ", "http://x/")


def test_chrome_only_body_is_an_error_not_an_empty_document() -> None:
    from monitor.config import SourceConfig
    from monitor.ingest import parse_page

    html = page("", '<div id="zoom"><p>【打印本页】【关闭窗口】</p><p>浏览次数：123</p></div>')
    with pytest.raises(ExtractError):
        parse_page(html, "http://x/", SourceConfig(name="s", start_urls=("http://x/",)))


def test_entities_and_stray_tags_are_read_as_text() -> None:
    html = page(
        "", '<div id="zoom"><p>第一条&nbsp;给予最高&#49;00万元</b>支持&amp;奖励。<p>第二条 未闭合段落<span>继续</div>'
    )
    p = extract_page(html, "http://x/")
    assert p.blocks[0] == "第一条 给予最高100万元支持&奖励。"
    assert p.blocks[1].startswith("第二条 未闭合段落继续")


def test_truncated_html_still_gives_the_text_that_arrived() -> None:
    html = '<html><body><div class="TRS_Editor"><p>第一条 支持企业发展。</p><p>第二条 给予最高'
    p = extract_page(html, "http://x/")
    assert p.blocks == ("第一条 支持企业发展。", "第二条 给予最高")
