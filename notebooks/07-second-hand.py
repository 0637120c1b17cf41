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

ch = analysis.report.open_chapter("07-second-hand", wave=wave, language=language,
                                  output_dir=output_dir)
display(ch.title())

# %% [markdown] tags=["lang-zh"]
# 二手商品价格为新品的几折时受访者才会购买：接受曲线，以及需要较大折扣才会购买的比例。
# 分母为全体受访者，任何价格都不买的人计入分母、不计入分子。

# %% [markdown] tags=["lang-en"]
# At what share of the new price people would buy second-hand: the acceptance curve and the
# share needing a deep discount. The base is everyone; those who would never buy count in the
# base, not in the share.

# %%
analysis.report.mission.second_hand(ch)

# %%
display(ch.data_notes())
