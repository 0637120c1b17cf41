# Reference values from the real R valuation packages: DCchoice and pricesensitivitymeter.
# Sourced by make_reference.R; also runs on its own:
#   Rscript tests/reference/ref_valuation.R
# Neither package is on Debian, so this part SKIPS (with a message, leaving
# r_valuation.json untouched) where they are not installed.  Writes r_valuation.json
# and tests/reference/data/val_*.csv.  The committed file was made with R 4.2.2 and:
#   apt-get install r-cran-ggplot2 r-cran-rlang r-cran-formula r-cran-numderiv \
#                   liblapack-dev libblas-dev gfortran
#   R CMD INSTALL perm MLEcens Icens interval DCchoice pricesensitivitymeter
# (sources: the GitHub CRAN mirrors cran/perm 1.0-0.4, cran/MLEcens 0.1-7.1,
# cran/interval 1.1-1.0, cran/DCchoice 0.2.0, cran/pricesensitivitymeter 1.3.3 and
# Bioconductor/Icens 1.75.0, each `git archive HEAD`).
#
# What is recorded, per case:
#  * "package": the package's own numbers as shipped (coefficients, vcov() SEs,
#    log-likelihood, summary() WTP, price points, ...).
#  * "tight": the same package code run to convergence.  DCchoice stops early in two
#    ways: glm()'s default epsilon = 1e-8 (logistic/normal sbchoice) and optim(BFGS)'s
#    default reltol = 1.5e-8 (weibull sbchoice, dbchoice, oohbchoice, sbspike, dbspike),
#    and interval::icfit stops at epsilon = 1e-6 (turnbull.*).  "tight" reruns the
#    package function with only that constant changed (its deparsed body with
#    reltol / epsilon added, as ref_pricing.R does for survival), then calls the
#    package's own summary(), vcov() and internal wtp() on the result, so tests
#    can compare at 1e-6 without mistaking an early stop for a disagreement.
#  Random quantities (krCI, bootCI) are summarised over many draws; tests compare
#  them within a stated Monte-Carlo tolerance.
if (!exists("here")) {
  args <- commandArgs(trailingOnly = FALSE)
  here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
}
val_needed <- c("DCchoice", "pricesensitivitymeter", "numDeriv")
val_missing <- val_needed[!vapply(val_needed, requireNamespace, logical(1), quietly = TRUE)]
if (length(val_missing) > 0) {
  message("ref_valuation.R: SKIPPED (R package(s) not installed: ",
          paste(val_missing, collapse = ", "),
          "); r_valuation.json is left as committed. Install them from their CRAN ",
          "sources (see the header of tests/reference/ref_valuation.R) to regenerate it.")
} else {
suppressPackageStartupMessages({
  library(DCchoice)
  library(pricesensitivitymeter)
  library(survey)
  library(jsonlite)
})
data_dir <- file.path(here, "data")
dir.create(data_dir, showWarnings = FALSE)
val_csv <- function(df, name) {
  write.csv(df, file.path(data_dir, paste0("val_", name, ".csv")), row.names = FALSE,
            na = "")
  paste0("val_", name, ".csv")
}

# ---------------------------------------------------------------- tight package code
# The package function with only a convergence constant changed.
tighten <- function(f, from, to) {
  txt <- deparse(f, width.cutoff = 500L)
  hits <- grepl(from, txt, fixed = TRUE)
  stopifnot(sum(hits) >= 1)
  g <- eval(parse(text = gsub(from, to, txt, fixed = TRUE)))
  environment(g) <- asNamespace("DCchoice")
  g
}
# optim(BFGS) without a gradient differences the log-likelihood with absolute steps
# ndeps = 1e-3, which moves its optimum and its Hessian (by 1e-2 for a bid coefficient
# of -0.006); the tight setting steps 1e-5 relative to each start value (parscale).
tight_control <- function(start) {
  paste0("reltol = 1e-15, maxit = 10000, parscale = abs(", start, "), ndeps = rep(1e-5, length(",
         start, "))")
}
# Each tight function also returns its own negative log-likelihood as `nll`, so the
# Hessian can be taken by Richardson extrapolation (numDeriv) instead of optim's
# fixed-step differences, whose rounding floor is ~1e-5 relative.
tight_sbchoice <- tighten(DCchoice::sbchoice, "ivar = mm.data)",
                          paste0("ivar = mm.data, control = list(", tight_control("ini.par"), "))"))
tight_sbchoice <- tighten(tight_sbchoice, "na.action = na.action)",
                          "na.action = na.action, control = glm.control(epsilon = 1e-14, maxit = 100))")
tight_sbchoice <- tighten(tight_sbchoice, "glm.out = glm.out,",
                          "glm.out = glm.out, nll = function(p) sbLL(p, dvar = y1, ivar = mm.data),")
tight_dbchoice <- tighten(DCchoice::dbchoice, "abstol = 10^(-30)",
                          paste0("abstol = 10^(-30), ", tight_control("ini")))
tight_dbchoice <- tighten(tight_dbchoice, "Hessian = dbchoice$hessian,",
                          "Hessian = dbchoice$hessian, nll = function(p) dbLL(p, dvar = yvar, ivar = mmX, bid = bid),")
tight_oohbchoice <- tighten(DCchoice::oohbchoice, "abstol = 10^(-30)",
                            paste0("abstol = 10^(-30), ", tight_control("ini")))
tight_oohbchoice <- tighten(tight_oohbchoice, "Hessian = dbchoice$hessian,",
                            "Hessian = dbchoice$hessian, nll = function(p) dbLL(p, dvar = yvar, ivar = mmX, bid = bid),")
tight_sbspike <- tighten(DCchoice::sbspike, "ivar = mm.data)",
                         paste0("ivar = mm.data, control = list(", tight_control("ini.par"), "))"))
tight_sbspike <- tighten(tight_sbspike, "Hessian = optim.out$hessian,",
                         "Hessian = optim.out$hessian, nll = function(p) sbLL(p, dvar = y1spk, ivar = mm.data),")
tight_dbspike <- tighten(DCchoice::dbspike, "abstol = 10^(-30)",
                         paste0("abstol = 10^(-30), ", tight_control("ini")))
tight_dbspike <- tighten(tight_dbspike, "Hessian = optim.out$hessian,",
                         "Hessian = optim.out$hessian, nll = function(p) dbLL(p, dvar = yvar, ivar = mmX, bid = bid),")
# The package's own likelihood's Hessian at the tight optimum, put where vcov() reads it.
exact_hessian <- function(fit, slot) {
  h <- numDeriv::hessian(fit$nll, fit$coefficients)
  dimnames(h) <- list(names(fit$coefficients), names(fit$coefficients))
  if (slot == "glm.out") fit$glm.out$hessian <- h else fit$Hessian <- h
  fit
}
tight_icfit <- function(f) tighten(f, "seed = seed)", "seed = seed, epsilon = 1e-10, maxit = 1e+05)")

# Polishing restarts: BFGS from its own optimum until the estimate stops moving.
polish <- function(fit_fun, coef_of, start, ...) {
  fit <- fit_fun(..., par = start)
  for (i in 1:30) {
    old <- coef_of(fit)
    fit <- fit_fun(..., par = old)
    if (max(abs(coef_of(fit) - old)) < 1e-12) break
  }
  fit
}

# JSON has no infinity: an infinite WTP is written as the string "Inf".
inf_str <- function(x) if (length(x) == 1 && is.infinite(x)) "Inf" else x
wtp_list <- function(s) {
  lapply(list(mean = s$meanWTP, mean_truncated = s$trunc.meanWTP,
              mean_truncated_adjusted = s$adj.trunc.meanWTP, median = s$medianWTP), inf_str)
}
coef_block <- function(fit, vc, loglik, converged) {
  b <- fit$coefficients
  list(terms = names(b), coef = unname(b), se = unname(sqrt(diag(vc))),
       loglik = loglik, converged = converged)
}

results <- list()

# ---------------------------------------------------------------- data sets
data(AP, package = "DCchoice", envir = environment())
data(CarsonSB, package = "DCchoice", envir = environment())
data(CarsonDB, package = "DCchoice", envir = environment())
data(KR, package = "DCchoice", envir = environment())
data(oohbsyn, package = "DCchoice", envir = environment())
ap <- AP
ap$inc <- ap$income / 10000  # income in 10,000s keeps optim's ndeps = 1e-3 steps sensible
ap <- ap[, c("bid1", "bid2", "R1", "R2", "age", "female", "inc")]
files <- list(ap = val_csv(ap, "ap"))
carson_sb <- ct2df(CarsonSB, bid1 = "T1", y = "Y", n = "N", type = "single")
carson_db <- ct2df(CarsonDB, bid1 = "T1", bid2h = "TU", bid2l = "TL", yy = "yy",
                   yn = "yn", ny = "ny", nn = "nn", type = "double")
files$carson_sb <- val_csv(carson_sb[, c("bid1", "R1")], "carson_sb")
files$carson_db <- val_csv(carson_db[, c("bid1", "bid2", "R1", "R2")], "carson_db")
files$kr <- val_csv(KR, "kr")
oohb <- oohbsyn
oohb$male <- as.integer(oohb$gender == "male")
files$oohb <- val_csv(oohb[, c("BL", "BH", "R1", "R2", "age", "male")], "oohb")

DISTS <- c("logistic", "normal", "log-logistic", "log-normal", "weibull")

# ---------------------------------------------------------------- sbchoice / dbchoice
sb_cases <- list()
for (data_name in c("ap", "carson_sb")) {
  df <- if (data_name == "ap") ap else carson_sb
  rhs <- if (data_name == "ap") "age + female + inc" else "1"
  for (dist in DISTS) {
    bidterm <- if (dist %in% c("logistic", "normal")) "bid1" else "log(bid1)"
    fm <- as.formula(paste("R1 ~", rhs, "|", bidterm))
    one <- list(data = data_name, rhs = rhs, dist = dist)
    for (variant in c("package", "tight")) {
      fit <- if (variant == "package") sbchoice(fm, data = df, dist = dist)
             else tight_sbchoice(fm, data = df, dist = dist)
      if (variant == "tight" && dist == "weibull") fit <- exact_hessian(fit, "glm.out")
      s <- summary(fit)
      conv <- if (dist == "weibull") fit$glm.out$convergence == 0 else fit$glm.out$converged
      blk <- coef_block(fit, vcov(fit), s$loglik, conv)
      blk$wtp <- wtp_list(s)
      one[[variant]] <- blk
    }
    sb_cases[[length(sb_cases) + 1]] <- one
  }
}
results$sbchoice <- sb_cases

db_cases <- list()
for (data_name in c("ap", "carson_db")) {
  df <- if (data_name == "ap") ap else carson_db
  rhs <- if (data_name == "ap") "age + female + inc" else "1"
  for (dist in DISTS) {
    bidterm <- if (dist %in% c("logistic", "normal")) "bid1 + bid2" else "log(bid1) + log(bid2)"
    fm <- as.formula(paste("R1 + R2 ~", rhs, "|", bidterm))
    one <- list(data = data_name, rhs = rhs, dist = dist)
    # DCchoice's default start (a probit of the first answer) makes optim fail on some
    # fits ("non-finite finite-difference value"); the message is kept and the fit is
    # restarted from the logistic / log-logistic fit rescaled, through `par =`.
    start <- NULL
    first <- try(dbchoice(fm, data = df, dist = dist), silent = TRUE)
    if (inherits(first, "try-error")) {
      one$default_start_error <- trimws(conditionMessage(attr(first, "condition")))
      base <- dbchoice(fm, data = df, dist = if (dist == "normal") "logistic" else "log-logistic")
      start <- base$coefficients / if (dist == "weibull") 1 else 1.7
    }
    pkg <- dbchoice(fm, data = df, dist = dist, par = start)
    for (variant in c("package", "tight")) {
      fit <- if (variant == "package") pkg
             else exact_hessian(polish(tight_dbchoice, function(f) f$coefficients,
                                       pkg$coefficients, fm, data = df, dist = dist), "Hessian")
      s <- summary(fit)
      blk <- coef_block(fit, vcov(fit), s$loglik, fit$convergence)
      blk$wtp <- wtp_list(s)
      one[[variant]] <- blk
    }
    db_cases[[length(db_cases) + 1]] <- one
  }
}
results$dbchoice <- db_cases

message("ref_valuation.R: ", format(Sys.time()))
# ---------------------------------------------------------------- oohbchoice
oohb_cases <- list()
for (rhs in c("age + male", "1")) {
  for (dist in DISTS) {
    bidterm <- if (dist %in% c("logistic", "normal")) "BL + BH" else "log(BL) + log(BH)"
    fm <- as.formula(paste("R1 + R2 ~", rhs, "|", bidterm))
    one <- list(data = "oohb", rhs = rhs, dist = dist)
    pkg <- oohbchoice(fm, data = oohb, dist = dist)
    for (variant in c("package", "tight")) {
      fit <- if (variant == "package") pkg
             else exact_hessian(polish(tight_oohbchoice, function(f) f$coefficients,
                                       pkg$coefficients, fm, data = oohb, dist = dist), "Hessian")
      s <- summary(fit)
      blk <- coef_block(fit, vcov(fit), s$loglik, fit$convergence)
      blk$wtp <- wtp_list(s)
      one[[variant]] <- blk
    }
    oohb_cases[[length(oohb_cases) + 1]] <- one
  }
}
results$oohbchoice <- oohb_cases

message("ref_valuation.R: ", format(Sys.time()))
# ---------------------------------------------------------------- spike models
# The package's examples (ct2df of its SB / DB spike tables) and a seeded
# simulation with a covariate.
sb_tab <- data.frame(bid = c(10, 30, 60, 120), y = c(178, 138, 129, 88),
                     ny = c(56, 45, 50, 76), nn = c(30, 84, 76, 93))
spike_sb <- ct2df(sb_tab, bid1 = "bid", type = "single", spike = TRUE)
db_tab <- data.frame(bidh = c(30, 60, 120), bid1 = c(10, 30, 60), bidl = c(5, 10, 30),
                     yy = c(119, 69, 54), yn = c(59, 69, 75), ny = c(8, 31, 25),
                     nny = c(47, 61, 35), nnn = c(31, 37, 66))
spike_db <- ct2df(x = db_tab, type = "double", spike = TRUE)
set.seed(20260312)
n_sim <- 600
sim <- data.frame(x = round(rnorm(n_sim), 3))
wtp_sim <- 25 + 8 * sim$x + 12 * rlogis(n_sim)
sim$bid1 <- sample(c(5, 10, 20, 40, 60), n_sim, replace = TRUE)
sim$R1 <- as.integer(wtp_sim >= sim$bid1)
sim$bid2 <- ifelse(sim$R1 == 1, 2 * sim$bid1, sim$bid1 / 2)
sim$R2 <- as.integer(wtp_sim >= sim$bid2)
sim$S <- as.integer(wtp_sim > 0)
files$spike_sb <- val_csv(spike_sb[, c("bid1", "R1", "S")], "spike_sb")
files$spike_db <- val_csv(spike_db[, c("bid1", "bid2", "R1", "R2", "S")], "spike_db")
files$spike_sim <- val_csv(sim, "spike_sim")
spike_block <- function(fit) {
  s <- summary(fit)
  blk <- coef_block(fit, vcov(fit), fit$loglik, fit$convergence)
  blk$wtp <- list(mean = s$meanWTP, median = s$medianWTP)
  sc <- spikeCoef(fit)
  blk$spike <- unname(sc[1, 1])
  blk$spike_se <- unname(sc[1, 2])
  blk
}
spike_cases <- list()
for (cs in list(list("sb", "spike_sb", "1"), list("db", "spike_db", "1"),
                list("sb", "spike_sim", "x"), list("db", "spike_sim", "x"))) {
  df <- switch(cs[[2]], spike_sb = spike_sb, spike_db = spike_db, spike_sim = sim)
  one <- list(model = cs[[1]], data = cs[[2]], rhs = cs[[3]])
  if (cs[[1]] == "sb") {
    fm <- as.formula(paste("R1 | S ~", cs[[3]], "| bid1"))
    pkg <- sbspike(fm, data = df)
    tight <- exact_hessian(polish(tight_sbspike, function(f) f$coefficients,
                                  pkg$coefficients, fm, data = df), "Hessian")
  } else {
    fm <- as.formula(paste("R1 + R2 | S ~", cs[[3]], "| bid1 + bid2"))
    pkg <- dbspike(fm, data = df)
    tight <- exact_hessian(polish(tight_dbspike, function(f) f$coefficients,
                                  pkg$coefficients, fm, data = df), "Hessian")
  }
  one$package <- spike_block(pkg)
  one$tight <- spike_block(tight)
  spike_cases[[length(spike_cases) + 1]] <- one
}
results$spike <- spike_cases

message("ref_valuation.R: ", format(Sys.time()))
# ---------------------------------------------------------------- Kristrom and Turnbull
kr_cases <- list()
for (nm in c("kr", "carson_sb", "ap")) {
  df <- switch(nm, kr = KR, carson_sb = carson_sb, ap = ap)
  fit <- kristrom(R1 ~ bid1, data = df)
  s <- summary(fit)
  kr_cases[[length(kr_cases) + 1]] <- list(
    data = nm, bids = fit$unq.bid[-1], survival = unname(fit$adj.P[-1]),
    mean_spearman_karber = unname(s$med.meanWTP), mean_lower_bound = unname(s$meanWTP),
    x_intercept = unname(s$x.icpt), median = unname(s$medianWTP))
}
results$kristrom <- kr_cases

turnbull_block <- function(fit) {
  s <- summary(fit, printCI = FALSE)
  list(bids = unname(s$estimates[, 1]), survival = unname(s$estimates[, 2]),
       mean_lower_bound = unname(s$meanWTP), mean_sk_truncated = unname(s$med.meanWTP),
       median_interval = unname(s$medianWTP))
}
tight_turnbull_sb <- tight_icfit(DCchoice::turnbull.sb)
tight_turnbull_db <- tight_icfit(DCchoice::turnbull.db)
tight_turnbull_oohb <- tight_icfit(DCchoice::turnbull.oohb)
tb_cases <- list()
for (cs in list(list("sb", "kr"), list("sb", "carson_sb"), list("sb", "ap"),
                list("db", "carson_db"), list("db", "ap"), list("oohb", "oohb"))) {
  df <- switch(cs[[2]], kr = KR, carson_sb = carson_sb, ap = ap, carson_db = carson_db,
               oohb = oohb)
  if (cs[[1]] == "sb") {
    pkg <- turnbull.sb(R1 ~ bid1, data = df)
    tight <- tight_turnbull_sb(R1 ~ bid1, data = df)
  } else if (cs[[1]] == "db") {
    pkg <- turnbull.db(R1 + R2 ~ bid1 + bid2, data = df)
    tight <- tight_turnbull_db(R1 + R2 ~ bid1 + bid2, data = df)
  } else {
    pkg <- turnbull.oohb(R1 + R2 ~ BL + BH, data = df)
    tight <- tight_turnbull_oohb(R1 + R2 ~ BL + BH, data = df)
  }
  tb_cases[[length(tb_cases) + 1]] <- list(model = cs[[1]], data = cs[[2]],
                                           package = turnbull_block(pkg),
                                           tight = turnbull_block(tight))
}
results$turnbull <- tb_cases

message("ref_valuation.R: ", format(Sys.time()))
# ---------------------------------------------------------------- krCI and bootCI
# Random: seeded, with many draws, summarised by their percentile intervals; tests
# compare within a Monte-Carlo tolerance (they cannot share R's random numbers).
ci_block <- function(ci) {
  out <- ci$out
  list(rows = rownames(out), estimate = unname(out[, 1]), low = unname(out[, 2]),
       high = unname(out[, 3]))
}
ci_cases <- list()
set.seed(101)
fit <- sbchoice(R1 ~ age + female + inc | log(bid1), data = ap, dist = "log-logistic")
ci_cases[[1]] <- c(list(fun = "krCI", model = "sbchoice", data = "ap", rhs = "age + female + inc",
                        dist = "log-logistic", draws = 20000),
                   ci_block(krCI(fit, nsim = 20000)))
set.seed(102)
fit <- dbchoice(R1 + R2 ~ 1 | log(bid1) + log(bid2), data = carson_db, dist = "log-normal")
ci_cases[[2]] <- c(list(fun = "krCI", model = "dbchoice", data = "carson_db", rhs = "1",
                        dist = "log-normal", draws = 20000),
                   ci_block(krCI(fit, nsim = 20000)))
set.seed(103)
fit <- sbchoice(R1 ~ 1 | bid1, data = carson_sb, dist = "logistic")
ci_cases[[3]] <- c(list(fun = "bootCI", model = "sbchoice", data = "carson_sb", rhs = "1",
                        dist = "logistic", draws = 2000),
                   ci_block(bootCI(fit, nboot = 2000)))
results$ci <- ci_cases

message("ref_valuation.R: ", format(Sys.time()))
# ---------------------------------------------------------------- pricesensitivitymeter
# The package's own example data (set.seed(42), prices rounded to cents, purchase
# intent on 5:1), plus 15 respondents whose answers are out of order (validate
# TRUE/FALSE), and its weighted example's stratified design (1/3 women, 2/3 men).
set.seed(42)
tch <- round(rnorm(n = 250, mean = 5, sd = 0.5), digits = 2)
ch <- round(rnorm(n = 250, mean = 8.5, sd = 0.5), digits = 2)
ex <- round(rnorm(n = 250, mean = 13, sd = 0.75), digits = 2)
tex <- round(rnorm(n = 250, mean = 17, sd = 1), digits = 2)
pint_ch <- sample(x = c(1:5), size = length(tex), replace = TRUE,
                  prob = c(0.1, 0.1, 0.2, 0.3, 0.3))
pint_ex <- sample(x = c(1:5), size = length(tex), replace = TRUE,
                  prob = c(0.3, 0.3, 0.2, 0.1, 0.1))
psm <- data.frame(tch, ch, ex, tex, pint_ch, pint_ex)
bad <- sample(nrow(psm), 15)
psm$ch[bad] <- psm$tch[bad] - 0.5  # "cheap" below "too cheap": inconsistent
files$psm <- val_csv(psm, "psm")
set.seed(4242)
wd <- data.frame(tch = round(rnorm(n = 250, mean = 8, sd = 1.5), digits = 2),
                 ch = round(rnorm(n = 250, mean = 12, sd = 2), digits = 2),
                 ex = round(rnorm(n = 250, mean = 13, sd = 1), digits = 2),
                 tex = round(rnorm(n = 250, mean = 15, sd = 1), digits = 2),
                 gender = sample(x = c("male", "female"), size = 250, replace = TRUE,
                                 prob = c(2/3, 1/3)))
fem <- wd$gender == "female"
for (v in c("tch", "ch", "ex", "tex")) wd[[v]][fem] <- round(wd[[v]][fem] * 1.5, 2)
wd$gender_pop <- 5000
files$psm_weighted <- val_csv(wd, "psm_weighted")

psm_points <- function(out) {
  pts <- list(pmc = out$pricerange_lower, opp = out$opp, ipp = out$idp,
              pme = out$pricerange_upper, invalid_cases = out$invalid_cases,
              total_sample = out$total_sample)
  if (isTRUE(out$nms)) {
    pts$trial_optimal <- out$price_optimal_reach
    pts$revenue_optimal <- out$price_optimal_revenue
    pts$nms_price <- out$data_nms$price
    pts$nms_trial <- out$data_nms$reach
    pts$nms_revenue <- out$data_nms$revenue
  }
  pts
}
psm_cases <- list()
for (validate in c(TRUE, FALSE)) {
  for (interpolate in c(FALSE, TRUE)) {
    for (method in c("min", "max", "mean", "median")) {
      for (range in c("original", "narrower")) {
        out <- suppressWarnings(psm_analysis(
          toocheap = "tch", cheap = "ch", expensive = "ex", tooexpensive = "tex",
          data = psm, validate = validate, interpolate = interpolate,
          intersection_method = method, acceptable_range = range,
          pi_cheap = "pint_ch", pi_expensive = "pint_ex"))
        psm_cases[[length(psm_cases) + 1]] <- c(
          list(validate = validate, interpolate = interpolate, intersection_method = method,
               acceptable_range = range),
          psm_points(out))
      }
    }
  }
}
results$psm_analysis <- psm_cases
design_w <- survey::svydesign(ids = ~ 1, strata = ~ gender, fpc = ~ gender_pop, data = wd)
psmw_cases <- list()
for (interpolate in c(FALSE, TRUE)) {
  for (range in c("original", "narrower")) {
    out <- psm_analysis_weighted(toocheap = "tch", cheap = "ch", expensive = "ex",
                                 tooexpensive = "tex", design = design_w,
                                 interpolate = interpolate, acceptable_range = range)
    psmw_cases[[length(psmw_cases) + 1]] <- c(
      list(interpolate = interpolate, acceptable_range = range), psm_points(out))
  }
}
results$psm_analysis_weighted <- psmw_cases

message("ref_valuation.R: ", format(Sys.time()))
results$files <- files
versions <- function(pkgs) {
  setNames(lapply(pkgs, function(p) as.character(packageVersion(p))), pkgs)
}
provenance <- c(list(generated_by = "tests/reference/ref_valuation.R", R = R.version.string),
                versions(c("DCchoice", "pricesensitivitymeter", "survey", "interval", "MASS",
                           "Formula", "numDeriv")))
json <- toJSON(list(provenance = provenance, results = results), digits = NA,
               auto_unbox = TRUE, null = "null", na = "null", pretty = TRUE)
writeLines(json, file.path(here, "r_valuation.json"))
cat("wrote r_valuation.json\n")
}
