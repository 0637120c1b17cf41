# Time one task with R's survey package; prints one JSON line.
suppressPackageStartupMessages({library(survey); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
task <- args[1]; n <- as.integer(args[2]); path <- args[3]
d <- read.csv(path)
for (v in c("sex", "age", "province", "urban")) d[[v]] <- factor(d[[v]])
tot <- sum(d$w)
prov <- seq(1, 3, length.out = 31)
t0 <- proc.time()[["elapsed"]]
if (task == "rake") {
  des <- svydesign(ids = ~1, weights = ~w, data = d)
  t0 <- proc.time()[["elapsed"]]
  pop <- list(
    data.frame(sex = factor(0:1), Freq = c(0.5124, 0.4876) * tot),
    data.frame(age = factor(0:5), Freq = c(9.35, 19.41, 17.25, 21.15, 15.71, 17.13) / 100 * tot),
    data.frame(province = factor(0:30), Freq = prov / sum(prov) * tot),
    data.frame(urban = factor(0:1), Freq = c(0.3611, 0.6389) * tot))
  r <- rake(des, list(~sex, ~age, ~province, ~urban), pop, control = list(maxit = 200, epsilon = 1e-6))
} else {
  des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~w, data = d, nest = TRUE)
  t0 <- proc.time()[["elapsed"]]
  if (task == "prop") r <- svymean(~y, des)
  if (task == "domains") r <- svyby(~y, ~province, des, svymean)
  if (task == "glm") r <- svyglm(y ~ x1 + x2 + sex + urban, des, family = quasibinomial())
  # sex, age and urban are factors already (read once above): C() is factor().
  if (task == "glm_C_int") r <- svyglm(y ~ sex + age + urban + x1, des, family = quasibinomial())
}
secs <- proc.time()[["elapsed"]] - t0
mem <- as.numeric(system(paste0("awk '/VmHWM/{print $2}' /proc/", Sys.getpid(), "/status"), intern = TRUE)) / 1024
out <- list(tool = "R survey", task = task, n = n, seconds = secs, peak_mb = mem)
if (startsWith(task, "glm_C")) out$coef <- unname(coef(r))
cat(toJSON(out, auto_unbox = TRUE, digits = NA), "\n")
