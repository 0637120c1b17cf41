# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% tags=["parameters"]
wave = "../surveys/demo-2022"
language = "zh"
output_dir = None

# %%
from IPython.display import display

import analysis.report

ch = analysis.report.open_chapter("03-headline-shares", wave=wave, language=language,
                                  output_dir=output_dir)
display(ch.title())

# %% [markdown] tags=["lang-zh"]
# 本章给出 2022 年报告中的主要比例：了解低碳产品的渠道、提到低碳产品时联想到的产品、阻碍购买的因素，
# 以及购买二手商品时能接受的价格。每张表并列给出加权与未加权结果、95% 置信区间和未加权样本量；
# 两者的差别就是加权对结论的影响。多选题各选项比例之和可以超过 100%。

# %% [markdown] tags=["lang-en"]
# The quantities of the 2022 report: where people learn about low-carbon products, which products
# they associate with low carbon, what stops them buying, and the price at which they would buy
# second-hand. Every table shows weighted and unweighted shares side by side with 95% confidence
# intervals and unweighted bases; the gap between them is what weighting changes. Shares of a
# select-all question can add up to more than 100%.

# %%
display(ch.heading({"zh": "了解低碳产品的渠道", "en": "Information channels"}))
ch.shares("shares.channels", "channels", headline=True)

# %%
display(ch.heading({"zh": "与“低碳”联系在一起的产品", "en": "Products associated with low carbon"}))
ch.shares("shares.products", "products", headline=True)

# %%
display(ch.heading({"zh": "阻碍购买低碳产品的因素", "en": "Barriers to buying low-carbon products"}))
ch.shares("shares.barriers", "barriers", headline=True)

# %%
display(ch.text(
    {"zh": "加权后，{hard} 的受访者认为难以辨别是不是低碳产品（未加权为 {hard_u}），"
           "{price} 认为价格比普通产品高太多（未加权为 {price_u}）。",
     "en": "Weighted, {hard} of respondents find it hard to tell whether a product is low-carbon "
           "(unweighted {hard_u}) and {price} find the price too much higher than ordinary products "
           "(unweighted {price_u})."},
    hard=ch.findings.value("shares.barriers", "hard_to_identify", "weighted"),
    hard_u=ch.findings.value("shares.barriers", "hard_to_identify", "unweighted"),
    price=ch.findings.value("shares.barriers", "price_too_high", "weighted"),
    price_u=ch.findings.value("shares.barriers", "price_too_high", "unweighted")))

# %%
display(ch.heading({"zh": "二手商品：能接受的最高价格（新品价格的几折）",
                    "en": "Second-hand: highest acceptable price (share of the new price)"}))
ch.shares("shares.secondhand", "secondhand")

# %% [markdown] tags=["lang-zh"]
# 价格门槛的完整分析（接受曲线与“需要四折及以下”的比例）见“二手商品价格门槛”一章。

# %% [markdown] tags=["lang-en"]
# The full threshold analysis (acceptance curve and the share needing 40% of the new price or
# less) is in the chapter on second-hand price thresholds.
