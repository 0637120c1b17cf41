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
import pandas as pd
from IPython.display import display

import analysis.report
import analysis.report.export
import analysis.report.facts

ch = analysis.report.open_chapter("08-methods", wave=wave, language=language,
                                  output_dir=output_dir)
w = ch.wave
pd.set_option("display.max_rows", 500)
pd.set_option("display.max_colwidth", None)
display(ch.title())

# %% [markdown] tags=["lang-zh"]
# 本附录由问卷编码本、加权目标（若有）和本次运行的环境自动生成；同样的输入文件和代码可重现本报告的全部数字。

# %% [markdown] tags=["lang-en"]
# Generated from the codebook, the weighting targets (if any) and the environment of this run;
# the same inputs and code reproduce every number in the report.

# %%
display(ch.heading({"zh": "问卷与编码", "en": "Questionnaire and codes"}))
display(ch.text(analysis.report.facts.fieldwork_text(w)))
display(analysis.report.export.questions_table(w.codebook, language))

# %%
display(ch.heading({"zh": "加权", "en": "Weighting"}))
display(ch.text(analysis.report.facts.weighting_text(w, ch.weighting_labels())))
ch.targets_table()

# %%
display(ch.heading({"zh": "方差估计", "en": "Variance estimation"}))
display(ch.variance_note())

# %%
display(ch.heading({"zh": "披露控制与个人信息", "en": "Disclosure control and personal data"}))
display(ch.text(
    {"zh": "未加权样本量少于 {suppress} 人的估计值不予显示，少于 {flag} 人的以 * 标记（在 survey.yaml 的 "
           "disclosure 中设置）。清理时替换了开放题中的 {redacted} 处个人信息；报告、图表和导出文件经过扫描，"
           "不含个人信息、答卷编号或逐条答卷记录。",
     "en": "Estimates on fewer than {suppress} respondents (unweighted) are suppressed and those on "
           "fewer than {flag} flagged * (set under disclosure in survey.yaml). Cleaning replaced "
           "{redacted} items of personal data in open answers; every page, chart and export was "
           "scanned and holds no personal data, respondent ids or respondent-level rows."},
    suppress=w.codebook.disclosure.suppress_below, flag=w.codebook.disclosure.flag_below,
    redacted=int((w.cleaned.audit["action"] == "redact").sum())))

# %%
display(ch.heading({"zh": "软件版本与输入文件", "en": "Software and input files"}))
display(analysis.report.export.provenance_table(wave))

# %%
display(ch.data_notes())
