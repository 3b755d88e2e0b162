# Results: one TSV line per measured run, and tables of medians printed from them.

# results_add FILE FIELD...: appends one tab-separated line (the first call with a header line).
results_add() {
  local file=$1
  shift
  (IFS=$'\t'; echo "$*") >>"$file"
}

# results_column FILE [KEY_COLUMN KEY]... VALUE_COLUMN: the VALUE_COLUMN of every line whose KEY_COLUMNs
# hold the KEYs (columns by header name; no KEY_COLUMN: every line).
results_column() {
  local file=$1 filters
  shift
  filters=$(IFS=$'\t'; echo "${*:1:$#-1}")
  awk -F'\t' -v filters="$filters" -v v="${!#}" '
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; n = split(filters, f, "\t"); next }
    { for (i = 1; i < n; i += 2) if ($col[f[i]] != f[i + 1]) next; print $col[v] }' "$file"
}

# results_median FILE [KEY_COLUMN KEY]... VALUE_COLUMN
results_median() {
  # shellcheck disable=SC2046
  median $(results_column "$@" | awk '$0 != "-"')
}

# results_sum FILE [KEY_COLUMN KEY]... VALUE_COLUMN
results_sum() {
  results_column "$@" | awk '{ s += $1 } END { print s + 0 }'
}

# table_print [ALIGN]: reads tab-separated rows on stdin (the first is the header) and prints them aligned,
# column N to the left when letter N of ALIGN is l, else to the right (default: l, only the first column).
table_print() {
  awk -F'\t' -v align="${1:-l}" '
    { for (i = 1; i <= NF; i++) { cell[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } if (NF > nf) nf = NF }
    END {
      for (r = 1; r <= NR; r++) {
        line = ""
        for (i = 1; i <= nf; i++) {
          fmt = (i == 1 ? "" : "  ") (substr(align, i, 1) == "l" ? "%-" : "%") w[i] "s"
          line = line sprintf(fmt, cell[r, i])
        }
        sub(/ +$/, "", line)
        print line
      }
    }'
}
