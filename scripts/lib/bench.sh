# Helpers shared by the benchmarks in bench/. Sourced after common.sh and
# qemu.sh.

# median: the median of the numbers on standard input, one per line.
median() {
	sort -n | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print "n/a"}'
}

# field LABEL FILE: the median of "LABEL N ms" over the lines of FILE.
field() {
	sed -n "s/.*$1 \([0-9.]*\) ms.*/\1/p" "$2" | median
}

# bench_args "$@": the options every benchmark takes (--runs N, --accel
# tcg|kvm, --help with the script's header); sets runs and SKIFF_ACCEL.
bench_args() {
	while [ $# -gt 0 ]; do
		case "$1" in
		--runs) runs=$2; shift ;;
		--accel) SKIFF_ACCEL=$2; shift ;;
		-h | --help) sed -n '2,9p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;;
		*) die "$(basename "$0"): unknown argument '$1'" ;;
		esac
		shift
	done
}
