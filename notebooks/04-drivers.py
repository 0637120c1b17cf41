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

import analysis.models
import analysis.report
import analysis.report.plots

ch = analysis.report.open_chapter("04-drivers", wave=wave, language=language,
                                  output_dir=output_dir)
w = ch.wave
display(ch.title())

# %% [markdown] tags=["lang-zh"]
# 哪些障碍与“过去 12 个月没有购买低碳产品”联系最紧密？下面用加权 logistic 回归（svyglm，准二项分布）
# 把是否购买对六个障碍、低碳态度得分和人口特征回归，报告平均边际效应：在其他条件相同时，
# 遇到某个障碍的人购买概率平均低多少个百分点。标准误基于抽样设计并计入加权。

# %% [markdown] tags=["lang-en"]
# Which barriers go with *not* having bought low-carbon products in the last 12 months? A weighted
# logistic regression (svyglm, quasi-binomial) of purchase on the six barriers, the attitude score
# and demographics gives average marginal effects: how many percentage points lower the purchase
# probability is, on average, for people who face a barrier, other things equal. Standard errors
# are design-based and account for the weighting.

# %%
barriers = ["barriers_hard_to_identify", "barriers_price_too_high", "barriers_dont_know_where",
            "barriers_few_choices", "barriers_quality_doubts", "barriers_marketing_gimmick"]
controls = ["attitudes_score", "sex", "age_band", "urban", "city_tier", "education", "income"]
fit = w.design.glm("purchased_yes ~ " + " + ".join(barriers + controls), family="quasibinomial")
ame = analysis.models.average_marginal_effects(fit, barriers + ["attitudes_score", "urban"])
labels = ch.term_labels(ame)

# %%
display(ch.heading({"zh": "平均边际效应", "en": "Average marginal effects"}))
title = {"zh": "各因素对购买概率的平均边际效应", "en": "Average marginal effects on the purchase probability"}
display(ch.findings.add("drivers.ame", ame, title=title, unit="points", row_labels=labels,
                        n_unweighted=fit.nobs, headline=True))
display(ch.findings.figure(analysis.report.plots.plot_forest(ame, labels=labels, title=title,
                                                      language=language), "drivers-ame"))

# %%
display(ch.text(
    {"zh": "在控制态度和人口特征后，难以辨别是不是低碳产品使购买概率变化 {hard}，"
           "认为价格高太多使购买概率变化 {price}。",
     "en": "Other things equal, finding low-carbon products hard to identify changes the probability "
           "of having bought one by {hard}, and finding them too expensive by {price}."},
    hard=ch.findings.value("drivers.ame", ("barriers_hard_to_identify", "1 vs 0")),
    price=ch.findings.value("drivers.ame", ("barriers_price_too_high", "1 vs 0"))))

# %% [markdown] tags=["lang-zh"]
# **关键驱动因素。** 把线性概率模型的 R² 按 Shapley 值分解到每个因素，得到各因素的相对重要性；
# 置信区间来自 200 个自助法（bootstrap）重复权重，每个重复样本都重新加权。

# %% [markdown] tags=["lang-en"]
# **Key drivers.** The R² of a linear probability model is split among the drivers by Shapley
# values; intervals come from 200 bootstrap replicate weights, each raked again to the targets.

# %%
kd = w.replicates(200).key_drivers("purchased_yes", barriers + ["attitudes_score"], method="shapley")
kd_labels = ch.term_labels(kd)
title = {"zh": "购买低碳产品的关键驱动因素（Shapley 分解）",
         "en": "Key drivers of buying low-carbon products (Shapley decomposition)"}
display(ch.findings.add("drivers.importance", kd, title=title, unit="share",
                        row_labels=kd_labels, decimals=2))
display(ch.findings.figure(analysis.report.plots.plot_importance(kd.summary_frame(), labels=kd_labels,
                                                          title=title, language=language),
                           "drivers-importance"))

# %% [markdown] tags=["lang-zh"]
# **分城市级别的障碍。** 下表比较不同城市级别受访者遇到各障碍的比例。每列标题中的字母
# （A、B、C…）代表该城市级别；格子中的字母表示该格的比例显著高于带该字母的列（两两设计检验，
# Holm 校正，p < 0.05），没有字母表示不显著高于任何一列。

# %% [markdown] tags=["lang-en"]
# **Barriers by city tier.** The share facing each barrier by city tier. Each column has a letter
# in its header (A, B, C, ...); letters in a cell name the columns whose share it is significantly
# higher than (pairwise design-based tests, Holm-adjusted, p < 0.05); no letter means it is not
# significantly higher than any column.

# %%
sg = w.design.subgroup_differences("barriers", by="city_tier", adjust="holm")
title = {"zh": "不同城市级别遇到的障碍", "en": "Barriers by city tier"}
display(ch.findings.add("drivers.barriers_by_tier", sg.prevalence, title=title, index="variable",
                        split="group", sig="sig", column_letters="column_letter",
                        row_labels=ch.term_labels(sg.prevalence),
                        column_labels=ch.level_labels("city_tier"), show=("estimate", "n", "sig")))
