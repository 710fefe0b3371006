"""``griddesk rules-suggest``: the words a labelled set makes obvious, and the misleading ones."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.language import Language
from nlp.rules import default_rules_text, parse_rules
from nlp.suggest import EXAMPLE_CHARS, Suggestions, WordSuggestion, suggest
from nlp.taxonomy import Category as C

DEV = Path(__file__).parent / "data" / "dev.csv"

ROWS: list[tuple[str, C]] = [
    # 白蚁 (termites) is in no rule: the shipped rules send these four to other
    ("楼道墙根底下一窝白蚁，门框都被蛀空了", C.SANITATION),
    ("我家窗框里有白蚁，好几天了，能不能来人看看", C.SANITATION),
    ("地下室好多白蚁在飞，晚上开灯全是", C.SANITATION),
    ("三号楼一单元白蚁成灾了，木门被咬得全是洞", C.SANITATION),
    # 几天 (好几天) in three sanitation messages and two water ones: precision 3/5
    ("单元门口垃圾桶满了好几天没人清运", C.SANITATION),
    ("楼后面的垃圾好几天了也没人管", C.SANITATION),
    ("停水好几天了，什么时候来水", C.WATER_SUPPLY),
    ("水龙头好几天不出水了", C.WATER_SUPPLY),
    # 蟑螂 is a sanitation keyword already
    ("厨房里好多蟑螂，是不是该统一消杀了", C.SANITATION),
    ("楼道里蟑螂乱爬，晚上出来吓人", C.SANITATION),
    ("地下室蟑螂太多，求物业打药", C.SANITATION),
    # 广场舞 (a noise keyword) takes questions about joining the dancers to noise
    ("广场舞队还收新人不？我电话13904716677", C.OTHER),
    ("广场舞队是哪个老师在教啊", C.OTHER),
    ("想跟着跳广场舞，队伍在哪集合", C.OTHER),
    ("楼下广场舞音响开得太大声了，孩子没法写作业", C.NOISE),
    # 墙皮 and 脱落 each occur under other labels too; side by side only in property_mgmt
    ("楼道墙皮脱落了一大片，物业也不来看", C.PROPERTY_MGMT),
    ("二单元楼梯间墙皮脱落，掉了一地", C.PROPERTY_MGMT),
    ("外墙墙皮脱落，差点砸到人", C.PROPERTY_MGMT),
    ("楼上漏水，我家墙皮都泡起来了", C.NEIGHBOR_DISPUTE),
    ("对门搬家把我家墙皮蹭掉一块，他还不承认", C.NEIGHBOR_DISPUTE),
    ("健身器材的漆都脱落了，扶手生锈", C.PUBLIC_FACILITIES),
    ("凉亭顶上的瓦片脱落了，下面有老人坐着", C.PUBLIC_FACILITIES),
    # the rest the rules get right
    ("自来水发黄，烧开了都是黄的", C.WATER_SUPPLY),
    ("我们楼又停水了，也没贴通知", C.WATER_SUPPLY),
    ("半夜楼上咚咚咚的，吵得睡不着", C.NOISE),
    ("隔壁装修电钻一大早就开始响", C.NOISE),
    ("单元门的门禁坏了，刷卡没反应", C.PROPERTY_MGMT),
    ("电梯又坏了，困了人半小时才出来", C.ELEVATOR),
    ("楼道灯坏了一个月了，晚上黑咕隆咚的", C.STREET_LIGHTS),
    ("暖气不热，屋里才十五度", C.HEATING),
    ("燃气灶打不着火，是不是没气了", C.GAS),
    ("车位被别人占了，打电话也不挪", C.PARKING),
    ("请问低保怎么申请", C.SOCIAL_SERVICES),
]


def _words(found: Suggestions, category: C) -> dict[str, WordSuggestion]:
    return {w.word: w for c in found.categories if c.category is category for w in c.words}


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as stream:
        csv.writer(stream).writerows(rows)
    return path


def _labelled_csv(tmp_path: Path) -> Path:
    return _write(tmp_path / "labelled.csv", [["text", "label"], *([t, c.value] for t, c in ROWS)])


def test_a_word_the_labels_make_obvious_is_suggested_with_its_evidence(
    language: Language,
) -> None:
    """白蚁 in four sanitation messages, none elsewhere, all four missed: count 4, gain 4."""
    found = suggest(ROWS, language.rules, language.tokenizer)
    termites = _words(found, C.SANITATION)["白蚁"]
    assert (termites.count, termites.other, termites.gain) == (4, 0, 4)
    assert termites.precision == 1.0
    assert termites.rule_words == ()
    assert next(c.wrong for c in found.categories if c.category is C.SANITATION) == 4
    assert next(iter(_words(found, C.SANITATION))) == "白蚁"  # the most gain first


def test_a_word_shared_across_labels_below_precision_is_not_suggested(language: Language) -> None:
    """几天: three sanitation messages and two water ones is precision 0.6, under 0.8."""
    assert "几天" not in _words(suggest(ROWS, language.rules, language.tokenizer), C.SANITATION)
    lenient = suggest(ROWS, language.rules, language.tokenizer, min_precision=0.6)
    days = _words(lenient, C.SANITATION)["几天"]
    assert (days.count, days.other, days.precision) == (3, 2, 0.6)


def test_a_word_already_a_keyword_of_the_category_is_not_suggested(language: Language) -> None:
    """蟑螂 is a sanitation keyword; rules without it would be offered it."""
    assert "蟑螂" not in _words(suggest(ROWS, language.rules, language.tokenizer), C.SANITATION)
    shipped = default_rules_text()
    assert shipped.count('"蟑螂", ') == 1
    without = parse_rules(shipped.replace('"蟑螂", ', ""))
    cockroach = _words(suggest(ROWS, without, language.tokenizer), C.SANITATION)["蟑螂"]
    assert (cockroach.count, cockroach.other) == (3, 0)


def test_two_words_side_by_side_are_suggested_when_neither_alone_would_be(
    language: Language,
) -> None:
    """墙皮+脱落 only in property_mgmt messages; 墙皮 and 脱落 alone also under other labels."""
    words = _words(suggest(ROWS, language.rules, language.tokenizer), C.PROPERTY_MGMT)
    peeling = words["墙皮+脱落"]
    assert peeling.parts == ("墙皮", "脱落")
    assert (peeling.count, peeling.other, peeling.gain) == (3, 0, 2)
    assert "墙皮" not in words
    assert "脱落" not in words


def test_no_pair_across_punctuation(language: Language) -> None:
    """墙皮，脱落 are not side by side: a comma between them leaves no pair."""
    apart = [(text.replace("墙皮脱落", "墙皮，脱落"), label) for text, label in ROWS]
    words = _words(suggest(apart, language.rules, language.tokenizer), C.PROPERTY_MGMT)
    assert "墙皮+脱落" not in words


def test_no_pair_when_one_of_its_words_is_offered_alone(language: Language) -> None:
    """白蚁 and 成灾 are each offered; 白蚁+成灾 would add nothing they do not cover."""
    rows = [
        ("楼道里白蚁成灾", C.SANITATION),
        ("地下室白蚁成灾了", C.SANITATION),
        ("我家白蚁成灾好几年了", C.SANITATION),
    ]
    words = _words(suggest(rows, language.rules, language.tokenizer), C.SANITATION)
    assert {"白蚁", "成灾"} <= set(words)
    assert "白蚁+成灾" not in words


def test_function_words_and_numbers_are_never_offered(language: Language) -> None:
    """的 and the room 502 are in every message of the label and still no rule word."""
    rows = [
        ("502室的白蚁太多了", C.SANITATION),
        ("502门口的白蚁成灾了", C.SANITATION),
        ("我住502，家里的白蚁到处飞", C.SANITATION),
    ]
    words = _words(suggest(rows, language.rules, language.tokenizer), C.SANITATION)
    assert "白蚁" in words
    assert not {word for word in words if "的" in word or "502" in word}


def test_a_single_character_only_for_a_category_whose_rules_use_them(
    language: Language,
) -> None:
    """棵 is offered to greenery while its rules have one-character keywords (树), not without."""
    rows = [
        ("楼前那棵大杨树歪了", C.GREENERY),
        ("门口那棵老榆树枯死了", C.GREENERY),
        ("院里有棵树挡着窗户", C.GREENERY),
    ]
    with_single = parse_rules('[categories.greenery]\nkeywords = [{ weight = 3, words = ["树"] }]')
    without = parse_rules('[categories.greenery]\nkeywords = [{ weight = 3, words = ["树木"] }]')
    assert "棵" in _words(suggest(rows, with_single, language.tokenizer), C.GREENERY)
    assert "棵" not in _words(suggest(rows, without, language.tokenizer), C.GREENERY)


def test_a_misleading_keyword_is_counted_with_a_masked_example(language: Language) -> None:
    """广场舞 pulled three messages labelled other to noise; the example hides the phone."""
    found = suggest(ROWS, language.rules, language.tokenizer)
    first = found.confusions[0]
    assert (first.keyword, first.predicted, first.label, first.count) == (
        "广场舞",
        C.NOISE,
        C.OTHER,
        3,
    )
    assert first.example == "广场舞队还收新人不？我电话139****6677"
    assert all(c.count == 1 for c in found.confusions[1:])


def test_a_long_example_is_cut_around_the_keyword(language: Language) -> None:
    """A long misclassified message is shown as ~40 characters that hold the keyword."""
    text = "我们小区东门那块空地最近人特别多，" * 3 + "广场舞队还收新人不，我想报个名跟着学"
    found = suggest([(text, C.OTHER)], language.rules, language.tokenizer)
    example = next(c.example for c in found.confusions if c.keyword == "广场舞")
    assert "广场舞" in example
    assert example.startswith("…")
    assert len(example) <= EXAMPLE_CHARS + 2


def test_the_command_prints_the_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The text report names categories as the CLI does and lists words and confusions."""
    assert main(["rules-suggest", str(_labelled_csv(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert f"{len(ROWS)} messages, 9 misclassified" in out
    assert "sanitation (环境卫生): 9 messages, 4 misclassified" in out
    rows = [line.split() for line in out.splitlines()]
    assert ["白蚁", "4", "0", "1.00", "4"] in rows
    assert ["墙皮+脱落", "3", "0", "1.00", "2"] in rows
    assert ["3", "广场舞", "other", "→", "noise:", "广场舞队还收新人不？我电话139****6677"] in rows
    assert "13904716677" not in out


def test_the_command_prints_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--json gives the same evidence for scripts."""
    assert main(["rules-suggest", "--json", str(_labelled_csv(tmp_path))]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["total"], report["wrong"]) == (len(ROWS), 9)
    sanitation = report["categories"]["sanitation"]
    assert (sanitation["support"], sanitation["wrong"]) == (9, 4)
    assert sanitation["words"][0] == {
        "word": "白蚁",
        "parts": ["白蚁"],
        "count": 4,
        "other": 0,
        "precision": 1.0,
        "gain": 4,
        "rule_words": [],
    }
    assert report["confusions"][0] == {
        "keyword": "广场舞",
        "predicted": "noise",
        "label": "other",
        "count": 3,
        "example": "广场舞队还收新人不？我电话139****6677",
    }


def test_extra_columns_of_an_export_are_ignored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A corrections export (text,label,predicted,number) gives the same report as text,label."""
    export = _write(
        tmp_path / "export.csv",
        [
            ["number", "text", "predicted", "label"],
            *([f"T{i}", t, "noise", c.value] for i, (t, c) in enumerate(ROWS)),
        ],
    )
    assert main(["rules-suggest", "--json", str(_labelled_csv(tmp_path))]) == 0
    plain = capsys.readouterr().out
    assert main(["rules-suggest", "--json", str(export)]) == 0
    assert capsys.readouterr().out == plain


def test_the_options_narrow_the_suggestions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--min-count 5 leaves out 白蚁 (4 messages); --top 1 keeps one word per category."""
    labelled = str(_labelled_csv(tmp_path))
    assert main(["rules-suggest", "--json", "--min-count", "5", labelled]) == 0
    assert json.loads(capsys.readouterr().out)["categories"]["sanitation"]["words"] == []
    assert main(["rules-suggest", "--json", "--min-precision", "0.6", "--top", "1", labelled]) == 0
    categories = json.loads(capsys.readouterr().out)["categories"]
    assert [w["word"] for w in categories["sanitation"]["words"]] == ["白蚁"]
    assert max(len(c["words"]) for c in categories.values()) == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "set.csv: cannot read"),
        ("text,category\n停水,water_supply\n", "set.csv: the first line must name the columns"),
        ("text,label\n停水,water_supply\n停电,electricity\n", "set.csv:3: unknown label"),
        ("text,label\n", "set.csv: no labelled messages"),
        ("", "set.csv: the first line must name the columns"),
    ],
)
def test_operator_mistakes_exit_2_with_one_line(
    content: str | None,
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A missing file, no text/label columns, an unknown label, no rows: one line, status 2."""
    if content is not None:
        (tmp_path / "set.csv").write_text(content, "utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["rules-suggest", "set.csv"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"griddesk: {message}")


@pytest.mark.parametrize(
    "option", [["--min-count", "0"], ["--min-precision", "1.5"], ["--top", "x"]]
)
def test_out_of_range_options_are_refused(
    option: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Nonsense thresholds stop at the command line with status 2, naming the option."""
    with pytest.raises(SystemExit) as stopped:
        main(["rules-suggest", *option, str(_labelled_csv(tmp_path))])
    assert stopped.value.code == 2
    assert option[0] in capsys.readouterr().err


def test_the_development_set_gives_a_valid_report(capsys: pytest.CaptureFixture[str]) -> None:
    """Over tests/data/dev.csv the command finishes in seconds and its figures hang together."""
    with DEV.open(newline="", encoding="utf-8-sig") as stream:
        labelled = list(csv.DictReader(stream))
    support = {c: sum(row["label"] == c.value for row in labelled) for c in C}
    started = time.monotonic()
    assert main(["rules-suggest", "--json", str(DEV)]) == 0
    assert time.monotonic() - started < 30
    report = json.loads(capsys.readouterr().out)
    assert report["total"] == len(labelled)
    assert 0 <= report["unmatched"] <= report["wrong"] <= report["total"]
    assert {C(name) for name in report["categories"]} == {c for c in C if support[c]}
    assert sum(c["wrong"] for c in report["categories"].values()) == report["wrong"]
    for name, category in report["categories"].items():
        assert category["support"] == support[C(name)]
        assert len(category["words"]) <= 10
        for word in category["words"]:
            assert word["word"] == "+".join(word["parts"])
            assert len(word["parts"]) in {1, 2}
            assert 3 <= word["count"] <= category["support"]
            assert word["precision"] >= 0.8
            assert word["precision"] == round(word["count"] / (word["count"] + word["other"]), 4)
            assert 0 <= word["gain"] <= min(word["count"], category["wrong"])
            assert not any(ch.isdigit() for ch in word["word"])
        gains = [(w["gain"], w["count"]) for w in category["words"]]
        assert gains == sorted(gains, reverse=True)
    counts = [c["count"] for c in report["confusions"]]
    assert counts == sorted(counts, reverse=True)
    assert sum(counts) >= report["wrong"] - report["unmatched"]
    for confusion in report["confusions"]:
        assert confusion["label"] != confusion["predicted"]
        assert len(confusion["example"]) <= EXAMPLE_CHARS + 2
    assert main(["rules-suggest", str(DEV)]) == 0
    text = capsys.readouterr().out
    assert text.startswith(f"rules-suggest {DEV}: {len(labelled)} messages")
