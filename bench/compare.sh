#!/usr/bin/env bash
# Side-by-side speed comparison on one NDJSON file of GHES accounts: the
# headcount release binary against the usual ways of counting distinct
# normalized primary emails of active accounts (DuckDB, mawk, a grep | sort
# pipeline, and on a slice sqlite3 and jq). Every tool must give the same
# count (and with --generate, the generator's expected one), else the
# script exits 1: a fast wrong answer is not a result; any other failure
# exits 2. It
# prints a markdown table (wall time, records/s, GB/s, peak RSS, ratio to
# headcount). A benchmark, not a test: CTest does not run it.
#
#   bench/compare.sh FILE                      measure on an existing file
#   bench/compare.sh --generate LINES DIR      write DIR/records.ndjson with
#                                              hc_gen --profile bench first
# Options (before the file): --slice N (lines for sqlite3 and jq, default
# 1000000), --runs N (best of N, default 1), --skip TOOL (repeatable:
# duckdb, mawk, grep, sqlite3, jq).
# Environment: HEADCOUNT (default build/release/shell/headcount), HC_GEN (a
# built hc_gen; default: compiled from bench/gen/hc_gen.c with cc -O2),
# SCRATCH (tools and temporary files; default ${TMPDIR:-/tmp}/hc_compare).
#
# The input must be what `hc_gen --profile bench` writes: ASCII emails whose
# only variants are letter case and surrounding spaces, so that every tool's
# lower(trim(x)) is exactly norm_v1, and no ghost/scim-admin accounts and no
# GHEC records, so that headcount's total_seats_consumed is the number of
# distinct normalized primary emails of the non-suspended accounts.

# The awk, sh and jq programs below are single-quoted on purpose.
# shellcheck disable=SC2016
set -Eeuo pipefail
# A command that fails is a failure of the comparison (2), never taken for
# a disagreement (1).
trap 'echo "compare.sh: a command failed (line $LINENO)" >&2; exit 2' ERR

ROOT=$(cd "$(dirname "$0")/.." && pwd)
HEADCOUNT=${HEADCOUNT:-$ROOT/build/release/shell/headcount}
SCRATCH=${SCRATCH:-${TMPDIR:-/tmp}/hc_compare}
SLICE=1000000
RUNS=1
SKIP=" "
FILE=
GEN_LINES=

die() {
    echo "compare.sh: $*" >&2
    exit 2
}

while [ $# -gt 0 ]; do
    case $1 in
    --generate)
        [ $# -ge 3 ] || die "--generate LINES DIR"
        [ -z "$FILE" ] || die "one FILE, or --generate LINES DIR, not both"
        GEN_LINES=$2
        FILE=$3/records.ndjson
        shift 3
        ;;
    --slice) SLICE=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --skip) SKIP="$SKIP$2 "; shift 2 ;;
    -h | --help) sed -n '2,/^$/p' "$0" | sed -e '/^$/d' -e 's/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1" ;;
    *) [ -z "$FILE" ] || die "one FILE, or --generate LINES DIR, not both"; FILE=$1; shift ;;
    esac
done
[ -n "$FILE" ] || die "usage: compare.sh [--slice N] [--runs N] FILE | --generate LINES DIR"
for n in "$SLICE" "$RUNS" ${GEN_LINES:+"$GEN_LINES"}; do
    case $n in
    '' | *[!0-9]* | 0*) die "--slice, --runs and --generate take a number from 1 up (got '$n')" ;;
    esac
done
[ -x "$HEADCOUNT" ] || die "no headcount binary at $HEADCOUNT (cmake --preset release && cmake --build --preset release, or set HEADCOUNT)"
mkdir -p "$SCRATCH"
# This run's own files (the slice, outputs, results), removed at exit: two
# runs at once do not share them. SCRATCH keeps only the tools.
TMP=$(mktemp -d "$SCRATCH/run.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

want() { case $SKIP in *" $1 "*) return 1 ;; *) return 0 ;; esac; }

# Installs a Debian package when its command is missing.
APT_UPDATED=
need() {
    local cmd=$1 pkg=$2 sudo=
    command -v "$cmd" >/dev/null 2>&1 && return 0
    echo "installing $pkg..." >&2
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    if [ -z "$APT_UPDATED" ]; then
        $sudo apt-get update -qq >/dev/null
        APT_UPDATED=1
    fi
    $sudo apt-get install -y -qq "$pkg" >/dev/null
}

need /usr/bin/time time
want mawk && need mawk mawk
want sqlite3 && need sqlite3 sqlite3
want jq && need jq jq
need python3 python3

if [ -n "$GEN_LINES" ]; then
    mkdir -p "$(dirname "$FILE")"
    if [ -z "${HC_GEN:-}" ]; then
        HC_GEN=$SCRATCH/hc_gen
        cc -O2 -std=c11 -o "$HC_GEN" "$ROOT/bench/gen/hc_gen.c"
    fi
    echo "generating $GEN_LINES lines into $(dirname "$FILE")..." >&2
    "$HC_GEN" --profile bench --seed 1 --lines "$GEN_LINES" \
        --out "$(dirname "$FILE")"
fi
[ -r "$FILE" ] || die "cannot read $FILE"
FILE=$(cd "$(dirname "$FILE")" && pwd)/$(basename "$FILE")

# The DuckDB client is pinned so that numbers taken on different days
# compare one DuckDB; a different version in the scratch folder is replaced.
DUCKDB_VERSION=1.5.6-r.1
if want duckdb; then
    need node nodejs
    need npm npm
    pkg=$SCRATCH/duckdb/node_modules/@duckdb/node-api/package.json
    if ! grep -q "\"version\": \"$DUCKDB_VERSION\"" "$pkg" 2>/dev/null; then
        echo "installing @duckdb/node-api@$DUCKDB_VERSION into $SCRATCH/duckdb..." >&2
        npm install --silent --no-audit --no-fund --prefix "$SCRATCH/duckdb" \
            "@duckdb/node-api@$DUCKDB_VERSION" >/dev/null
    fi
    cat >"$SCRATCH/duckdb/count.mjs" <<'EOF'
// Prints count(DISTINCT lower(trim(primary_email))) of the active accounts.
import { DuckDBInstance } from '@duckdb/node-api';
const file = process.argv[2].replaceAll("'", "''");
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
const r = await con.runAndReadAll(
    `SELECT count(DISTINCT lower(trim(primary_email))) FROM ` +
    `read_json('${file}', format='newline_delimited') WHERE NOT suspended`);
console.log(String(r.getRows()[0][0]));
EOF
fi

SLICE_FILE=$TMP/slice.ndjson
head -n "$SLICE" "$FILE" >"$SLICE_FILE"
if cmp -s "$SLICE_FILE" "$FILE"; then
    SLICE_FILE=$FILE # the whole file is no longer than the slice
fi

# measure NAME INPUT COMMAND...: runs COMMAND (best wall time of RUNS) and
# appends "name input count wall rss" (tab-separated) to the results. The
# command prints the count on stdout; every run must print the same one.
RESULTS=$TMP/results.txt
: >"$RESULTS"
measure() {
    local name=$1 input=$2
    shift 2
    local best='' rss='' count='' first='' r
    for ((r = 0; r < RUNS; r++)); do
        cat "$input" >/dev/null # same warm page cache for every tool
        /usr/bin/time -f '%e %M' -o "$TMP/time.txt" "$@" \
            >"$TMP/out.txt" 2>"$TMP/err.txt" ||
            { cat "$TMP/err.txt" >&2; die "$name failed"; }
        if [ "$name" = headcount ]; then
            count=$(python3 -c "$HC_COUNT" <"$TMP/out.txt")
        else
            count=$(tail -n 1 "$TMP/out.txt" | tr -d ' \r')
        fi
        [ "$r" -eq 0 ] && first=$count
        [ "$count" = "$first" ] ||
            die "$name counted $first, then $count on the same input"
        read -r wall kb <"$TMP/time.txt"
        if [ -z "$best" ] || python3 -c "import sys; sys.exit(not $wall < $best)"; then
            best=$wall
            rss=$kb
        fi
    done
    printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$input" "$count" "$best" "$rss" \
        >>"$RESULTS"
    echo "  $name: $count in $best s" >&2
}

echo "measuring on $FILE (slice: $SLICE lines)..." >&2
# headcount prints its --json summary; the count is read from it after the
# timed run.
HC_COUNT='import json,sys; print(json.load(sys.stdin)["total_seats_consumed"])'
measure headcount "$FILE" "$HEADCOUNT" count --records "$FILE" --json

if want duckdb; then
    measure duckdb "$FILE" node "$SCRATCH/duckdb/count.mjs" "$FILE"
fi
if want mawk; then
    measure mawk "$FILE" mawk '
        index($0, "\"suspended\":false") {
            i = index($0, "\"primary_email\":\"")
            s = substr($0, i + 17)
            e = tolower(substr(s, 1, index(s, "\"") - 1))
            sub(/^ +/, "", e)
            sub(/ +$/, "", e)
            if (!(e in seen)) { seen[e] = 1; n++ }
        }
        END { print n + 0 }' "$FILE"
fi
if want grep; then
    # bash for pipefail: a stage that fails must fail the pipeline, not
    # leave wc to count what it got.
    measure "grep | sort -u" "$FILE" env LC_ALL=C bash -o pipefail -c '
        grep -F "\"suspended\":false" "$1" |
        grep -o "\"primary_email\":\"[^\"]*\"" |
        tr "A-Z" "a-z" |
        sed -e "s/^\"primary_email\":\" *//" -e "s/ *\"\$//" |
        sort -u -S 25% | wc -l' sh "$FILE"
fi

if [ "$SLICE_FILE" != "$FILE" ]; then
    measure headcount "$SLICE_FILE" "$HEADCOUNT" count --records \
        "$SLICE_FILE" --json
fi
if want sqlite3; then
    # Imported through a link of a known name: the .import command cannot
    # take a path holding a quote. -bail: a failed import must fail the
    # run, not count an empty table.
    ln -s "$SLICE_FILE" "$TMP/import.ndjson"
    measure sqlite3 "$SLICE_FILE" sqlite3 -bail :memory: \
        -cmd '.mode ascii' -cmd '.separator "\037" "\n"' \
        -cmd 'CREATE TABLE t(line TEXT)' -cmd ".import '$TMP/import.ndjson' t" \
        -cmd '.mode list' \
        "SELECT count(DISTINCT lower(trim(json_extract(line, '\$.primary_email')))) FROM t WHERE json_extract(line, '\$.suspended') = 0"
fi
if want jq; then
    measure jq "$SLICE_FILE" jq -n 'reduce (inputs
        | select(.suspended | not) | .primary_email | ascii_downcase
        | sub("^ +"; "") | sub(" +$"; "")) as $e ({}; .[$e] = 1) | length' \
        "$SLICE_FILE"
fi

# The agreement check per input, then the table. A tool whose count differs
# from headcount's gets no rates in the table: its time is not a result.
# /usr/bin/time gives wall time in hundredths of a second; a run shorter
# than that has no rate either. Peak RSS is the largest process's (for the
# grep | sort pipeline, its largest stage).
EXPECTED=
[ -z "$GEN_LINES" ] || EXPECTED=$(dirname "$FILE")/expected.json
status=0
python3 - "$RESULTS" "$FILE" "$SLICE_FILE" "$EXPECTED" <<'EOF' || status=$?
import json, os, sys
# An exception (an unreadable expected.json, say) is a failure, 2: exit 1
# belongs to a disagreement.
sys.excepthook = lambda t, v, tb: (sys.__excepthook__(t, v, tb), os._exit(2))
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
full, part = sys.argv[2], sys.argv[3]
def lines(path):
    with open(path, 'rb') as f:
        return sum(buf.count(b'\n') for buf in iter(lambda: f.read(1 << 20), b''))
meta = {p: (lines(p), os.path.getsize(p)) for p in {full, part}}
ref = {r[1]: (r[2], float(r[3])) for r in rows if r[0] == 'headcount'}
bad = []
if sys.argv[4]:
    want = str(json.load(open(sys.argv[4]))["github_seats"])
    if ref[full][0] != want:
        bad.append("headcount counted %s, the generator expects %s" % (
            ref[full][0], want))
for name, path, count, wall, kb in rows:
    if count != ref[path][0]:
        bad.append("%s counted %s on %d lines, headcount %s" % (
            name, count, meta[path][0], ref[path][0]))
print("| tool | input | count | wall s | records/s | GB/s | peak RSS MiB | time / headcount |")
print("|---|---|---:|---:|---:|---:|---:|---:|")
for name, path, count, wall, kb in rows:
    n, size = meta[path]
    wall = float(wall)
    agrees = count == ref[path][0]
    rate = "n/a | n/a"
    if agrees and wall > 0:
        rate = "%.2fM | %.3f" % (n / wall / 1e6, size / wall / 1e9)
    ratio = "n/a"
    if agrees and wall > 0 and ref[path][1] > 0:
        ratio = "%.1f×" % (wall / ref[path][1])
    shown = count if agrees else "%s (disagrees)" % count
    print("| %s | %d lines | %s | %.2f | %s | %.0f | %s |" % (
        name.replace("|", "\\|"), n, shown, wall, rate, int(kb) / 1024, ratio))
for b in bad:
    print("DISAGREE: " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
# 1 is the disagreement above; anything else is the table script failing.
[ "$status" -le 1 ] || die "the table script failed"
exit "$status"
