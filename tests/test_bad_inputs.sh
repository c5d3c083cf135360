#!/bin/sh
# Runs `headcount count` on every malformed input listed in
# tests/data/bad/EXPECTED and checks, for each: the exit code; that stderr
# names the file and line ("FILE:LINE", or "FILE:" when no line applies)
# and contains the expected message fragment; that nothing is printed on
# stdout; and that a --report file that existed before is left untouched.
# Inputs too large to commit (@huge_field: an 80 MB field; @deep_json:
# 200k-deep nesting; @gzip_bomb: 256 MiB of zeros, gzipped) and the
# @missing / @directory cases are made here.
#
# usage: test_bad_inputs.sh PATH/TO/headcount
set -u
bin=${1:?usage: test_bad_inputs.sh HEADCOUNT}
here=$(cd "$(dirname "$0")" && pwd)
data=${HC_TEST_DATA:-$here/data}
expected=$data/bad/EXPECTED
work=$(mktemp -d "${TMPDIR:-/tmp}/hc_bad_inputs.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT INT TERM

# n copies of one character, without a scripting language.
repeat() {
    head -c "$2" /dev/zero | tr '\0' "$1"
}

make_input() {
    case $1 in
    @huge_field)
        f=$work/huge_field.csv
        {
            printf 'created_at,id,login,email,role,suspended?,last_logged_ip,'
            printf 'repos,ssh_keys,org_memberships,dormant?,last_active,'
            printf 'raw_login,2fa_enabled?\n'
            printf '2020-01-01 00:00:00 UTC,1,a,a@corp.example,user,false,,'
            printf '0,0,0,false,,'
            repeat x 83886080
            printf ',false\n'
        } >"$f"
        ;;
    @deep_json)
        f=$work/deep.ndjson
        {
            printf '{"kind":"ghes","x":'
            repeat '[' 200000
            repeat ']' 200000
            printf '}\n'
        } >"$f"
        ;;
    @gzip_bomb)
        f=$work/bomb.ndjson.gz
        head -c 268435456 /dev/zero | gzip -9 >"$f"
        ;;
    @missing) f=$work/does-not-exist ;;
    @directory)
        f=$work/a-directory
        mkdir -p "$f"
        ;;
    *) f=$data/bad/$1 ;;
    esac
    printf '%s' "$f"
}

fails=0
count=0
while IFS= read -r entry; do
    case $entry in '' | '#'*) continue ;; esac
    # name flag exit line fragment...
    set -f
    # shellcheck disable=SC2086
    set -- $entry
    set +f
    name=$1 flag=$2 code=$3 line=$4
    shift 4
    frag=$*
    file=$(make_input "$name")
    case $flag in
    ghes) set -- --ghes "ghe.example=$file" ;;
    ghes-bare) set -- --ghes "$file" ;;
    ghec) set -- --ghec "$file" ;;
    records) set -- --records "$file" ;;
    *)
        echo "EXPECTED: unknown flag '$flag' for $name" >&2
        fails=$((fails + 1))
        continue
        ;;
    esac
    report=$work/report.json
    printf '{"previous": "report"}\n' >"$report"
    cp "$report" "$work/report.before"
    "$bin" count "$@" --report "$report" >"$work/out" 2>"$work/err"
    rc=$?
    count=$((count + 1))
    # "FILE:LINE:" exactly (not FILE:31: for line 3), or "FILE: " for a
    # diagnostic that names no line.
    where="$file: "
    [ "$line" != "-" ] && where="$file:$line:"
    problem=""
    [ "$rc" -eq "$code" ] || problem="exit $rc, expected $code"
    grep -qF -- "$where" "$work/err" ||
        problem="$problem; stderr does not name '$where'"
    grep -qF -- "$frag" "$work/err" ||
        problem="$problem; stderr lacks '$frag'"
    [ -s "$work/out" ] && problem="$problem; stdout is not empty"
    cmp -s "$report" "$work/report.before" ||
        problem="$problem; the existing report was modified"
    case $name in @huge_field | @deep_json | @gzip_bomb) rm -f "$file" ;; esac
    if [ -n "$problem" ]; then
        fails=$((fails + 1))
        echo "FAIL $name ($flag): ${problem#; }" >&2
        sed 's/^/    stderr: /' "$work/err" | head -5 >&2
    fi
done <"$expected"

if [ "$count" -lt 40 ]; then
    echo "FAIL: only $count malformed inputs were checked" >&2
    exit 1
fi
if [ "$fails" -ne 0 ]; then
    echo "$fails of $count malformed inputs misbehaved" >&2
    exit 1
fi
echo "all $count malformed inputs rejected as expected"
