#!/usr/bin/env bash
# Benchmark: BIOS boot time, MBR first instruction to kernel entry, from
# the TSC stamps in the boot info (the kernel prints them on COM1), as a
# median over repeated boots; next to CPU reset to MBR (SeaBIOS), and the
# size of the boot code on disk. Uses TCG unless --accel kvm.
#
#   bench/boot-bios.sh [--runs N] [--accel tcg|kvm]
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


# bench_config NAME KERNEL [qemu args]: prints median loader->kernel,
# median reset->loader, and the per-phase medians.
bench_config() {
	local name=$1 kernel=$2 img=$work/$1.raw l r s f ld e
	shift 2
	"$top/scripts/mkimage" --build-dir "$top/build" --kernel "$kernel" \
		--out "$img" >/dev/null || die "boot-bios: mkimage failed"
	: >"$work/$name.times"
	for _ in $(seq "$runs"); do
		qemu_boot 60 "$work/$name.log" -m 128M "$@" \
			-drive "file=$img,format=raw,if=none,id=d0" \
			-device "$DISK_DEV,drive=d0,bootindex=0"
		grep -o 'boot: .*' "$work/$name.log" | tr -d '\r' >>"$work/$name.times"
	done
	local t=$work/$name.times
	l=$(field 'loader to kernel' "$t")
	r=$(field 'reset to loader' "$t")
	s=$(field '(stage 2' "$t")
	f=$(field ', fs' "$t")
	ld=$(field ', load' "$t")
	e=$(field ', enter' "$t")
	printf '%-28s %10s %10s %10s %10s %10s %12s\n' "$name" "$l" "$s" "$f" "$ld" "$e" "$r"
}

mbr=440
stage2=$(stat -c %s "$top/build/boot/stage2.bin")
echo "boot code on disk: MBR $mbr bytes + stage 2 $stage2 bytes = $((mbr + stage2)) bytes (target < 32768)"
echo "kernel sizes: skiff.elf $(stat -c %s "$top/build/kernel/skiff.elf") bytes, skiff-1m.elf $(stat -c %s "$top/build/bench/skiff-1m.elf") bytes"
echo "medians of $runs boots, QEMU $SKIFF_ACCEL, in ms (target: MBR to kernel < 25 ms for a 1 MiB kernel)"
printf '%-28s %10s %10s %10s %10s %10s %12s\n' config "MBR->kern" "->stage2" "fs" "load" "enter" "reset->MBR"
DISK_DEV=scsi-hd bench_config "q35 virtio-scsi 1M kernel" \
	"$top/build/bench/skiff-1m.elf" -M q35 -device virtio-scsi-pci
DISK_DEV=virtio-blk-pci bench_config "q35 virtio-blk 1M kernel" \
	"$top/build/bench/skiff-1m.elf" -M q35
DISK_DEV=ide-hd bench_config "pc IDE 1M kernel" \
	"$top/build/bench/skiff-1m.elf" -M pc
DISK_DEV=virtio-blk-pci bench_config "q35 virtio-blk small kernel" \
	"$top/build/kernel/skiff.elf" -M q35
