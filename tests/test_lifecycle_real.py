"""Table-driven clause tests in the register of real government documents (issue #12): one table per class
of failure seen on real pages."""

from __future__ import annotations

from datetime import date

import pytest

from monitor.cndate import signature_date
from monitor.docnumber import normalise_doc_number, own_doc_number, split_title
from monitor.lifecycle import PRESUMED_RULE, extract, parse_date

PUB = {"成文日期": "2025-03-01", "发布日期": "2025-03-05"}

SELF_REFERENCE = [
    ("本解释自2017年1月1日起施行。", "2017-01-01"),
    ("本决定自公布之日起施行。", "2025-03-05"),
    ("本条例自2025年5月1日起施行。", "2025-05-01"),
    ("本实施细则自2024年7月1日起施行。", "2024-07-01"),
    ("本规则自发布之日起施行。", "2025-03-05"),
    ("本标准自2026年1月1日起实施。", "2026-01-01"),
    ("本指引自印发之日起施行。", "2025-03-01"),
    ("本公告自2025年4月1日起施行。", "2025-04-01"),
    ("本通告自发布之日起施行。", "2025-03-05"),
    ("本批复自印发之日起执行。", "2025-03-01"),
    ("本清单自2021年9月1日起施行。", "2021-09-01"),
]


@pytest.mark.parametrize(("clause", "effective"), SELF_REFERENCE)
def test_self_reference_words(clause: str, effective: str) -> None:
    assert extract("通知", clause, PUB).to_json()["effective"]["date"] == effective


CN_DATES = [
    ("二○○四年十月一日", date(2004, 10, 1)),
    ("二〇二五年三月一日", date(2025, 3, 1)),
    ("2025年 3月 1日", date(2025, 3, 1)),
    ("二〇一三年九月二日", date(2013, 9, 2)),
    ("二〇二〇年十二月三十一日", date(2020, 12, 31)),
    ("2021年11月4日", date(2021, 11, 4)),
]


@pytest.mark.parametrize(("text", "expected"), CN_DATES)
def test_chinese_numeral_dates(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("clause", "effective"),
    [
        ("本条例自二○○四年十月一日起施行。", "2004-10-01"),
        ("本办法自二〇二五年三月一日起施行。", "2025-03-01"),
        ("本规定自2025年 3月 1日起施行。", "2025-03-01"),
    ],
)
def test_effective_in_chinese_numerals(clause: str, effective: str) -> None:
    assert extract("t", clause, PUB).to_json()["effective"]["date"] == effective


DOC_NUMBERS = [
    ("国务院令 第 707 号", "国务院令第707号"),
    ("国令第707号", "国令第707号"),
    ("中华人民共和国国务院令第588号", "中华人民共和国国务院令第588号"),
    ("国家市场监督管理总局令第56号", "国家市场监督管理总局令第56号"),
    ("北京市人民政府令第312号", "北京市人民政府令第312号"),
    ("京政办发[2023] 12号", "京政办发〔2023〕12号"),
]


@pytest.mark.parametrize(("raw", "expected"), DOC_NUMBERS)
def test_order_style_numbers(raw: str, expected: str) -> None:
    assert normalise_doc_number(raw) == expected


BODY_NUMBERS = [
    ("北京市人民政府办公厅关于印发某方案的通知", "京政办发〔2023〕12号\n各区人民政府:", "京政办发〔2023〕12号"),
    ("关于印发某办法的通知(京政办发〔2023〕12号)", "各区人民政府:", "京政办发〔2023〕12号"),
    ("关于某事项的通知", "发文字号:渝府办函〔2021〕52号\n各区县:", "渝府办函〔2021〕52号"),
    ("江西省人民政府关于废止某办法的决定", "江西省人民政府令\n第232号\n现予公布。", "江西省人民政府令第232号"),
    ("某规定", "国家市场监督管理总局令第56号\n《某规定》已经通过。", "国家市场监督管理总局令第56号"),
    ("关于某事的通知", "根据《某条例》(国务院令第5号),制定本办法。", ""),
]


@pytest.mark.parametrize(("title", "body", "expected"), BODY_NUMBERS)
def test_doc_number_from_the_body(title: str, body: str, expected: str) -> None:
    assert own_doc_number(title, body) == expected


@pytest.mark.parametrize(
    ("clause", "expected"),
    [
        ("原中华人民共和国国家发展计划委员会令第8号发布的《甲规定》同时废止。", ["甲规定"]),
        ("《上海市实施〈中华人民共和国气象法〉办法》同时废止。", ["上海市实施〈中华人民共和国气象法〉办法"]),
        ("《中华人民共和国某某管理办法》同时废止。", ["中华人民共和国某某管理办法"]),
        (
            "市政府令第51号公布的《甲办法》、市政府令第62号公布的《乙办法》和《丙办法》同时废止。",
            ["甲办法", "乙办法", "丙办法"],
        ),
        ("“关于加强某工作的通知”同时废止。", ["关于加强某工作的通知"]),
        ("《某办法》(2007年9月13日江西省人民政府令第161号公布)同时废止。", ["某办法"]),
    ],
)
def test_repeal_forms(clause: str, expected: list[str]) -> None:
    got = extract("t", clause, PUB).to_json()["repeals"]
    assert [r["title"] for r in got] == expected


def test_repeal_reads_order_number_in_parentheses() -> None:
    got = extract("t", "《某办法》(2007年9月13日江西省人民政府令第161号公布)同时废止。", PUB).to_json()
    assert got["repeals"][0]["doc_number"] == "江西省人民政府令第161号"


VALIDITY = [
    ("本办法自2025年1月1日起施行,执行期限至2027年12月31日。", "2027-12-31"),
    ("本措施自印发之日起施行,实施期限至2026年6月30日。", "2026-06-30"),
    ("本办法自2025年1月1日起试行,试行期两年。", "2026-12-31"),
    ("本办法自2025年1月1日起施行,执行期限3年。", "2027-12-31"),
    ("《某办法》(沪交水〔2015〕598号)继续实施,有效期延长至2030年7月10日止。", "2030-07-10"),
]


@pytest.mark.parametrize(("clause", "expires"), VALIDITY)
def test_other_validity_wordings(clause: str, expires: str) -> None:
    assert extract("t", clause, PUB).to_json()["expires"]["date"] == expires


def test_validity_anchored_on_publish_date_when_no_written_date() -> None:
    got = extract("t", "本办法自印发之日起施行,有效期两年。", {"发布日期": "2025-03-05"}).to_json()
    assert got["effective"] == {"date": "2025-03-05", "rule": "自印发之日起施行", "derived": True}
    assert got["expires"]["date"] == "2027-03-04"


@pytest.mark.parametrize(
    ("meta", "effective"),
    [({"发布日期": "2025-03-05"}, "2025-03-05"), ({"成文日期": "2025-03-01"}, "2025-03-01")],
)
def test_no_commencement_clause_is_presumed(meta: dict[str, str], effective: str) -> None:
    got = extract("t", "各区人民政府:现将有关事项通知如下。", meta).to_json()
    assert got["effective"] == {"date": effective, "rule": PRESUMED_RULE, "derived": True}


SIGNATURES = [
    ("请认真贯彻执行。\n重庆市人民政府\n2021年8月10日\n(此件公开发布)", date(2021, 8, 10)),
    ("请认真贯彻执行。重庆市人民政府2021年8月10日(此件公开发布)重庆市某清单", date(2021, 8, 10)),
    ("特此通知。\n某县人民政府办公室\n二〇一三年九月二日", date(2013, 9, 2)),
    ("经2018年4月28日省人民政府第4次常务会议审议通过。", None),
]


@pytest.mark.parametrize(("text", "expected"), SIGNATURES)
def test_signature_date(text: str, expected: date | None) -> None:
    assert signature_date(text) == expected


def test_signature_date_is_the_published_date() -> None:
    got = extract("通知", "特此通知。\n某县人民政府办公室\n二〇一三年九月二日").to_json()
    assert got["published"] == "2013-09-02"


ONE_LINE = (
    "重庆市人民政府关于印发某清单的通知渝府发〔2021〕20号各区县(自治县)人民政府:现将《某清单》印发给你们。"
    "本通知自2021年9月1日起施行。重庆市人民政府2021年8月10日(此件公开发布)"
)


def test_text_without_line_breaks_keeps_title_number_and_clause_apart() -> None:
    title = split_title(ONE_LINE)
    assert title == "重庆市人民政府关于印发某清单的通知"
    got = extract(title, ONE_LINE).to_json()
    assert got["doc_number"] == "渝府发〔2021〕20号"
    assert got["effective"]["date"] == "2021-09-01"
    assert got["published"] == "2021-08-10"


def test_one_line_file_is_read_whole(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from monitor.readpolicy import read_policy

    path = tmp_path / "one.txt"
    path.write_text(ONE_LINE, encoding="utf-8")
    got = read_policy(str(path))
    assert (got["title"], got["doc_number"], got["effective"]["date"]) == (
        "重庆市人民政府关于印发某清单的通知",
        "渝府发〔2021〕20号",
        "2021-09-01",
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("现予公布,自公布之日起施行。　　省长 唐登杰　　2018年11月9日　　福建省人民政府关于", date(2018, 11, 9)),
        ("请认真组织实施。　　2021年11月4日　　(此件公开发布)　　某方案", date(2021, 11, 4)),
    ],
)
def test_signature_after_signer_or_before_publicity_note(text: str, expected: date) -> None:
    assert signature_date(text) == expected


@pytest.mark.parametrize(
    ("text", "published"),
    [
        ("某管理办法\n(2022年4月6日生态环境部令第26号公布 自2022年7月1日起施行)\n第一条", "2022-04-06"),
        ("某条例\n(2005年12月29日某省人民代表大会常务委员会通过 2018年3月30日修正)\n第一条", "2018-03-30"),
        ("某决定\n《某办法》(2007年9月13日江西省人民政府令第161号公布)同时废止。", None),
    ],
)
def test_promulgation_note_gives_the_published_date(text: str, published: str | None) -> None:
    assert extract("t", text).to_json()["published"] == published


def test_order_number_in_the_promulgation_note() -> None:
    text = "(2022年4月6日生态环境部令第26号公布 自2022年7月1日起施行)\n第一条 为了防治尾矿污染环境,制定本办法。"
    assert own_doc_number("尾矿污染环境防治管理办法", text) == "生态环境部令第26号"


@pytest.mark.parametrize(
    ("clause", "effective", "expires"),
    [
        ("本界定标准自2025年1月10日起施行,有效期至2030年1月9日。", "2025-01-10", "2030-01-09"),
        ("第三十三条 本办法有效期自2021年9月1日起至2026年8月31日止。", "2021-09-01", "2026-08-31"),
        (
            "暂时调整适用有关规定,期限为五年,自本决定施行之日起算。本决定自2025年5月1日起施行。",
            "2025-05-01",
            "2030-04-30",
        ),
        ("现对《某规定》作如下修订并重新发布,自2025年5月1日起施行,有效期至2030年4月30日。", "2025-05-01", "2030-04-30"),
    ],
)
def test_periods_and_subjects_of_real_rules(clause: str, effective: str, expires: str) -> None:
    got = extract("t", clause, PUB).to_json()
    assert (got["effective"]["date"], got["expires"]["date"]) == (effective, expires)


def test_markdown_front_matter_and_inline_tags(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from monitor.readpolicy import read_policy

    path = tmp_path / "rule.md"
    path.write_text(
        "---\n标题: 某管理规定\n文号: 沪建规范〔2025〕5号\n发布日期: 2025-05-06\n---\n"
        "<p>&emsp;&emsp;<b>第一条</b>&emsp;本规定自2025年6月1日起施行。</p>\n",
        encoding="utf-8",
    )
    got = read_policy(str(path))
    assert (got["title"], got["doc_number"], got["published"], got["effective"]["date"]) == (
        "某管理规定",
        "沪建规范〔2025〕5号",
        "2025-05-06",
        "2025-06-01",
    )


@pytest.mark.parametrize(
    ("clause", "expected"),
    [
        ("省政府决定废止《某暂行管理办法》(闽政办〔1985〕291号)。", [("某暂行管理办法", "闽政办〔1985〕291号")]),
        (
            "《危险废物转移联单管理办法》(原国家环境保护总局令第5号)同时废止。",
            [("危险废物转移联单管理办法", "国家环境保护总局令第5号")],
        ),
        ("根据《关于废止《甲办法》的决定》,制定本办法。", []),
    ],
)
def test_repeal_verb_before_titles(clause: str, expected: list[tuple[str, str]]) -> None:
    got = extract("t", clause, PUB).to_json()["repeals"]
    assert [(r["title"], r["doc_number"]) for r in got] == expected
