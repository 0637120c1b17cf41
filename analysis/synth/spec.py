"""Fixed inputs of the synthetic demo wave: questionnaire, margins, true parameters.

Everything :mod:`analysis.synth.demo` draws from is a constant here, so the
generative model can be read in one place and ``truth.yaml`` can echo it.
Numbers tagged *census* come from ``../shared/domain.md`` section 2.1; numbers
tagged *invented* are plausible values chosen for the demo, not estimates.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "SEED",
    "N_ROWS",
    "ACTIVITY_ID",
    "TITLE",
    "FIELDWORK",
    "PROVINCES",
    "REGIONS",
    "REGION_LABELS",
    "POPULATION",
    "PANEL",
    "TIER_PROFILES",
    "EDUCATION_TABLE",
    "INCOME_MODEL",
    "FEATURES",
    "AGE_CENTRE",
    "ETA_MEAN",
    "MULTI",
    "MULTI_NONE",
    "PUBLISHED",
    "GRID_ITEMS",
    "LIKERT",
    "PURCHASE",
    "COUNT_MODEL",
    "WTP",
    "PAYMENT_CARD",
    "DC_BIDS",
    "LADDER",
    "SECONDHAND",
    "VW",
    "VW_QUESTIONS",
    "INTENT",
    "DIRT",
    "DURATION",
    "QUESTIONS",
    "DEMOGRAPHIC_OPTIONS",
    "YES_NO",
    "WILLING",
    "cumulative",
]

SEED = 20221205  # the report's release month; any fixed integer would do
N_ROWS = 4000
ACTIVITY_ID = 183920571  # invented 问卷星 activity number
TITLE = "2022中国低碳消费调查（合成演示）"
FIELDWORK = ("2022-09-05", "2022-09-18")  # invented window, before the December release

# ------------------------------------------------------------ questionnaire
# qid -> (问卷星 number, zh stem, en label, exported header).  Headers follow real
# exports: most ``n、题干``, one trailing space, one ``n.`` variant, one ``[下拉题]`` tag.
QUESTIONS: dict[str, tuple[int, str, str, str]] = {
    "sex": (1, "您的性别", "Sex", "1、您的性别 "),
    "age_band": (2, "您的年龄段", "Age band", "2、您的年龄段"),
    "province": (3, "您目前常住的省份", "Province of residence", "3、您目前常住的省份[下拉题]"),
    "urban": (4, "您目前居住在城镇还是农村？", "Urban or rural residence",
              "4、您目前居住在城镇还是农村？"),
    "city_tier": (5, "您所居住城市的级别", "City tier", "5、您所居住城市的级别"),
    "education": (6, "您的最高学历", "Highest education", "6.您的最高学历"),
    "income": (7, "您的个人月收入（税前）", "Personal monthly income (before tax)",
               "7、您的个人月收入（税前）"),
    "channels": (8, "您通常通过哪些渠道了解低碳产品和低碳消费？（多选）",
                 "Channels for learning about low-carbon products (select all)",
                 "8、您通常通过哪些渠道了解低碳产品和低碳消费？（多选）"),
    "products": (9, "提到低碳产品，您首先会想到哪些类别？（多选）",
                 "Product categories thought of first (select all)",
                 "9、提到低碳产品，您首先会想到哪些类别？（多选）"),
    "barriers": (10, "您认为以下哪些因素阻碍了您购买低碳产品？（多选）",
                 "Barriers to buying low-carbon products (select all)",
                 "10、您认为以下哪些因素阻碍了您购买低碳产品？（多选）"),
    "attitudes": (11, "请评价您对以下说法的同意程度", "Agreement with statements", ""),
    "attention": (12, "为了确认您在认真作答，本题请选择“比较同意”",
                  "Attention check: please choose 'Agree'",
                  "12、为了确认您在认真作答，本题请选择“比较同意”"),
    "purchased": (13, "过去12个月，您是否购买过低碳产品（如节能家电、新能源汽车、环保纸品等）？",
                  "Bought low-carbon products in the last 12 months",
                  "13、过去12个月，您是否购买过低碳产品（如节能家电、新能源汽车、环保纸品等）？"),
    "purchase_count": (14, "过去12个月，您大约购买过几次低碳产品？（次）",
                       "Number of low-carbon purchases in the last 12 months",
                       "14、过去12个月，您大约购买过几次低碳产品？（次）"),
    "premium_card": (15, "与同类普通产品相比，您最多愿意为低碳产品多付多少钱？",
                     "Maximum premium for a low-carbon product (payment card)",
                     "15、与同类普通产品相比，您最多愿意为低碳产品多付多少钱？"),
    "dc_bid": (16, "低碳版溢价比例（系统随机分配，%）", "Initial premium bid (%, randomised)",
               "16、低碳版溢价比例（系统随机分配，%）"),
    "dc_first": (17, "如果低碳版产品比同类普通产品贵出上题所示的比例，您是否愿意购买？",
                 "Would buy at the initial premium",
                 "17、如果低碳版产品比同类普通产品贵出上题所示的比例，您是否愿意购买？"),
    "dc_followup": (18, "如果价格差距调整为追问比例（上题选“愿意”则翻倍，选“不愿意”则减半），"
                        "您是否愿意购买？", "Would buy at the follow-up premium",
                    "18、如果价格差距调整为追问比例（上题选“愿意”则翻倍，选“不愿意”则减半），"
                    "您是否愿意购买？"),
    "secondhand": (19, "二手商品价格为新品的几折及以下时，您才会考虑购买？",
                   "Second-hand: at what share of the new price would you consider buying?",
                   "19、二手商品价格为新品的几折及以下时，您才会考虑购买？"),
    "suggestion": (20, "您对推广低碳产品和低碳消费有什么建议？（选填）",
                   "Suggestions for promoting low-carbon consumption (optional)",
                   "20、您对推广低碳产品和低碳消费有什么建议？（选填）"),
    # Van Westendorp block (Newton-Miller-Smith purchase intent at the cheap and expensive
    # prices), after the suggestion so that questions 1-20 keep their numbers.
    "vw_too_cheap": (21, "一款低碳版电热水壶，价格低到多少元时，您会因为怀疑质量而不考虑购买？（元）",
                     "Kettle: price so low you would doubt its quality (yuan)",
                     "21、一款低碳版电热水壶，价格低到多少元时，您会因为怀疑质量而不考虑购买？（元）"),
    "vw_cheap": (22, "价格为多少元时，您会觉得这款低碳电热水壶很划算？（元）",
                 "Kettle: price that is a bargain (yuan)",
                 "22、价格为多少元时，您会觉得这款低碳电热水壶很划算？（元）"),
    "vw_expensive": (23, "价格为多少元时，您会觉得它开始有点贵，但仍会考虑购买？（元）",
                     "Kettle: price that is getting expensive but still considered (yuan)",
                     "23、价格为多少元时，您会觉得它开始有点贵，但仍会考虑购买？（元）"),
    "vw_too_expensive": (24, "价格高到多少元时，您会觉得太贵而不考虑购买？（元）",
                         "Kettle: price too expensive to consider (yuan)",
                         "24、价格高到多少元时，您会觉得太贵而不考虑购买？（元）"),
    "vw_intent_cheap": (25, "如果价格是您认为“很划算”的价格，您购买这款低碳电热水壶的可能性有多大？",
                        "Purchase intent at the bargain price",
                        "25、如果价格是您认为“很划算”的价格，您购买这款低碳电热水壶的可能性有多大？"),
    "vw_intent_expensive": (26, "如果价格是您认为“开始有点贵”的价格，您购买的可能性有多大？",
                            "Purchase intent at the getting-expensive price",
                            "26、如果价格是您认为“开始有点贵”的价格，您购买的可能性有多大？"),
}
# Demographic options: (name, zh as exported, en).
DEMOGRAPHIC_OPTIONS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "sex": (("male", "男", "Male"), ("female", "女", "Female")),
    "age_band": (("age18_24", "18-24岁", "18-24"), ("age25_34", "25-34岁", "25-34"),
                 ("age35_44", "35-44岁", "35-44"), ("age45_54", "45-54岁", "45-54"),
                 ("age55_64", "55-64岁", "55-64"), ("age65_69", "65-69岁", "65-69")),
    "urban": (("urban", "城镇", "Urban"), ("rural", "农村", "Rural")),
    "city_tier": (("tier1", "一线城市", "Tier 1"), ("new_tier1", "新一线城市", "New tier 1"),
                  ("tier2", "二线城市", "Tier 2"), ("tier3", "三线城市", "Tier 3"),
                  ("tier4_below", "四线及以下城市（含县城、乡镇、农村）",
                   "Tier 4 or below (incl. counties, towns, villages)")),
    "education": (("junior_or_less", "初中及以下", "Junior secondary or less"),
                  ("senior_high", "高中、中专或技校", "Senior secondary or vocational"),
                  ("junior_college", "大专", "Junior college"), ("bachelor", "本科", "Bachelor"),
                  ("postgraduate", "硕士及以上", "Postgraduate")),
    "income": (("inc_lt3k", "3000元以下", "Under 3,000 yuan"),
               ("inc_3k_5k", "3000-4999元", "3,000-4,999 yuan"),
               ("inc_5k_8k", "5000-7999元", "5,000-7,999 yuan"),
               ("inc_8k_12k", "8000-11999元", "8,000-11,999 yuan"),
               ("inc_12k_plus", "12000元及以上", "12,000 yuan or more")),
}
YES_NO = (("yes", "是", "Yes"), ("no", "否", "No"))
WILLING = (("yes", "愿意", "Yes"), ("no", "不愿意", "No"))

# ------------------------------------------------------------------ geography
# (key, label as exported, region, census 2020 count, IP cities, tier profile)
PROVINCES: tuple[tuple[str, str, str, int, tuple[str, ...], str], ...] = (
    ("beijing", "北京", "east", 21_893_095, ("北京",), "tier1"),
    ("tianjin", "天津", "east", 13_866_009, ("天津",), "tianjin"),
    ("hebei", "河北", "east", 74_610_235, ("石家庄", "保定", "唐山"), "second"),
    ("shanxi", "山西", "central", 34_915_616, ("太原", "大同"), "second"),
    ("neimenggu", "内蒙古", "west", 24_049_155, ("呼和浩特", "包头"), "second"),
    ("liaoning", "辽宁", "northeast", 42_591_407, ("沈阳", "大连"), "second"),
    ("jilin", "吉林", "northeast", 24_073_453, ("长春", "吉林"), "second"),
    ("heilongjiang", "黑龙江", "northeast", 31_850_088, ("哈尔滨", "大庆"), "second"),
    ("shanghai", "上海", "east", 24_870_895, ("上海",), "tier1"),
    ("jiangsu", "江苏", "east", 84_748_016, ("南京", "苏州", "无锡"), "newtier1"),
    ("zhejiang", "浙江", "east", 64_567_588, ("杭州", "宁波", "温州"), "newtier1"),
    ("anhui", "安徽", "central", 61_027_171, ("合肥", "芜湖"), "newtier1"),
    ("fujian", "福建", "east", 41_540_086, ("福州", "厦门", "泉州"), "second"),
    ("jiangxi", "江西", "central", 45_188_635, ("南昌", "赣州"), "second"),
    ("shandong", "山东", "east", 101_527_453, ("济南", "青岛", "烟台"), "newtier1"),
    ("henan", "河南", "central", 99_365_519, ("郑州", "洛阳"), "newtier1"),
    ("hubei", "湖北", "central", 57_752_557, ("武汉", "宜昌"), "newtier1"),
    ("hunan", "湖南", "central", 66_444_864, ("长沙", "株洲"), "newtier1"),
    ("guangdong", "广东", "east", 126_012_510, ("广州", "深圳", "东莞", "佛山"), "guangdong"),
    ("guangxi", "广西", "west", 50_126_804, ("南宁", "桂林"), "second"),
    ("hainan", "海南", "east", 10_081_232, ("海口", "三亚"), "second"),
    ("chongqing", "重庆", "west", 32_054_159, ("重庆",), "chongqing"),
    ("sichuan", "四川", "west", 83_674_866, ("成都", "绵阳"), "newtier1"),
    ("guizhou", "贵州", "west", 38_562_148, ("贵阳", "遵义"), "second"),
    ("yunnan", "云南", "west", 47_209_277, ("昆明", "曲靖"), "second"),
    ("xizang", "西藏", "west", 3_648_100, ("拉萨",), "small"),
    ("shaanxi", "陕西", "west", 39_528_999, ("西安", "宝鸡"), "newtier1"),
    ("gansu", "甘肃", "west", 25_019_831, ("兰州", "天水"), "second"),
    ("qinghai", "青海", "west", 5_923_957, ("西宁",), "small"),
    ("ningxia", "宁夏", "west", 7_202_654, ("银川",), "small"),
    ("xinjiang", "新疆", "west", 25_852_345, ("乌鲁木齐", "昌吉"), "second"),
)
REGIONS = ("east", "central", "west", "northeast")
REGION_LABELS = {"east": ("东部", "East"), "central": ("中部", "Central"),
                 "west": ("西部", "West"), "northeast": ("东北", "Northeast")}

# Urban residents' city tier by province profile (invented from the 2022 tier lists:
# tier 1 = 北上广深; 新一线 includes 成都 重庆 杭州 西安 武汉 苏州 郑州 南京 天津 长沙
# 东莞 宁波 佛山 合肥 青岛).  Rural residents are all "四线及以下".
TIER_PROFILES: dict[str, tuple[float, float, float, float, float]] = {
    "tier1": (1.0, 0.0, 0.0, 0.0, 0.0),
    "guangdong": (0.45, 0.20, 0.10, 0.10, 0.15),
    "tianjin": (0.0, 0.90, 0.0, 0.0, 0.10),
    "chongqing": (0.0, 0.75, 0.0, 0.0, 0.25),
    "newtier1": (0.0, 0.30, 0.20, 0.25, 0.25),
    "second": (0.0, 0.0, 0.35, 0.30, 0.35),
    "small": (0.0, 0.0, 0.0, 0.50, 0.50),
}

# ------------------------------------------------------------- the margins
# Population: adults 18-69 living in the 31 provinces (census 2020; targets.yaml).
POPULATION = {
    "sex": {"male": 51.24, "female": 48.76},
    "age_band": {"age18_24": 10.44, "age25_34": 21.68, "age35_44": 19.27,
                 "age45_54": 23.63, "age55_64": 17.55, "age65_69": 7.43},
    "region": {"east": 39.99, "central": 25.87, "west": 27.16, "northeast": 6.99},
    "urban": {"urban": 63.89, "rural": 36.11},
}
# The online panel the demo "recruited" from (invented): younger, more urban, more eastern.
PANEL = {
    "sex": {"male": 47.0, "female": 53.0},
    "age_band": {"age18_24": 17.0, "age25_34": 33.0, "age35_44": 24.0,
                 "age45_54": 15.0, "age55_64": 8.0, "age65_69": 3.0},
    "region": {"east": 50.0, "central": 22.0, "west": 21.0, "northeast": 7.0},
    "urban": {"urban": 80.0, "rural": 20.0},
}
AGE_CENTRE = (-1.9, -1.05, -0.05, 0.95, 1.95, 2.7)  # (band midpoint - 40) / 10

# Education (junior_or_less .. postgraduate) by age band, for urban / rural residents (invented).
EDUCATION_TABLE = {
    "urban": ((0.12, 0.30, 0.28, 0.27, 0.03), (0.20, 0.22, 0.24, 0.29, 0.05),
              (0.32, 0.24, 0.18, 0.22, 0.04), (0.50, 0.27, 0.12, 0.10, 0.01),
              (0.60, 0.27, 0.08, 0.045, 0.005), (0.68, 0.22, 0.06, 0.035, 0.005)),
    "rural": ((0.38, 0.35, 0.17, 0.09, 0.01), (0.55, 0.24, 0.12, 0.08, 0.01),
              (0.72, 0.18, 0.06, 0.035, 0.005), (0.84, 0.12, 0.025, 0.013, 0.002),
              (0.90, 0.08, 0.012, 0.007, 0.001), (0.93, 0.06, 0.006, 0.003, 0.001)),
}
# Personal monthly income: ordered logit on education, residence, age, city tier, sex (invented).
INCOME_MODEL: dict[str, Any] = {
    "education": 0.9, "urban": 0.7, "tier_c": 0.3, "female": -0.3,
    "age": (-1.2, 0.0, 0.2, 0.0, -0.5, -1.0),
    "cuts": (0.4, 1.7, 3.0, 4.1),
}

# Covariates of the answer models, all computable from the tidy frame:
# female = sex is female; age_c = AGE_CENTRE[age_band]; urban = urban is urban;
# edu_c = education index (0..4) - 2; inc_c = income index - 2;
# tier_c = 2 - tier index (tier1 = 2 ... tier4_below = -2); east = region is east.
FEATURES = ("female", "age_c", "urban", "edu_c", "inc_c", "tier_c", "east")
# Latent green engagement eta ~ N(ETA_MEAN . x, 1) (invented).
ETA_MEAN = {"female": 0.12, "age_c": 0.05, "urban": 0.15, "edu_c": 0.15, "inc_c": 0.10,
            "tier_c": 0.05, "east": 0.05}

# ------------------------------------------------------- multiple choices
# option -> (zh label as exported, en label, population share %, slopes incl. "eta").
# Each option is a logit: intercept (calibrated) + slopes . x + eta slope * eta.
MULTI: dict[str, dict[str, tuple[str, str, float, dict[str, float]]]] = {
    "channels": {
        "tv_radio_print": ("电视、广播、报刊、书籍", "TV, radio, newspapers, books", 62.80,
                           {"age_c": 0.35, "urban": -0.10, "edu_c": -0.05, "eta": 0.35}),
        "public_ads": ("公共场所的公益宣传", "Public-service ads in public places", 62.61,
                       {"age_c": 0.15, "urban": 0.20, "tier_c": 0.10, "eta": 0.40}),
        "social_media": ("微信、微博、抖音等社交媒体", "Social media (WeChat, Weibo, Douyin)", 55.0,
                         {"age_c": -0.35, "edu_c": 0.15, "female": 0.10, "eta": 0.30}),
        "ecommerce": ("电商平台的商品介绍", "E-commerce product pages", 42.0,
                      {"age_c": -0.30, "inc_c": 0.15, "urban": 0.20, "tier_c": 0.10, "eta": 0.30}),
        "friends_family": ("亲友推荐", "Friends and family", 30.0,
                           {"female": 0.15, "eta": 0.20}),
        "product_labels": ("产品包装上的节能或环保标识", "Energy/eco labels on packaging", 26.0,
                           {"edu_c": 0.20, "inc_c": 0.10, "eta": 0.50}),
        "community": ("社区或单位组织的宣传活动", "Community or workplace campaigns", 20.0,
                      {"age_c": 0.20, "urban": 0.10, "eta": 0.30}),
        "other": ("其他【请注明】", "Other (please specify)", 1.5, {}),
    },
    "products": {
        "electronics": ("电子电器", "Electronics and appliances", 34.88,
                        {"female": -0.20, "inc_c": 0.10, "urban": 0.10, "eta": 0.20}),
        "paper_cleaning": ("纸品清洁类", "Paper and cleaning products", 34.24,
                           {"female": 0.30, "age_c": 0.05, "eta": 0.20}),
        "cars": ("汽车及配件", "Cars and accessories", 34.13,
                 {"female": -0.35, "inc_c": 0.20, "tier_c": 0.10, "age_c": -0.10, "eta": 0.20}),
        "food": ("食品饮料", "Food and drinks", 30.0, {"female": 0.15, "age_c": 0.10, "eta": 0.20}),
        "home_building": ("家居建材", "Home furnishing and building materials", 27.0,
                          {"inc_c": 0.10, "age_c": 0.10, "eta": 0.20}),
        "clothing": ("服装鞋帽", "Clothing and shoes", 21.0,
                     {"female": 0.30, "age_c": -0.20, "eta": 0.15}),
        "personal_care": ("个护美妆", "Personal care and cosmetics", 14.0,
                          {"female": 0.50, "age_c": -0.25, "eta": 0.10}),
        "other": ("其他【请注明】", "Other (please specify)", 1.0, {}),
    },
    "barriers": {
        "hard_to_identify": ("难以辨别是不是低碳产品", "Hard to tell whether a product is low-carbon",
                             50.75, {"age_c": 0.10, "edu_c": -0.05, "eta": 0.10}),
        "price_too_high": ("价格比普通产品高太多", "Price too much higher than ordinary products",
                           44.94, {"inc_c": -0.30, "urban": -0.10, "eta": -0.15}),
        "dont_know_where": ("不知道在哪里买", "Don't know where to buy", 30.0,
                            {"tier_c": -0.20, "urban": -0.30, "age_c": 0.10}),
        "few_choices": ("可选择的产品太少", "Too few choices", 26.0, {"tier_c": -0.15, "urban": -0.20}),
        "quality_doubts": ("担心质量或性能不如普通产品", "Doubts about quality or performance", 24.0,
                           {"eta": -0.30, "age_c": 0.10}),
        "marketing_gimmick": ("觉得只是营销噱头", "Feels like a marketing gimmick", 21.0,
                              {"eta": -0.50, "edu_c": 0.10}),
        "other": ("其他【请注明】", "Other (please specify)", 2.5, {}),
    },
}
# The exclusive "none of these" option each set gets (chosen only when nothing else is).
MULTI_NONE = {
    "channels": ("没有通过任何渠道了解过", "Have not learned about them anywhere"),
    "products": ("说不上来", "Cannot say"),
    "barriers": ("没有遇到障碍", "No barriers"),
}
# Published 2022 figures (Energy Foundation brief, quoting the report) calibrated exactly.
PUBLISHED = {("channels", "tv_radio_print"): 62.80, ("channels", "public_ads"): 62.61,
             ("products", "electronics"): 34.88, ("products", "paper_cleaning"): 34.24,
             ("products", "cars"): 34.13, ("barriers", "hard_to_identify"): 50.75,
             ("barriers", "price_too_high"): 44.94}

# ------------------------------------------------------------ attitude grid
LIKERT = (("非常不同意", "Strongly disagree"), ("比较不同意", "Disagree"), ("一般", "Neutral"),
          ("比较同意", "Agree"), ("非常同意", "Strongly agree"))
# item -> (zh, en, reverse, loading on eta, ordered-logit cuts) (invented).
GRID_ITEMS: dict[str, tuple[str, str, bool, float, tuple[float, float, float, float]]] = {
    "concern": ("我关心气候变化对日常生活的影响", "I care how climate change affects daily life",
                False, 1.2, (-3.6, -2.4, -0.6, 1.5)),
    "efficacy": ("个人的消费选择会影响环境", "Personal consumption choices affect the environment",
                 False, 1.1, (-3.4, -2.2, -0.5, 1.7)),
    "pay_more": ("我愿意为环保产品多付一些钱", "I am willing to pay a bit more for green products",
                 False, 1.3, (-2.6, -1.2, 0.4, 2.4)),
    "quality": ("低碳产品的质量不比普通产品差", "Low-carbon products are as good as ordinary ones",
                False, 0.8, (-2.8, -1.5, 0.2, 2.3)),
    "hassle": ("践行低碳消费太麻烦了", "Low-carbon consumption is too much hassle",
               True, -0.9, (-1.8, -0.2, 1.2, 2.9)),
    "info": ("我会主动关注产品的节能或环保标识", "I look for energy or eco labels",
             False, 1.2, (-3.0, -1.6, -0.1, 1.9)),
    "norm": ("我身边越来越多的人选择低碳产品", "More and more people around me buy low-carbon",
             False, 0.8, (-2.9, -1.6, 0.0, 2.2)),
    "gimmick": ("“低碳”多半只是商家的营销噱头", "'Low-carbon' is mostly a marketing gimmick",
                True, -0.8, (-1.6, 0.0, 1.4, 3.1)),
}

# ------------------------------------------------------ purchase (recoverable logit)
# logit P(purchased = yes) = sum(coef * term); terms are tidy-frame quantities:
# att_score_c = mean of the 8 grid items coded 1..5 with reverse items as 6 - code, minus 3;
# college = education in {junior_college, bachelor, postgraduate};
# high_income = income in {inc_8k_12k, inc_12k_plus}.
PURCHASE = {"intercept": 0.10, "att_score_c": 1.10, "barriers_hard_to_identify": -0.50,
            "barriers_price_too_high": -0.60, "barriers_dont_know_where": -0.40,
            "female": 0.15, "urban": 0.30, "college": 0.25, "high_income": 0.30}
# Purchases in 12 months among buyers: 1 + Poisson(exp(log_mean + ...) x Gamma(shape) noise).
COUNT_MODEL: dict[str, Any] = {"log_mean": 1.2, "att_score_c": 0.30, "inc_c": 0.10, "gamma_shape": 2.0,
               "range": (1, 100)}

# -------------------------------------------------- premium WTP (percent of price)
# Hurdle: P(WTP = 0) = logistic(zero_intercept + zero slopes . x), calibrated to zero_share;
# WTP > 0: log WTP = location + slopes . x + eta_slope * eta + sigma * N(0, 1), with the
# location calibrated so the population median among payers is median_payers.
WTP: dict[str, Any] = {"zero_share": 0.12, "zero_slopes": {"inc_c": -0.20, "edu_c": -0.10, "age_c": 0.20},
       "median_payers": 8.0, "slopes": {"inc_c": 0.12, "edu_c": 0.08, "age_c": -0.05},
       "eta_slope": 0.35, "sigma": 0.75}
# Payment card: (name, zh, en, interval in %, "never" = no premium at all).
PAYMENT_CARD = (("none", "不愿意多付", "Would not pay more", (0.0, 0.0), True),
                ("p1_5", "1%-5%", "1-5%", (0.0, 5.0), False),
                ("p6_10", "6%-10%", "6-10%", (5.0, 10.0), False),
                ("p11_20", "11%-20%", "11-20%", (10.0, 20.0), False),
                ("p21_30", "21%-30%", "21-30%", (20.0, 30.0), False),
                ("p30_plus", "30%以上", "More than 30%", (30.0, None), False))
# Double-bounded dichotomous choice: initial bid -> (higher, lower) follow-up bid.
DC_BIDS = {5.0: (10.0, 2.5), 10.0: (20.0, 5.0), 20.0: (40.0, 10.0), 30.0: (60.0, 15.0)}

# ---------------------------------------------------------- second-hand ladder
# (name, zh, en, value = lowest ratio of the rung, explicit interval or None, never).
LADDER = (("r1_2", "1-2折", "10-20% of new", 0.1, (0.0, 0.3), False),
          ("r3", "3折", "30%", 0.3, None, False),
          ("r4", "4折", "40%", 0.4, None, False),
          ("r5", "5折", "50%", 0.5, None, False),
          ("r6", "6折", "60%", 0.6, None, False),
          ("r7", "7折", "70%", 0.7, None, False),
          ("r8_plus", "8折及以上也愿意", "80% or more", 0.8, (0.8, 1.0), False),
          ("never", "任何价格都不买", "Would not buy at any price", None, None, True))
# Hurdle: P(never) = logistic(never_intercept + slopes . x), calibrated to never_share;
# buyers: logit R = location + slopes . x + eta_slope * eta + sigma * N(0, 1), the location
# calibrated so that the share of ALL respondents choosing a rung <= 4折 is share_at_most_4.
SECONDHAND: dict[str, Any] = {"never_share": 0.10, "never_slopes": {"age_c": 0.30, "urban": -0.20, "inc_c": 0.10},
              "share_at_most_4": 0.62, "slopes": {"age_c": -0.15, "inc_c": 0.05, "urban": 0.10},
              "eta_slope": 0.30, "sigma": 0.70}

# ------------------------------------------------- Van Westendorp block (invented)
# A reference price B per respondent: log B = log(median_price) + slopes . x + eta_slope * eta
# + sigma * N(0, 1); the four answers are B x factor x exp(noise * N(0, 1)), rounded as
# people answer (to 5 yuan below 100, to 10 above), at least 5.  A share swap_share of
# genuine respondents swaps "cheap" and "expensive" (inconsistent answers).  Purchase intent
# (codes 1 = definitely not .. 5 = definitely) is ordered logit: latent = loading * eta +
# shift + logistic noise, cut at `cuts`; shift is 0 at the cheap price.  Drawn from its own
# random stream (Generator.spawn), so every other answer is unchanged by the block.
VW: dict[str, Any] = {"median_price": 150.0, "slopes": {"inc_c": 0.12, "tier_c": 0.05, "age_c": -0.03},
      "eta_slope": 0.10, "sigma": 0.30, "factors": (0.45, 0.75, 1.3, 1.8), "noise": 0.10,
      "swap_share": 0.03, "min_price": 5.0, "careless_range": (5.0, 1000.0)}
VW_QUESTIONS = {"too_cheap": "vw_too_cheap", "cheap": "vw_cheap", "expensive": "vw_expensive",
                "too_expensive": "vw_too_expensive"}
# Purchase-intent scale (name, zh, en), code 1 .. 5; calibrated probabilities 0 .. 0.7 are
# Newton, Miller & Smith's defaults (pi_scale 5..1 -> 0.7, 0.5, 0.3, 0.1, 0).
INTENT: dict[str, Any] = {"options": (("definitely_not", "肯定不会买", "Definitely would not buy"),
                      ("probably_not", "可能不会买", "Probably would not buy"),
                      ("unsure", "不确定", "Not sure"),
                      ("probably", "可能会买", "Probably would buy"),
                      ("definitely", "肯定会买", "Definitely would buy")),
          "loading": 0.8, "cuts": (-2.6, -1.4, 0.0, 1.6), "shift_expensive": -1.4}

# ---------------------------------------------------------------- dirt
# Counts per 4,000 exported rows (scaled for other n).  Careless groups are disjoint.
DIRT = {"speeders": 200, "attention_failures": 110, "straightliners": 60, "duplicates": 25,
        "shared_ip_pairs": 6, "out_of_range_counts": 10, "count_with_unit": 15,
        "count_not_a_number": 3,
        "pii_mobile": 7, "pii_id_number": 4, "pii_wechat": 1, "pii_other_text_mobile": 1}
# Completion time in seconds: genuine log-normal, truncated below at lower_fraction x median.
DURATION: dict[str, Any] = {"median": 380.0, "sigma": 0.40, "lower_fraction": 0.45, "slow_share": 0.02,
            "speeder_fraction": (0.06, 0.22)}


def cumulative(p: np.ndarray) -> np.ndarray:
    """Cumulative probabilities along the last axis, the last one forced to exactly 1.

    Parameters
    ----------
    p : ndarray
        Probabilities summing to 1 along the last axis.

    Returns
    -------
    ndarray
        Their cumulative sums, same shape.
    """
    c = np.cumsum(p, axis=-1)
    c[..., -1] = 1.0
    return c

