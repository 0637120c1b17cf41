# Reference values for analysis/turnbull.py, analysis/wtp.py and analysis/pricing.py.
# Sourced by make_reference.R (which defines write_reference); also runs on its own:
#   Rscript tests/reference/ref_pricing.R
# Writes r_pricing.json: the data of every case (so Python fits the same rows) and
#  * Turnbull: survfit(Surv(l, r, type = "interval2") ~ 1, weights = w), the curve
#    S(t) = P(T > t) at every finite bound.  survival's EM stops at a change of 5e-5 in
#    the curve; "tight" reruns it with 1e-12 (the same code, only the constant changed),
#    so tests can compare at 1e-6; "default" is R as shipped.
#  * survreg(Surv(l, r, type = "interval2") ~ x, dist = ..., weights = w): coefficients,
#    log(scale) and log-likelihood, with tight convergence (rel.tolerance = 1e-12).
suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})
if (!exists("write_reference")) {
  args <- commandArgs(trailingOnly = FALSE)
  here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
  write_reference <- function(results, topic) {
    prov <- list(generated_by = "tests/reference/ref_pricing.R", R = R.version.string,
                 survival = as.character(packageVersion("survival")))
    path <- file.path(here, paste0("r_", topic, ".json"))
    writeLines(toJSON(list(provenance = prov, results = results), digits = NA,
                      auto_unbox = TRUE, null = "null", na = "null", pretty = TRUE), path)
    cat("wrote", path, "\n")
  }
}

tight_turnbull <- function() {
  txt <- deparse(survival:::survfitTurnbull)
  stopifnot(sum(grepl("5e-05", txt, fixed = TRUE)) == 1)
  f <- eval(parse(text = sub("5e-05", "1e-12", txt, fixed = TRUE)))
  environment(f) <- asNamespace("survival")
  f
}
default_turnbull <- survival:::survfitTurnbull

curve_at <- function(l, r, w, grid) {
  fit <- survfit(Surv(l, r, type = "interval2") ~ 1, weights = w)
  s <- summary(fit, times = grid, extend = TRUE)
  # summary() drops times before the first jump; S = 1 there.
  out <- rep(1, length(grid))
  out[match(s$time, grid)] <- s$surv
  out
}

turnbull_case <- function(name, l, r, w) {
  grid <- sort(unique(c(l[is.finite(l)], r[is.finite(r)])))
  default <- curve_at(l, r, w, grid)
  assignInNamespace("survfitTurnbull", tight_turnbull(), "survival")
  on.exit(assignInNamespace("survfitTurnbull", default_turnbull, "survival"))
  tight <- curve_at(l, r, w, grid)
  list(name = name, lower = l, upper = r, weights = w, grid = grid,
       survival_tight = tight, survival_default = default)
}

set.seed(20221201)
# 1. a hand-made mix: exact, left-, right- and interval-censored rows
toy <- turnbull_case(
  "toy_mixed",
  c(0.3, 0.4, 0.4, 0.5, NA, 0.6, 0.2, 0.3, 0.5, 0.7),
  c(0.4, 0.5, 0.6, NA, 0.3, 0.7, 0.5, 0.3, 0.6, NA),
  c(1, 2, 1.5, 1, 0.5, 2, 1, 1, 3, 1))

# 2. a second-hand ratio ladder (highest accepted rung; never = [NA, 0.2))
rungs <- c(0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
n <- 300
ratio <- plogis(rnorm(n, qlogis(0.45), 0.8))
idx <- findInterval(ratio, rungs)
ladder_l <- ifelse(idx == 0, NA, rungs[pmax(idx, 1)])
ladder_r <- ifelse(idx < length(rungs), rungs[pmin(idx + 1, length(rungs))], NA)
ladder <- turnbull_case("ladder", ladder_l, ladder_r, round(runif(n, 0.5, 3), 3))

# 3. double-bounded bids (WTP premium in %), overlapping intervals
bids <- c(5, 10, 20, 30)
up <- c(`5` = 10, `10` = 20, `20` = 30, `30` = 50)
down <- c(`5` = 2, `10` = 5, `20` = 10, `30` = 20)
n <- 400
wtp <- exp(rnorm(n, log(12), 0.9))
b1 <- sample(bids, n, replace = TRUE)
a1 <- wtp >= b1
b2 <- ifelse(a1, up[as.character(b1)], down[as.character(b1)])
a2 <- wtp >= b2
dc_l <- ifelse(a1 & a2, b2, ifelse(a1, b1, ifelse(a2, b2, NA)))
dc_r <- ifelse(a1 & a2, NA, ifelse(a1, b2, ifelse(a2, b1, b2)))
dc_w <- round(runif(n, 0.3, 4), 3)
dbdc <- turnbull_case("dbdc", dc_l, dc_r, dc_w)

# 4. continuous random inspection intervals, unweighted: many innermost intervals
n <- 150
x <- rexp(n, 1 / 3)
c1 <- round(runif(n, 0, 6), 1)
c2 <- round(c1 + runif(n, 0.2, 3), 1)
rand_l <- ifelse(x < c1, NA, ifelse(x < c2, c1, c2))
rand_r <- ifelse(x < c1, c1, ifelse(x < c2, c2, NA))
random <- turnbull_case("random_inspection", rand_l, rand_r, rep(1, n))

turnbull_results <- list(toy, ladder, dbdc, random)

# ---------------------------------------------------------------- survreg
survreg_case <- function(name, l, r, w, X, dist, python_dist) {
  # survreg's user-distribution check evaluates trans(1:10), so a logit transform
  # cannot be passed; with interval-only data, fitting the logits is the same model.
  logit <- identical(dist, "logitnormal")
  d <- data.frame(l = if (logit) qlogis(l) else l, r = if (logit) qlogis(r) else r, w = w, X)
  form <- as.formula(paste("Surv(l, r, type = 'interval2') ~", paste(names(X), collapse = " + ")))
  fit <- survreg(form, data = d, weights = w, dist = if (logit) "gaussian" else dist,
                 control = survreg.control(rel.tolerance = 1e-12, maxiter = 200))
  list(name = name, lower = l, upper = r, weights = w, X = unname(as.list(X)),
       covariates = names(X), dist = python_dist, names = names(coef(fit)),
       coef = unname(coef(fit)), log_scale = log(fit$scale), loglik = fit$loglik[2],
       iter = fit$iter,
       # model-based covariance (inverse Hessian, weights as case weights) of
       # (coefficients, log(scale)): greensurvey's vcov_model
       vcov = unname(lapply(seq_len(ncol(vcov(fit))), function(j) unname(vcov(fit)[, j]))))
}

n <- 250
x1 <- rnorm(n)
x2 <- rbinom(n, 1, 0.4)
X <- data.frame(x1 = x1, x2 = x2)
w <- round(runif(n, 0.5, 3), 3)
true <- exp(2 + 0.4 * x1 - 0.5 * x2 + 0.6 * rnorm(n))
cuts <- c(2, 4, 6, 8, 12, 16, 25)
k <- findInterval(true, cuts)
pc_l <- ifelse(k == 0, NA, cuts[pmax(k, 1)])
pc_r <- ifelse(k < length(cuts), cuts[pmin(k + 1, length(cuts))], NA)
# a few exact answers (open-ended follow-up) exercise the density term
exact <- sample(n, 15)
pc_l[exact] <- round(true[exact], 2)
pc_r[exact] <- pc_l[exact]

dcl <- dc_l; dcr <- dc_r
dcx <- data.frame(z = rnorm(length(dcl)))

# logit-normal ratio data on (0, 1): ladder bounds with covariates
n2 <- 300
z1 <- rnorm(n2)
ratio2 <- plogis(-0.2 + 0.5 * z1 + 0.7 * rnorm(n2))
j <- findInterval(ratio2, rungs)
lr_l <- ifelse(j == 0, NA, rungs[pmax(j, 1)])
lr_r <- ifelse(j < length(rungs), rungs[pmin(j + 1, length(rungs))], NA)
w2 <- round(runif(n2, 0.5, 2.5), 3)

survreg_results <- list(
  survreg_case("card_lognormal_w", pc_l, pc_r, w, X, "lognormal", "lognormal"),
  survreg_case("card_lognormal_unw", pc_l, pc_r, rep(1, n), X, "lognormal", "lognormal"),
  survreg_case("card_loglogistic_w", pc_l, pc_r, w, X, "loglogistic", "loglogistic"),
  survreg_case("card_weibull_w", pc_l, pc_r, w, X, "weibull", "weibull"),
  survreg_case("dbdc_logistic_w", dcl, dcr, dc_w, dcx, "logistic", "logistic"),
  survreg_case("dbdc_gaussian_w", dcl, dcr, dc_w, dcx, "gaussian", "normal"),
  survreg_case("dbdc_loglogistic_w", dcl, dcr, dc_w, dcx, "loglogistic", "loglogistic"),
  survreg_case("ladder_logitnormal_w", lr_l, lr_r, w2, data.frame(z1 = z1), "logitnormal",
               "logitnormal")
)

# ---------------------------------------------------------------- svysurvreg (design-based)
# survey::svysurvreg: survreg point fit + svyrecvar on the weighted dfbeta residuals, the
# same sandwich as analysis.pricing.interval_regression on a Taylor design.
suppressPackageStartupMessages(library(survey))
n3 <- 300
dd <- data.frame(st = rep(1:6, each = 50), psu = rep(1:60, each = 5))
dd$w <- round(runif(n3, 0.5, 3) * c(1, 2, 1, 3, 1, 2)[dd$st], 3)
dd$x1 <- rnorm(n3) + 0.3 * rnorm(60)[dd$psu]
dd$x2 <- rbinom(n3, 1, 0.4)
dd$grp <- sample(c("a", "b", "c"), n3, replace = TRUE)
y3 <- exp(2 + 0.4 * dd$x1 - 0.5 * dd$x2 + 0.3 * rnorm(60)[dd$psu] + 0.6 * rnorm(n3))
k3 <- findInterval(y3, cuts)
dd$l <- ifelse(k3 == 0, NA, cuts[pmax(k3, 1)])
dd$r <- ifelse(k3 < length(cuts), cuts[pmin(k3 + 1, length(cuts))], NA)
b3 <- sample(bids, n3, replace = TRUE)
a3 <- y3 >= b3
c3 <- ifelse(a3, up[as.character(b3)], down[as.character(b3)])
a4 <- y3 >= c3
dd$dl <- ifelse(a3 & a4, c3, ifelse(a3, b3, ifelse(a4, c3, NA)))
dd$dr <- ifelse(a3 & a4, NA, ifelse(a3, c3, ifelse(a4, b3, c3)))
des_sp <- svydesign(id = ~psu, strata = ~st, weights = ~w, data = dd, nest = TRUE)
des_s <- svydesign(id = ~1, strata = ~st, weights = ~w, data = dd)
grp_pop <- data.frame(grp = c("a", "b", "c"), Freq = c(300, 250, 200))
des_ps <- postStratify(des_sp, ~grp, grp_pop)
# survival 3.5's residuals.survreg(type = "dfbeta") gets the sign of the log(scale) score
# of interval-censored rows (status 3) wrong: it uses (z2 f(z2) - z1 f(z1)) / P where
# d log P / d log(sigma) = (z1 f(z1) - z2 f(z2)) / P.  svysurvreg builds its variance from
# these dfbetas, so "se_as_shipped" is off for interval data; "se"/"vcov" come from the same
# code with the sign fixed (one expression changed), which tests compare against.
fixed_residuals <- function() {
  txt <- paste(deparse(survival:::residuals.survreg), collapse = "\n")
  bad <- "tdenom * (z2 * \n            dmat2[, 3] - z * dmat[, 3]))"
  stopifnot(grepl(bad, txt, fixed = TRUE))
  txt <- sub(bad, "tdenom * (z * dmat[, 3] - z2 * dmat2[, 3]))", txt, fixed = TRUE)
  f <- eval(parse(text = txt))
  environment(f) <- asNamespace("survival")
  f
}
shipped_residuals <- survival:::residuals.survreg
svy_fit <- function(form, design, dist, subset) {
  if (is.null(subset)) {
    eval(bquote(svysurvreg(.(form), design = design, dist = .(dist))))
  } else {
    eval(bquote(svysurvreg(.(form), design = subset(design, .(subset)), dist = .(dist))))
  }
}
svy_case <- function(name, design, design_name, lhs, rhs, dist, python_dist, subset = NULL) {
  form <- as.formula(paste(lhs, "~", rhs))
  shipped <- svy_fit(form, design, dist, subset)
  assignInNamespace("residuals.survreg", fixed_residuals(), "survival")
  on.exit(assignInNamespace("residuals.survreg", shipped_residuals, "survival"))
  fit <- svy_fit(form, design, dist, subset)
  stopifnot(isTRUE(all.equal(coef(fit), coef(shipped))))
  list(name = name, design = design_name, lhs = lhs, rhs = rhs, dist = python_dist,
       subset = if (is.null(subset)) NULL else deparse(subset),
       names = names(coef(fit)), coef = unname(coef(fit)), log_scale = log(fit$scale),
       vcov = unname(fit$var), se = unname(sqrt(diag(fit$var))),
       se_as_shipped = unname(sqrt(diag(shipped$var))))
}
card <- "Surv(l, r, type = 'interval2')"
dcs <- "Surv(dl, dr, type = 'interval2')"
svy_results <- list(
  svy_case("card_lognormal_stratpsu", des_sp, "strat_psu", card, "x1 + x2", "lognormal", "lognormal"),
  svy_case("card_weibull_strat", des_s, "strat", card, "x1 + x2", "weibull", "weibull"),
  svy_case("card_loglogistic_ps", des_ps, "strat_psu_ps", card, "x1", "loglogistic", "loglogistic"),
  svy_case("dbdc_logistic_stratpsu", des_sp, "strat_psu", dcs, "x1", "logistic", "logistic"),
  svy_case("dbdc_lognormal_domain", des_sp, "strat_psu", dcs, "1", "lognormal", "lognormal",
           subset = quote(x2 == 1))
)
svy_data <- list(st = dd$st, psu = dd$psu, w = dd$w, x1 = dd$x1, x2 = dd$x2, grp = dd$grp,
                 l = dd$l, r = dd$r, dl = dd$dl, dr = dd$dr,
                 grp_pop = as.list(setNames(grp_pop$Freq, grp_pop$grp)))

write_reference(list(turnbull = turnbull_results, survreg = survreg_results,
                     svysurvreg = svy_results, svysurvreg_data = svy_data), "pricing")
