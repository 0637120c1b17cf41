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
import analysis.report.crosstabs
import analysis.report.plan

ch = analysis.report.open_chapter("04-banners", wave=wave, language=language,
                                  output_dir=output_dir)
banner = analysis.report.plan.banner_variables(ch.codebook)
display(ch.title())

# %% [markdown] tags=["lang-zh"]
# 每道题按分组变量交叉列出。每列标题中的字母（A、B、C…）代表该组；格子中的字母表示该格的结果显著高于
# 带该字母的列（两两设计检验，Holm 校正，p < 0.05），没有字母表示不显著高于任何一列。
# 比例题列出各选项比例，量表和矩阵题列出平均得分，数值题列出平均数。

# %% [markdown] tags=["lang-en"]
# Every question by each banner variable. Each column has a letter in its header (A, B, C, ...);
# letters in a cell name the columns it is significantly higher than (pairwise design-based
# tests, Holm-adjusted, p < 0.05); no letter means not significantly higher than any column.
# Choice questions show option shares, scales and grids mean scores, numbers means.

# %%
display(ch.banner_note(banner))

# %%
analysis.report.crosstabs.banner_tables(ch, banner)

# %%
display(ch.data_notes())
