#!/usr/bin/env bash
# Benchmark: the kernel's own start-up, from its first instruction to the
# call of the app's main, with 1 and with 4 vCPUs, as medians over
# repeated -kernel (PVH) boots. The kernel prints the figure on COM1
# ("boot: kernel entry to app N ms") from its TSC stamps.
#
#   bench/boot-kernel.sh [--runs N] [--accel tcg|kvm]     (default 11 runs)
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib/common.sh"
. "$top/scripts/lib/qemu.sh"
. "$top/scripts/lib/bench.sh"

runs=11
bench_args "$@"

"$top/scripts/setup" --quiet
build_tree
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT


echo "medians of $runs boots of build/kernel/skiff.elf, QEMU $SKIFF_ACCEL, q35, 128 MiB (target: < 30 ms with 4 vCPUs)"
for smp in 1 4; do
	: >"$work/times"
	for _ in $(seq "$runs"); do
		qemu_boot 60 "$work/log" -M q35 -m 128M -smp "$smp" \
			-kernel "$top/build/kernel/skiff.elf"
		sed -n 's/.*kernel entry to app \([0-9.]*\) ms.*/\1/p' "$work/log" |
			tr -d '\r' >>"$work/times"
	done
	printf '%d vCPU: kernel entry to app %s ms\n' "$smp" "$(median <"$work/times")"
done
