"""Lifecycle extraction on the 20 seed policies (expectations written by reading each text) and on
clause variants in the register of real policies."""

from datetime import date

import pytest

from monitor.demo.site import catalog, seed_policies
from monitor.lifecycle import PRESUMED_RULE, DateRule, Lifecycle, extract, normalise_doc_number
from monitor.policystatus import StatusFacts, compute_status
from monitor.vocab import Status

# id: (effective date, effective rule, expiry date, expiry rule, [(repealed title, 文号, kind)], trial)
SEED_EXPECTED = {
    1: ("2025-03-10", "自印发之日起施行", None, None, [], True),
    2: ("2025-02-26", "自发布之日起施行", None, None, [], False),
    3: ("2025-02-26", "自发布之日起施行", None, None, [], False),
    4: ("2025-09-15", "自公布之日起施行", "2028-12-31", "有效期至2028年12月31日", [], False),
    5: ("2025-05-12", "自公布之日起施行", "2030-05-11", "施行五年", [], False),
    6: (
        "2025-06-05",
        "自印发之日起施行",
        "2030-12-31",
        "有效期至2030年12月31日",
        [("海淀区关于促进金融业高质量发展提升服务实体经济质效的若干措施", "海金融文〔2024〕1号", "repeal")],
        False,
    ),
    7: ("2025-04-27", "自印发之日起30日后施行", "2028-12-31", "有效期至2028年12月31日止", [], False),
    8: ("2025-04-27", "自印发之日起30日后施行", "2028-12-31", "有效期至2028年12月31日止", [], False),
    9: ("2025-06-15", "自印发之日起30日后施行", "2028-12-31", "有效期至2028年12月31日止", [], False),
    10: (
        "2025-07-01",
        "自修订之日起实施",
        "2028-06-30",
        "有效期3年",
        [("北京市西城区人民政府关于印发西城区推动文化产业高质量发展若干措施的通知", "西行规发〔2022〕2号", "repeal")],
        False,
    ),
    11: (
        "2025-06-05",
        "自公布之日30日后施行",
        "2028-04-30",
        "有效期至2028年4月30日止",
        [("石景山区支持游戏电竞产业高质量发展若干措施(试行)", "石园科发〔2025〕2号", "repeal")],
        True,
    ),
    12: ("2025-01-15", "自印发之日起施行", "2030-01-14", "有效期5年", [], False),
    13: ("2025-08-08", "自公布之日起施行", "2028-08-31", "有效期至2028年8月31日", [], False),
    14: ("2025-04-07", "自公布之日起施行", "2027-12-31", "有效期至2027年12月31日结束", [], False),
    15: ("2025-06-24", "自发布之日起执行", "2027-12-31", "至2027年12月31日结束", [], False),
    16: ("2025-05-18", "自印发之日起30日后施行", "2028-05-17", "有效期三年", [], False),
    17: (
        "2025-08-22",
        "自发布之日起施行",
        "2028-08-21",
        "有效期三年",
        [("关于北京城市副中心数字经济产业高质量发展的实施细则", "通经信局〔2024〕136号", "repeal")],
        False,
    ),
    18: ("2025-07-03", "未载明施行日期,按发布日期", None, None, [], True),  # no clause: presumed
    19: (
        "2025-08-29",
        "自发布之日起施行",
        "2028-08-28",
        "有效期三年",
        [("关于北京城市副中心先进制造业产业高质量发展的实施细则", "通经信局〔2024〕140号", "repeal")],
        False,
    ),
    20: (
        "2025-04-25",
        "未载明施行日期,按发布日期",
        None,
        None,
        [("海淀区支持创新创业服务平台发展若干措施", "", "revision")],
        False,
    ),
}


@pytest.mark.parametrize("pid", sorted(SEED_EXPECTED))
def test_seed_policy_lifecycle(pid: int) -> None:
    row, meta = seed_policies()[pid], catalog()["policies"][pid]
    fields = {
        "发文字号": meta.get("doc_number", ""),
        "发文机关": meta.get("issuer", ""),
        "成文日期": str(meta.get("written", "")),
        "发布日期": str(meta["published"]),
    }
    got = extract(row["title"], row["body"], fields).to_json()
    eff, eff_rule, exp, exp_rule, repeals, trial = SEED_EXPECTED[pid]
    assert {k: got["effective"][k] for k in ("date", "rule")} == {"date": eff, "rule": eff_rule}
    assert got["effective"].get("derived", False) is (eff_rule == "未载明施行日期,按发布日期")
    assert got["expires"] == {"date": exp, "rule": exp_rule}
    assert [(r["title"], r["doc_number"], r["kind"]) for r in got["repeals"]] == repeals
    assert got["trial"] is trial
    assert got["doc_number"] == (meta.get("doc_number") or None)
    assert got["published"] == str(meta["published"])
    assert got["title"] == row["title"].replace(" ", "")
    assert got["issuers"] == (meta["issuer"].split("、") if meta.get("issuer") else ISSUERS_FROM_TEXT[pid])


# Where the page gives no 发文机关, the body's "由…负责解释" names who speaks for the policy.
ISSUERS_FROM_TEXT = {
    11: ["中关村科技园区石景山园管理委员会北京市石景山区科学技术委员会", "中共北京市石景山区委宣传部"],
    13: ["北京经济技术开发区管理委员会"],
    20: [],
}


def test_issuer_falls_back_to_the_interpreting_body() -> None:
    row = seed_policies()[8]
    assert extract(row["title"], row["body"]).issuers == ("东城区经济和信息化局",)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("京技管发〔2025〕4号", "京技管发〔2025〕4号"),
        ("海金融文[2024]1号", "海金融文〔2024〕1号"),
        ("石园科发(2025)2号", "石园科发〔2025〕2号"),
        ("京政办发 〔2023〕 12 号", "京政办发〔2023〕12号"),
        ("京技管发［2025］4号", "京技管发〔2025〕4号"),
        ("国办发〔2017〕47号", "国办发〔2017〕47号"),
        ("无文号", ""),
    ],
)
def test_doc_number_shapes(raw: str, expected: str) -> None:
    assert normalise_doc_number(raw) == expected


PUB = {"成文日期": "2025-03-01", "发布日期": "2025-03-05"}

# (text, effective, expires, repeal targets as (title, 文号))
CLAUSES = [
    ("本办法自印发之日起施行。", "2025-03-01", None, []),
    ("本办法自发布之日起施行。", "2025-03-05", None, []),
    ("本通知自公布之日起实施。", "2025-03-05", None, []),
    ("本措施自2025年4月1日起施行。", "2025-04-01", None, []),
    ("本细则自2025年4月1日起正式实施,有效期至2027年3月31日。", "2025-04-01", "2027-03-31", []),
    ("本措施自印发之日起30日后施行,有效期三年。", "2025-03-31", "2028-03-30", []),
    ("本措施自印发之日起三十日后施行。", "2025-03-31", None, []),
    ("本办法自发布之日起施行,有效期5年。", "2025-03-05", "2030-03-04", []),
    ("本办法自发布之日起施行,有效期两年。", "2025-03-05", "2027-03-04", []),
    ("本方案自印发之日起施行,有效期为2年。", "2025-03-01", "2027-02-28", []),
    ("本意见自印发之日起施行,有效期至2026年12月31日止。", "2025-03-01", "2026-12-31", []),
    ("本政策自发布之日起执行,至2027年12月31日结束。", "2025-03-05", "2027-12-31", []),
    ("本规定自公布之日起施行,施行五年。", "2025-03-05", "2030-03-04", []),
    ("本办法自印发之日起试行,试行期2年。", "2025-03-01", "2027-02-28", []),
    ("本办法自印发之日起施行,有效期6个月。", "2025-03-01", "2025-08-31", []),
    ("自印发之日起施行,有效期至2028年12月31日止。", "2025-03-01", "2028-12-31", []),
    # Not about this document: licences, certificates, procedural law.
    ("食品生产许可证有效期为3年。", None, None, []),
    ("认定证书有效期三年,期满后重新申报。", None, None, []),
    ("复议期间不停止执行。", None, None, []),
    ("协议有效期至2030年12月31日。", None, None, []),
    ("企业应在2025年6月30日前提交材料。", None, None, []),
    # Repeals.
    (
        "《海淀区关于促进金融业高质量发展的若干措施》(海金融文〔2024〕1号)同时废止。",
        None,
        None,
        [("海淀区关于促进金融业高质量发展的若干措施", "海金融文〔2024〕1号")],
    ),
    (
        "原《关于支持数字经济发展的实施细则》(通经信局〔2024〕136号)作废。",
        None,
        None,
        [("关于支持数字经济发展的实施细则", "通经信局〔2024〕136号")],
    ),
    ("《甲办法》和《乙办法》同时废止。", None, None, [("甲办法", ""), ("乙办法", "")]),
    (
        "《关于加强管理的通知》(京政办发[2019]3号)即行废止。",
        None,
        None,
        [("关于加强管理的通知", "京政办发〔2019〕3号")],
    ),
    ("《某某措施》(石园科发(2025)2号)不再执行。", None, None, [("某某措施", "石园科发〔2025〕2号")]),
    ("《某某办法》自本办法施行之日起停止执行。", None, None, [("某某办法", "")]),
    ("《旧规定》予以废止。", None, None, [("旧规定", "")]),
    ("《旧规定》同时失效。", None, None, [("旧规定", "")]),
    ("本办法施行前发布的《旧办法》(京发〔2020〕1号)一并废止。", None, None, [("旧办法", "京发〔2020〕1号")]),
    ("本实施细则自2026年1月1日起施行,有效期至2028年12月31日。", "2026-01-01", "2028-12-31", []),
    ("本办法自2025年5月1日起实施,有效期三年。", "2025-05-01", "2028-04-30", []),
    ("本若干措施自发布之日起施行,有效期至2027年12月31日止。", "2025-03-05", "2027-12-31", []),
    ("若干措施自印发之日起施行,有效期至2030年12月31日。", "2025-03-01", "2030-12-31", []),
    ("本方案自印发之日起实施,有效期至2026年6月30日截止。", "2025-03-01", "2026-06-30", []),
    ("本规定自公布之日起三十日后施行。", "2025-04-04", None, []),
    ("本通知自印发之日起执行,有效期1年。", "2025-03-01", "2026-02-28", []),
    ("本政策自发布之日起施行,有效期为五年。", "2025-03-05", "2030-03-04", []),
    ("本办法自印发之日起施行,试行2年。", "2025-03-01", "2027-02-28", []),
    ("本指引自发布之日起施行。原有规定与本指引不一致的,以本指引为准。", "2025-03-05", None, []),
    (
        "第二十条 本办法自发布之日起施行,《北京市传统医学师承和确有专长人员医师资格考核考试若干规定》(京中医政字[2009]59号)同时废止。",
        "2025-03-05",
        None,
        [("北京市传统医学师承和确有专长人员医师资格考核考试若干规定", "京中医政字〔2009〕59号")],
    ),
    (
        "本措施自修订之日起实施,有效期3年。《北京市西城区人民政府关于印发西城区推动文化产业高质量发展若干措施的通知》(西行规发〔2022〕2号)同时废止。",
        "2025-03-01",
        "2028-02-29",
        [("北京市西城区人民政府关于印发西城区推动文化产业高质量发展若干措施的通知", "西行规发〔2022〕2号")],
    ),
    (
        "本细则自发布之日起施行,有效期三年,原《关于北京城市副中心数字经济产业高质量发展的实施细则》(通经信局〔2024〕136号)作废。",
        "2025-03-05",
        "2028-03-04",
        [("关于北京城市副中心数字经济产业高质量发展的实施细则", "通经信局〔2024〕136号")],
    ),
    (
        "自本办法施行之日起,《甲规定》(京甲发〔2018〕5号)、《乙规定》(京乙发〔2019〕6号)同时废止。",
        None,
        None,
        [("甲规定", "京甲发〔2018〕5号"), ("乙规定", "京乙发〔2019〕6号")],
    ),
    (
        "《关于进一步加强某某工作的通知》(京政办发〔2016〕22号)自本通知印发之日起废止。",
        None,
        None,
        [("关于进一步加强某某工作的通知", "京政办发〔2016〕22号")],
    ),
    (
        "此前发布的《某区促进产业发展办法》(某政发〔2021〕8号)同时停止执行。",
        None,
        None,
        [("某区促进产业发展办法", "某政发〔2021〕8号")],
    ),
    ("《某某实施细则》(试行)(京某发〔2022〕4号)自行失效。", None, None, [("某某实施细则", "京某发〔2022〕4号")]),
    ("本措施由区商务局负责解释。", None, None, []),
    ("本办法有效期内,如遇上级政策调整,从其规定。", None, None, []),
    ("申报单位应在有效期内提交申请,逾期不予受理。", None, None, []),
    ("企业资质证书有效期满后,须在30日内重新申请。", None, None, []),
    ("经认定的示范项目有效期为三年,到期后重新认定。", None, None, []),
    ("行政复议期间,原决定不停止执行。", None, None, []),
    ("对照《国家重点支持的高新技术领域》予以认定。", None, None, []),
    ("落实《北京市优化营商环境条例》有关要求。", None, None, []),
    # References that are not repeals.
    ("根据《中华人民共和国政府信息公开条例》,制定本办法。", None, None, []),
    ("参照《北京市促进未来产业创新发展实施方案》执行。", None, None, []),
    ("依据《行政许可法》,复议期间不停止执行。", None, None, []),
    ("《甲办法》不废止,继续有效。", None, None, []),
    ("按照《乙办法》规定的程序办理。", None, None, []),
    ("符合《丙规定》条件的企业不再执行原标准。", None, None, []),
]


@pytest.mark.parametrize(("text", "effective", "expires", "repeals"), CLAUSES)
def test_clause_variants(text: str, effective: str | None, expires: str | None, repeals: list[tuple[str, str]]) -> None:
    got = extract("测试文件", text, PUB).to_json()
    if effective is None:  # no commencement clause: the publish date, presumed
        assert got["effective"] == {"date": got["published"], "rule": PRESUMED_RULE, "derived": True}
    else:
        assert got["effective"]["date"] == effective
    assert got["expires"]["date"] == expires
    assert [(r["title"], r["doc_number"]) for r in got["repeals"] if r["kind"] == "repeal"] == repeals


def test_rule_kept_when_anchor_unknown() -> None:
    got = extract("t", "本措施自印发之日起施行,有效期三年。").to_json()
    assert got["effective"] == {"date": None, "rule": "自印发之日起施行"}
    assert got["expires"] == {"date": None, "rule": "有效期三年"}


def _lc(effective: str | None = None, expires: str | None = None, official: str = "") -> Lifecycle:
    return Lifecycle(
        effective=DateRule(date.fromisoformat(effective) if effective else None, "rule"),
        expires=DateRule(date.fromisoformat(expires) if expires else None, "rule"),
        official_status=official,
    )


@pytest.mark.parametrize(
    ("lc", "facts", "today", "expected"),
    [
        (_lc("2025-05-18", "2028-05-17"), StatusFacts(), "2025-05-01", Status.NOT_YET_EFFECTIVE),
        (_lc("2025-05-18", "2028-05-17"), StatusFacts(), "2025-06-01", Status.IN_FORCE),
        (_lc("2025-05-18", "2028-05-17"), StatusFacts(), "2028-04-20", Status.EXPIRING_SOON),
        (_lc("2025-05-18", "2028-05-17"), StatusFacts(), "2028-05-17", Status.EXPIRING_SOON),
        (_lc("2025-05-18", "2028-05-17"), StatusFacts(), "2028-05-18", Status.EXPIRED),
        (_lc("2025-05-18"), StatusFacts(repealed_by="新办法", repeal_kind="repeal"), "2026-01-01", Status.REPEALED),
        (_lc("2025-05-18"), StatusFacts(repealed_by="新办法", repeal_kind="revision"), "2026-01-01", Status.AMENDED),
        (_lc("2025-05-18"), StatusFacts(withdrawn=True), "2026-01-01", Status.WITHDRAWN),
        (_lc("2025-05-18", official="失效"), StatusFacts(), "2026-01-01", Status.EXPIRED),
        (_lc(), StatusFacts(), "2026-01-01", Status.IN_FORCE),
    ],
)
def test_status_rules(lc: Lifecycle, facts: StatusFacts, today: str, expected: Status) -> None:
    assert compute_status(lc, facts, date.fromisoformat(today)).status is expected


def test_withdrawn_is_never_a_repeal_and_presumed_is_marked() -> None:
    st = compute_status(_lc(), StatusFacts(), date(2026, 1, 1))
    assert st.presumed
    st = compute_status(_lc("2025-01-01"), StatusFacts(withdrawn=True), date(2026, 1, 1))
    assert st.status is Status.WITHDRAWN
