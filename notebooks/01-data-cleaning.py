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

ch = analysis.report.open_chapter("01-data-cleaning", wave=wave, language=language,
                                  output_dir=output_dir)
w = ch.wave
display(ch.title())

# %% [markdown] tags=["lang-zh"]
# 本章说明样本从哪里来、清理掉了哪些答卷，以及清理后的样本与总体结构相差多少。
# 所有数字都由原始导出文件重新计算；每一份被剔除的答卷都记录在清理审计表中。

# %% [markdown] tags=["lang-en"]
# This chapter shows where the sample comes from, which responses were removed in
# cleaning, and how far the cleaned sample is from the population. Every number is
# recomputed from the raw export; every excluded response is recorded in the cleaning audit.

# %%
display(ch.heading({"zh": "调查实施", "en": "Fieldwork"}))
display(ch.text(
    {"zh": "调查于 {start} 至 {end} 实施（{mode}）。原始导出文件 {file} 共 {n_in} 份答卷，"
           "清理后保留 {n_kept} 份，占 {kept:.1%}。",
     "en": "Fieldwork ran from {start} to {end} ({mode}). The raw export {file} holds {n_in} "
           "responses; {n_kept} ({kept:.1%}) were kept after cleaning."},
    start=w.codebook.fieldwork.start, end=w.codebook.fieldwork.end, mode=w.codebook.fieldwork.mode,
    file=w.source_file,
    n_in=w.cleaned.n_in, n_kept=w.cleaned.n_kept, kept=w.cleaned.n_kept / w.cleaned.n_in))

# %%
display(ch.heading({"zh": "样本清理漏斗", "en": "Exclusion funnel"}))
ch.funnel()

# %% [markdown] tags=["lang-zh"]
# 规则按固定顺序执行，每份答卷只计入第一条将其剔除的规则。"IP 地址重复"只做标记、不剔除：
# 运营商网络中许多用户共用同一个出口 IP。开放题中的手机号、身份证号、微信号等个人信息在清理时
# 已被替换为标签，报告和导出文件中不含任何个人信息或答卷编号。

# %% [markdown] tags=["lang-en"]
# Rules run in a fixed order and each response counts under the first rule that excluded it.
# Shared IP addresses are flagged, not excluded: many users share one carrier IP. Phone
# numbers, ID numbers and WeChat IDs in open answers were replaced by tags during cleaning;
# no output of this report holds personal data or respondent ids.

# %%
display(ch.heading({"zh": "未加权样本与总体结构", "en": "Unweighted sample vs population"}))
ch.margins("sample.margins", weighted=False)

# %% [markdown] tags=["lang-zh"]
# 在线样本通常更年轻、更城市化、东部地区更多。下一章用加权（raking）把样本结构校准到人口普查的总体结构。

# %% [markdown] tags=["lang-en"]
# Online samples are usually younger, more urban and more eastern than the population.
# The next chapter rakes the sample to the census margins.
