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
import analysis.report.topline

ch = analysis.report.open_chapter("03-topline", wave=wave, language=language,
                                  output_dir=output_dir)
display(ch.title())

# %% [markdown] tags=["lang-zh"]
# 问卷中每一道题的结果，按题型列出：单选题和多选题给出各选项比例（多选题的分母为被问到该题的受访者，
# 各选项比例之和可以超过 100%），量表题和矩阵题给出各选项比例和平均得分，数值题给出平均数和分位数，
# 排序题给出排在第一位的比例和平均排名，开放题只给出作答人数。每个比例都附 95% 置信区间和未加权样本量。

# %% [markdown] tags=["lang-en"]
# Every question of the questionnaire, by type: shares of each option for single and select-all
# questions (the base of a select-all question is everyone asked, so shares can add to more than
# 100%), shares and mean scores for scales and grids, mean and quantiles for numbers, the share
# ranking each option first and the mean rank for rankings, and answered/blank counts for open
# text. Every share has its 95% confidence interval and unweighted base.

# %%
display(ch.weighting_note())

# %%
analysis.report.topline.topline(ch)

# %%
display(ch.data_notes())
