#!/bin/bash
# Run a loader fuzz harness on seeds made here with mke2fs or sfdisk (no
# third-party data): run-fuzz.sh FUZZER ext2|part WORKDIR [libFuzzer args].
# New inputs collect in WORKDIR/corpus; crashes land in WORKDIR as
# crash-*. Without extra arguments it runs for 15 s.
set -eu
fuzzer=$1 kind=$2 work=$3
shift 3
[ $# -gt 0 ] || set -- -max_total_time=15
seeds=$work/seeds
mkdir -p "$seeds" "$work/corpus"
export PATH=$PATH:/sbin:/usr/sbin
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkfs() { # image size mke2fs-options...
	local img=$1 size=$2
	shift 2
	rm -f "$img"
	truncate -s "$size" "$img"
	mke2fs -q -F -E root_owner=0:0 -d "$tmp/src" "$@" "$img" >/dev/null
}

if [ -z "$(ls -A "$seeds")" ]; then
	case $kind in
	ext2)
		mkdir -p "$tmp/src/boot"
		head -c 20000 /dev/urandom >"$tmp/src/boot/app.elf"
		ln -s boot "$tmp/src/s"
		ln -s "/boot/$(printf 'x%.0s' {1..70})" "$tmp/src/boot/big"
		mkfs "$seeds/ext2-1k" 128K -t ext2 -b 1024 -N 16
		mkfs "$seeds/ext2-rev0" 128K -t ext2 -b 1024 -N 16 -r 0
		mkfs "$seeds/ext4-1k" 256K -t ext4 -b 1024 -N 16 -O ^has_journal
		;;
	part)
		truncate -s 48K "$seeds/mbr"
		printf 'label: dos\nstart=1, size=20, type=83, bootable\nstart=21, size=60, type=5\nstart=22, size=10, type=83\nstart=33, size=10, type=c\n' |
			sfdisk -q "$seeds/mbr"
		truncate -s 48K "$seeds/gpt"
		printf 'label: gpt\nfirst-lba: 34\nstart=34, size=20, type=linux\nstart=54, size=8, type=uefi\n' |
			sfdisk -q "$seeds/gpt"
		cp "$seeds/gpt" "$seeds/gpt-fixcrc"
		printf '\001' | dd of="$seeds/gpt-fixcrc" conv=notrunc status=none
		;;
	*)
		echo "run-fuzz.sh: unknown kind $kind" >&2
		exit 2
		;;
	esac
fi
exec "$fuzzer" -artifact_prefix="$work/" "$@" "$work/corpus" "$seeds"
