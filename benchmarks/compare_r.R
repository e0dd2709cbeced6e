# R's survey package on the benchmark's customer tables, for the runner's side-by-side times.
#
#   Rscript benchmarks/compare_r.R <dir>      (run by `python -m benchmarks.run --r`)
#
# <dir> holds input.csv (weights-file columns plus every table variable, written by
# benchmarks/compare_r.py) and tables.csv (table_id, variable, categories "|"-joined, by,
# filter_var, filter_values "|"-joined). For each table and variable, as enkat does it:
#   Totalt:  svymean(~v, subset(des, in base [& filter]))
#   groups:  svyby(~v, ~by, subset(des, in base & !is.na(by) [& filter]), svymean)
#   test:    svychisq(~v + by, <the same subset>, statistic = "F")
# (CIs are functions of these: svyciprop(method = "logit") is the logit of svymean.)
# Writes r_times.csv, r_estimates.csv, r_tests.csv into <dir>.

suppressPackageStartupMessages(library(survey))
options(survey.lonely.psu = "certainty")
args <- commandArgs(trailingOnly = TRUE)
dir <- if (length(args)) args[1] else "."

d <- read.csv(file.path(dir, "input.csv"), colClasses = "character", na.strings = "",
              encoding = "UTF-8")
d$weight <- as.numeric(d$weight)
specs <- read.csv(file.path(dir, "tables.csv"), colClasses = "character", na.strings = "",
                  encoding = "UTF-8")

t0 <- proc.time()[["elapsed"]]
des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, data = d, nest = TRUE)
calibrated <- "cal_cell" %in% names(d)
if (calibrated) {
  # enkat's poststratify: R's postStratify on the same cells (totals = the weights' sums, so
  # the weights stay; the variance becomes that of the post-stratified design). subset()
  # of a calibrated design keeps every row at weight 0: values outside a domain are filled
  # with one of the domain's own so that R's formulas meet no NA.
  pop <- aggregate(weight ~ cal_cell, d, sum)
  names(pop)[2] <- "Freq"
  des <- postStratify(des, ~cal_cell, pop)
}
fill <- function(x, keep) {
  x[!keep] <- x[keep][1]
  x
}
design_s <- proc.time()[["elapsed"]] - t0

times <- list(data.frame(table_id = "(design)", seconds = design_s))
estimates <- list()
tests <- list()
for (tid in unique(specs$table_id)) {
  rows <- specs[specs$table_id == tid, ]
  t0 <- proc.time()[["elapsed"]]
  for (i in seq_len(nrow(rows))) {
    v <- rows$variable[i]
    levels <- strsplit(rows$categories[i], "|", fixed = TRUE)[[1]]
    by <- rows$by[i]
    base <- !is.na(d[[v]]) & d[[v]] %in% levels
    if (!is.na(rows$filter_var[i])) {
      base <- base & d[[rows$filter_var[i]]] %in% strsplit(rows$filter_values[i], "|",
                                                           fixed = TRUE)[[1]]
    }
    des$variables$.v <- factor(if (calibrated) fill(d[[v]], base) else d[[v]], levels = levels)
    m <- svymean(~.v, subset(des, base))
    estimates[[length(estimates) + 1]] <- data.frame(
      table_id = tid, variable = v, group_var = "", group = "Totalt", category = levels,
      estimate = as.numeric(coef(m)), se = as.numeric(SE(m)))
    if (!is.na(by)) {
      keep <- base & !is.na(d[[by]])
      des$variables$.g <- if (calibrated) fill(d[[by]], keep) else d[[by]]
      if (calibrated) des$variables$.v <- factor(fill(d[[v]], keep), levels = levels)
      sub <- subset(des, keep)
      res <- svyby(~.v, ~.g, sub, svymean)
      k <- length(levels)
      est <- as.matrix(res[, 1 + seq_len(k)])
      se <- as.matrix(res[, 1 + k + seq_len(k)])
      estimates[[length(estimates) + 1]] <- data.frame(
        table_id = tid, variable = v, group_var = by,
        group = rep(as.character(res$.g), times = k), category = rep(levels, each = nrow(res)),
        estimate = as.vector(est), se = as.vector(se))
      chi <- svychisq(~.v + .g, sub, statistic = "F")
      tests[[length(tests) + 1]] <- data.frame(
        table_id = tid, variable = v, statistic = unname(chi$statistic),
        ndf = unname(chi$parameter[1]), ddf = unname(chi$parameter[2]), p_value = chi$p.value)
    }
  }
  times[[length(times) + 1]] <- data.frame(table_id = tid,
                                           seconds = proc.time()[["elapsed"]] - t0)
  cat(tid, "\n")
}

out <- function(x, name) {
  write.csv(do.call(rbind, x), file.path(dir, name), row.names = FALSE, na = "",
            fileEncoding = "UTF-8")
}
out(times, "r_times.csv")
out(estimates, "r_estimates.csv")
out(tests, "r_tests.csv")
