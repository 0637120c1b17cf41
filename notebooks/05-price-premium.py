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
import analysis.report.plots

ch = analysis.report.open_chapter("05-price-premium", wave=wave, language=language,
                                  output_dir=output_dir)
w = ch.wave
display(ch.title())

# %% [markdown] tags=["lang-zh"]
# 受访者愿意为低碳产品比同类普通产品多付多少？问卷用两种方式询问：支付卡（从 0、1–5%、6–10% …
# 等区间中选择最高愿付溢价）和双界二分选择（先问是否愿意多付某个比例，再根据回答追问更高或更低的比例）。
# 两种回答都是区间删失数据：我们只知道愿付溢价落在哪个区间。“不愿多付”的人单独成组（门槛模型），
# 愿意多付的人的溢价用加权区间回归（对数正态分布）估计；给出全体与愿付者的平均数和中位数
# （delta 方法区间；双界二分选择另给 Krinsky–Robb 区间），并画出需求曲线。

# %% [markdown] tags=["lang-en"]
# How much more would people pay for a low-carbon product than for an ordinary one? The
# questionnaire asks twice: a payment card (pick the highest acceptable premium band: 0, 1-5%,
# 6-10%, ...) and a double-bounded dichotomous choice (yes/no to one premium, then a higher or
# lower follow-up). Both give interval-censored answers: we only know the band the premium lies
# in. People who would pay nothing more form their own group (a hurdle model); for those who would
# pay more, a weighted interval regression (log-normal) estimates the premium distribution. We give
# the mean and median over everyone and among payers (delta-method intervals; Krinsky-Robb too for
# the double-bounded question) and the demand curve.

# %%
display(ch.heading({"zh": "支付卡回答分布", "en": "Payment card answers"}))
ch.shares("premium.card", "premium_card")

# %%
card = w.design.wtp_hurdle("premium_card", dist="lognormal")
card_wtp = card.wtp()
display(ch.heading({"zh": "平均与中位愿付溢价", "en": "Mean and median premium"}))
title = {"zh": "愿为低碳产品多付的比例（支付卡，%；不愿多付者计为 0）",
         "en": "Premium people would pay for low-carbon products (payment card, %; "
               "those who would pay nothing more count as 0)"}
display(ch.findings.add("premium.wtp_card", card_wtp, title=title, unit="percent",
                        row_labels={"mean_all": {"zh": "平均数（全体）", "en": "Mean (everyone)"},
                                    "median_all": {"zh": "中位数（全体）", "en": "Median (everyone)"},
                                    "mean_payers": {"zh": "平均数（愿付者）", "en": "Mean (payers)"},
                                    "median_payers": {"zh": "中位数（愿付者）",
                                                      "en": "Median (payers)"}},
                        headline=True, **w.base("premium_card")))

# %%
# The log-normal has no mass at zero: fit the payers only (those who chose a premium > 0 on the card).
payers = w.design.subset((w.design.data["premium_card"] != "none").to_numpy())
dc = payers.dc_cv("premium_dc", dist="lognormal")
dc_wtp = dc.wtp(seed=20221205)
title = {"zh": "愿付者愿多付的比例（双界二分选择，%）",
         "en": "Premium payers would pay (double-bounded choice, %)"}
display(ch.findings.add("premium.wtp_dc", dc_wtp, title=title, unit="percent",
                        row_labels={"mean": {"zh": "平均数", "en": "Mean"},
                                    "median": {"zh": "中位数", "en": "Median"}},
                        **w.base("premium_dc")))

# %%
display(ch.text(
    {"zh": "按支付卡回答，全体受访者愿付溢价的中位数为 {median}，平均数为 {mean}（不愿多付者计为 0，"
           "平均数受少数高溢价回答拉高）；在愿意多付的人中，中位数为 {median_payers}。"
           "双界二分选择对愿付者给出的中位数为 {dc_median}。",
     "en": "From the payment card, the median premium over everyone is {median} and the mean {mean} "
           "(those who would pay nothing more count as 0; the mean is pulled up by a few high "
           "answers); among those who would pay more the median is {median_payers}. The "
           "double-bounded question gives a median of {dc_median} among payers."},
    median=ch.findings.value("premium.wtp_card", "median_all"),
    mean=ch.findings.value("premium.wtp_card", "mean_all"),
    median_payers=ch.findings.value("premium.wtp_card", "median_payers"),
    dc_median=ch.findings.value("premium.wtp_dc", "median")))

# %%
display(ch.heading({"zh": "需求曲线", "en": "Demand curve"}))
curve = card.demand_curve([0, 2.5, 5, 7.5, 10, 15, 20, 25, 30, 40, 50])
title = {"zh": "愿意支付至少某一溢价的人群比例", "en": "Share willing to pay at least each premium"}
display(ch.findings.add("premium.demand", curve, title=title, index="value",
                        row_labels={v: f"{v:g}%" for v in curve["value"]}))
display(ch.findings.figure(analysis.report.plots.plot_demand_curve(
    card.demand_curve(), x="value", title=title, language=language), "premium-demand"))

# %% [markdown] tags=["lang-zh"]
# 作为对照，下图是双界二分选择回答的非参数 Turnbull 估计（不假设分布形状）：
# 每个出价下愿意支付的加权比例及其 95% 置信区间。

# %% [markdown] tags=["lang-en"]
# For comparison, the nonparametric Turnbull estimate from the double-bounded answers (no
# distribution assumed): the weighted share willing to pay each bid, with 95% intervals.

# %%
turnbull = w.design.dc_turnbull("premium_dc")
title = {"zh": "双界二分选择：各出价下愿意支付的比例（Turnbull）",
         "en": "Double-bounded choice: share accepting each bid (Turnbull)"}
display(ch.findings.add("premium.turnbull", turnbull, title=title,
                        row_labels={b: f"{b:g}%" for b in turnbull.summary_frame().index}))
display(ch.findings.figure(analysis.report.plots.plot_demand_curve(
    turnbull, step=True, title=title, language=language), "premium-turnbull"))
