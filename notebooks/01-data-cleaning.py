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

ch = analysis.report.open_chapter("01-data-cleaning", wave=wave, language=language,
                                  output_dir=output_dir)
w = ch.wave
display(ch.title())

# %% [markdown] tags=["lang-zh"]
# 本章说明样本从哪里来、清理掉了哪些答卷。所有数字都由原始导出文件重新计算；
# 每一份被剔除的答卷都记录在清理审计表中。

# %% [markdown] tags=["lang-en"]
# Where the sample comes from and which responses were removed in cleaning. Every number is
# recomputed from the raw export; every excluded response is recorded in the cleaning audit.

# %%
display(ch.heading({"zh": "调查实施", "en": "Fieldwork"}))
display(ch.text(analysis.report.facts.fieldwork_text(w)))

# %%
display(ch.heading({"zh": "清理规则", "en": "Cleaning rules"}))
ch.rules()

# %%
display(ch.heading({"zh": "样本清理漏斗", "en": "Exclusion funnel"}))
ch.funnel()

# %% [markdown] tags=["lang-zh"]
# 规则按固定顺序执行，每份答卷只计入第一条将其剔除的规则；未能运行的规则注明了原因。
# 开放题中的个人信息在清理时已被替换为标签，报告中不含个人信息或答卷编号。

# %% [markdown] tags=["lang-en"]
# Rules run in a fixed order and each response counts under the first rule that excluded it;
# a rule that could not run says why. Personal data in open answers was replaced by tags
# during cleaning; the report holds no personal data or respondent ids.

# %%
ch.margins("sample.margins", weighted=False,
           heading={"zh": "未加权样本与总体结构", "en": "Unweighted sample vs population"})

# %%
display(ch.data_notes())
