# Loads a fremdrift research extract into R, every column typed.
#
#   source("load_extract.R")
#   d <- load_extract("path/to/extract")   # a list of data frames
#   str(d$courses)
#
# or from a shell, to see what is there:
#
#   Rscript load_extract.R path/to/extract
#
# The types come from codebook.csv and the value labels from values.csv:
# codes become factors (ordered where the codebook says "ordered"),
# labelled from values.csv (labels = FALSE keeps the codes), integers
# integer, numbers numeric, dates Date; ids and periods stay character.

load_extract_column <- function(x, type, codes, labels) {
  x[x == ""] <- NA
  if (type == "integer") return(as.integer(x))
  if (type == "number") return(as.numeric(x))
  if (type == "date") return(as.Date(x, format = "%Y-%m-%d"))
  if (type %in% c("category", "ordered")) {
    if (anyDuplicated(labels)) labels <- codes
    extra <- setdiff(sort(unique(x[!is.na(x)])), codes)
    return(factor(x, levels = c(codes, extra), labels = c(labels, extra),
                  ordered = type == "ordered"))
  }
  x
}

load_extract <- function(dir = ".", labels = TRUE) {
  read <- function(f) read.csv(file.path(dir, f), colClasses = "character",
                               na.strings = character(0), check.names = FALSE,
                               encoding = "UTF-8")
  book <- read("codebook.csv")
  values <- read("values.csv")
  values <- values[!duplicated(values[, c("domain", "code")]), ]
  out <- list()
  for (f in unique(book$file)) {
    if (!file.exists(file.path(dir, f))) next
    df <- read(f)
    cols <- book[book$file == f, ]
    for (i in seq_len(nrow(cols))) {
      name <- cols$column[i]
      if (!(name %in% names(df))) next
      v <- values[values$domain == cols$domain[i], ]
      df[[name]] <- load_extract_column(df[[name]], cols$type[i], v$code,
                                        if (labels) v$label else v$code)
    }
    out[[sub("\\.csv$", "", f)]] <- df
  }
  out
}

if (!interactive() && sys.nframe() == 0L) {
  args <- commandArgs(trailingOnly = TRUE)
  d <- load_extract(if (length(args) > 0) args[1] else ".")
  for (n in names(d)) {
    cat(sprintf("%s: %d rows\n", n, nrow(d[[n]])))
    for (col in names(d[[n]]))
      cat(sprintf("  %-18s %s\n", col, class(d[[n]][[col]])[1]))
  }
}
