# Results: one TSV line per measured run, and tables of medians printed from them.

# results_add FILE FIELD...: appends one tab-separated line (the first call with a header line).
results_add() {
  local file=$1
  shift
  (IFS=$'\t'; echo "$*") >>"$file"
}

# results_column FILE KEY_COLUMN KEY VALUE_COLUMN: the VALUE_COLUMN of every line whose KEY_COLUMN is KEY
# (columns by header name).
results_column() {
  awk -F'\t' -v k="$2" -v key="$3" -v v="$4" '
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    $col[k] == key { print $col[v] }' "$1"
}

# results_median FILE KEY_COLUMN KEY VALUE_COLUMN
results_median() {
  # shellcheck disable=SC2046
  median $(results_column "$@" | awk '$0 != "-"')
}

# table_print: reads tab-separated rows on stdin (the first is the header) and prints them aligned, the
# first column left-aligned and the others right-aligned.
table_print() {
  awk -F'\t' '
    { for (i = 1; i <= NF; i++) { cell[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } if (NF > nf) nf = NF }
    END {
      for (r = 1; r <= NR; r++) {
        line = ""
        for (i = 1; i <= nf; i++) {
          fmt = (i == 1) ? "%-" w[i] "s" : "  %" w[i] "s"
          line = line sprintf(fmt, cell[r, i])
        }
        print line
      }
    }'
}
