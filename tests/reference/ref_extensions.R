# Reference values for the design-based estimators added after the first round
# (issue 12): every svyquantile qrule and interval.type, svyvar, PPS designs,
# svychisq(statistic = "saddlepoint"), calibrate() with a formula, rake(control=).
# Sourced by make_reference.R (write_reference(), export_csv() defined there);
# writes tests/reference/r_extensions.json.  Cases have the layout of
# ref_estimators.R (design spec, call as the Python method's arguments, R's rows);
# where R is wrong a case keeps R's number ("r_*") beside the corrected one and
# the R evidence for it (read by tests/test_quantile_rules.py, test_svyvar.py, ...).
data(api, package = "survey")
options(survey.lonely.psu = "fail", survey.adjust.domain.lonely = FALSE,
        survey.ultimate.cluster = FALSE, survey.replicates.mse = FALSE)

derive <- function(df) {
  df$sw <- as.numeric(df$sch.wide == "Yes")
  df$nh <- ave(rep(1, nrow(df)), df$stype, FUN = length)
  df$fpc_frac <- df$nh / df$fpc
  df
}
apistrat <- derive(apistrat)
apiclus1 <- derive(apiclus1)
apisrs <- derive(apisrs)

spec <- function(data, weights = NULL, strata = NULL, psu = NULL, fpc = NULL, nest = FALSE,
                 lonely_psu = "fail", derive = list("api"), subset = NULL, replicates = NULL, ...) {
  c(list(data = data, weights = weights, strata = strata, psu = psu, fpc = fpc, nest = nest,
         lonely_psu = lonely_psu, derive = derive, subset = subset, replicates = replicates),
    list(...))
}

cases <- list()
add <- function(id, design_spec, call, rows, extra = list()) {
  cases[[length(cases) + 1]] <<- c(list(id = id, design = design_spec, call = call), rows, extra)
}

rows_quantile <- function(q) {
  lab <- c(); e <- c(); s <- c(); lo <- c(); hi <- c()
  for (v in names(q)) {
    m <- q[[v]]
    for (i in seq_len(nrow(m))) {
      lab <- c(lab, rownames(m)[i])
      e <- c(e, m[i, 1]); lo <- c(lo, m[i, 2]); hi <- c(hi, m[i, 3]); s <- c(s, m[i, 4])
    }
  }
  list(label = lab, estimate = e, se = s, ci_low = lo, ci_high = hi)
}

rows_stat <- function(obj) {
  ci <- confint(obj)
  list(label = names(coef(obj)), estimate = as.numeric(coef(obj)), se = as.numeric(SE(obj)),
       ci_low = as.numeric(ci[, 1]), ci_high = as.numeric(ci[, 2]))
}

S_strat <- spec("apistrat", "pw", "stype", NULL, "fpc")
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)
S_clus1 <- spec("apiclus1", "pw", NULL, "dnum", "fpc")
dclus1 <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1)
S_srs <- spec("apisrs", "pw", NULL, NULL, "fpc")
dsrs <- svydesign(id = ~1, weights = ~pw, fpc = ~fpc, data = apisrs)
designs <- list(list(id = "strat", spec = S_strat, d = dstrat),
                list(id = "clus1", spec = S_clus1, d = dclus1),
                list(id = "srs", spec = S_srs, d = dsrs))
probs <- c(0.1, 0.25, 0.5, 0.75, 0.9)

# ------------------------------------------------------------------ quantile rules
rules <- c("hf1", "hf2", "hf3", "hf4", "hf5", "hf6", "hf8", "hf9")
for (D in designs) {
  d <- D$d
  for (rule in rules) {
    add(paste0("quantile_", D$id, "_", rule), D$spec,
        list(fn = "quantile", var = "api00", q = as.list(probs), qrule = rule),
        rows_quantile(svyquantile(~api00, d, probs, qrule = rule)))
  }
  # enroll has ties-free large values; ell has many ties (hf3's even-position rule)
  for (rule in c("hf3", "hf4", "hf6")) {
    add(paste0("quantile_", D$id, "_ell_", rule), D$spec,
        list(fn = "quantile", var = "ell", q = as.list(probs), qrule = rule),
        rows_quantile(svyquantile(~ell, d, probs, qrule = rule)))
  }
  add(paste0("quantile_", D$id, "_by_hf6"), D$spec,
      list(fn = "quantile", var = "api00", q = 0.5, by = "stype", qrule = "hf6"),
      (function() {
        res <- svyby(~api00, ~stype, d, svyquantile, quantiles = 0.5, qrule = "hf6",
                     vartype = c("se", "ci"))
        list(label = paste(rownames(res), "0.5", sep = "|"), estimate = res$api00,
             se = res$se.api00, ci_low = res$ci_l, ci_high = res$ci_u)
      })())
}

# shahvaish: R's qrule_shahvaish uses pk = (cumsum(w/mean(w)) + 0.5 - w/2)/(n + 1) with the
# raw w in `- w/2`, so its answer changes when every weight is multiplied by a constant.
# With weights normalised to mean 1 (w == w/mean(w)) R computes Shah & Vaish's formula,
# which greensurvey uses for any scaling: that is the corrected reference.
for (D in designs) {
  d <- D$d
  dn <- svydesign(id = if (is.null(D$spec$psu)) ~1 else ~dnum,
                  strata = if (is.null(D$spec$strata)) NULL else ~stype,
                  weights = weights(d) / mean(weights(d)), fpc = ~fpc, data = D$d$variables)
  r_raw <- rows_quantile(svyquantile(~api00, d, probs, qrule = "shahvaish"))
  r_fix <- rows_quantile(svyquantile(~api00, dn, probs, qrule = "shahvaish"))
  r_x2 <- rows_quantile(svyquantile(~api00, svydesign(
    id = if (is.null(D$spec$psu)) ~1 else ~dnum, strata = if (is.null(D$spec$strata)) NULL else ~stype,
    weights = 2 * weights(d), fpc = ~fpc, data = D$d$variables), probs, qrule = "shahvaish"))
  add(paste0("quantile_", D$id, "_shahvaish"), D$spec,
      list(fn = "quantile", var = "api00", q = as.list(probs), qrule = "shahvaish"),
      r_fix, list(r_wrong = r_raw, r_wrong_weights_doubled = r_x2,
                  evidence = paste("R's qrule_shahvaish subtracts the raw weight w/2 where Shah & Vaish",
                                   "subtract the normalised weight; R's own numbers with the weights",
                                   "normalised to mean 1 (the corrected reference here) differ from",
                                   "those with the raw weights, which differ again with the weights doubled")))
}

# ------------------------------------------------------------------ interval.type
for (D in designs) {
  d <- D$d
  for (it in c("mean", "beta", "xlogit", "asin")) {
    add(paste0("quantile_", D$id, "_interval_", it), D$spec,
        list(fn = "quantile", var = "api00", q = list(0.25, 0.5, 0.9), interval_type = it,
             qrule = "hf6"),
        rows_quantile(svyquantile(~api00, d, c(0.25, 0.5, 0.9), interval.type = it, qrule = "hf6")))
  }
  # score: ffullerCI maps each root through qrule(x, w, mean(x <= root)), the *unweighted*
  # share below the root.  The test-inversion interval needs the weighted share (the
  # design's CDF estimate at the root); the corrected reference repeats R's steps with
  # svymean(x <= root) in place of mean(x <= root).
  for (rule in c("math", "hf6")) {
    r <- rows_quantile(svyquantile(~api00, d, c(0.25, 0.5, 0.9), interval.type = "score", qrule = rule))
    fix <- r
    qr <- get(paste0("qrule_", rule), asNamespace("survey"))
    x <- d$variables$api00
    w <- weights(d)
    crit <- qt(0.975, degf(d))
    for (i in seq_along(r$label)) {
      p <- as.numeric(r$label[i])
      st <- function(theta, ql) { m <- svymean(as.numeric(x > theta) - (1 - p), d); coef(m) / SE(m) - ql }
      iqr <- IQR(x); tol <- 1 / (100 * sqrt(nrow(d)))
      lo <- uniroot(st, c(min(x) + iqr / 100, max(x) - iqr / 100), ql = crit, tol = tol)$root
      hi <- uniroot(st, c(min(x) + iqr / 100, max(x) - iqr / 100), ql = -crit, tol = tol)$root
      fix$ci_low[i] <- qr(x, w, sum(w * (x <= lo)) / sum(w))
      fix$ci_high[i] <- qr(x, w, sum(w * (x <= hi)) / sum(w))
      fix$se[i] <- (fix$ci_high[i] - fix$ci_low[i]) / (2 * crit)
    }
    add(paste0("quantile_", D$id, "_score_", rule), D$spec,
        list(fn = "quantile", var = "api00", q = list(0.25, 0.5, 0.9), interval_type = "score",
             qrule = rule),
        fix, list(r_wrong = r, equal_weights = length(unique(w)) == 1,
                  evidence = paste("ffullerCI maps the roots through qrule(x, w, mean(x <= root)):",
                                   "an unweighted share; with equal weights both agree")))
  }
}

# ------------------------------------------------------------------ svyvar
rows_var <- function(v) {
  vv <- as.matrix(v)
  nm <- rownames(vv)
  p <- length(nm)
  lab <- if (p == 1) nm else paste(nm[(seq_len(p * p) - 1) %% p + 1], nm[(seq_len(p * p) - 1) %/% p + 1], sep = "|")
  est <- as.numeric(vv)
  se <- sqrt(diag(as.matrix(attr(v, "var"))))
  list(label = lab, estimate = est, se = se, ci_low = est - qnorm(0.975) * se,
       ci_high = est + qnorm(0.975) * se, vcov = as.numeric(attr(v, "var")))
}
for (D in designs) {
  d <- D$d
  add(paste0("var_", D$id), D$spec, list(fn = "var", var = "api00"), rows_var(svyvar(~api00, d)))
  add(paste0("var_", D$id, "_cov"), D$spec, list(fn = "var", var = list("api00", "api99", "enroll")),
      rows_var(svyvar(~api00 + api99 + enroll, d)))
  res <- svyby(~api00, ~stype, d, svyvar)
  add(paste0("var_", D$id, "_by"), D$spec, list(fn = "var", var = "api00", by = "stype"),
      list(label = rownames(res), estimate = res$api00, se = as.numeric(SE(res)),
           ci_low = res$api00 - qnorm(0.975) * as.numeric(SE(res)),
           ci_high = res$api00 + qnorm(0.975) * as.numeric(SE(res))))
  rt <- if (is.null(D$spec$strata)) "JK1" else "JKn"
  rd <- as.svrepdesign(d, type = rt)
  sp <- c(D$spec[names(D$spec) != "replicates"], list(replicates = list(type = rt)))
  add(paste0("var_", D$id, "_jk1"), sp, list(fn = "var", var = list("api00", "api99")),
      rows_var(svyvar(~api00 + api99, rd)))
}
# na.rm: R's Taylor svyvar counts rows with a missing value in n (n/(n-1)), so it
# differs from the same design subset to the complete rows; the corrected reference is
# R's svyvar on that subset (where svymean(na.rm=TRUE) and the subset agree, as they should).
apistrat$enroll_na <- ifelse(seq_len(nrow(apistrat)) %% 10 == 0, NA, apistrat$enroll)
dna <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)
r_na <- rows_var(svyvar(~enroll_na, dna, na.rm = TRUE))
fix_na <- rows_var(svyvar(~enroll_na, subset(dna, !is.na(enroll_na))))
fix_na$label <- r_na$label
add("var_strat_na_rm", c(S_strat, list(missing_every = 10)), list(fn = "var", var = "enroll_na", na_rm = TRUE),
    fix_na, list(r_wrong = r_na,
                 evidence = paste("svyvar(~y, d, na.rm=TRUE) uses n = sum(weights(d) != 0), rows with",
                                  "y missing included; svyvar(~y, subset(d, !is.na(y))) uses the complete",
                                  "rows; svymean gives the same mean both ways")))

# ------------------------------------------------------------------ rake(control = )
# R's default control = list(maxit = 10, epsilon = 1) stops when no weighted cell count
# moves by 1 between sweeps; the Python default iterates to convergence, control= gives R's.
pop_types <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
pop_schwide <- data.frame(sch.wide = c("No", "Yes"), Freq = c(1072, 5122))
pop_awards <- as.data.frame(table(awards = apipop$awards))
rake_case <- function(id, D, margins, pops, control, call_control) {
  warn <- NULL
  r <- withCallingHandlers(
    if (is.null(control)) rake(D$d, margins, pops) else rake(D$d, margins, pops, control = control),
    warning = function(w) { warn <<- conditionMessage(w); invokeRestart("muffleWarning") })
  m <- svymean(~api00, r)
  tt <- svytotal(~enroll, r)
  add(id, D$spec,
      list(fn = "rake", margins = setNames(lapply(pops, function(p) as.list(setNames(p$Freq, as.character(p[[1]])))),
                                           sapply(pops, function(p) names(p)[1])),
           control = call_control),
      list(label = c("api00", "enroll"), estimate = c(coef(m), coef(tt)), se = c(SE(m), SE(tt)),
           ci_low = c(confint(m)[1], confint(tt)[1]), ci_high = c(confint(m)[2], confint(tt)[2])),
      list(weights = unname(weights(r)), r_warning = if (is.null(warn)) "" else warn))
}
rake_case("rake_clus1_default", designs[[2]], list(~stype, ~sch.wide), list(pop_types, pop_schwide),
          NULL, list(maxit = 10, epsilon = 1))
rake_case("rake_strat_default", designs[[1]], list(~sch.wide, ~awards),
          list(as.data.frame(table(sch.wide = apipop$sch.wide)), pop_awards), NULL, list(maxit = 10, epsilon = 1))
rake_case("rake_clus1_relative", designs[[2]], list(~stype, ~sch.wide), list(pop_types, pop_schwide),
          list(epsilon = 1e-4), list(epsilon = 1e-4))
rake_case("rake_clus1_maxit2", designs[[2]], list(~stype, ~sch.wide, ~awards),
          list(pop_types, pop_schwide, pop_awards), list(maxit = 2, epsilon = 1e-9),
          list(maxit = 2, epsilon = 1e-9))

# ------------------------------------------------------------------ calibrate(formula)
apipop$stype_code <- as.integer(apipop$stype)
cal_case <- function(id, D, formula, calfun = "linear") {
  dd <- D$d
  dd$variables$stype_code <- as.integer(dd$variables$stype)
  pop <- colSums(model.matrix(formula, apipop))
  r <- calibrate(dd, formula, pop, calfun = calfun, epsilon = 1e-12, maxit = 200)
  m <- svymean(~api00, r)
  tt <- svytotal(~enroll, r)
  add(id, D$spec, list(fn = "calibrate", population = as.list(pop),
                       formula = paste(deparse(formula), collapse = ""), method = calfun),
      list(label = c("api00", "enroll"), estimate = c(coef(m), coef(tt)), se = c(SE(m), SE(tt)),
           ci_low = c(confint(m)[1], confint(tt)[1]), ci_high = c(confint(m)[2], confint(tt)[2])),
      list(weights = unname(weights(r))))
}
cal_case("calibrate_clus1_interaction", designs[[2]], ~stype * sch.wide + api99:stype)
cal_case("calibrate_strat_interaction", designs[[1]], ~stype * sch.wide + api99:stype)
cal_case("calibrate_clus1_factor_raking", designs[[2]], ~factor(stype_code) + awards * api99, "raking")
cal_case("calibrate_srs_factor_numeric", designs[[3]], ~factor(stype_code):api99 + sch.wide)

# ------------------------------------------------------------------ svychisq(statistic = "saddlepoint")
for (D in designs) {
  for (pair in list(c("stype", "awards"), c("sch.wide", "comp.imp"), c("stype", "both"))) {
    f <- as.formula(paste("~", pair[1], "+", pair[2]))
    r <- svychisq(f, D$d, statistic = "saddlepoint")
    add(paste0("chisq_", D$id, "_", pair[1], "_", pair[2]), D$spec,
        list(fn = "chisq", row = pair[1], col = pair[2], statistic = "saddlepoint"),
        list(statistic = unname(r$statistic), p_value = unname(r$p.value)))
  }
}
rd <- as.svrepdesign(dclus1, type = "JK1")
r <- svychisq(~stype + awards, rd, statistic = "saddlepoint")
add("chisq_clus1_jk1_stype_awards", c(S_clus1[names(S_clus1) != "replicates"], list(replicates = list(type = "JK1"))),
    list(fn = "chisq", row = "stype", col = "awards", statistic = "saddlepoint"),
    list(statistic = unname(r$statistic), p_value = unname(r$p.value)))

# ------------------------------------------------------------------ PPS designs (R's election data)
data(election, package = "survey")
election_pps$big <- as.numeric(election_pps$votes > 100000)
election_pps$wt <- 1 / election_pps$p
export_csv(election_pps, "election_pps")
export_csv(as.data.frame(election_jointprob), "election_jointprob")
psum <- sum(election$p^2) / 40
pps_designs <- list(
  brewer = list(spec = spec("election_pps", NULL, NULL, NULL, "p", derive = list(), pps = "brewer"),
                d = svydesign(id = ~1, fpc = ~p, data = election_pps, pps = "brewer")),
  ht = list(spec = spec("election_pps", NULL, NULL, NULL, "p", derive = list(), pps = "ppsmat"),
            d = svydesign(id = ~1, fpc = ~p, data = election_pps, pps = ppsmat(election_jointprob))),
  yg = list(spec = spec("election_pps", NULL, NULL, NULL, "p", derive = list(), pps = "ppsmat", variance = "YG"),
            d = svydesign(id = ~1, fpc = ~p, data = election_pps, pps = ppsmat(election_jointprob),
                          variance = "YG")),
  hr = list(spec = spec("election_pps", NULL, NULL, NULL, "p", derive = list(), pps = "HR", psum = psum),
            d = svydesign(id = ~1, fpc = ~p, data = election_pps, pps = HR(psum))),
  hr1 = list(spec = spec("election_pps", NULL, NULL, NULL, "p", derive = list(), pps = "HR"),
             d = svydesign(id = ~1, fpc = ~p, data = election_pps, pps = HR())),
  hryg = list(spec = spec("election_pps", NULL, NULL, NULL, "p", derive = list(), pps = "HR", psum = psum,
                          variance = "YG"),
              d = svydesign(id = ~1, fpc = ~p, data = election_pps, pps = HR(psum), variance = "YG")),
  wr = list(spec = spec("election_pps", "wt", NULL, NULL, NULL, derive = list()),
            d = svydesign(id = ~1, probs = ~p, data = election_pps)),
  strat_brewer = list(spec = spec("apistrat", NULL, "stype", NULL, "fpc_frac", pps = "brewer"),
                      d = svydesign(id = ~1, strata = ~stype, fpc = ~I(nh / fpc), data = apistrat,
                                    pps = "brewer"))
)
for (nm in names(pps_designs)) {
  D <- pps_designs[[nm]]
  d <- D$d
  if (nm == "strat_brewer") {
    add(paste0("pps_", nm, "_mean"), D$spec, list(fn = "mean", var = list("api00", "enroll")),
        rows_stat(svymean(~api00 + enroll, d)))
    next
  }
  add(paste0("pps_", nm, "_total"), D$spec, list(fn = "total", var = list("Bush", "Kerry", "Nader")),
      rows_stat(svytotal(~Bush + Kerry + Nader, d)))
  add(paste0("pps_", nm, "_mean"), D$spec, list(fn = "mean", var = "Bush"), rows_stat(svymean(~Bush, d)))
  r <- svyratio(~Bush, ~votes, d)
  add(paste0("pps_", nm, "_ratio"), D$spec, list(fn = "ratio", numerator = "Bush", denominator = "votes"),
      list(label = "Bush/votes", estimate = unname(coef(r)), se = unname(SE(r)),
           ci_low = unname(confint(r)[, 1]), ci_high = unname(confint(r)[, 2])))
  res <- svyby(~Bush, ~big, d, svytotal)
  add(paste0("pps_", nm, "_by"), D$spec, list(fn = "total", var = "Bush", by = "big"),
      list(label = rownames(res), estimate = res$Bush, se = as.numeric(SE(res)),
           ci_low = confint(res)[, 1], ci_high = confint(res)[, 2]))
}

# calibrated PPS designs.  Brewer's designs go through svyrecvar, which takes the GREG
# residuals first.  ppsvar (joint matrix, HR) computes them into `y` and then uses the raw
# scores `x`, so R's SEs ignore the calibration there: the corrected reference repeats
# ppsvar's steps with the residuals (survey:::htvar.matrix / ygvar.matrix on the design's
# dcheck), and r_unresidualized_se repeats them without, which is R's answer.
pop_votes <- c(`(Intercept)` = nrow(election), votes = sum(election$votes))
for (nm in c("brewer", "ht", "yg", "hr")) {
  D <- pps_designs[[nm]]
  cd <- calibrate(D$d, ~votes, pop_votes)
  r <- rows_stat(svytotal(~Bush + Kerry, cd))
  call <- list(fn = "total", var = list("Bush", "Kerry"),
               calibrate = list(formula = "~ votes", population = as.list(pop_votes)))
  if (nm == "brewer") {
    add(paste0("pps_", nm, "_calibrated"), D$spec, call, r)
    next
  }
  x <- as.matrix(cd$variables[, c("Bush", "Kerry")]) * weights(cd)
  ps <- cd$postStrata[[1]]
  xr <- qr.resid(ps$qr, x / ps$w) * ps$w
  dc <- cd$dcheck[[1]]
  vf <- if (cd$variance == "HT") survey:::htvar.matrix else survey:::ygvar.matrix
  v_fix <- vf(rowsum(xr, dc$id, reorder = FALSE), dc$dcheck)
  v_raw <- vf(rowsum(x, dc$id, reorder = FALSE), dc$dcheck)
  fix <- r
  fix$se <- sqrt(diag(v_fix))
  fix$ci_low <- r$estimate - qnorm(0.975) * fix$se
  fix$ci_high <- r$estimate + qnorm(0.975) * fix$se
  add(paste0("pps_", nm, "_calibrated"), D$spec, call, fix,
      list(r_wrong = r, r_unresidualized_se = sqrt(diag(v_raw)),
           evidence = paste("survey:::ppsvar assigns the GREG residuals to y and computes the",
                            "variance from the raw scores x")))
}
# other estimators on PPS designs: deff, svyvar, svyquantile
for (nm in c("brewer", "ht", "hr")) {
  D <- pps_designs[[nm]]
  d <- D$d
  m <- svymean(~Bush, d, deff = TRUE)
  add(paste0("pps_", nm, "_mean_deff"), D$spec, list(fn = "mean", var = "Bush", deff = TRUE),
      c(rows_stat(m), list(deff = as.numeric(deff(m)))))
  add(paste0("pps_", nm, "_var"), D$spec, list(fn = "var", var = "Bush"), rows_var(svyvar(~Bush, d)))
  add(paste0("pps_", nm, "_quantile"), D$spec, list(fn = "quantile", var = "Bush", q = list(0.25, 0.5), qrule = "hf6"),
      rows_quantile(svyquantile(~Bush, d, c(0.25, 0.5), qrule = "hf6")))
}

write_reference(cases, "extensions")
