"""Postal addresses (LOCATION): Chinese ones from jieba tokens, English street lines from patterns.

Chinese: the jieba segmenter of the ``zh`` pipeline already cuts ``北京市/朝阳区/建国路/88/号``; a run of
address components (admin units 省市区县镇村, roads 路街巷弄, numbers with 号栋室楼, estates 小区/大厦) is an
address. A run with a road or a house number is reported (0.8-0.9). Admin units alone (``北京市朝阳区``)
name a place, not a person's address, and are reported only after a cue (住在 / 地址 / 寄到 ...):
masking every city would blind the assistant to branch questions (``朝阳区的网点几点开门``).
"""

from __future__ import annotations

from typing import ClassVar

import regex
from presidio_analyzer.nlp_engine import NlpArtifacts

from privacy.recognizers.base import DeclarativeRecognizer, PatternSpec

_ADMIN_SUFFIXES = (
    "自治区",
    "自治州",
    "自治县",
    "新区",
    "开发区",
    "街道",
    "省",
    "市",
    "区",
    "县",
    "镇",
    "乡",
    "村",
    "旗",
    "盟",
)
_ROAD_SUFFIXES = ("大道", "大街", "胡同", "路", "街", "巷", "弄", "道")
_UNITS = frozenset(
    {"号", "号楼", "号院", "栋", "幢", "单元", "室", "楼", "层", "座", "段", "期", "门", "组", "排", "户"}
)
_PLACE_SUFFIXES = (
    "大厦",
    "小区",
    "花园",
    "公寓",
    "广场",
    "中心",
    "大楼",
    "家园",
    "新村",
    "宿舍",
    "苑",
    "园",
    "城",
    "庄",
    "院",
)
# Province-level names and large cities written without their suffix (北京 rather than 北京市).
_GAZETTEER = frozenset(
    [
        "北京",
        "天津",
        "上海",
        "重庆",
        "河北",
        "山西",
        "辽宁",
        "吉林",
        "黑龙江",
        "江苏",
        "浙江",
        "安徽",
        "福建",
        "江西",
        "山东",
        "河南",
        "湖北",
        "湖南",
        "广东",
        "海南",
        "四川",
        "贵州",
        "云南",
        "陕西",
        "甘肃",
        "青海",
        "台湾",
        "内蒙古",
        "广西",
        "西藏",
        "宁夏",
        "新疆",
        "香港",
        "澳门",
        "深圳",
        "广州",
        "杭州",
        "南京",
        "武汉",
        "成都",
        "西安",
        "苏州",
        "郑州",
        "长沙",
        "沈阳",
        "青岛",
        "宁波",
        "东莞",
        "无锡",
        "佛山",
        "合肥",
        "大连",
        "福州",
        "厦门",
        "哈尔滨",
        "济南",
        "温州",
        "南宁",
        "长春",
        "泉州",
        "石家庄",
        "贵阳",
        "南昌",
        "金华",
        "常州",
        "珠海",
        "惠州",
        "嘉兴",
        "南通",
        "中山",
        "保定",
        "兰州",
        "台州",
        "徐州",
        "太原",
        "绍兴",
        "烟台",
        "廊坊",
        "海口",
        "昆明",
        "乌鲁木齐",
        "呼和浩特",
        "拉萨",
        "银川",
        "西宁",
    ]
)
_NUMERAL = regex.compile(r"^[0-9一二三四五六七八九十百零〇两]+[A-Za-z]?$")
_HAN = regex.compile(r"^\p{Han}+$")
# Tokens that never sit inside an address (they end a run).
_BREAKERS = frozenset(
    [
        "的",
        "了",
        "和",
        "与",
        "及",
        "或",
        "是",
        "在",
        "我",
        "你",
        "他",
        "她",
        "想",
        "要",
        "请",
        "问",
        "吗",
        "呢",
        "吧",
        "啊",
        "给",
        "把",
        "被",
        "让",
        "到",
        "从",
        "住",
        "寄",
        "送",
        "家",
    ]
)
_WORDS_NOT_ROADS = frozenset(
    {"知道", "渠道", "频道", "通道", "味道", "一道", "报道", "难道", "管道", "轨道", "赛道", "街道办"}
)

ADMIN, ROAD, NUM, UNIT, PLACE, GAZ, FREE, STOP = range(8)


def _kind(token: str) -> int:
    if _NUMERAL.match(token):
        return NUM
    if token in _UNITS or (token.startswith("号") and len(token) <= 4):
        return UNIT
    if not _HAN.match(token) or token in _BREAKERS:
        return STOP
    if token in _GAZETTEER:
        return GAZ
    if len(token) >= 2 and token.endswith(_ADMIN_SUFFIXES):
        return ADMIN
    if len(token) >= 2 and token.endswith(_ROAD_SUFFIXES) and token not in _WORDS_NOT_ROADS:
        return ROAD
    if len(token) >= 2 and token.endswith(_PLACE_SUFFIXES):
        return PLACE
    return FREE


class ZhAddressRecognizer(DeclarativeRecognizer):
    """Chinese address runs from the segmenter's tokens; see the module docstring for the scoring."""

    ENTITY = "LOCATION"
    CONTEXT = ("住在", "住址", "地址", "寄到", "送到", "家在", "收货", "搬到", "户籍", "居住", "address")
    CONTEXT_BOOST = 0.4
    PRIORITY = 30

    def extra_candidates(self, text: str, nlp_artifacts: NlpArtifacts | None) -> list[tuple[int, int, float]]:
        if nlp_artifacts is None or nlp_artifacts.tokens is None:
            return []
        toks = [(t.idx, t.idx + len(t.text), _kind(t.text)) for t in nlp_artifacts.tokens if not t.is_space]
        out: list[tuple[int, int, float]] = []
        i = 0
        while i < len(toks):
            kind = toks[i][2]
            starts = kind in (ADMIN, ROAD) or (
                kind == GAZ and i + 1 < len(toks) and toks[i + 1][2] in (ADMIN, ROAD)
            )
            if not starts:
                i += 1
                continue
            kinds = [kind]
            last, j = i, i + 1
            while j < len(toks):
                k = toks[j][2]
                if toks[j][0] - toks[j - 1][1] > 1:  # a gap (space, punctuation dropped) ends the run
                    break
                if k in (ADMIN, ROAD, NUM, UNIT, PLACE, GAZ):
                    kinds.append(k)
                    last = j
                elif k == FREE and any(t[2] in (ROAD, NUM, UNIT, PLACE, ADMIN) for t in toks[j + 1 : j + 3]):
                    kinds.append(k)
                else:
                    break
                j += 1
            score = self._score(kinds[: last - i + 1])
            if score > 0:
                out.append((toks[i][0], toks[last][1], score))
            i = last + 1
        return out

    @staticmethod
    def _score(kinds: list[int]) -> float:
        has_road = ROAD in kinds
        numbered = any(a == NUM and b == UNIT for a, b in zip(kinds, kinds[1:], strict=False))
        admins = sum(k in (ADMIN, GAZ) for k in kinds)
        if has_road and numbered:
            return 0.9
        if (has_road or numbered) and admins:
            return 0.8
        if has_road or (admins and PLACE in kinds):
            return 0.45
        return 0.3 if admins else 0.0


_STREET_TYPES = (
    "Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Square|Sq|Terrace|"
    "Crescent|Close|Parkway|Pkwy|Highway|Hwy|Row|Circle|Cir|Trail|Grove|Gardens|Hill|Park|Walk"
)
_STREET_PREFIXES = (
    "Via|Viale|Rue|Avenida|Av\\.|Rua|Calle|Carrera|Piazza|Plaza|Strada|Chemin|Allée|Praça|Largo"
)
_GLUED_SUFFIXES = "straße|strasse|str\\.|gasse|weg|gatan|vägen|vej|veien|katu|tie|straat|laan|gade|allee|utca"


class EnStreetAddressRecognizer(DeclarativeRecognizer):
    """Street lines the English NER does not tag: ``24 Clarke Avenue``, ``Via Roma 131``,
    ``Hauptstraße 5``, ``Apt. 117``, ``P.O. Box 186``.

    Street lines score 0.88-0.9, above the NER's 0.85, because the small English model often calls the
    street name in them a person (``69 Gordon Terrace``): the street pattern is the better witness."""

    ENTITY = "LOCATION"
    _name = r"\p{Lu}[\p{L}'\-]*"
    PATTERNS: ClassVar[tuple[PatternSpec, ...]] = (
        PatternSpec(
            "number_name_type",
            rf"(?<![\p{{L}}\d])\d{{1,5}}[A-Za-z]?\s+(?:{_name}\s+){{0,3}}(?:{_STREET_TYPES})\b\.?",
            0.9,
        ),
        PatternSpec(
            "type_name_number",
            rf"\b(?:{_STREET_PREFIXES})\s+(?:[\p{{L}}'\-]+\s+){{0,3}}\d{{1,5}}[A-Za-z]?\b",
            0.88,
        ),
        PatternSpec(
            "name_type_number",
            rf"\b{_name}\s+(?:{_STREET_TYPES}|Strasse|Straße|Gasse|Weg|Allee|Platz)\.?\s+\d{{1,5}}[A-Za-z]?\b",
            0.9,
        ),
        PatternSpec(
            "military", r"\b(?:PSC|CMR|Unit)\s+\d{3,4},?\s+Box\s+\d{3,4}(?:\s+[AF]PO\s+A[AEP]\s+\d{5})?", 0.9
        ),
        PatternSpec("glued_street", rf"\b\p{{Lu}}\p{{Ll}}*(?:{_GLUED_SUFFIXES})\s+\d{{1,5}}[a-z]?\b", 0.9),
        PatternSpec("unit", r"\b(?:Apt|Apartment|Suite|Ste|Unit|Flat)\.?\s*#?\s*\d{1,5}[A-Za-z]?\b", 0.6),
        PatternSpec("po_box", r"\bP\.?\s?O\.?\s+Box\s+\d{1,6}\b", 0.9),
    )
    CONTEXT = ("address", "live at", "lives at", "located at", "send it to", "deliver to", "moved to")
    CONTEXT_WINDOW = 24
    CONTEXT_BOOST = 0.2
    PRIORITY = 30
