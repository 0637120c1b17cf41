# Reference values for analysis/estimators.py, design.py, replicates.py, multiresponse.py.
# Sourced by make_reference.R (write_reference(), export_csv() defined there).
# Each case records the design (as SurveyDesign arguments), the call (as the Python
# method's arguments) and R's rows: label, estimate, se, ci_low, ci_high [, deff], df.
# Labels: level or variable name; "group|level" with by=; "num/den" for ratios;
# "q" (or "var|q") for quantiles.
data(api, package = "survey")
data(nhanes, package = "survey")
options(survey.lonely.psu = "fail", survey.adjust.domain.lonely = FALSE,
        survey.ultimate.cluster = FALSE, survey.replicates.mse = FALSE)

# derived columns, recomputed identically by tests/test_design_reference.py
derive <- function(df, name) {
  if (name == "api") {
    df$sw <- as.numeric(df$sch.wide == "Yes")
    df$nh <- ave(rep(1, nrow(df)), df$stype, FUN = length)
  }
  if (name == "mr") {  # select-all options; rows 1, 8, 15, ... not asked
    na <- (seq_len(nrow(df)) - 1) %% 7 == 0
    df$b_a <- ifelse(na, NA, as.numeric(df$api00 > 650))
    df$b_b <- ifelse(na, NA, as.numeric(df$api99 > 650))
    df$b_c <- ifelse(na, NA, as.numeric(df$meals > 50))
  }
  df
}
apistrat <- derive(apistrat, "api")
apistrat$fpc_frac <- apistrat$nh / apistrat$fpc
apiclus1 <- derive(derive(apiclus1, "api"), "mr")
apiclus2 <- derive(apiclus2, "api")
apisrs <- derive(apisrs, "api")
nhanes2 <- nhanes[nhanes$SDMVSTRA != 86, ]

spec <- function(data, weights = NULL, strata = NULL, psu = NULL, fpc = NULL, nest = FALSE,
                 lonely_psu = "fail", derive = list(), subset = NULL, replicates = NULL) {
  list(data = data, weights = weights, strata = strata, psu = psu, fpc = fpc, nest = nest,
       lonely_psu = lonely_psu, derive = derive, subset = subset, replicates = replicates)
}

cases <- list()
add <- function(id, design_spec, call, rows, extra = list()) {
  cases[[length(cases) + 1]] <<- c(list(id = id, design = design_spec, call = call), rows, extra)
}

strip <- function(names, prefix) {
  out <- names
  hit <- startsWith(names, prefix)
  out[hit] <- substring(names[hit], nchar(prefix) + 1)
  out
}

# svystat / svrepstat (no by)
rows_stat <- function(obj, prefix = NULL, df = Inf) {
  lab <- names(coef(obj))
  if (!is.null(prefix)) lab <- strip(lab, prefix)
  ci <- confint(obj, df = df)
  out <- list(label = lab, estimate = as.numeric(coef(obj)), se = as.numeric(SE(obj)),
              ci_low = as.numeric(ci[, 1]), ci_high = as.numeric(ci[, 2]))
  if (!is.null(attr(obj, "deff"))) out$deff <- as.numeric(diag(as.matrix(attr(obj, "deff"))))
  out
}

# svyby with one statistic column per variable
rows_by <- function(res, vars, prefix = NULL) {
  groups <- rownames(res)
  est <- as.matrix(res[, vars, drop = FALSE])
  se <- as.matrix(SE(res))
  ci <- confint(res)
  lab <- c(); e <- c(); s <- c(); lo <- c(); hi <- c(); de <- c()
  dd <- if (!is.null(attr(res, "svyby")$deffs) && !isFALSE(attr(res, "svyby")$deffs))
    as.matrix(deff(res)) else NULL
  for (i in seq_along(groups)) for (j in seq_along(vars)) {
    v <- vars[j]
    l <- if (is.null(prefix)) v else strip(v, prefix)
    lab <- c(lab, if (length(vars) == 1 && is.null(prefix)) groups[i] else paste(groups[i], l, sep = "|"))
    e <- c(e, est[i, j]); s <- c(s, se[i, j])
    key <- if (length(vars) == 1) groups[i] else paste(groups[i], v, sep = ":")
    lo <- c(lo, ci[key, 1]); hi <- c(hi, ci[key, 2])
    if (!is.null(dd)) de <- c(de, dd[i, j])
  }
  out <- list(label = lab, estimate = e, se = s, ci_low = lo, ci_high = hi)
  if (!is.null(dd)) out$deff <- de
  out
}

rows_ciprop <- function(obj, label) {
  ci <- confint(obj)
  list(label = label, estimate = as.numeric(coef(obj)), se = as.numeric(sqrt(diag(as.matrix(vcov(obj))))),
       ci_low = as.numeric(ci[1]), ci_high = as.numeric(ci[2]))
}

rows_quantile <- function(q, multi = FALSE) {
  lab <- c(); e <- c(); s <- c(); lo <- c(); hi <- c()
  for (v in names(q)) {
    m <- q[[v]]
    for (i in seq_len(nrow(m))) {
      lab <- c(lab, if (multi) paste(v, rownames(m)[i], sep = "|") else rownames(m)[i])
      e <- c(e, m[i, 1]); lo <- c(lo, m[i, 2]); hi <- c(hi, m[i, 3]); s <- c(s, m[i, 4])
    }
  }
  list(label = lab, estimate = e, se = s, ci_low = lo, ci_high = hi)
}

# ------------------------------------------------------------------ designs
S_strat <- spec("apistrat", "pw", "stype", NULL, "fpc", derive = list("api"))
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)
S_frac <- spec("apistrat", "pw", "stype", NULL, "fpc_frac", derive = list("api"))
dfrac <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc_frac, data = apistrat)
S_clus1 <- spec("apiclus1", "pw", NULL, "dnum", "fpc", derive = list("api", "mr"))
dclus1 <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1)
S_srs <- spec("apisrs", "pw", NULL, NULL, "fpc", derive = list("api"))
dsrs <- svydesign(id = ~1, weights = ~pw, fpc = ~fpc, data = apisrs)
S_srs_nofpc <- spec("apisrs", "pw", derive = list("api"))
dsrs0 <- svydesign(id = ~1, weights = ~pw, data = apisrs)
S_clus2 <- spec("apiclus2", NULL, NULL, c("dnum", "snum"), c("fpc1", "fpc2"), derive = list("api"))
dclus2 <- svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, data = apiclus2)
S_clus2_uc <- spec("apiclus2", "pw", NULL, c("dnum", "snum"), derive = list("api"))
dclus2uc <- svydesign(id = ~dnum + snum, weights = ~pw, data = apiclus2)
S_nh <- spec("nhanes", "WTMEC2YR", "SDMVSTRA", "SDMVPSU", nest = TRUE)
dnh <- svydesign(id = ~SDMVPSU, strata = ~SDMVSTRA, weights = ~WTMEC2YR, nest = TRUE, data = nhanes)

designs <- list(list(id = "strat", spec = S_strat, d = dstrat), list(id = "frac", spec = S_frac, d = dfrac),
                list(id = "clus1", spec = S_clus1, d = dclus1), list(id = "srs", spec = S_srs, d = dsrs),
                list(id = "srs_nofpc", spec = S_srs_nofpc, d = dsrs0),
                list(id = "clus2", spec = S_clus2, d = dclus2), list(id = "clus2_uc", spec = S_clus2_uc, d = dclus2uc),
                list(id = "nhanes", spec = S_nh, d = dnh))

# ------------------------------------------------------------------ mean / total / ratio
for (D in designs[1:7]) {
  d <- D$d
  add(paste0(D$id, "_mean"), D$spec, list(fn = "mean", var = list("api00", "enroll"), na_rm = TRUE, deff = TRUE),
      rows_stat(svymean(~api00 + enroll, d, na.rm = TRUE, deff = TRUE)), list(degf = degf(d)))
  add(paste0(D$id, "_total"), D$spec, list(fn = "total", var = "enroll", na_rm = TRUE, deff = TRUE),
      rows_stat(svytotal(~enroll, d, na.rm = TRUE, deff = TRUE)))
  add(paste0(D$id, "_mean_replace"), D$spec, list(fn = "mean", var = "api00", deff = "replace"),
      rows_stat(svymean(~api00, d, deff = "replace")))
  add(paste0(D$id, "_factor"), D$spec, list(fn = "mean", var = "stype"),
      rows_stat(svymean(~stype, d), prefix = "stype"))
  add(paste0(D$id, "_factor_total"), D$spec, list(fn = "total", var = "awards"),
      rows_stat(svytotal(~awards, d), prefix = "awards"))
  r <- svyratio(~api00, ~api99, d, deff = TRUE)
  ci <- confint(r)
  add(paste0(D$id, "_ratio"), D$spec, list(fn = "ratio", numerator = "api00", denominator = "api99", deff = TRUE),
      list(label = "api00/api99", estimate = unname(coef(r)), se = unname(SE(r)), ci_low = unname(ci[, 1]),
           ci_high = unname(ci[, 2]), deff = unname(as.vector(attr(r, "deff")))))
  add(paste0(D$id, "_by"), D$spec, list(fn = "mean", var = "api00", by = "stype", deff = TRUE),
      rows_by(svyby(~api00, ~stype, d, svymean, deff = TRUE), "api00"))
  add(paste0(D$id, "_by_factor"), D$spec, list(fn = "mean", var = "awards", by = "stype"),
      rows_by(svyby(~awards, ~stype, d, svymean), c("awardsNo", "awardsYes"), prefix = "awards"))
  add(paste0(D$id, "_by_total"), D$spec, list(fn = "total", var = "enroll", by = "both", na_rm = TRUE),
      rows_by(svyby(~enroll, ~both, d, svytotal, na.rm = TRUE), "enroll"))
  add(paste0(D$id, "_by_ratio"), D$spec, list(fn = "ratio", numerator = "api00", denominator = "api99", by = "awards"),
      rows_by(svyby(~api00, ~awards, d, svyratio, denominator = ~api99), "api00/api99"))
  add(paste0(D$id, "_by2"), D$spec, list(fn = "mean", var = "api00", by = list("stype", "awards")),
      (function() {
        res <- svyby(~api00, ~stype + awards, d, svymean)
        out <- rows_by(res, "api00")
        out$label <- paste(res$stype, res$awards, sep = "|")
        out
      })())
  dsub <- subset(d, stype == "E")
  add(paste0(D$id, "_subset"), c(D$spec[names(D$spec) != "subset"], list(subset = list(column = "stype", equals = "E"))),
      list(fn = "mean", var = "api00"), rows_stat(svymean(~api00, dsub)), list(degf = degf(dsub)))
  # proportions, every svyciprop method, overall and by group
  for (m in c("logit", "likelihood", "asin", "beta", "mean", "xlogit")) {
    add(paste0(D$id, "_prop_", m), D$spec, list(fn = "proportion", var = "sw", method = m),
        rows_ciprop(svyciprop(~sw, d, method = m), "sw"))
    res <- svyby(~sw, ~stype, d, svyciprop, method = m, vartype = c("se", "ci"))
    add(paste0(D$id, "_prop_by_", m), D$spec, list(fn = "proportion", var = "sw", method = m, by = "stype"),
        list(label = rownames(res), estimate = res$sw, se = as.numeric(SE(res)), ci_low = res$ci_l, ci_high = res$ci_u))
  }
  add(paste0(D$id, "_prop_level90"), D$spec, list(fn = "proportion", var = "sw", method = "beta", conf_level = 0.9),
      rows_ciprop(svyciprop(~sw, d, method = "beta", level = 0.9), "sw"))
  # quantiles
  add(paste0(D$id, "_quantile"), D$spec, list(fn = "quantile", var = list("api00", "enroll"), q = list(0.1, 0.25, 0.5, 0.9), na_rm = TRUE),
      rows_quantile(svyquantile(~api00 + enroll, d, c(0.1, 0.25, 0.5, 0.9), na.rm = TRUE), multi = TRUE))
  for (rule in c("school", "hf7")) {
    add(paste0(D$id, "_quantile_", rule), D$spec, list(fn = "quantile", var = "api00", q = list(0.25, 0.5, 0.75), qrule = rule),
        rows_quantile(svyquantile(~api00, d, c(0.25, 0.5, 0.75), qrule = rule)))
  }
  for (it in c("beta", "xlogit", "asin")) {
    add(paste0(D$id, "_quantile_", it), D$spec, list(fn = "quantile", var = "api00", q = list(0.5, 0.8), interval_type = it),
        rows_quantile(svyquantile(~api00, d, c(0.5, 0.8), interval.type = it)))
  }
  res <- svyby(~api00, ~stype, d, svyquantile, quantiles = c(0.5), vartype = c("se", "ci"))
  add(paste0(D$id, "_quantile_by"), D$spec, list(fn = "quantile", var = "api00", q = 0.5, by = "stype"),
      list(label = paste(rownames(res), "0.5", sep = "|"), estimate = res$api00, se = res$se.api00,
           ci_low = res$ci_l, ci_high = res$ci_u))
}

# ------------------------------------------------------------------ NHANES: strata x PSU, NA, by
add("nhanes_mean", S_nh, list(fn = "mean", var = "HI_CHOL", na_rm = TRUE, deff = TRUE),
    rows_stat(svymean(~HI_CHOL, dnh, na.rm = TRUE, deff = TRUE)), list(degf = degf(dnh)))
add("nhanes_mean_na", S_nh, list(fn = "mean", var = "HI_CHOL"),
    list(label = "HI_CHOL", estimate = NA, se = NA, ci_low = NA, ci_high = NA))
add("nhanes_by_agecat", S_nh, list(fn = "mean", var = "HI_CHOL", by = "agecat", na_rm = TRUE),
    rows_by(svyby(~HI_CHOL, ~agecat, dnh, svymean, na.rm = TRUE), "HI_CHOL"))
add("nhanes_agecat", S_nh, list(fn = "mean", var = "agecat"), rows_stat(svymean(~agecat, dnh), prefix = "agecat"))
for (m in c("logit", "likelihood", "beta", "xlogit")) {
  add(paste0("nhanes_prop_", m), S_nh, list(fn = "proportion", var = "HI_CHOL", method = m, na_rm = TRUE),
      rows_ciprop(svyciprop(~HI_CHOL, dnh, method = m, na.rm = TRUE), "HI_CHOL"))
}

# ------------------------------------------------------------------ lonely PSUs
for (rule in c("adjust", "average", "certainty", "remove")) {
  options(survey.lonely.psu = rule)
  S_l <- spec("apistrat", "pw", "cname", "dnum", nest = TRUE, lonely_psu = rule)
  dl <- svydesign(id = ~dnum, strata = ~cname, weights = ~pw, nest = TRUE, data = apistrat)
  add(paste0("lonely_", rule), S_l, list(fn = "mean", var = list("api00", "enroll")),
      rows_stat(svymean(~api00 + enroll, dl)), list(degf = degf(dl)))
  add(paste0("lonely_", rule, "_total"), S_l, list(fn = "total", var = "stype"),
      rows_stat(svytotal(~stype, dl), prefix = "stype"))
  add(paste0("lonely_", rule, "_by"), S_l, list(fn = "mean", var = "api00", by = "stype"),
      rows_by(suppressWarnings(svyby(~api00, ~stype, dl, svymean)), "api00"))
  S_l2 <- spec("apiclus2", "pw", NULL, c("dnum", "snum"), c("fpc1", "fpc2"), lonely_psu = rule, derive = list("api"),
               subset = list(column = "stype", equals = "E"))
  dl2 <- svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, weights = ~pw, data = apiclus2)
  add(paste0("lonely_", rule, "_multistage_domain"), S_l2, list(fn = "mean", var = "api00"),
      rows_stat(svymean(~api00, subset(dl2, stype == "E"))))
  if (rule %in% c("adjust", "average", "certainty", "remove")) {
    rj <- as.svrepdesign(dl, type = "JKn")
    add(paste0("lonely_", rule, "_jkn"), c(S_l[names(S_l) != "replicates"], list(replicates = list(type = "JKn"))),
        list(fn = "mean", var = "api00"), rows_stat(svymean(~api00, rj)),
        list(n_replicates = ncol(weights(rj, "analysis")), scale = rj$scale,
             rscales = rj$rscales, repweight_colsums = unname(colSums(weights(rj, "analysis")))))
  }
}
options(survey.lonely.psu = "fail")

# ------------------------------------------------------------------ replicate designs
rep_cases <- list(
  list(id = "clus1_jk1", spec = S_clus1, d = dclus1, type = "JK1"),
  list(id = "strat_jkn", spec = S_strat, d = dstrat, type = "JKn"),
  list(id = "srs_jk1", spec = S_srs, d = dsrs, type = "JK1"),
  list(id = "nhanes_jkn", spec = S_nh, d = dnh, type = "JKn"))
for (R in rep_cases) {
  rd <- as.svrepdesign(R$d, type = R$type)
  S_r <- R$spec
  S_r$replicates <- list(type = R$type)
  aw <- weights(rd, "analysis")
  extra <- list(n_replicates = ncol(aw), scale = rd$scale, rscales = rd$rscales,
                repweight_colsums = unname(colSums(aw)), repweight_colsumsq = unname(colSums(aw^2)),
                repweight_first = unname(aw[, 1]), repweight_last = unname(aw[, ncol(aw)]), degf = degf(rd))
  if (R$id == "nhanes_jkn") {
    add(paste0(R$id, "_mean"), S_r, list(fn = "mean", var = "HI_CHOL", na_rm = TRUE, deff = TRUE),
        rows_stat(svymean(~HI_CHOL, rd, na.rm = TRUE, deff = TRUE)), extra)
    add(paste0(R$id, "_by"), S_r, list(fn = "mean", var = "HI_CHOL", by = "agecat", na_rm = TRUE),
        rows_by(svyby(~HI_CHOL, ~agecat, rd, svymean, na.rm = TRUE), "HI_CHOL"))
    next
  }
  add(paste0(R$id, "_mean"), S_r, list(fn = "mean", var = list("api00", "enroll"), na_rm = TRUE, deff = TRUE),
      rows_stat(svymean(~api00 + enroll, rd, na.rm = TRUE, deff = TRUE)), extra)
  add(paste0(R$id, "_total"), S_r, list(fn = "total", var = "enroll", na_rm = TRUE, deff = TRUE),
      rows_stat(svytotal(~enroll, rd, na.rm = TRUE, deff = TRUE)))
  add(paste0(R$id, "_factor"), S_r, list(fn = "mean", var = "stype"), rows_stat(svymean(~stype, rd), prefix = "stype"))
  r <- svyratio(~api00, ~api99, rd)
  ci <- confint(r)
  add(paste0(R$id, "_ratio"), S_r, list(fn = "ratio", numerator = "api00", denominator = "api99"),
      list(label = "api00/api99", estimate = unname(coef(r)), se = unname(SE(r)), ci_low = unname(ci[, 1]), ci_high = unname(ci[, 2])))
  add(paste0(R$id, "_by"), S_r, list(fn = "mean", var = "api00", by = "stype"),
      rows_by(svyby(~api00, ~stype, rd, svymean), "api00"))
  for (m in c("logit", "beta", "mean", "xlogit", "asin")) {
    add(paste0(R$id, "_prop_", m), S_r, list(fn = "proportion", var = "sw", method = m),
        rows_ciprop(svyciprop(~sw, rd, method = m), "sw"))
  }
  add(paste0(R$id, "_quantile"), S_r, list(fn = "quantile", var = "api00", q = list(0.25, 0.5, 0.75)),
      rows_quantile(svyquantile(~api00, rd, c(0.25, 0.5, 0.75))))
}

# bootstrap and BRR/Fay: R's replicate weights are exported, the Python side reuses them
set.seed(20221201)
rb <- as.svrepdesign(dclus1, type = "bootstrap", replicates = 50)
bw <- weights(rb, "analysis")
colnames(bw) <- paste0("bw", seq_len(ncol(bw)))
export_csv(data.frame(cds = apiclus1$cds, bw), "apiclus1_bootstrap")
S_b <- spec("apiclus1", "pw", derive = list("api", "mr"),
            replicates = list(type = "bootstrap", file = "apiclus1_bootstrap", scale = rb$scale))
add("clus1_boot_mean", S_b, list(fn = "mean", var = list("api00", "enroll"), deff = TRUE),
    rows_stat(svymean(~api00 + enroll, rb, deff = TRUE)), list(scale = rb$scale, degf = degf(rb)))
add("clus1_boot_by", S_b, list(fn = "total", var = "enroll", by = "stype"), rows_by(svyby(~enroll, ~stype, rb, svytotal), "enroll"))
add("clus1_boot_prop_beta", S_b, list(fn = "proportion", var = "sw", method = "beta"), rows_ciprop(svyciprop(~sw, rb, method = "beta"), "sw"))
add("clus1_boot_prop_logit", S_b, list(fn = "proportion", var = "sw", method = "logit"), rows_ciprop(svyciprop(~sw, rb, method = "logit"), "sw"))
add("clus1_boot_quantile", S_b, list(fn = "quantile", var = "api00", q = list(0.5, 0.9)),
    rows_quantile(svyquantile(~api00, rb, c(0.5, 0.9))))
rbm <- svrepdesign(data = apiclus1, repweights = bw, weights = ~pw, type = "bootstrap", combined.weights = TRUE, mse = TRUE)
S_bm <- S_b
S_bm$replicates$mse <- TRUE
S_bm$replicates$scale <- NULL
add("clus1_boot_mse", S_bm, list(fn = "mean", var = "api00"), rows_stat(svymean(~api00, rbm)), list(scale = rbm$scale))

sylvester <- function(n) { h <- matrix(1, 1, 1); while (nrow(h) < n) h <- rbind(cbind(h, h), cbind(h, -h)); h }
dnh2 <- svydesign(id = ~SDMVPSU, strata = ~SDMVSTRA, weights = ~WTMEC2YR, nest = TRUE, data = nhanes2)
S_nh2 <- spec("nhanes", "WTMEC2YR", "SDMVSTRA", "SDMVPSU", nest = TRUE, derive = list("drop86"))
for (rho in c(0, 0.3)) {
  rr <- as.svrepdesign(dnh2, type = if (rho == 0) "BRR" else "Fay", fay.rho = rho, hadamard.matrix = sylvester(16))
  aw <- weights(rr, "analysis")
  S_r <- S_nh2
  S_r$replicates <- list(type = if (rho == 0) "BRR" else "Fay", fay_rho = rho)
  add(paste0("nhanes_brr_", rho), S_r, list(fn = "mean", var = "HI_CHOL", na_rm = TRUE),
      rows_stat(svymean(~HI_CHOL, rr, na.rm = TRUE)),
      list(n_replicates = ncol(aw), scale = rr$scale, repweight_colsums = unname(colSums(aw)),
           repweight_colsumsq = unname(colSums(aw^2)), repweight_first = unname(aw[, 1]), repweight_last = unname(aw[, ncol(aw)])))
  add(paste0("nhanes_brr_", rho, "_by"), S_r, list(fn = "mean", var = "HI_CHOL", by = "RIAGENDR", na_rm = TRUE),
      rows_by(svyby(~HI_CHOL, ~RIAGENDR, rr, svymean, na.rm = TRUE), "HI_CHOL"))
}

# ------------------------------------------------------------------ multiple response vs svyttest
asked <- subset(dclus1, !is.na(b_a))
mr_shares <- svymean(~b_a + b_b + b_c, asked)
add("mr_shares", S_clus1, list(fn = "mean", var = list("b_a", "b_b", "b_c"), mr = TRUE),
    rows_stat(mr_shares), list(vcov = unname(as.vector(vcov(mr_shares)))))
tt <- svyttest(I(b_a - b_b) ~ 0, asked)
add("mr_test", S_clus1, list(fn = "mr_test", var = list("b_a", "b_b", "b_c"), option_a = "b_a", option_b = "b_b", mr = TRUE),
    list(estimate = unname(tt$estimate), se = unname(tt$estimate / tt$statistic), t = unname(tt$statistic),
         df = unname(tt$parameter), p_value = tt$p.value))
tt2 <- svyttest(b_c ~ stype, subset(dclus1, !is.na(b_a) & stype %in% c("E", "M")))
add("mr_compare", S_clus1, list(fn = "mr_compare", var = list("b_a", "b_b", "b_c"), by = "stype", option = "b_c",
                                groups = list("M", "E"), mr = TRUE),
    list(estimate = unname(tt2$estimate), se = unname(tt2$estimate / tt2$statistic), t = unname(tt2$statistic),
         df = unname(tt2$parameter), p_value = tt2$p.value))

write_reference(cases, "estimators")
