#!/usr/bin/env bash
# Benchmark: UEFI loader time, from BOOTX64.EFI's entry through
# ExitBootServices to the kernel's first instruction, from the TSC stamps
# in the boot info, as medians over repeated OVMF boots; next to OVMF's
# own time (CPU reset to our entry) and the size of BOOTX64.EFI.
#
#   bench/boot-uefi.sh [--runs N] [--accel tcg|kvm]     (default 5 runs)
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib/common.sh"
. "$top/scripts/lib/qemu.sh"
. "$top/scripts/lib/bench.sh"

runs=5
bench_args "$@"

"$top/scripts/setup" --quiet
build_tree
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT


bench_config() {
	local name=$1 kernel=$2 img=$work/$1.raw
	shift 2
	"$top/scripts/mkimage" --build-dir "$top/build" --kernel "$kernel" \
		--out "$img" >/dev/null || die "boot-uefi: mkimage failed"
	: >"$work/$name.times"
	for _ in $(seq "$runs"); do
		cp /usr/share/OVMF/OVMF_VARS_4M.fd "$work/vars.fd"
		qemu_boot 120 "$work/$name.log" -M q35 -m 256M \
			-drive if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd \
			-drive if=pflash,format=raw,unit=1,file="$work/vars.fd" \
			-drive "file=$img,format=raw,if=virtio" "$@"
		grep -ao 'boot: .*' "$work/$name.log" | tr -d '\r' >>"$work/$name.times"
	done
	printf '%-26s %10s %8s %8s %8s %8s %12s\n' "$name" \
		"$(field 'loader to kernel' "$work/$name.times")" \
		"$(field 'fs' "$work/$name.times")" \
		"$(field 'load' "$work/$name.times")" \
		"$(field 'exit' "$work/$name.times")" \
		"$(field 'enter' "$work/$name.times")" \
		"$(field 'reset to loader' "$work/$name.times")"
}

echo "BOOTX64.EFI: $(stat -c %s "$top/build/uefi/BOOTX64.EFI") bytes (target < 65536)"
echo "medians of $runs OVMF boots, QEMU $SKIFF_ACCEL, virtio-blk, in ms"
printf '%-26s %10s %8s %8s %8s %8s %12s\n' config "entry->kern" fs load exit enter "reset->entry"
bench_config "1 MiB kernel" "$top/build/bench/skiff-1m.elf"
bench_config "76 KiB kernel" "$top/build/kernel/skiff.elf"
