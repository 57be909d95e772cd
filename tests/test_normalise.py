from monitor.normalise import build_clauses, document_from_json, document_to_json, fold, normalise
from tests.seeds import seed, seed_doc


def test_fold_removes_noise_and_keeps_meaning() -> None:
    assert fold("自然科 学基金 3000 万元") == "自然科学基金3000万元"
    assert fold("ＡＢＣ１２３，（一）") == "ABC123,(一)"
    assert fold("海金融文[2024]1号") == "海金融文〔2024〕1号"
    assert fold("石园科发(2025)2号") == "石园科发〔2025〕2号"
    assert fold("京技管发 〔2025〕 4号") == "京技管发〔2025〕4号"
    assert fold("a\u200bb\u00a0c") == "ab c"
    # Numbers and Latin words keep their separating spaces.
    assert fold("version 2 release") == "version 2 release"
    assert fold("30%") == "30%" and fold("30%") != fold("50%")


def test_clauses_follow_the_documents_own_nesting() -> None:
    doc = seed_doc(8)  # 东城: 一、 chapters holding 第X条 articles
    labels = [(c.path, c.label) for c in doc.clauses if c.label]
    assert ((), "一、") in labels
    assert (("二、",), "第五条") in labels
    assert (("五、",), "第十六条") in labels
    doc = seed_doc(20)  # 海淀: 一、 > 1.
    assert any(c.path == ("三、",) and c.label == "11." for c in doc.clauses)


def test_page_without_numbering_falls_back_to_paragraphs() -> None:
    clauses = build_clauses(["第一段话。还有一句。", "第二段话。"])
    assert [c.kind for c in clauses] == ["paragraph", "paragraph"]
    assert clauses[0].sentences == ("第一段话。", "还有一句。")


def test_chrome_and_typesetting_do_not_change_the_hash() -> None:
    row = seed(7)
    a = normalise(row["title"], [row["body"]])
    retyped = row["body"].replace(" ", "\u00a0 ").replace("。", "。\u3000")
    b = normalise(row["title"] + " ", [retyped])
    assert a.content_hash == b.content_hash


def test_pdf_style_spaces_between_cjk_do_not_change_the_hash() -> None:
    row = seed(8)
    spaced = row["body"].replace("数字经济", "数字 经济").replace("1000万元", "1000 万元")
    assert normalise(row["title"], [row["body"]]).content_hash == normalise(row["title"], [spaced]).content_hash


def test_one_character_edit_changes_the_hash() -> None:
    row = seed(18)
    assert "50%" in row["body"]
    edited = row["body"].replace("50%", "30%", 1)
    assert normalise(row["title"], [row["body"]]).content_hash != normalise(row["title"], [edited]).content_hash


def test_meta_fields_are_part_of_the_document() -> None:
    a = normalise("标题", ["第一条 内容。"], {"发文字号": "京发[2025]1号", "PubDate": "2025-01-01"})
    b = normalise("标题", ["第一条 内容。"], {"发文字号": "京发〔2025〕1号", "PubDate": "2025-02-02"})
    assert a.content_hash == b.content_hash  # same 文号 spelled differently; PubDate is not content
    c = normalise("标题", ["第一条 内容。"], {"发文字号": "京发〔2025〕2号"})
    assert a.content_hash != c.content_hash


def test_document_json_roundtrip() -> None:
    doc = seed_doc(6)
    back = document_from_json(document_to_json(doc))
    assert back.clauses == doc.clauses and back.title == doc.title


def test_huge_document_normalises() -> None:
    body = " ".join(f"第{i}条 支持企业发展,给予最高{i}万元资金支持。" for i in range(1, 8000))  # ~200k chars
    doc = normalise("大文件", [body])
    assert len(body) > 200_000 and len(doc.clauses) == 7999
