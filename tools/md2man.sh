#!/bin/sh
# Converts the Markdown of docs/ (the subset they use: headings, paragraphs, fenced code,
# lists, tables, inline code, bold, italics, links) to a man page body. The man pages are
# made from the docs so that there is one text to keep right.
# Usage: tools/md2man.sh FILE.md [SKIP_TITLE]   (SKIP_TITLE=1 drops the first "# " heading)
set -eu
# mawk (Debian's default awk) has no gensub: inline markup is rebuilt with match().
awk -v skip_title="${2:-0}" '
function esc(s) {                      # roff-safe text: backslashes, then a leading dot/quote
    gsub(/\\/, "\\e", s)
    gsub(/-/, "\\-", s)
    return s
}
function lead(s) { return (s ~ /^[.\047]/) ? "\\&" s : s }
function span(s, mark, on, off,    out, n, i, j) {   # mark...mark -> on...off
    out = ""
    n = length(mark)
    while ((i = index(s, mark)) > 0) {
        j = index(substr(s, i + n), mark)
        if (j == 0) break
        out = out substr(s, 1, i - 1) on substr(s, i + n, j - 1) off
        s = substr(s, i + n + j - 1 + n)
    }
    return out s
}
function inline(s,    out, t) {
    gsub(/!\[[^]]*\]\([^)]*\)/, "", s)                 # images: not in a terminal
    out = ""
    while (match(s, /\[[^]]*\]\([^)]*\)/)) {           # [text](link) -> text
        t = substr(s, RSTART + 1, RLENGTH - 1)
        sub(/\]\(.*$/, "", t)
        out = out substr(s, 1, RSTART - 1) t
        s = substr(s, RSTART + RLENGTH)
    }
    s = esc(out s)
    s = span(s, "`", "\\fB", "\\fR")
    s = span(s, "**", "\\fB", "\\fR")
    return s
}
# Text is gathered until its block ends so that markup may span lines.
function flush() {
    if (buf != "") { print lead(inline(buf)); fresh = 0 }
    buf = ""
}
function add(t) { sub(/^ +/, "", t); buf = buf (buf == "" ? "" : " ") t }
function para() { flush(); if (!fresh) { print ".PP"; fresh = 1 } }
BEGIN { fresh = 1; code = 0; titled = 0; buf = "" }
/^```/ {
    if (!code) { para(); print ".RS 4"; print ".nf"; code = 1 }
    else { print ".fi"; print ".RE"; fresh = 0; code = 0 }
    next
}
code { print lead(esc($0)); next }
/^# / {
    flush()
    if (skip_title == 1 && !titled) { titled = 1; print ".SH DESCRIPTION"; fresh = 1; next }
    t = substr($0, 3); gsub(/`/, "", t); print ".SH \"" toupper(esc(t)) "\""; fresh = 1; next
}
/^##+ / {
    flush()
    t = $0; sub(/^##+ /, "", t); gsub(/`/, "", t)
    if ($0 ~ /^## /) print ".SH \"" toupper(esc(t)) "\""; else print ".SS \"" esc(t) "\""
    fresh = 1; next
}
/^\|[ -:|]*$/ { next }                                 # a table rule
/^\|/ {                                                # a table row: first cell as a tag
    flush()
    row = $0; gsub(/\\\|/, "\001", row)              # an escaped \| is no cell border
    n = split(row, c, "|"); tag = c[2]; rest = ""
    for (k = 3; k < n; k++) { x = c[k]; gsub(/^ +| +$/, "", x); if (x != "") rest = rest (rest == "" ? "" : "; ") x }
    gsub(/\001/, "|", tag); gsub(/\001/, "|", rest)
    gsub(/^ +| +$/, "", tag)
    print ".TP"; print lead(inline(tag)); if (rest != "") print lead(inline(rest)); fresh = 0; next
}
/^[ ]*$/ { para(); next }
/^ *([-*]|[0-9]+\.) / {
    flush()
    t = $0; sub(/^ *([-*]|[0-9]+\.) /, "", t)
    print ".IP \\(bu 2"; fresh = 0; add(t); next
}
{ add($0) }
END { flush() }
' "$1"
