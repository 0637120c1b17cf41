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

ch = analysis.report.open_chapter("07-methods", wave=wave, language=language,
                                  output_dir=output_dir)
w = ch.wave
pd.set_option("display.max_rows", 200)
pd.set_option("display.max_colwidth", None)
display(ch.title())

# %% [markdown] tags=["lang-zh"]
# 本附录由问卷编码本（survey.yaml）、加权目标（targets.yaml）和本次运行的环境自动生成，
# 任何人都可以用同样的输入文件和代码重现本报告的全部数字。

# %% [markdown] tags=["lang-en"]
# This appendix is generated from the codebook (survey.yaml), the weighting targets
# (targets.yaml) and the environment of this run; the same inputs and code reproduce every number
# in the report.

# %%
display(ch.heading({"zh": "问卷与编码", "en": "Questionnaire and codes"}))
display(ch.text({"zh": "调查：{title}；实施时间 {start} 至 {end}；方式：{mode}。",
                 "en": "Survey: {title}; fieldwork {start} to {end}; mode: {mode}."},
                title=ch.label(w.codebook.title), start=w.codebook.fieldwork.start,
                end=w.codebook.fieldwork.end, mode=w.codebook.fieldwork.mode))
display(analysis.report.export.questions_table(w.codebook, language))

# %%
display(ch.heading({"zh": "加权目标及其来源", "en": "Weighting targets and their sources"}))
display(ch.text({"zh": "总体：{population}。加权方法：{method}，变量：{variables}。",
                 "en": "Population: {population}. Method: {method} on {variables}."},
                population=w.targets.population, method=w.codebook.weighting.method,
                variables=", ".join(w.codebook.weighting.variables)))
display(analysis.report.export.targets_table(w.targets, language))

# %% [markdown] tags=["lang-zh"]
# ## 方差估计与置信区间
#
# - 所有标准误均基于抽样设计计算（泰勒线性化），并计入加权校准的影响（相当于 R survey 包对
#   raking 后设计的处理）；数值已与 R survey 包逐一核对。
# - 单选题比例的 95% 置信区间用 logit 方法（R 的 `svyciprop(method = "logit")`）；多选题各选项的比例
#   以看到该题的受访者为基数，区间为 Wald 区间。
# - 回归模型（svyglm）的平均边际效应用 delta 方法计算标准误；关键驱动因素的区间来自 200 个
#   自助法重复权重，每个重复样本都重新加权。
# - 愿付溢价用加权区间回归（对数正态分布）估计，平均数与中位数给出 delta 方法区间和
#   Krinsky–Robb 区间；接受曲线与双界二分选择曲线用加权 Turnbull 非参数估计，标准误来自影响函数。
# - 显著性字母：每列标题带一个字母（A、B、C…），格子中的字母表示该格显著高于带该字母的列；
#   来自两两设计检验，Holm 方法校正多重比较（与 Q/Displayr、SPSS 自定义表格的列字母标注相同）。

# %% [markdown] tags=["lang-en"]
# ## Variance and confidence intervals
#
# - Every standard error is design-based (Taylor linearisation) and accounts for the calibration
#   of the weights (as R's survey package does after raking); values are checked against R survey.
# - 95% intervals of single-choice shares use the logit method (R's `svyciprop(method = "logit")`);
#   shares of select-all options use respondents shown the question as base, with Wald intervals.
# - Average marginal effects of the survey GLM use delta-method SEs; key-driver intervals come
#   from 200 bootstrap replicate weights, each raked again.
# - Premiums come from weighted interval regression (log-normal) with delta-method and
#   Krinsky-Robb intervals; acceptance and bid curves are weighted Turnbull estimates with
#   influence-function SEs.
# - Significance letters: each column has a letter in its header (A, B, C, ...) and a cell lists
#   the letters of the columns it is significantly higher than, from pairwise design-based tests
#   with Holm adjustment (the column-letter convention of Q/Displayr and SPSS Custom Tables).

# %%
display(ch.heading({"zh": "披露控制与个人信息", "en": "Disclosure control and personal data"}))
display(ch.text(
    {"zh": "未加权样本量少于 {suppress} 人的估计值不予显示，少于 {flag} 人的以 * 标记（本批次在 "
           "survey.yaml 的 disclosure 中设置）。清理时替换了开放题中的 {redacted} 处个人信息；"
           "报告、图表和导出文件经过逐一扫描，不含个人信息、答卷编号或逐条答卷记录。",
     "en": "Estimates on fewer than {suppress} respondents (unweighted) are suppressed and those on "
           "fewer than {flag} flagged * (set per wave under disclosure in survey.yaml). Cleaning "
           "replaced {redacted} items of personal data in open answers; every page, chart and export "
           "was scanned and holds no personal data, respondent ids or respondent-level rows."},
    suppress=w.codebook.disclosure.suppress_below, flag=w.codebook.disclosure.flag_below,
    redacted=int((w.cleaned.audit["action"] == "redact").sum())))

# %%
display(ch.heading({"zh": "软件版本、输入文件与代码版本", "en": "Software, input files and code version"}))
display(analysis.report.export.provenance_table(wave))
