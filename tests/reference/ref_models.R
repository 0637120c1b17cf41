# Reference values for analysis/glm.py, analysis/tables.py and analysis/ordinal.py.
# Sourced by make_reference.R (which defines write_reference); writes r_models.json.
# Iterative fits use tight convergence settings so R's answers are accurate to
# well below the tests' 1e-6 tolerance: glm.control(epsilon = 1e-12) for svyglm
# and optim(reltol = 1e-15, ndeps = 1e-5) for svyolr (R's defaults leave
# ~1e-5 relative error in svyolr estimates and its numerical Hessian).
data(api)
data(nhanes)

tight_olr <- function(p) list(reltol = 1e-15, maxit = 5000, ndeps = rep(1e-5, p))

designs <- list(
  strat = svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat),
  clus1 = svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1),
  clus2 = svydesign(id = ~dnum + snum, weights = ~pw, fpc = ~fpc1 + fpc2, data = apiclus2),
  nhanes = svydesign(id = ~SDMVPSU, strata = ~SDMVSTRA, weights = ~WTMEC2YR, nest = TRUE,
                     data = nhanes)
)
designs$jk1 <- as.svrepdesign(designs$clus1, type = "JK1")
stype_pop <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
designs$clus1_ps <- postStratify(designs$clus1, ~stype, stype_pop)
design_info <- list(
  strat = list(data = "apistrat", weights = "pw", strata = "stype", psu = NULL, fpc = "fpc"),
  clus1 = list(data = "apiclus1", weights = "pw", strata = NULL, psu = "dnum", fpc = "fpc"),
  clus2 = list(data = "apiclus2", weights = "pw", strata = NULL, psu = c("dnum", "snum"),
               fpc = c("fpc1", "fpc2")),
  nhanes = list(data = "nhanes", weights = "WTMEC2YR", strata = "SDMVSTRA", psu = "SDMVPSU",
                fpc = NULL, nest = TRUE),
  jk1 = list(data = "apiclus1", type = "JK1", from = "clus1",
             repweights = unname(as.matrix(weights(designs$jk1, "analysis"))),
             scale = designs$jk1$scale, rscales = unname(designs$jk1$rscales)),
  clus1_ps = list(data = "apiclus1", from = "clus1", poststratify = "stype",
                  population = as.list(setNames(stype_pop$Freq, stype_pop$stype)))
)

glm_case <- function(name, design, formula, family, python_formula, python_family) {
  fam <- switch(family, gaussian = gaussian(), quasibinomial = quasibinomial(),
                quasipoisson = quasipoisson())
  # svyglm re-evaluates its call in another frame, so splice the values in.
  m <- eval(bquote(svyglm(.(as.formula(formula)), designs[[.(design)]], family = .(fam),
                          control = list(epsilon = 1e-12, maxit = 100))))
  s <- summary(m)$coefficients
  ci <- confint(m)
  list(name = name, design = design, formula = formula, python_formula = python_formula,
       family = python_family, names = rownames(s), estimate = unname(s[, 1]),
       se = unname(s[, 2]), t = unname(s[, 3]), p = unname(s[, 4]),
       ci_low = unname(ci[, 1]), ci_high = unname(ci[, 2]),
       df_resid = m$df.residual, vcov = unname(vcov(m)))
}

glm_results <- list(
  glm_case("strat_gaussian", "strat", "api00 ~ ell + meals + mobility", "gaussian",
           "api00 ~ ell + meals + mobility", "gaussian"),
  glm_case("clus2_gaussian", "clus2", "api00 ~ ell + meals + mobility", "gaussian",
           "api00 ~ ell + meals + mobility", "gaussian"),
  glm_case("strat_gaussian_factor", "strat", "api00 ~ api.stu + stype", "gaussian",
           "api00 ~ api.stu + stype", "gaussian"),
  glm_case("strat_binomial", "strat", "sch.wide ~ ell + meals", "quasibinomial",
           "sch.wide ~ ell + meals", "quasibinomial"),
  glm_case("clus1_binomial", "clus1", "sch.wide ~ ell + meals + stype", "quasibinomial",
           "sch.wide ~ ell + meals + stype", "quasibinomial"),
  glm_case("strat_poisson", "strat", "api.stu ~ ell + stype", "quasipoisson",
           "api.stu ~ ell + stype", "quasipoisson"),
  glm_case("nhanes_binomial_na", "nhanes", "HI_CHOL ~ factor(RIAGENDR) + agecat",
           "quasibinomial", "HI_CHOL ~ C(RIAGENDR) + agecat", "quasibinomial"),
  glm_case("clus1_ps_gaussian", "clus1_ps", "api00 ~ ell + meals + stype", "gaussian",
           "api00 ~ ell + meals + stype", "gaussian"),
  glm_case("clus1_ps_binomial", "clus1_ps", "sch.wide ~ ell + meals", "quasibinomial",
           "sch.wide ~ ell + meals", "quasibinomial"),
  glm_case("jk1_gaussian", "jk1", "api00 ~ ell + meals + mobility", "gaussian",
           "api00 ~ ell + meals + mobility", "gaussian"),
  glm_case("jk1_binomial", "jk1", "sch.wide ~ ell + meals", "quasibinomial",
           "sch.wide ~ ell + meals", "quasibinomial")
)

chisq_case <- function(design, row, col, statistic) {
  r <- svychisq(as.formula(paste("~", row, "+", col)), designs[[design]],
                statistic = statistic)
  par <- unname(r$parameter)
  list(design = design, row = row, col = col, statistic = statistic,
       value = unname(r$statistic), ndf = par[1],
       ddf = if (length(par) > 1) par[2] else NULL, p = r$p.value)
}

chisq_results <- list()
for (s in c("F", "Chisq", "Wald", "adjWald")) {
  chisq_results[[length(chisq_results) + 1]] <- chisq_case("strat", "sch.wide", "stype", s)
  chisq_results[[length(chisq_results) + 1]] <- chisq_case("nhanes", "RIAGENDR", "HI_CHOL", s)
}
for (s in c("F", "Chisq", "Wald")) {
  chisq_results[[length(chisq_results) + 1]] <- chisq_case("nhanes", "race", "agecat", s)
  chisq_results[[length(chisq_results) + 1]] <- chisq_case("clus2", "sch.wide", "stype", s)
}
for (s in c("F", "Chisq")) {
  chisq_results[[length(chisq_results) + 1]] <- chisq_case("jk1", "sch.wide", "stype", s)
  chisq_results[[length(chisq_results) + 1]] <- chisq_case("clus1_ps", "sch.wide", "stype", s)
}

crosstab_case <- function(design, row, col) {
  d <- designs[[design]]
  fcell <- as.formula(paste0("~interaction(", row, ", ", col, ")"))
  tot <- svytotal(fcell, d, na.rm = TRUE)
  cell <- svymean(fcell, d, na.rm = TRUE)
  rprop <- svyby(as.formula(paste("~", col)), as.formula(paste("~", row)), d, svymean,
                 na.rm = TRUE)
  cprop <- svyby(as.formula(paste("~", row)), as.formula(paste("~", col)), d, svymean,
                 na.rm = TRUE)
  list(design = design, row = row, col = col,
       cells = sub("^interaction.*\\)", "", names(coef(tot))),
       count = unname(coef(tot)), count_se = unname(SE(tot)),
       prop = unname(coef(cell)), prop_se = unname(SE(cell)),
       # svyby: one line per `by` level, columns = levels of the other variable
       row_prop = unname(matrix(coef(rprop), nrow = nrow(rprop))),
       row_prop_se = unname(as.matrix(SE(rprop))),
       row_levels = as.character(rprop[[row]]),
       col_prop = unname(matrix(coef(cprop), nrow = nrow(cprop))),
       col_prop_se = unname(as.matrix(SE(cprop))),
       col_levels = as.character(cprop[[col]]))
}
crosstab_results <- list(crosstab_case("strat", "sch.wide", "stype"),
                         crosstab_case("clus1", "stype", "awards"),
                         crosstab_case("jk1", "sch.wide", "stype"),
                         crosstab_case("clus1_ps", "sch.wide", "awards"))

api_breaks <- c(0, 550, 650, 750, 1000)
api_labels <- c("low", "mid", "high", "top")
add_apicat <- function(d) {
  d$variables$apicat <- cut(d$variables$api00, api_breaks, labels = api_labels,
                            ordered_result = TRUE)
  d
}
nhanes_cat <- function(d) {
  d$variables$agecat <- factor(d$variables$agecat, ordered = TRUE)
  d
}

olr_case <- function(name, design, formula, method, python_formula, prep = add_apicat) {
  d <- prep(designs[[design]])
  f <- as.formula(formula)
  loose <- svyolr(f, d, method = method)
  p <- length(loose$coefficients) + length(loose$zeta)
  m <- svyolr(f, d, method = method, control = tight_olr(p))
  est <- c(m$coefficients, m$zeta)
  list(name = name, design = design, formula = formula, python_formula = python_formula,
       link = c(logistic = "logit", probit = "probit", cloglog = "cloglog")[[method]],
       names = names(est), estimate = unname(est), se = unname(sqrt(diag(vcov(m)))),
       df_resid = m$df.residual, deviance = m$deviance,
       default_estimate = unname(c(loose$coefficients, loose$zeta)),
       default_se = unname(sqrt(diag(vcov(loose)))))
}

# svyolr.svyrep.design passes `...` only to the full-sample polr, so replicate
# fits would stop at optim's default tolerance; refit them here with tight control.
olr_jk1 <- function(formula) {
  d <- add_apicat(designs$jk1)
  f <- as.formula(formula)
  environment(f) <- environment()  # polr looks `weights` up in the formula's frame
  df <- model.frame(d)
  pwt <- weights(d, "sampling")
  full <- MASS::polr(f, data = df, weights = pwt, Hess = TRUE,
                     control = list(reltol = 1e-15, maxit = 5000))
  start <- c(full$coefficients, full$zeta)
  rw <- weights(d, "analysis")
  betas <- apply(rw, 2, function(w) {
    environment(f) <- environment()
    m <- MASS::polr(f, data = df, weights = w, start = start,
                    control = list(reltol = 1e-15, maxit = 5000))
    c(m$coefficients, m$zeta)
  })
  v <- svrVar(t(betas), d$scale, d$rscales, mse = d$mse, coef = start)
  list(name = "jk1_logit", design = "jk1", formula = formula, python_formula = formula,
       link = "logit", names = names(start), estimate = unname(start),
       se = unname(sqrt(diag(v))), df_resid = degf(d) - length(full$coefficients))
}

olr_results <- list(
  olr_case("strat_logit", "strat", "apicat ~ ell + meals + stype", "logistic",
           "apicat ~ ell + meals + stype"),
  olr_case("strat_probit", "strat", "apicat ~ ell + meals + stype", "probit",
           "apicat ~ ell + meals + stype"),
  olr_case("strat_cloglog", "strat", "apicat ~ ell + meals + stype", "cloglog",
           "apicat ~ ell + meals + stype"),
  olr_case("clus1_logit", "clus1", "apicat ~ ell + meals", "logistic",
           "apicat ~ ell + meals"),
  olr_case("clus1_ps_logit", "clus1_ps", "apicat ~ ell + meals", "logistic",
           "apicat ~ ell + meals"),
  olr_case("nhanes_probit_na", "nhanes", "agecat ~ HI_CHOL + factor(RIAGENDR)", "probit",
           "agecat ~ HI_CHOL + C(RIAGENDR)", prep = nhanes_cat),
  olr_jk1("apicat ~ ell + meals")
)

write_reference(list(
  designs = design_info,
  apicat = list(breaks = api_breaks, labels = api_labels),
  glm = glm_results,
  chisq = chisq_results,
  crosstab = crosstab_results,
  olr = olr_results
), "models")
