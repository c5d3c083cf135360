#!/usr/bin/env bash
# End to end, compressed and piped inputs: gzip-compressed files (named
# .gz or not: gzip is recognised by its magic bytes) and standard input
# ("-"), plain or compressed, must count exactly like the plain files.
# shellcheck source=tests/e2e/e2e_lib.sh
. "$(dirname "$0")/e2e_lib.sh" "$@"

D=$WORK/data
gen "$D" --people 2000 --hosts 3
E=$D/expected.json
Z=$WORK/gz
mkdir -p "$Z"
for f in "$D"/*.csv "$D"/*.json "$D"/*.ndjson; do
    gzip -c "$f" >"$Z/$(basename "$f").gz"
done
cp "$Z/records.ndjson.gz" "$Z/records.bin"
ZCSV=()
for f in "$Z"/*.all_users.csv.gz; do
    ZCSV+=(--ghes "$(basename "$f" .all_users.csv.gz)=$f")
done
mapfile -t CSV < <(ghes_csv_args "$D")

run_check "records.gz" github extended_seats "$E" \
    --records "$Z/records.ndjson.gz"
run_check "records, gzip without .gz" extended extended_seats "$E" \
    --records "$Z/records.bin" --threads 4
run_check "ghes-csv.gz+ghec-json.gz" github extended_seats_primary_only "$E" \
    "${ZCSV[@]}" --ghec "$Z/consumed-licenses.json.gz"
run_check "ghes-json.gz+ghec-csv.gz" extended extended_seats "$E" \
    --ghes "$Z/ghe-01.corp.example.json.gz" \
    --ghes "$Z/ghe-02.corp.example.json.gz" \
    --ghes "$Z/ghe-03.corp.example.json.gz" \
    --ghec "$Z/consumed-licenses.csv.gz"
run_check "records on stdin" github extended_seats "$E" \
    --records - <"$D/records.ndjson"
run_check "gzip records on stdin" extended extended_seats "$E" \
    --records - <"$Z/records.ndjson.gz"
run_check "ghec json on stdin" github extended_seats_primary_only "$E" \
    "${CSV[@]}" --ghec - <"$D/consumed-licenses.json"
run_check "ghec csv.gz on stdin" github extended_seats_primary_only "$E" \
    "${CSV[@]}" --ghec - <"$Z/consumed-licenses.csv.gz"
done_ok
