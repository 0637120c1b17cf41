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
import analysis.report.facts

ch = analysis.report.open_chapter("02-weighting", wave=wave, language=language,
                                  output_dir=output_dir)
w = ch.wave
display(ch.title())

# %% [markdown] tags=["lang-zh"]
# 本章说明样本如何加权到总体结构（若本批次有总体目标），以及加权的代价：设计效应与有效样本量。

# %% [markdown] tags=["lang-en"]
# How the sample is weighted to the population structure (when the wave has targets), and
# what weighting costs: the design effect and the effective sample size.

# %%
display(ch.text(analysis.report.facts.weighting_text(w, ch.weighting_labels())))

# %%
ch.margins("weighting.margins")
ch.targets_table()

# %%
ch.weighting_summary()

# %%
display(ch.data_notes())
