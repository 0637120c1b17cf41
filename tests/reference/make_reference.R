# Regenerates the R `survey` reference values the tests compare against.
# Run with `make reference` (installs R + survey from Debian if missing).
# Each topic lives in its own file and writes tests/reference/r_<topic>.json;
# datasets shipped with R's survey package are exported to tests/reference/data/*.csv.
suppressPackageStartupMessages({
  library(survey)
  library(jsonlite)
})
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
data_dir <- file.path(here, "data")
dir.create(data_dir, showWarnings = FALSE)

provenance <- function() {
  list(
    generated_by = "tests/reference/make_reference.R",
    R = R.version.string,
    survey = as.character(packageVersion("survey")),
    survival = as.character(packageVersion("survival"))
  )
}

write_reference <- function(results, topic) {
  out <- list(provenance = provenance(), results = results)
  path <- file.path(here, paste0("r_", topic, ".json"))
  writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, null = "null", na = "null", pretty = TRUE), path)
  cat("wrote", path, "\n")
}

export_csv <- function(df, name) {
  write.csv(df, file.path(data_dir, paste0(name, ".csv")), row.names = FALSE, na = "")
}

for (part in sort(list.files(here, pattern = "^ref_.*\\.R$", full.names = TRUE))) {
  cat("running", basename(part), "\n")
  source(part, local = new.env())
}
