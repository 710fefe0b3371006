"""The classifier on residents' real phrasing: categories, urgency, explanation, odd input."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli.arguments import read_labelled_csv
from bot.language import Language
from nlp.classifier import classify
from nlp.normalize import normalize
from nlp.rules import parse_rules
from nlp.segmenter import new_tokenizer, segment
from nlp.taxonomy import Category as C
from tests.conftest import DATA

CATEGORY_CASES = [
    ("3号楼又停水了", C.WATER_SUPPLY),
    ("家里水龙头拧开一滴都没有，咋整啊", C.WATER_SUPPLY),
    ("自来水发黄还有股铁锈味，能喝吗", C.WATER_SUPPLY),
    ("审计厅小区3号楼下水堵了", C.DRAINAGE),
    ("一楼马桶往上返水，满屋子臭", C.DRAINAGE),
    ("暧气不热，屋里才十五度", C.HEATING),
    ("屋里穿着羽绒服还冷得不行", C.HEATING),
    ("整栋楼停电了，啥时候来电？", C.POWER),
    ("楼下电线耷拉下来了，都快碰着人头了", C.POWER),
    ("煤气味很重", C.GAS),
    ("燃气灶打不着火", C.GAS),
    ("小区门口路面坑坑洼洼的，下雨全是泥", C.ROADS),
    ("井盖没了一个大窟窿", C.ROADS),
    ("楼道灯坏了好几天，晚上黑咕隆咚的", C.STREET_LIGHTS),
    ("健身器材的螺丝松了，孩子玩着危险", C.PUBLIC_FACILITIES),
    ("电梯又坏了，老人上不去楼", C.ELEVATOR),
    ("有辆车天天堵在单元门口，出不去", C.PARKING),
    ("楼上天天半夜剁肉", C.NOISE),
    ("广场舞音响震天响，吵死了", C.NOISE),
    ("垃圾桶满了好几天没人清，臭烘烘的", C.SANITATION),
    ("2号楼门口垃圾堆了一个礼拜没人清", C.SANITATION),  # jieba's 垃圾堆 holds the rule word 垃圾
    ("楼道里有人拉飞线给电动车充电", C.FIRE_SAFETY),
    ("消防通道被杂物堵死了", C.FIRE_SAFETY),
    ("楼前大树枝子都伸到窗户里了，该修剪了", C.GREENERY),
    ("物业收了物业费啥也不管", C.PROPERTY_MGMT),
    ("单元门禁坏了，谁都能进", C.PROPERTY_MGMT),
    ("一楼把院子圈起来盖了个彩钢房", C.ILLEGAL_CONSTRUCTION),
    ("楼上漏水把我家天花板泡了，找他他不管", C.NEIGHBOR_DISPUTE),
    ("对门为了占楼道跟我吵起来了", C.NEIGHBOR_DISPUTE),
    ("我妈八十多了一个人住，想问问高龄补贴怎么申请", C.SOCIAL_SERVICES),
    ("养老金啥时候涨", C.OTHER),
    ("孩子幼儿园学费多少钱", C.OTHER),
    ("你好", C.OTHER),
    ("谢谢网格员，辛苦了", C.OTHER),
]


@pytest.mark.parametrize(("text", "category"), CATEGORY_CASES)
def test_category(language: Language, text: str, category: C) -> None:
    """A plainly worded message lands in the category a grid worker would choose."""
    assert language.classify(text).category is category


@pytest.mark.parametrize(
    ("text", "trigger"),
    [
        ("煤气味很重", "煤气味"),
        ("厨房里一股燃气味，头都晕了", "燃气味"),
        ("电梯困人了！！快来", "困人"),
        ("我们被关在电梯里了，3号楼", "电梯+关在"),
        ("楼道着火了冒烟了", "着火"),
        ("路边电线掉地上了还冒火花", "电线+掉"),
        ("小区门口路面塌陷了一个大坑", "塌陷"),
        # issue 15's misses: a typo, a variant spelling, dialect
        ("厨房一股子煤汽味儿", "煤汽+味儿"),
        ("天然气泄露了", "天然气+泄露"),
        ("水管子爆了，楼下都给淹了，赶紧来人", "水管子+爆了"),
    ],
)
def test_urgent(language: Language, text: str, trigger: str) -> None:
    """Life-or-property risks are urgent, and the trigger says why."""
    result = language.classify(text)
    assert result.urgent
    assert result.urgent_trigger == trigger


@pytest.mark.parametrize(
    "text",
    [
        "燃气灶打不着火",  # no gas reaching the stove: not a leak
        "楼道堆满杂物，万一着火人都跑不出去",  # a hazard, not a fire
        "社区下周搞消防演练，着火了怎么跑",  # a drill notice
        "暖气不热",
        "3号楼又停水了",
    ],
)
def test_not_urgent(language: Language, text: str) -> None:
    """Hazards, notices and ordinary faults are not urgent."""
    assert not language.classify(text).urgent


def test_a_misspelt_gas_smell_is_gas_and_a_grumble_is_no_welfare_request(
    language: Language,
) -> None:
    """Issue 15: 煤汽 (a common typo) is gas; "有人管没人管" asks for no 民政帮办."""
    assert language.classify("厨房一股子煤汽味儿").category is C.GAS
    assert language.classify("门口那个事儿到底有人管没人管啊").category is not C.SOCIAL_SERVICES


def test_matched_words_explain_the_choice(language: Language) -> None:
    """Workers see which words decided the category, in the order they were written."""
    result = language.classify("楼上天天半夜剁肉，吵得睡不着")
    assert result.category is C.NOISE
    assert result.matched[:2] == ("半夜", "剁肉")
    assert "睡不着" in result.matched


EXPLAINED = [
    "3号楼又停水了",
    "电梯困人了",
    "楼上天天半夜剁肉声音很大",
    "厨房一股煤气味",
    "审计厅小区3号楼下水堵了",
    "停了水，啥时候来",
    "暧气不热，屋里才十五度，老人冻得直哆嗦",
    "楼道灯坏了，黑咕隆咚的，老人上下楼差点摔了",
    "印象江南 车都停人行道上 我推婴儿车只能走马路 太危险了",
    "楼下有根电线掉地上了还冒火花！！孩子们就在旁边玩，快来人",
    "物业啥也不管，门禁坏了，楼道也没人扫",
    "小区路灯一到晚上全黑，走路得打手电",
    "楼上漏水把我家天花板泡了，找他他不管",
    "路灯大白天也亮着，浪费电",
    "2单元电梯困人了！！卡在9楼和10楼中间，里面有个孩子，物业电话打不通 快来人",
    "楼前的树比楼都高了 我家窗户一点光都进不来",
]


def test_explanation_is_the_residents_own_words(language: Language) -> None:
    """识别依据 quotes the message: no rule notation, no lone characters, no repeats, in order."""
    for text in EXPLAINED:
        normal = normalize(text)
        matched = language.classify(text).matched
        assert matched, text
        assert len(matched) <= 5, (text, matched)
        assert len(set(matched)) == len(matched), (text, matched)
        for word in matched:
            assert "+" not in word, (text, matched)
            assert len(word) >= 2, (text, matched)
            assert word in normal, (text, matched)
        where = [normal.index(word) for word in matched]
        assert where == sorted(where), (text, matched)


def test_every_dev_set_explanation_quotes_its_message(language: Language) -> None:
    """Across the dev set, 识别依据 holds only the resident's words, two characters or more."""
    for text, _ in read_labelled_csv(DATA / "dev.csv"):
        normal = normalize(text[: language.rules.scoring.max_chars])
        matched = language.classify(text).matched
        assert len(set(matched)) == len(matched) <= 5, (text, matched)
        assert all(len(word) >= 2 and word in normal for word in matched), (text, matched)


@pytest.mark.parametrize(
    ("text", "explanation"),
    [
        ("3号楼又停水了", ("停水",)),
        ("电梯困人了", ("电梯", "困人")),
        ("楼上天天半夜剁肉声音很大", ("半夜", "剁肉", "声音很大")),  # a phrase: the sound too loud
        ("厨房一股煤气味", ("煤气味",)),
        ("审计厅小区3号楼下水堵了", ("下水堵了",)),  # a phrase, as the resident put it
        ("停了水，啥时候来", ("停了水",)),
        ("2号楼门口垃圾堆了一个礼拜没人清", ("垃圾堆",)),  # the word holding the rule word
        ("供暖都半个月了，屋里还是十七八度", ("供暖", "屋里", "十七八度")),
        ("楼前的树比楼都高了 我家窗户一点光都进不来", ("楼前的树",)),
        ("小区里的树砍了一大片，谁批的？", ()),  # lone characters with nothing to lean on
    ],
)
def test_explanation_reads_as_written(
    language: Language, text: str, explanation: tuple[str, ...]
) -> None:
    """Phrases show the resident's stretch, one-character words the word before them or nothing."""
    assert language.classify(text).matched == explanation


def test_long_letter_explains_with_a_handful(language: Language) -> None:
    """A letter naming its problem many ways shows at most five words, the strongest, in order."""
    letter = (
        "致网格员的一封信：我们是新玉小区5号楼的几户居民，特此联名反映本楼供暖问题。本楼暖气片"
        "冬天一直不热，开栓以后室温只有十五度，暖气管冰凉，温度计显示才十四度，热力公司说供热正常，"
        "可老人在家穿着羽绒服还冻得直哆嗦。"
    )
    matched = language.classify(letter).matched
    assert language.classify(letter).category is C.HEATING
    assert 3 <= len(matched) <= 5
    where = [normalize(letter).index(word) for word in matched]
    assert where == sorted(where)


def test_several_problems_primary_is_the_first_and_others_are_also(language: Language) -> None:
    """Two clearly named problems: the first is primary, the second is listed in `also`."""
    result = language.classify("3号楼停水了，电梯也坏了")
    assert result.category is C.WATER_SUPPLY
    assert result.also == (C.ELEVATOR,)
    assert not result.ask


def test_unclear_message_asks_the_resident(language: Language) -> None:
    """A matter announced but not named: the resident is asked to pick; nothing is guessed."""
    result = language.classify("我想反映个情况")
    assert (result.category, result.confidence, result.ask) == (C.OTHER, 0.0, True)


@pytest.mark.parametrize(
    "text",
    ["延期交楼快一年了", "村口有人在违法烧制红砖"],
)
def test_a_matter_no_grid_kind_knows_is_other_unasked(language: Language, text: str) -> None:
    """Named, but in words no grid kind knows: other, for the community desk, not a question
    offering kinds the words did not name (``[announce]``)."""
    result = language.classify(text)
    assert (result.category, result.ranked, result.ask) == (C.OTHER, (), False)


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("小区那边有点事想反映一下", True),
        ("我要投诉", True),
        # a longer message says what it is about, whatever word it opens with
        ("我要投诉小区东门外那家公司的员工每天下班在路边打牌赌钱", False),
    ],
)
def test_only_a_short_announcement_is_asked(language: Language, text: str, asked: bool) -> None:
    assert language.classify(text).ask is asked


def test_weak_evidence_asks_and_strong_evidence_does_not(language: Language) -> None:
    """Confidence grows with evidence; the threshold separates asking from filing."""
    weak = language.classify("灯")
    strong = language.classify("楼道灯坏了，声控灯也不亮，晚上黑灯瞎火")
    assert weak.ask
    assert weak.confidence < language.rules.scoring.ask_below
    assert not strong.ask
    assert strong.confidence > 0.8
    assert 0.0 <= weak.confidence < strong.confidence <= 1.0


def test_ask_threshold_is_configurable(language: Language) -> None:
    """Raising ask_below makes the same message ask."""
    text = "3号楼又停水了"
    assert not language.classify(text).ask
    strict = language.rules.with_ask_below(0.99)
    assert classify(text, strict, language.tokenizer).ask


@pytest.mark.parametrize(
    "text",
    ["", "   \n\t ", "😡😡😡🙏", "\u200b\u200d\u202e", "\x00\x01\x02", "？？？。。。", "1111111"],
)
def test_empty_and_meaningless_input(language: Language, text: str) -> None:
    """Nothing to read: category other, confidence 0, ask; never a crash."""
    result = language.classify(text)
    assert (result.category, result.urgent, result.confidence, result.ask) == (
        C.OTHER,
        False,
        0.0,
        True,
    )


def test_emoji_does_not_hide_words(language: Language) -> None:
    """Emoji between words are stripped for matching."""
    assert language.classify("😡又停水了😡😡") == language.classify("又停水了")
    assert language.classify("电梯👍🏻坏了").category is C.ELEVATOR


def test_full_width_and_typos(language: Language) -> None:
    """Full-width input and common typos classify like the clean form."""
    assert language.classify("３号楼　电梯坏了") == language.classify("3号楼 电梯坏了")
    assert language.classify("电悌又坏了").category is C.ELEVATOR
    assert language.classify("ＫＴＶ太吵了").category is C.NOISE


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("燃汽味好大", C.GAS),
        ("造音太大了", C.NOISE),
        ("垃级满了", C.SANITATION),
        ("电体停了", C.ELEVATOR),
        ("屋业不管", C.PROPERTY_MGMT),
        ("消访通道堵了", C.FIRE_SAFETY),
    ],
)
def test_a_pinyin_keyboards_homophone_typo_is_read_as_meant(
    language: Language, text: str, category: C
) -> None:
    """Residents type with a pinyin keyboard and send the first homophone it offers (燃汽 for
    燃气, 造音 for 噪音); the rules list the common ones beside the word they mistype. A smell
    of gas so typed is still urgent."""
    result = language.classify(text)
    assert result.category is category
    assert result.urgent is (category is C.GAS)


def test_long_text_is_read_on_a_bounded_prefix(language: Language) -> None:
    """A 100 KB message is classified on its first max_chars characters, not all of it."""
    max_chars = language.rules.scoring.max_chars
    filler = "今天天气挺好我们出去走走" * (100_000 // 12)
    assert len(filler) >= 100_000 - 12
    early = "3号楼停水了。" + filler
    late = filler[:max_chars] + "3号楼停水了。" + filler
    assert language.classify(early).category is C.WATER_SUPPLY
    assert "停水" not in language.classify(late).matched


def test_exclusion_vetoes_a_category(cache_dir: Path) -> None:
    """An exclusion word removes the category for that message."""
    rules = parse_rules(
        """
        [categories.sanitation]
        keywords = [{ weight = 3, words = ["垃圾"] }]
        exclude = ["垃圾短信"]
        [dictionary]
        words = ["垃圾短信"]
        """
    )
    tokenizer = new_tokenizer(rules.vocabulary, cache_dir)
    assert classify("楼下垃圾没人清", rules, tokenizer).category is C.SANITATION
    assert classify("天天收到垃圾短信", rules, tokenizer).category is C.OTHER


def test_phrase_window_is_respected(cache_dir: Path) -> None:
    """A phrase matches only when its parts are within the window."""
    rules = parse_rules(
        """
        [categories.elevator]
        phrases = [{ words = ["梯", "困|卡"], window = 3, weight = 3 }]
        """
    )
    tokenizer = new_tokenizer(rules.vocabulary, cache_dir)
    near = classify("梯 卡 住了", rules, tokenizer)
    far = classify("梯 今天 我们 一家 人 被 卡", rules, tokenizer)
    assert near.category is C.ELEVATOR
    assert near.matched == ()  # one-character words with no word beside them are not shown
    assert far.category is C.OTHER


def test_rule_words_segment_whole(language: Language) -> None:
    """Rule words are cut out whole even where jieba's own dictionary would split them."""
    words = list(segment(language.tokenizer, "审计厅小区3号楼下水堵了，单元门口楼道灯坏了"))
    assert "下水" in words
    assert "楼道灯" in words
    assert "单元门口" in words
