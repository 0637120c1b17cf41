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
import analysis.report.mission

ch = analysis.report.open_chapter("06-price-premium", wave=wave, language=language,
                                  output_dir=output_dir)
display(ch.title())

# %% [markdown] tags=["lang-zh"]
# 愿意为产品多付多少：支付卡（区间删失的愿付金额，不愿多付者单独建模）、二分式出价（Turnbull
# 非参数估计与参数模型）以及 Van Westendorp 价格敏感度，视问卷编码本声明的题目而定。

# %% [markdown] tags=["lang-en"]
# How much more people would pay: a payment card (interval-censored willingness to pay, with
# those who would pay nothing more modelled apart), dichotomous-choice bids (Turnbull and a
# parametric model) and the Van Westendorp price sensitivity meter, as the codebook declares.

# %%
analysis.report.mission.premium(ch)

# %%
display(ch.data_notes())
