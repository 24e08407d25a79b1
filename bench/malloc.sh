#!/usr/bin/env bash
# Benchmark: malloc/free throughput, the unikernel's C library (newlib,
# libc-glue's malloc on the kernel heap) against the host's (glibc), with
# bench/malloc.c on 1 and 4 threads; medians, and their ratio.
#
#   bench/malloc.sh [--runs N] [--rounds N] [--accel tcg|kvm] [--build DIR]
#
# --runs: measurements per VM boot and per native process (default 5);
# --rounds: malloc/free rounds per thread and measurement (500000).
#
# Same CPUs for both: the 1-thread runs (QEMU with 1 vCPU, and the native
# program) are pinned to one host CPU, the 4-thread runs (4 vCPUs, and 4
# native threads) to min(4, host CPUs) host CPUs, with taskset. On a
# 2-core host both sides then share 2 cores among 4 threads, which is
# what a 4-vCPU guest gets there. Under TCG (the default) the cost of
# emulating the guest is part of the unikernel's figure: it is a
# unikernel-under-QEMU against native-on-host comparison, reported as it
# is. The target is the unikernel within 1.5x of native (its time per
# operation at most 1.5 times native's). The native program is built
# here with gcc -O2, the compiler and level of the image. An operation
# is one malloc or one free.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib/common.sh"
. "$top/scripts/lib/qemu.sh"
. "$top/scripts/lib/bench.sh"

# --build DIR measures the image of an existing meson build directory as
# it is; by default the tree is built in build/ first.
runs=5
rounds=500000
build=""
args=()
while [ $# -gt 0 ]; do
	case "$1" in
	--build)
		[ $# -ge 2 ] || die "malloc: --build needs a directory"
		build=$2
		shift 2
		;;
	--rounds)
		[ $# -ge 2 ] || die "malloc: --rounds needs a number"
		rounds=$2
		shift 2
		;;
	*) args+=("$1"); shift ;;
	esac
done
bench_args ${args[@]+"${args[@]}"}
case "$runs$rounds" in *[!0-9]*) die "malloc: --runs and --rounds take numbers" ;; esac

if [ -z "$build" ]; then
	"$top/scripts/setup" --quiet
	build_tree
	build=$top/build
fi
image=$build/bench/malloc-bench.elf
[ -f "$image" ] || die "malloc: no $image"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gcc -std=gnu11 -O2 -g -pthread -o "$work/malloc-native" "$top/bench/malloc.c" ||
	die "malloc: could not build the native program"

host_cpus=$(nproc)

# ops_list FILE: the ops/s of each "malloc-bench:" line of FILE.
ops_list() {
	tr -d '\r' <"$1" | sed -n 's/^malloc-bench: .*, \([0-9]*\) ops\/s$/\1/p'
}

# summary NAME FILE: "NAME X.XX M ops/s", with how many runs finished if
# not all did; sets $median ("n/a" if none did).
summary() {
	local n
	median=$(ops_list "$2" | median)
	n=$(ops_list "$2" | wc -l)
	if [ "$median" = n/a ]; then
		printf '%s n/a' "$1"
	else
		awk -v m="$median" -v s="$1" 'BEGIN { printf "%s %.2f M ops/s", s, m / 1e6 }'
	fi
	[ "$n" = "$runs" ] || printf ' (%d of %d runs)' "$n" "$runs"
}

echo "malloc/free throughput, medians of $runs runs of $rounds rounds per thread;"
echo "unikernel: QEMU $SKIFF_ACCEL, q35, 256 MiB, PVH boot; native: $(gcc -dumpfullversion) -O2, glibc $(ldd --version | head -n 1 | awk '{print $NF}')"
echo "(target: unikernel within 1.5x of native)"
for threads in 1 4; do
	ncpu=$((threads < host_cpus ? threads : host_cpus))
	cpus=0-$((ncpu - 1))
	log=$work/vm-$threads.log
	# Bounded: 120 s, plus 4 s per million operations in all (a healthy
	# guest needs well under 1 s per million).
	limit=$((120 + runs * rounds * threads / 250000))
	(
		taskset -cp "$cpus" "$BASHPID" >/dev/null
		qemu_boot "$limit" "$log" -M q35 -m 256M -smp "$threads" \
			-kernel "$image" -append "-- $threads $rounds $runs"
		[ "$GUEST_STATUS" = 0 ] || {
			echo "malloc: unikernel, $threads threads: $QEMU_WHY" >&2
			tail -n 20 "$log" >&2
		}
	)
	timeout --kill-after=5 "$limit" taskset -c "$cpus" \
		"$work/malloc-native" "$threads" "$rounds" "$runs" \
		>"$work/native-$threads.log" ||
		echo "malloc: native, $threads threads: failed" >&2
	printf '%d thread%s (%d host CPU%s): ' "$threads" \
		"$([ "$threads" = 1 ] || echo s)" "$ncpu" \
		"$([ "$ncpu" = 1 ] || echo s)"
	summary unikernel "$log"
	uk=$median
	summary ", native" "$work/native-$threads.log"
	nat=$median
	case "$uk$nat" in
	*n/a*) printf '\n' ;;
	*) awk -v u="$uk" -v n="$nat" 'BEGIN {
		r = n / u
		printf "; unikernel/native time per op %.2fx (%s)\n", r,
			r <= 1.5 ? "target met" : "target missed"
	}' ;;
	esac
done
