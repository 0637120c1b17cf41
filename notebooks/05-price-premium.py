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

import analysis.plots
import analysis.pricing
import analysis.report

ch = analysis.report.open_chapter("05-price-premium", wave=wave, language=language,
                                  output_dir=output_dir)
w = ch.wave
display(ch.title())

# %% [markdown] tags=["lang-zh"]
# 受访者愿意为低碳产品比同类普通产品多付多少？问卷用两种方式询问：支付卡（从 0、1–5%、6–10% …
# 等区间中选择最高愿付溢价）和双界二分选择（先问是否愿意多付某个比例，再根据回答追问更高或更低的比例）。
# 两种回答都是区间删失数据：我们只知道愿付溢价落在哪个区间。下面用加权区间回归（对数正态分布）
# 估计溢价分布，给出平均数和中位数（delta 方法与 Krinsky–Robb 区间），并画出需求曲线。

# %% [markdown] tags=["lang-en"]
# How much more would people pay for a low-carbon product than for an ordinary one? The
# questionnaire asks twice: a payment card (pick the highest acceptable premium band: 0, 1-5%,
# 6-10%, ...) and a double-bounded dichotomous choice (yes/no to one premium, then a higher or
# lower follow-up). Both give interval-censored answers: we only know the band the premium lies
# in. A weighted interval regression (log-normal) estimates the premium distribution, its mean and
# median (delta-method and Krinsky-Robb intervals) and the demand curve.

# %%
display(ch.heading({"zh": "支付卡回答分布", "en": "Payment card answers"}))
ch.shares("premium.card", "premium_card")

# %%
card = analysis.pricing.interval_regression(w.design, "premium_card ~ 1", dist="lognormal")
card_wtp = card.wtp(seed=20221205)
display(ch.heading({"zh": "平均与中位愿付溢价", "en": "Mean and median premium"}))
title = {"zh": "愿为低碳产品多付的比例（支付卡，%）",
         "en": "Premium people would pay for low-carbon products (payment card, %)"}
display(ch.findings.add("premium.wtp_card", card_wtp, title=title, unit="percent",
                        row_labels={"mean": {"zh": "平均数", "en": "Mean"},
                                    "median": {"zh": "中位数", "en": "Median"}},
                        headline=True, **w.base("premium_card")))

# %%
dc = analysis.pricing.dc_cv(w.design, "premium_dc", dist="lognormal")
dc_wtp = dc.wtp(seed=20221205)
title = {"zh": "愿为低碳产品多付的比例（双界二分选择，%）",
         "en": "Premium people would pay for low-carbon products (double-bounded choice, %)"}
display(ch.findings.add("premium.wtp_dc", dc_wtp, title=title, unit="percent",
                        row_labels={"mean": {"zh": "平均数", "en": "Mean"},
                                    "median": {"zh": "中位数", "en": "Median"}},
                        **w.base("premium_dc")))

# %%
display(ch.text(
    {"zh": "按支付卡回答，愿付溢价的中位数为 {median}，平均数为 {mean}（平均数受少数高溢价回答拉高）。"
           "双界二分选择给出的中位数为 {dc_median}。",
     "en": "From the payment card, the median premium is {median} and the mean {mean} (the mean is "
           "pulled up by a few high answers). The double-bounded question gives a median of "
           "{dc_median}."},
    median=ch.findings.value("premium.wtp_card", "median"),
    mean=ch.findings.value("premium.wtp_card", "mean"),
    dc_median=ch.findings.value("premium.wtp_dc", "median")))

# %%
display(ch.heading({"zh": "需求曲线", "en": "Demand curve"}))
curve = card.demand_curve([0, 2.5, 5, 7.5, 10, 15, 20, 25, 30, 40, 50])
title = {"zh": "愿意支付至少某一溢价的人群比例", "en": "Share willing to pay at least each premium"}
display(ch.findings.add("premium.demand", curve, title=title, index="value",
                        row_labels={v: f"{v:g}%" for v in curve["value"]}))
display(ch.findings.figure(analysis.plots.plot_demand_curve(
    card.demand_curve(), x="value", title=title, language=language), "premium-demand"))

# %% [markdown] tags=["lang-zh"]
# 作为对照，下图是双界二分选择回答的非参数 Turnbull 估计（不假设分布形状）：
# 每个出价下愿意支付的加权比例及其 95% 置信区间。

# %% [markdown] tags=["lang-en"]
# For comparison, the nonparametric Turnbull estimate from the double-bounded answers (no
# distribution assumed): the weighted share willing to pay each bid, with 95% intervals.

# %%
turnbull = analysis.pricing.dc_turnbull(w.design, "premium_dc")
title = {"zh": "双界二分选择：各出价下愿意支付的比例（Turnbull）",
         "en": "Double-bounded choice: share accepting each bid (Turnbull)"}
display(ch.findings.add("premium.turnbull", turnbull, title=title,
                        row_labels={b: f"{b:g}%" for b in turnbull.summary_frame().index}))
display(ch.findings.figure(analysis.plots.plot_demand_curve(
    turnbull, step=True, title=title, language=language), "premium-turnbull"))
