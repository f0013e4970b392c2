"""Names after a cue (PERSON): ``我叫 / 我是 / 姓名 / 持卡人 ...`` and ``my name is / this is ...``.

No Chinese NER model is available offline, so Chinese names are found only where the customer introduces
them: a cue, then a surname from the common-surname list, then one or two given-name characters (or a
title such as 先生). The candidate is dropped when it starts with an ordinary dictionary word (``我是高级
会员``: 高级 is an adjective in jieba's dictionary, not a name).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from privacy.recognizers.base import DeclarativeRecognizer, PatternSpec

# The ~300 most common single-character surnames and the compound ones (百家姓 order does not matter).
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常"
    "温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍"
    "涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景"
    "党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官"
    "封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹井祖漆"
    "巴丰支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿鲜印逯隆茹诸"
    "战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由"
)
COMPOUND_SURNAMES = (
    "欧阳",
    "司马",
    "诸葛",
    "上官",
    "东方",
    "皇甫",
    "慕容",
    "令狐",
    "长孙",
    "宇文",
    "夏侯",
    "尉迟",
    "公孙",
    "端木",
    "申屠",
    "独孤",
    "南宫",
    "西门",
    "百里",
    "呼延",
    "轩辕",
    "澹台",
    "钟离",
    "司徒",
    "司空",
)
TITLES = ("先生", "女士", "小姐", "老师", "经理", "阿姨", "师傅", "同学", "医生", "律师", "总")
_ZH_CUES = (
    r"我叫|我是|我姓名是|本人(?:是|叫)?|姓名(?:是|为)?|名字(?:是|叫)|叫做|"
    r"(?:联系人|收件人|收货人|持卡人|开户人|申请人|户名|客户姓名|账户名|户主)(?:是|为)?"
)
# Characters that end a given name: particles, verbs and pronouns that follow names in requests.
_BRANDS = frozenset(
    {"Visa", "Master", "Mastercard", "Apple", "App", "Plus", "Pro", "Max", "Gold", "Platinum"}
)
_STOP = "的了是在想要问请不能会可以和与及或吧呢吗啊呀哦嗯我你他她它们这那有就都也还来去说办查转好需已刚现"


class ZhNameCueRecognizer(DeclarativeRecognizer):
    """Chinese name after an introduction cue: 我叫张三 -> 张三, 持卡人：欧阳娜娜 -> 欧阳娜娜, 我叫John Smith."""

    ENTITY = "PERSON"
    _given = rf"(?:(?![{_STOP}])[\u4e00-\u9fff])"
    _surname = "(?:" + "|".join(COMPOUND_SURNAMES) + f"|[{SURNAMES}])"
    PATTERNS: ClassVar[tuple[PatternSpec, ...]] = (
        PatternSpec(
            "zh_name_cue",
            rf"(?:{_ZH_CUES})\s*[:：]?\s*(?P<value>{_surname}(?:{'|'.join(TITLES)}|{_given}{{1,2}})"
            r"|[A-Z][a-z]+(?:[ ][A-Z][a-z]+){0,2})",
            0.7,
        ),
    )
    PRIORITY = 45
    NEEDS = ("word_tags",)

    def __init__(self, *, word_tags: Mapping[str, str] | None = None, **kwargs: object) -> None:
        # word -> part-of-speech tag from jieba's dictionary; empty when jieba is not in use.
        self._word_tags: Mapping[str, str] = word_tags or {}
        super().__init__(**kwargs)  # type: ignore[arg-type]

    def validate(self, value: str) -> bool | None:
        if value.isascii():  # 我叫John Smith; 我是Visa卡用户 is a card brand, not a name
            return False if value.split()[0] in _BRANDS else None
        if value[-2:] in TITLES or value[-1:] in TITLES:
            return None
        first = 3 if value[:2] in COMPOUND_SURNAMES else 2  # 欧阳 alone is tagged as a place
        for end in range(first, len(value) + 1):
            tag = self._word_tags.get(value[:end])
            if tag is not None and not tag.startswith("nr"):
                return False  # 高级会员, 黄金周: a common word, not a name
        return None


class EnNameCueRecognizer(DeclarativeRecognizer):
    """English name after ``my name is / name: / this is ... speaking / I am <First Last>``, and after
    a title (Mr, Mrs, Ms, Dr). The span is the name only, not the cue or the title."""

    ENTITY = "PERSON"
    _word = r"\p{Lu}[\p{Ll}'\-]+"
    PATTERNS: ClassVar[tuple[PatternSpec, ...]] = (
        PatternSpec(
            "my_name_is",
            rf"(?i:\b(?:my |first |last |full |maiden |middle )?name is|\bname\s*:|\bcall me|\bsigned,?)\s+(?P<value>{_word}(?:\s{_word}){{0,2}})",
            0.7,
        ),
        PatternSpec(
            "i_am_full_name",
            rf"(?i:\bthis is|\bi am|\bi'm)\s+(?P<value>{_word}(?:\s{_word}){{1,2}})\b",
            0.6,
        ),
        PatternSpec(
            "title",
            rf"\b(?:Mr|Mrs|Ms|Miss|Dr|Prof)\.?\s+(?P<value>{_word}(?:\s{_word}){{0,2}})",
            0.6,
        ),
    )
    PRIORITY = 45
    _NOT_NAMES = frozenset(
        {"I", "The", "A", "An", "Not", "Very", "So", "Just", "Here", "There", "Calling", "Looking", "Writing"}
    )

    def validate(self, value: str) -> bool | None:
        return False if value.split()[0] in self._NOT_NAMES else None


class ZhNameTaggerRecognizer(DeclarativeRecognizer):
    """Opt-in: Chinese names without a cue, from jieba's part-of-speech tagger (``nr``).

    Kept to words that start with a common surname, are 2-3 characters (4 with a compound surname) and
    are rare in jieba's dictionary (frequency <= ``MAX_FREQ``): the dictionary tags everyday words such as
    银行卡 and 明白 as names too. On CLUENER2020 it finds about 60% of names at about 80% precision, but in
    a bank's chat its misses are product names (白金卡, 金葵花), so it is off in the shipped registry;
    ``kefu eval pii-suite`` reports the Chinese figures with and without it.
    """

    ENTITY = "PERSON"
    MAX_FREQ = 50
    PRIORITY = 40
    NEEDS = ("word_tags",)

    def __init__(self, *, word_tags: Mapping[str, str] | None = None, **kwargs: object) -> None:
        import jieba
        import jieba.posseg

        self._cut = jieba.posseg.dt.cut
        self._freq: Mapping[str, int] = jieba.dt.FREQ
        self._word_tags: Mapping[str, str] = word_tags or {}
        super().__init__(**kwargs)  # type: ignore[arg-type]

    def extra_candidates(self, text: str, nlp_artifacts: object) -> list[tuple[int, int, float]]:
        out, pos = [], 0
        for pair in self._cut(text):
            word, flag = pair.word, pair.flag
            if flag in ("nr", "nrfg", "nrt") and self._plausible(word):
                out.append((pos, pos + len(word), 0.55))
            pos += len(word)
        return out

    def _plausible(self, word: str) -> bool:
        compound = word[:2] in COMPOUND_SURNAMES
        if not ((compound and 3 <= len(word) <= 4) or (word[0] in SURNAMES and 2 <= len(word) <= 3)):
            return False
        if self._freq.get(word, 0) > self.MAX_FREQ:
            return False
        return self._word_tags.get(word, "nr").startswith("nr")
