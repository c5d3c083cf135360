#!/usr/bin/env bash
# End to end, determinism and reports: the count and the --report file must
# not depend on the order of the input lines, on the order of the inputs on
# the command line, or on the thread count (byte-identical reports), and
# `headcount diff` must find no change between equal reports and exactly
# the new persons when the population grows.
# shellcheck source=tests/e2e/e2e_lib.sh
. "$(dirname "$0")/e2e_lib.sh" "$@"

D=$WORK/data
gen "$D" --people 2000 --hosts 4
E=$D/expected.json
R=$WORK/reports
mkdir -p "$R"

# Shuffled NDJSON (a fixed pseudo-random order), one thread vs four.
shuf --random-source=<(yes) "$D/records.ndjson" >"$WORK/shuffled.ndjson"
cmp -s "$D/records.ndjson" "$WORK/shuffled.ndjson" &&
    fail "shuf did not change the line order"
for pol in github extended; do
    hc_count "$R/a.$pol.sum" --policy "$pol" --threads 1 \
        --records "$D/records.ndjson" --report "$R/a.$pol.json"
    hc_count "$R/b.$pol.sum" --policy "$pol" --threads 4 \
        --records "$WORK/shuffled.ndjson" --report "$R/b.$pol.json"
    hc_count "$R/c.$pol.sum" --policy "$pol" --threads 4 \
        --records "$WORK/shuffled.ndjson" --report "$R/c.$pol.csv"
    hc_count "$R/d.$pol.sum" --policy "$pol" --threads 1 \
        --records "$D/records.ndjson" --report "$R/d.$pol.csv"
    check_summary "shuffled $pol" "$R/b.$pol.sum" "$E" "$pol" extended_seats
    cmp "$R/a.$pol.json" "$R/b.$pol.json" ||
        fail "$pol: JSON report depends on line order or threads"
    cmp "$R/c.$pol.csv" "$R/d.$pol.csv" ||
        fail "$pol: CSV report depends on line order or threads"
    CHECKS=$((CHECKS + 2))
done

# The report itself: one row per person, the expected total.
"$PY" - "$R/a.github.json" "$E" <<'PY' || fail "report content"
import json, sys
rep = json.load(open(sys.argv[1], encoding="utf-8"))
exp = json.load(open(sys.argv[2], encoding="utf-8"))
n = exp["github_seats"]
assert rep["total_seats_consumed"] == n, (rep["total_seats_consumed"], n)
assert len(rep["users"]) == n, (len(rep["users"]), n)
ids = [i for u in rep["users"] for i in u.get("enterprise_server_user_ids", [])]
assert len(ids) == len(set(ids)), "a GHES account in two persons"
assert len(ids) == exp["ghes_accounts"], (len(ids), exp["ghes_accounts"])
PY
CHECKS=$((CHECKS + 1))

# The order of the inputs on the command line does not matter either.
mapfile -t FWD < <(ghes_csv_args "$D")
mapfile -t REV < <(ghes_csv_args "$D" -r)
hc_count "$R/fwd.sum" "${FWD[@]}" --ghec "$D/consumed-licenses.json" \
    --report "$R/fwd.json"
hc_count "$R/rev.sum" --ghec "$D/consumed-licenses.json" "${REV[@]}" \
    --threads 4 --report "$R/rev.json"
check_summary "csv inputs reversed" "$R/rev.sum" "$E" github \
    extended_seats_primary_only
cmp "$R/fwd.json" "$R/rev.json" || fail "report depends on input order"
CHECKS=$((CHECKS + 1))

# diff: equal reports, then a grown population (persons 0..1999 are the
# same in both: hc_gen derives each person from the seed and its index).
rc=0
"$HC" diff "$R/a.github.json" "$R/b.github.json" >"$R/diff.txt" || rc=$?
[ "$rc" -eq 0 ] || fail "diff of equal reports exited $rc: $(cat "$R/diff.txt")"
grep -q '^0 added, 0 removed, 0 changed' "$R/diff.txt" ||
    fail "diff of equal reports: $(cat "$R/diff.txt")"
"$HC" diff --json "$R/a.github.json" "$R/a.github.json" >"$R/diff.json" ||
    fail "diff --json of equal reports exited non-zero"
gen "$WORK/grown" --people 2100 --hosts 4
hc_count "$R/g.sum" --records "$WORK/grown/records.ndjson" \
    --report "$R/g.json"
rc=0
"$HC" diff --json "$R/a.github.json" "$R/g.json" >"$R/diff2.json" || rc=$?
[ "$rc" -eq 1 ] || fail "diff of different reports exited $rc"
"$PY" - "$R/diff.json" "$R/diff2.json" "$E" "$WORK/grown/expected.json" \
    <<'PY' || fail "diff output"
import json, sys
same = json.load(open(sys.argv[1]))
grown = json.load(open(sys.argv[2]))
old = json.load(open(sys.argv[3]))["github_seats"]
new = json.load(open(sys.argv[4]))["github_seats"]
assert same["changes"] == [] and same["seat_change"] == 0, same
assert grown["added"] == new - old, (grown["added"], new - old)
assert grown["removed"] == 0 and grown["changed"] == 0, grown
assert grown["old_seats"] == old and grown["new_seats"] == new, grown
assert all(c["change"] == "added" for c in grown["changes"])
PY
CHECKS=$((CHECKS + 2))
done_ok
