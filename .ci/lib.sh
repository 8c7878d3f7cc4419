# Helpers shared by .ci/run, .ci/wheel.sh and the tools/ scripts it calls (sourced, not run).

# timed NAME COMMAND...: runs COMMAND and appends "SECONDS<TAB>NAME<TAB>STATUS<TAB>CPU<TAB>LANE" to the file
# named by $CI_TIMES (when set), so that .ci/run can print one table of stage times at the end,
# failed stages included. CPU is the user + system time of COMMAND and everything it started: on a
# shared machine the wall time depends on the neighbours, the CPU time much less. Returns
# COMMAND's status. LANE is $CI_LANE (1 unless set: .ci/run runs two lanes side by side). COMMAND runs in a subshell of its own (so variables it sets do not outlive it),
# started in the background and waited for: a command on the left of `||` would run with `set -e`
# switched off, and a failing step inside a stage would go unnoticed.
timed() {
    local name=$1 start=$SECONDS status=0 cpu0 cpu1
    shift
    echo "== $name"
    times >"${TMPDIR:-/tmp}/ci-times.$$"
    cpu0=$(children_cpu "${TMPDIR:-/tmp}/ci-times.$$")
    ( set -e; "$@" ) &
    wait $! || status=$?
    times >"${TMPDIR:-/tmp}/ci-times.$$"
    cpu1=$(children_cpu "${TMPDIR:-/tmp}/ci-times.$$")
    rm -f "${TMPDIR:-/tmp}/ci-times.$$"
    if [ -n "${CI_TIMES:-}" ]; then
        printf '%s\t%s\t%s\t%s\t%s\n' "$((SECONDS - start))" "$name" "$([ $status = 0 ] && echo ok || echo FAILED)" \
            "$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.0f", b - a }')" "${CI_LANE:-1}" >>"$CI_TIMES"
    fi
    return $status
}

# children_cpu FILE: the user + system seconds of the shell's finished children, from the output
# of bash's `times` in FILE (`times` must run in the shell itself, not in a $(...) subshell).
children_cpu() {
    tail -n 1 "$1" | awk '{ t = 0; for (i = 1; i <= 2; i++) { split($i, p, "m"); t += p[1] * 60 + p[2] } printf "%.1f", t }'
}

# print_times FILE [ELAPSED]: the stage table, with the sums per lane, and ELAPSED (the whole run's
# wall seconds, when given: with two lanes side by side it is less than the sum of the stages).
print_times() {
    [ -s "$1" ] || return 0
    awk -F'\t' -v elapsed="${2:-}" '
        BEGIN { printf "\n%-66s %4s %7s %7s  %s\n", "stage", "lane", "wall s", "cpu s", "status"; line() }
        { printf "%-66s %4s %7d %7d  %s\n", $2, $5, $1, $4, $3; wall[$5] += $1; cpu += $4 }
        END {
            line()
            for (lane = 1; lane <= 9; lane++) if (lane in wall) printf "%-66s %4s %7d\n", "sum of the lane'"'"'s stages", lane, wall[lane]
            printf "%-66s %4s %7s %7d\n", "cpu, all stages", "", "", cpu
            if (elapsed != "") printf "%-66s %4s %7d  (%d min %02d s)\n", "elapsed", "", elapsed, elapsed / 60, elapsed % 60
            "uptime" | getline up; printf "load at the end: %s\n", up
        }
        function line() { printf "%s\n", "-------------------------------------------------------------------------------------------------" }
    ' "$1"
}

# smoke_tests DIR: the smoke subset of the test suite in DIR (one file per line in .ci/smoke-tests),
# run against the builds other than the one the full suite tests.
smoke_tests() {
    local dir=$1 here
    here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
    sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$here/smoke-tests" | while read -r f; do echo "$dir/$f"; done
}

# apt_install PACKAGE...: installs the packages that are not installed yet (CI runs as root).
apt_install() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "   apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
}
