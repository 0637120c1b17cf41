# Exports datasets shipped with R's survey package to tests/reference/data/*.csv
# (full datasets, all columns) so every Python reference test reads the same rows.
# Sourced by make_reference.R, which defines export_csv().
data(api, package = "survey")
data(nhanes, package = "survey")
export_csv(apistrat, "apistrat")
export_csv(apiclus1, "apiclus1")
export_csv(apiclus2, "apiclus2")
export_csv(apisrs, "apisrs")
export_csv(apipop, "apipop")
export_csv(nhanes, "nhanes")
