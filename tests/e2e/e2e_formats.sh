#!/usr/bin/env bash
# End to end, every input format: the same generated population exported as
# NDJSON records, as GHES all_users.csv reports with the consumed-licenses
# REST pages, and as GHES JSON exports with the consumed-licenses CSV report
# must give the seat counts the generator expects, under both policies and
# with one or four threads, and the persons without an email on a verified
# domain. A records-only GHES file combined with a GHEC report checks that
# the formats mix.
# shellcheck source=tests/e2e/e2e_lib.sh
. "$(dirname "$0")/e2e_lib.sh" "$@"

D=$WORK/data
gen "$D" --people 2000 --hosts 4
E=$D/expected.json
mapfile -t CSV < <(ghes_csv_args "$D")
JSN=()
for f in "$D"/ghe-*.json; do
    JSN+=(--ghes "$f")
done
grep '"kind":"ghes"' "$D/records.ndjson" >"$WORK/ghes.ndjson" ||
    fail "no GHES records"

for t in 1 4; do
    for pol in github extended; do
        run_check "records threads=$t $pol" "$pol" extended_seats "$E" \
            --threads "$t" --records "$D/records.ndjson"
        run_check "ghes-csv+ghec-json threads=$t $pol" "$pol" \
            extended_seats_primary_only "$E" \
            --threads "$t" "${CSV[@]}" --ghec "$D/consumed-licenses.json"
        run_check "ghes-json+ghec-csv threads=$t $pol" "$pol" \
            extended_seats "$E" \
            --threads "$t" "${JSN[@]}" --ghec "$D/consumed-licenses.csv"
    done
done
run_check "records(ghes)+ghec-csv" github extended_seats "$E" \
    --records "$WORK/ghes.ndjson" --ghec "$D/consumed-licenses.csv"
# Persons without an email on a verified domain, in every format (the CSV
# report has no secondary emails, so fewer persons have one).
for t in 1 4; do
    run_check_vd "records vd threads=$t" github extended_seats "$E" \
        --threads "$t" --records "$D/records.ndjson"
    run_check_vd "ghes-csv+ghec-json vd threads=$t" github \
        extended_seats_primary_only "$E" \
        --threads "$t" "${CSV[@]}" --ghec "$D/consumed-licenses.json"
    run_check_vd "ghes-json+ghec-csv vd threads=$t" github extended_seats \
        "$E" --threads "$t" "${JSN[@]}" --ghec "$D/consumed-licenses.csv"
done
run_check_vd "records vd extended" extended extended_seats "$E" \
    --records "$D/records.ndjson"
run_check "records(ghes)+ghec-json" extended extended_seats "$E" \
    --records "$WORK/ghes.ndjson" --ghec "$D/consumed-licenses.json"

# Where the binary runs on jemalloc, jemalloc must see the executable's
# settings (shell/jemalloc_conf.c): a symbol it cannot find is silently
# ignored. confirm_conf makes jemalloc print every setting it read. The
# library list is read whole first: under pipefail, grep -q leaving early
# could make ldd die of SIGPIPE and skip the check.
libs=$(ldd "$HC" 2>/dev/null || true)
if grep -q libjemalloc <<<"$libs"; then
    conf=$(MALLOC_CONF=confirm_conf:true "$HC" --version 2>&1 >/dev/null)
    grep -q 'global variable malloc_conf): "thp:always"' <<<"$conf" ||
        fail "jemalloc did not read the executable's malloc_conf: $conf"
    CHECKS=$((CHECKS + 1))
fi
done_ok
