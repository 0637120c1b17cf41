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

ch = analysis.report.open_chapter("05-drivers", wave=wave, language=language,
                                  output_dir=output_dir)
display(ch.title())

# %% [markdown] tags=["lang-zh"]
# 哪些障碍和态度与购买行为联系最紧密？结果变量、障碍题、态度题和控制变量来自问卷编码本的
# analysis 部分。标准误基于抽样设计并计入加权。

# %% [markdown] tags=["lang-en"]
# Which barriers and attitudes go with the behaviour? The outcome, barriers, attitude items and
# controls are the roles declared in the codebook's analysis section. Standard errors are
# design-based and account for the weighting.

# %%
analysis.report.mission.drivers(ch)

# %%
display(ch.data_notes())
