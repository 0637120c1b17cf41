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

ch = analysis.report.open_chapter("02-weighting", wave=wave, language=language,
                                  output_dir=output_dir)
w = ch.wave
display(ch.title())

# %% [markdown] tags=["lang-zh"]
# 加权（raking，迭代比例拟合）调整每位受访者的权重，使加权后的性别、年龄段、地区和城乡结构与
# 2020 年第七次全国人口普查一致。标准误采用泰勒线性化方法，并计入加权（校准）本身带来的变异。

# %% [markdown] tags=["lang-en"]
# Raking (iterative proportional fitting) adjusts each respondent's weight so that the weighted
# sex, age, region and urban/rural distributions match the 2020 census. Standard errors use
# Taylor linearisation and account for the weighting (calibration) itself.

# %%
display(ch.heading({"zh": "加权前后的样本结构", "en": "Margins before and after weighting"}))
ch.margins("weighting.margins")

# %%
display(ch.heading({"zh": "权重分布、设计效应与有效样本量",
                    "en": "Weight distribution, design effect and effective sample size"}))
ch.weight_diagnostics()

# %%
display(ch.text(
    {"zh": "加权带来的设计效应（Kish）为 {deff}，即 {n} 位受访者的加权样本在精度上相当于约 {ess} 人的"
           "简单随机样本。权重最大值与最小值之比为 {ratio}。",
     "en": "The design effect of weighting (Kish) is {deff}: the weighted sample of {n} respondents "
           "is about as precise as a simple random sample of {ess}. The largest weight is {ratio} "
           "times the smallest."},
    deff=ch.findings.value("weighting.summary", "deff"),
    n=w.cleaned.n_kept,
    ess=ch.findings.value("weighting.summary", "ess"),
    ratio=ch.findings.value("weighting.summary", "max_min_ratio")))

# %% [markdown] tags=["lang-zh"]
# 后续各章的表格同时给出加权和未加权结果，以及未加权样本量（未加权样本量少于 30 人的结果不予显示，
# 少于 50 人的结果以 * 标记）。

# %% [markdown] tags=["lang-en"]
# Tables in the following chapters show weighted and unweighted results side by side, with the
# unweighted base (results on fewer than 30 respondents are suppressed, fewer than 50 flagged *).
