# shellcheck shell=bash
# Helpers shared by the end-to-end tests; sourced, never run on its own.
#
# Each test generates synthetic exports with hc_gen, runs the real headcount
# binary on them and compares what it prints with the generator's
# expected.json, whose counts come from the generator's own model of which
# accounts are the same person. The seed is fixed so that every run checks
# the same data; HC_E2E_SEED overrides it, and every failure prints it.
#
# Usage in a test:  . "$(dirname "$0")/e2e_lib.sh" "$@"
# ($1 is the headcount binary, $2 the hc_gen binary.)

set -euo pipefail

if [ $# -lt 2 ]; then
    echo "usage: $0 HEADCOUNT HC_GEN" >&2
    exit 2
fi
HC=$1
GEN=$2
SEED=${HC_E2E_SEED:-20240611}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/hc_e2e.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
CHECKS=0
# The interpreter itself, not a version-manager shim that would cost half
# a second per call.
PY=$(python3 -c 'import sys; print(sys.executable)') ||
    { echo "python3 is required" >&2; exit 1; }

fail() {
    echo "FAIL: $*" >&2
    echo "seed: $SEED (rerun with HC_E2E_SEED=$SEED)" >&2
    exit 1
}

# gen DIR ARGS...: runs hc_gen with the test seed into DIR.
gen() {
    local dir=$1
    shift
    "$GEN" --seed "$SEED" --out "$dir" "$@" || fail "hc_gen $*"
}

# hc_count OUT ARGS...: headcount count --json ARGS > OUT; fails unless it
# exits 0.
hc_count() {
    local out=$1
    shift
    local rc=0
    "$HC" count --json "$@" >"$out" 2>"$out.err" || rc=$?
    if [ "$rc" -ne 0 ]; then
        cat "$out.err" >&2
        fail "headcount count $* exited $rc"
    fi
}

# ghes_csv_args DIR: prints "--ghes HOST=PATH" pairs (one word a line) for
# every all_users.csv report in DIR, in host order (or reversed with -r).
ghes_csv_args() {
    local f h
    for f in "$1"/*.all_users.csv; do
        h=$(basename "$f" .all_users.csv)
        printf -- '--ghes\n%s=%s\n' "$h" "$f"
    done | if [ "${2:-}" = -r ]; then paste - - | sort -r | tr '\t' '\n'; else cat; fi
}

# check_summary LABEL SUMMARY EXPECTED POLICY EXT_KEY [VD]
# Compares the --json summary with expected.json. EXT_KEY names the
# expected extended count for this input: inputs without GHES secondary
# emails (the CSV report) give extended_seats_primary_only. VD, when given,
# says the count ran with VD_ARGS below: persons without a verified-domain
# email must then match the generator's (policy github), else be null.
check_summary() {
    "$PY" - "$@" <<'EOF' || fail "$1: summary differs from expected.json"
import json, sys
label, summary, expected, policy, ext_key = sys.argv[1:6]
vd = len(sys.argv) > 6
got = json.load(open(summary, encoding="utf-8"))
exp = json.load(open(expected, encoding="utf-8"))
gh, ext = exp["github_seats"], exp[ext_key]
want = {
    "policy": policy,
    "normalization": "norm_v1",
    "rules": "rules_v1",
    "total_seats_consumed": gh if policy == "github" else ext,
    "persons": gh if policy == "github" else ext,
    "github_seats": gh,
    "extended_seats": ext,
    "potential_savings": gh - ext,
    "ghec_accounts": exp["ghec_accounts"],
    "ghes_accounts": exp["ghes_accounts"],
    "ghes_accounts_matched": exp["ghes_accounts_matched"],
    "keyless_accounts": exp["keyless_accounts"],
    "suspended_accounts": exp["suspended_accounts"],
    "system_accounts": exp["system_accounts"],
    "rejected_rows": 0,
}
if policy == "github":
    want["ghes_only_persons"] = gh - exp["ghec_accounts"]
novd = "persons_without_verified_domain_email"
if not vd:
    want[novd] = None
elif policy == "github":
    want[novd] = exp[novd + ("_primary_only" if
                             ext_key.endswith("_primary_only") else "")]
bad = []
for k, v in want.items():
    if k not in got:
        bad.append("%s: missing (expected %r)" % (k, v))
    elif got[k] != v:
        bad.append("%s: got %r, expected %r" % (k, got[k], v))
if vd and policy != "github" and not isinstance(got.get(novd), int):
    bad.append("%s: %r, expected a count" % (novd, got.get(novd)))
for b in bad:
    print("%s: %s" % (label, b), file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
    CHECKS=$((CHECKS + 1))
}

# The verified domains of the generated population (hc_gen person_novd).
VD_ARGS=(--verified-domains "corp.example,*.corp.example")

# run_check LABEL POLICY EXT_KEY EXPECTED ARGS...: count and compare.
run_check() {
    local label=$1 policy=$2 ext_key=$3 expected=$4
    shift 4
    local out="$WORK/summary.$CHECKS.json"
    hc_count "$out" --policy "$policy" "$@"
    check_summary "$label" "$out" "$expected" "$policy" "$ext_key"
}

# run_check_vd: run_check with VD_ARGS, checking the verified-domain count.
run_check_vd() {
    local label=$1 policy=$2 ext_key=$3 expected=$4
    shift 4
    local out="$WORK/summary.$CHECKS.json"
    hc_count "$out" --policy "$policy" "${VD_ARGS[@]}" "$@"
    check_summary "$label" "$out" "$expected" "$policy" "$ext_key" vd
}

done_ok() {
    echo "ok: $CHECKS checks, seed $SEED"
}
