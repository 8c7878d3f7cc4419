# Helpers shared by .ci/run, .ci/wheel.sh and the tools/ scripts it calls (sourced, not run).

# timed NAME COMMAND...: runs COMMAND and appends "SECONDS<TAB>NAME<TAB>STATUS" to the file named by
# $CI_TIMES (when set), so that .ci/run can print one table of stage times at the end, failed
# stages included. Returns COMMAND's status. COMMAND runs in a subshell of its own (so variables it
# sets do not outlive it), started in the background and waited for: a command on the left of `||`
# would run with `set -e` switched off, and a failing step inside a stage would go unnoticed.
timed() {
    local name=$1 start=$SECONDS status=0
    shift
    echo "== $name"
    ( set -e; "$@" ) &
    wait $! || status=$?
    if [ -n "${CI_TIMES:-}" ]; then
        printf '%s\t%s\t%s\n' "$((SECONDS - start))" "$name" "$([ $status = 0 ] && echo ok || echo FAILED)" \
            >>"$CI_TIMES"
    fi
    return $status
}

# print_times FILE: the stage table, with the total.
print_times() {
    [ -s "$1" ] || return 0
    awk -F'\t' '
        BEGIN { printf "\n%-62s %7s  %s\n", "stage", "seconds", "status"; line() }
        { printf "%-62s %7d  %s\n", $2, $1, $3; total += $1 }
        END { line(); printf "%-62s %7d  (%d min %02d s)\n", "total", total, total / 60, total % 60 }
        function line() { printf "%s\n", "---------------------------------------------------------------------------------" }
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
