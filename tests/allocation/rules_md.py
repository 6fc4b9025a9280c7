"""The facts of docs/explanation/rules.md (and the data sheet behind it), written out by hand.

Tests compare the packaged rulebook against these lists, so a slip in
``priority_services.yaml`` shows up as a failing test instead of being read back from the
file under test.
"""

from __future__ import annotations

from allocation.domain.model import ProductFamily, Tier

PC, PRINT = ProductFamily.PC, ProductFamily.PRINT

# docs/explanation/rules.md, "Order numbers (SKUs)": code, tier, term in years, family.
SKUS: tuple[tuple[str, Tier, int, ProductFamily], ...] = (
    ("U7C98E", Tier.PA, 1, PC),
    ("U7C99E", Tier.PA, 3, PC),
    ("U1PV6E", Tier.PA, 4, PC),
    ("U1PV7E", Tier.PA, 5, PC),
    ("U9DL9E", Tier.PA_PLUS, 1, PC),
    ("U9DM0E", Tier.PA_PLUS, 3, PC),
    ("U9DM1E", Tier.PA_PLUS, 4, PC),
    ("U9DM2E", Tier.PA_PLUS, 5, PC),
    ("U7D00E", Tier.PM, 1, PC),
    ("U7D01E", Tier.PM, 3, PC),
    ("U1PV8E", Tier.PM, 4, PC),
    ("U1PV9E", Tier.PM, 5, PC),
    ("U1PB1E", Tier.PA, 1, PRINT),
    ("U1PB2E", Tier.PA, 3, PRINT),
    ("U4ZX6E", Tier.PA, 4, PRINT),
    ("U4ZX7E", Tier.PA, 5, PRINT),
    ("U9DB6E", Tier.PA_PLUS, 1, PRINT),
    ("U9DB7E", Tier.PA_PLUS, 3, PRINT),
    ("U9DB8E", Tier.PA_PLUS, 4, PRINT),
    ("U9DB9E", Tier.PA_PLUS, 5, PRINT),
    ("U1PB3E", Tier.PM, 1, PRINT),
    ("U1PB4E", Tier.PM, 3, PRINT),
    ("U4ZX8E", Tier.PM, 4, PRINT),
    ("U4ZX9E", Tier.PM, 5, PRINT),
)

# One SKU per (tier, family, term) for building contracts in tests.
PM_PC_1Y, PM_PC_3Y, PM_PC_4Y, PM_PC_5Y = "U7D00E", "U7D01E", "U1PV8E", "U1PV9E"
PA_PLUS_PC_1Y = "U9DL9E"
PA_PC_1Y = "U7C98E"
PM_PRINT_1Y = "U1PB3E"
PA_PRINT_1Y = "U1PB1E"


def _codes(line: str) -> list[str]:
    return line.split()


# docs/explanation/rules.md, "Geographic coverage (63 countries)", line by line.
AMERICAS = _codes("AR BR CA CL CO CR DO EC GT HN MX NI PA PE PR UY US VE")
EMEA = _codes(
    "AT BE CZ DK EG FI FR DE GR HU IE IL IT LU MA NL NG NO PL PT QA "
    "RU SA SK SI ZA ES SE CH TR AE GB"
)
APJ = _codes("AU CN HK IN ID JP MY NZ PH KR SG TW TH")
COVERED = (*AMERICAS, *EMEA, *APJ)

# docs/explanation/rules.md, "Parts priority": not available in these countries (code, English
# name).
EXCLUDED = {
    "DO": "Dominican Republic",
    "EC": "Ecuador",
    "GT": "Guatemala",
    "HN": "Honduras",
    "NI": "Nicaragua",
    "UY": "Uruguay",
}

# The data sheet's table 4, country by country in the order of docs/explanation/rules.md's lists.
CHINESE_NAMES = {
    "AR": "阿根廷",
    "BR": "巴西",
    "CA": "加拿大",
    "CL": "智利",
    "CO": "哥伦比亚",
    "CR": "哥斯达黎加",
    "DO": "多米尼加共和国",
    "EC": "厄瓜多尔",
    "GT": "危地马拉",
    "HN": "洪都拉斯",
    "MX": "墨西哥",
    "NI": "尼加拉瓜",
    "PA": "巴拿马",
    "PE": "秘鲁",
    "PR": "波多黎各",
    "UY": "乌拉圭",
    "US": "美国",
    "VE": "委内瑞拉",
    "AT": "奥地利",
    "BE": "比利时",
    "CZ": "捷克共和国",
    "DK": "丹麦",
    "EG": "埃及",
    "FI": "芬兰",
    "FR": "法国",
    "DE": "德国",
    "GR": "希腊",
    "HU": "匈牙利",
    "IE": "爱尔兰",
    "IL": "以色列",
    "IT": "意大利",
    "LU": "卢森堡",
    "MA": "摩洛哥",
    "NL": "荷兰",
    "NG": "尼日利亚",
    "NO": "挪威",
    "PL": "波兰",
    "PT": "葡萄牙",
    "QA": "卡塔尔",
    "RU": "俄罗斯",
    "SA": "沙特阿拉伯",
    "SK": "斯洛伐克",
    "SI": "斯洛文尼亚",
    "ZA": "南非",
    "ES": "西班牙",
    "SE": "瑞典",
    "CH": "瑞士",
    "TR": "土耳其",
    "AE": "阿拉伯联合酋长国",
    "GB": "英国",
    "AU": "澳大利亚",
    "CN": "中国",
    "HK": "香港",
    "IN": "印度",
    "ID": "印度尼西亚",
    "JP": "日本",
    "MY": "马来西亚",
    "NZ": "新西兰",
    "PH": "菲律宾",
    "KR": "韩国",
    "SG": "新加坡",
    "TW": "台湾",
    "TH": "泰国",
}
# The exclusion list spells the Dominican Republic differently from the coverage table.
DOMINICAN_SPELLINGS = ("多米尼加共和国", "多明尼加共和国")

# docs/explanation/rules.md, "Interpretations": covered product types and the family whose SKU
# covers them.
PRODUCT_FAMILIES = {
    "desktop": PC,
    "notebook": PC,
    "workstation": PC,
    "retail_pos": PC,
    "thin_client": PC,
    "tablet": PC,
    "business_printer": PRINT,
}
UNCOVERED_PRODUCTS = ("monitor", "server", "storage", "consumer_notebook", "consumer_desktop")

# docs/explanation/rules.md, "Eligibility": minimum in-warranty installed base per tier.
MINIMUM_INSTALLED_BASE = {Tier.PA: 250, Tier.PA_PLUS: 1000, Tier.PM: 1000}
TERMS_YEARS = (1, 3, 4, 5)
START_DAYS_AFTER_PURCHASE = 30
