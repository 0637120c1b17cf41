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
import analysis.report.i18n
import analysis.report.plots

ch = analysis.report.open_chapter("06-second-hand", wave=wave, language=language,
                                  output_dir=output_dir)
w = ch.wave
display(ch.title())

# %% [markdown] tags=["lang-zh"]
# 二手商品要便宜到新品价格的几折，受访者才会考虑购买？问卷中的阶梯题给出了每人能接受的最高价格档位，
# 所以每个回答对应一个价格区间。我们把“任何价格都不买”的人单独列出（门槛模型的第一部分），
# 再用加权 Turnbull 非参数估计画出接受曲线：在每个价格比例下愿意购买的人群比例及其 95% 置信带。

# %% [markdown] tags=["lang-en"]
# How cheap must a second-hand item be, relative to new, before people consider buying it? The
# ladder question gives each respondent's highest acceptable price rung, so each answer is an
# interval. People who would never buy second-hand are kept apart (the hurdle), and a weighted
# Turnbull estimate gives the acceptance curve: the share who would buy at each price ratio, with
# a 95% confidence band.

# %%
sh = w.design.second_hand_threshold("secondhand", need_at_most=[0.4])
everyone = w.base("secondhand")
buyers = w.base("secondhand", exclude=("never",))

# %%
display(ch.heading({"zh": "需要四折及以下才会购买的比例", "en": "Share who need 40% of the new price or less"}))
title = {"zh": "二手价格需为新品四折及以下才会购买的比例",
         "en": "Share who would buy second-hand only at 40% of the new price or less"}
display(ch.findings.add(
    "secondhand.need40", sh.needs, title=title, headline=True,
    row_labels={(0.4, "population"): {"zh": "全部受访者（含任何价格都不买者）",
                                      "en": "All respondents (including never-buyers)"},
                (0.4, "buyers"): {"zh": "愿意购买二手商品的受访者", "en": "Respondents who would buy"}},
    n_unweighted={(0.4, "population"): everyone["n_unweighted"],
                  (0.4, "buyers"): buyers["n_unweighted"]},
    n_weighted={(0.4, "population"): everyone["n_weighted"], (0.4, "buyers"): buyers["n_weighted"]}))
display(ch.findings.add("secondhand.never", sh.never, title={
    "zh": "任何价格都不买二手商品的比例", "en": "Share who would never buy second-hand"},
    row_labels={"never": {"zh": "任何价格都不买", "en": "Would never buy"}}, **everyone))

# %%
display(ch.text(
    {"zh": "加权后，{need} 的受访者只有在二手价格不高于新品四折时才会购买（分母为全体受访者，"
           "其中 {never} 任何价格都不买，不计入分子）；在愿意购买二手商品的人中，这一比例为 {need_buyers}。",
     "en": "Weighted, {need} of all respondents would buy second-hand only at 40% of the new price "
           "or less (the base is everyone; the {never} who would never buy count in the base, not "
           "in the share); among those who would buy at some price the share is {need_buyers}."},
    need=ch.findings.value("secondhand.need40", (0.4, "population")),
    never=ch.findings.value("secondhand.never", "never"),
    need_buyers=ch.findings.value("secondhand.need40", (0.4, "buyers"))))

# %%
display(ch.heading({"zh": "接受曲线", "en": "Acceptance curve"}))
curve = sh.population.summary_frame()
title = {"zh": "在各价格比例下愿意购买二手商品的比例", "en": "Share who would buy second-hand at each price ratio"}
display(ch.findings.add(
    "secondhand.curve", {"population": sh.population, "buyers": sh.buyers}, title=title,
    row_labels={r: analysis.report.i18n.ratio_label(r, language) for r in curve.index},
    column_labels={"population": {"zh": "全部受访者", "en": "All respondents"},
                   "buyers": {"zh": "愿意购买者", "en": "Would buy"}},
    n_unweighted={"population": everyone["n_unweighted"], "buyers": buyers["n_unweighted"]},
    show=("estimate", "ci")))
display(ch.findings.figure(analysis.report.plots.plot_acceptance_curve(
    sh.population, threshold=0.4, title=title, language=language), "secondhand-curve"))

# %% [markdown] tags=["lang-zh"]
# 阶梯题的约定是“选择的档位是能接受的最高价格”，所以曲线在每个档位处跳变；档位之间的形状无法从数据识别。

# %% [markdown] tags=["lang-en"]
# The ladder is read as "the chosen rung is the highest acceptable price", so the curve steps at
# each rung; its shape between rungs is not identified by the data.
