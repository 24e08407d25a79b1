#!/usr/bin/env bash
# Benchmark: the kernel's own start-up, from its first instruction to the
# call of the app's main, with 1 and with 4 vCPUs, as medians over
# repeated -kernel (PVH) boots; with 4, also the AP start-up alone. The
# kernel prints both on COM1 ("smp: ... online in N ms", "boot: kernel
# entry to app N ms") from its TSC stamps.
#
#   bench/boot-kernel.sh [--runs N] [--accel tcg|kvm] [--build DIR]
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib/common.sh"
. "$top/scripts/lib/qemu.sh"
. "$top/scripts/lib/bench.sh"

# --build DIR measures the kernel of an existing meson build directory as
# it is; by default the tree is built in build/ first.
runs=11
build=""
args=()
while [ $# -gt 0 ]; do
	case "$1" in
	--build)
		[ $# -ge 2 ] || die "boot-kernel: --build needs a directory"
		build=$2
		shift 2
		;;
	*) args+=("$1"); shift ;;
	esac
done
bench_args ${args[@]+"${args[@]}"}

if [ -z "$build" ]; then
	"$top/scripts/setup" --quiet
	build_tree
	build=$top/build
fi
kernel=$build/kernel/skiff.elf
[ -f "$kernel" ] || die "boot-kernel: no $kernel"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "medians of $runs boots of $kernel, QEMU $SKIFF_ACCEL, q35, 128 MiB (target: < 30 ms with 4 vCPUs)"
for smp in 1 4; do
	: >"$work/times"
	for _ in $(seq "$runs"); do
		qemu_boot 60 "$work/log" -M q35 -m 128M -smp "$smp" \
			-kernel "$kernel"
		tr -d '\r' <"$work/log" >>"$work/times"
	done
	printf '%d vCPU: kernel entry to app %s ms' "$smp" \
		"$(field 'kernel entry to app' "$work/times")"
	[ "$smp" = 1 ] || printf ' (AP start-up %s ms)' \
		"$(field 'CPUs online in' "$work/times")"
	printf '\n'
done
