# Reference values for analysis.weighting: rake, postStratify, calibrate
# (linear, raking, logit, bounded linear), trimWeights, on R's api data, for
# a linearisation design (apiclus1, apistrat) and a JK1 replicate design.
# Sourced by make_reference.R, which defines write_reference() and export_csv().
# Iterative fits are run to tight tolerances so the Python side, which stops
# by its own criterion, can be compared at rtol 1e-8.
data(api)

dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)
rclus1 <- as.svrepdesign(dclus1, type = "JK1")

pop.types <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
pop.schwide <- data.frame(sch.wide = c("No", "Yes"), Freq = c(1072, 5122))
pop.awards <- as.data.frame(table(awards = apipop$awards))
pop.schwide.all <- as.data.frame(table(sch.wide = apipop$sch.wide))
pop.cross <- as.data.frame(xtabs(~ sch.wide + awards, apipop))
totals.api99 <- c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018, api99 = 3914069)
totals.rake <- c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018, sch.wideYes = 5122)
tight <- list(maxit = 200, epsilon = 1e-13)

stat <- function(s) list(estimate = unname(coef(s))[1], se = unname(SE(s))[1])

# Estimates whose SEs exercise the calibration residuals: a mean and two totals
# of variables that were not calibrated on.
estimates <- function(d) {
  list(
    mean_api00 = stat(svymean(~api00, d)),
    total_enroll = stat(svytotal(~enroll, d)),
    total_awards = stat(svytotal(~I(as.numeric(awards == "Yes")), d))
  )
}

scenario <- function(d, call) {
  out <- list(call = call, weights = unname(weights(d, "sampling")), estimates = estimates(d))
  if (inherits(d, "svyrep.design")) {
    out$repweights <- unname(as.matrix(weights(d, "analysis")))
  }
  out
}

# grake's "Failed to converge: eps=... in N iterations" warning, as numbers.
failure <- function(expr) {
  msg <- NULL
  withCallingHandlers(try(expr, silent = TRUE), warning = function(w) {
    msg <<- conditionMessage(w)
    invokeRestart("muffleWarning")
  })
  nums <- regmatches(msg, gregexpr("[0-9.eE+-]+[0-9]", msg))[[1]]
  list(message = msg, eps = as.numeric(nums[1]), iterations = as.numeric(nums[2]))
}

res <- list()

res$rake_clus1 <- scenario(
  rake(dclus1, list(~stype, ~sch.wide), list(pop.types, pop.schwide), control = tight),
  "rake(dclus1, list(~stype, ~sch.wide), list(pop.types, pop.schwide))")
# unequal design weights within the margins (peers: balance#431)
res$rake_strat <- scenario(
  rake(dstrat, list(~sch.wide, ~awards), list(pop.schwide.all, pop.awards), control = tight),
  "rake(dstrat, list(~sch.wide, ~awards), from apipop)")
res$poststratify_clus1 <- scenario(
  postStratify(dclus1, ~stype, pop.types), "postStratify(dclus1, ~stype, pop.types)")
res$poststratify_strat_cross <- scenario(
  postStratify(dstrat, ~sch.wide + awards, pop.cross),
  "postStratify(dstrat, ~sch.wide + awards, xtabs(~sch.wide + awards, apipop))")
res$calibrate_linear <- scenario(
  calibrate(dclus1, ~stype + api99, totals.api99), "calibrate(dclus1, ~stype + api99)")
res$calibrate_raking <- scenario(
  calibrate(dclus1, ~stype + sch.wide, totals.rake, calfun = "raking", epsilon = 1e-12),
  "calibrate(dclus1, ~stype + sch.wide, calfun = 'raking')")
res$calibrate_logit <- scenario(
  calibrate(dclus1, ~stype + api99, totals.api99, calfun = "logit", bounds = c(0.7, 1.7)),
  "calibrate(dclus1, ~stype + api99, calfun = 'logit', bounds = c(0.7, 1.7))")
res$calibrate_linear_bounded <- scenario(
  calibrate(dclus1, ~stype + api99, totals.api99, bounds = c(0.7, 1.7)),
  "calibrate(dclus1, ~stype + api99, bounds = c(0.7, 1.7))")
res$calibrate_raking_bounded <- scenario(
  calibrate(dclus1, ~stype + api99, totals.api99, calfun = "raking", bounds = c(0.7, 1.7)),
  "calibrate(dclus1, ~stype + api99, calfun = 'raking', bounds = c(0.7, 1.7))")

glin <- calibrate(dclus1, ~stype + api99, totals.api99)
res$trim <- scenario(trimWeights(glin, lower = 20, upper = 45),
                     "trimWeights(calibrate(...linear), lower = 20, upper = 45)")
res$trim_strict <- scenario(trimWeights(glin, lower = 20, upper = 45, strict = TRUE),
                            "trimWeights(..., strict = TRUE)")
res$trim_rake <- scenario(
  trimWeights(rake(dclus1, list(~stype, ~sch.wide), list(pop.types, pop.schwide),
                   control = tight), upper = 45, strict = TRUE),
  "trimWeights(rake(dclus1, ...), upper = 45, strict = TRUE)")

res$infeasible_logit <- failure(
  calibrate(dclus1, ~stype + api99, totals.api99, calfun = "logit", bounds = c(0.95, 1.05)))

res$jk1 <- list(repweights = unname(as.matrix(weights(rclus1, "analysis"))),
                scale = rclus1$scale, rscales = unname(rclus1$rscales), mse = rclus1$mse,
                type = rclus1$type, estimates = estimates(rclus1))
res$rep_rake <- scenario(
  rake(rclus1, list(~stype, ~sch.wide), list(pop.types, pop.schwide), control = tight),
  "rake(as.svrepdesign(dclus1), ...)")
res$rep_poststratify <- scenario(postStratify(rclus1, ~stype, pop.types),
                                 "postStratify(as.svrepdesign(dclus1), ~stype, pop.types)")
res$rep_calibrate_linear <- scenario(calibrate(rclus1, ~stype + api99, totals.api99),
                                     "calibrate(as.svrepdesign(dclus1), ~stype + api99)")
res$rep_calibrate_logit <- scenario(
  calibrate(rclus1, ~stype + api99, totals.api99, calfun = "logit", bounds = c(0.7, 1.7)),
  "calibrate(as.svrepdesign(dclus1), ~stype + api99, calfun = 'logit', bounds = c(0.7, 1.7))")

res$populations <- list(
  awards = setNames(as.list(pop.awards$Freq), as.character(pop.awards$awards)),
  sch.wide = setNames(as.list(pop.schwide.all$Freq), as.character(pop.schwide.all$sch.wide)),
  cross = list(sch.wide = as.character(pop.cross$sch.wide),
               awards = as.character(pop.cross$awards), Freq = pop.cross$Freq))

write_reference(res, "weighting")
