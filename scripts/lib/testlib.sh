# Result bookkeeping for scripts/test: one line per check, and the closing
# 'N passed, N failed[, N skipped]' line. Sourced.

T_PASSED=0
T_FAILED=0
T_SKIPPED=0
T_FAILED_NAMES=()

t_pass() {
	T_PASSED=$((T_PASSED + 1))
	printf 'pass  %s\n' "$1"
}

# t_fail NAME [REASON]
t_fail() {
	T_FAILED=$((T_FAILED + 1))
	T_FAILED_NAMES+=("$1")
	printf 'FAIL  %s%s\n' "$1" "${2:+: $2}"
}

# t_skip NAME REASON: a skip always says why.
t_skip() {
	T_SKIPPED=$((T_SKIPPED + 1))
	printf 'skip  %s: %s\n' "$1" "$2"
}

t_section() { printf '\n== %s\n' "$*"; }

t_summary() {
	echo
	if [ "$T_FAILED" -gt 0 ]; then
		echo "failed:"
		printf '  %s\n' "${T_FAILED_NAMES[@]}"
	fi
	if [ "$T_SKIPPED" -gt 0 ]; then
		echo "$T_PASSED passed, $T_FAILED failed, $T_SKIPPED skipped"
	else
		echo "$T_PASSED passed, $T_FAILED failed"
	fi
	[ "$T_FAILED" -eq 0 ]
}

# t_console_clean NAME LOG: passes when the guest's console shows no CPU
# exception, panic or heap misuse (the heap reports a bad or double free
# and goes on, so a run can answer every request with one in its log).
t_console_clean() {
	local bad
	bad=$(grep -a -m 3 -E '^(fault: |panic: |mm: k(free|realloc)\()' "$2" | tr -d '\r')
	if [ -z "$bad" ]; then
		t_pass "$1: no fault, panic or bad free on the console"
	else
		t_fail "$1: no fault, panic or bad free on the console" "$bad"
	fi
}
