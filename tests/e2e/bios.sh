# BIOS boots of real disk images (SeaBIOS, QEMU's default firmware), for
# scripts/test: sourced, with testlib.sh and qemu.sh loaded and $build and
# $logs set. The kernel on every image is the in-guest test image, so each
# boot also checks the boot info (memory map, command line, firmware kind,
# time stamps, modules) from inside.



# mk NAME [mkimage args...]: build $bios_img_dir/NAME.raw with the test
# kernel; on failure the case fails and the function returns 1.
bios_mk() {
	local name=$1
	shift
	if ! "$top/scripts/mkimage" --build-dir "$build" \
		--kernel "$build/tests/guest/guest-tests.elf" \
		--out "$bios_img_dir/$name.raw" "$@" >"$logs/mk-$name.log" 2>&1; then
		t_fail "bios[$name]: mkimage" "$(tail -n 1 "$logs/mk-$name.log")"
		return 1
	fi
}

# bios_boot NAME [qemu args...]: boot NAME.raw and record each guest test.
bios_boot() {
	local name=$1
	shift
	guest_suite "bios:$name" "$logs/bios-$name.log" "$@"
}

# The first sector and size of the ext2 (Linux) partition of an image.
bios_ext2_part() {
	sfdisk --json "$1" | python3 -c '
import json, sys
p = [p for p in json.load(sys.stdin)["partitiontable"]["partitions"]
     if p["type"].lower() in ("83", "0fc63daf-8483-4772-8e79-3d69d8477de4")][0]
print(p["start"], p["size"])'
}

# Edit the ext2 file system inside an image with debugfs: the partition
# is copied out (sparse), edited and copied back.
bios_edit_fs() {
	local img=$1 cmds=$2 start size
	read -r start size < <(bios_ext2_part "$img")
	dd if="$img" of="$img.fs" bs=512 skip="$start" count="$size" \
		conv=sparse status=none
	debugfs -w -f "$cmds" "$img.fs" >"$img.debugfs.log" 2>&1
	dd if="$img.fs" of="$img" bs=512 seek="$start" conv=sparse,notrunc \
		status=none
	rm -f "$img.fs"
}

# bios_expect_error NAME PATTERN [drive args]: the loader must print a line
# matching PATTERN and then stay halted (no reset, no reboot loop). The
# disk is bad-NAME.raw on IDE unless drive arguments are given.
bios_expect_error() {
	local name=$1 pattern=$2 log=$logs/bios-bad-$1.log
	shift 2
	[ $# -gt 0 ] ||
		set -- -drive "file=$bios_img_dir/bad-$name.raw,format=raw,if=ide"
	qemu_boot_until 30 "$log" "$pattern" -M pc -m 64M "$@"
	if [ "$QEMU_MATCHED" = 1 ] && [ "$QEMU_ALIVE" = 1 ] &&
		grep -q 'skiff: .*halted' "$log"; then
		t_pass "bios bad input: $name: $(grep -Em1 "$pattern" "$log" | tr -d '\r')"
	else
		t_fail "bios bad input: $name" "$QEMU_WHY (alive: $QEMU_ALIVE)"
		show_log "$log"
	fi
}

run_bios_tests() {
	bios_img_dir=$logs/bios-images
	local marker="ktest.marker=1 ktest.firmware=bios"
	local mod=$logs/module.txt
	rm -rf "$bios_img_dir"
	mkdir -p "$bios_img_dir"

	t_section "BIOS boots (SeaBIOS, our MBR + stage 2, QEMU $SKIFF_ACCEL)"
	if [ ! -f "$build/boot/stage2.bin" ] || [ ! -f "$build/boot/mbr.bin" ]; then
		t_fail "bios: boot code built"
		return
	fi
	t_pass "bios: MBR 440 bytes, stage 2 $(stat -c %s "$build/boot/stage2.bin") bytes"

	# GCE-like: the default 1 GiB MBR image on virtio-scsi, q35, 4 vCPUs.
	bios_mk gce --cmdline "$marker ktest.cpus=4" &&
		bios_boot gce -M q35 -m 2G -smp 4 \
			-device virtio-scsi-pci,id=scsi \
			-drive file="$bios_img_dir/gce.raw",format=raw,if=none,id=d0 \
			-device scsi-hd,drive=d0,bootindex=0
	bios_mk pc-ide --size 64M --cmdline "$marker" &&
		bios_boot pc-ide -M pc -m 32M \
			-drive file="$bios_img_dir/pc-ide.raw",format=raw,if=ide
	bios_mk gpt-virtio --size 64M --partition gpt \
		--cmdline "$marker ktest.cpus=2" &&
		bios_boot gpt-virtio -M pc -m 2G -smp 2 \
			-drive file="$bios_img_dir/gpt-virtio.raw",format=raw,if=virtio
	bios_mk gpt-ahci --size 64M --partition gpt --cmdline "$marker" &&
		bios_boot gpt-ahci -M q35 -m 32M \
			-drive file="$bios_img_dir/gpt-ahci.raw",format=raw,if=ide
	bios_mk gpt-scsi --size 64M --partition gpt --cmdline "$marker" &&
		bios_boot gpt-scsi -M pc -m 128M \
			-device virtio-scsi-pci,id=scsi \
			-drive file="$bios_img_dir/gpt-scsi.raw",format=raw,if=none,id=d0 \
			-device scsi-hd,drive=d0,bootindex=0

	# ext2 variants through the whole boot path.
	bios_mk ext2-4k --size 64M --mkfs-options "-b 4096 -I 256" \
		--cmdline "$marker" &&
		bios_boot ext2-4k -M q35 -m 128M \
			-drive file="$bios_img_dir/ext2-4k.raw",format=raw,if=virtio
	bios_mk ext2-rev0 --size 64M --mkfs-options "-r 0" --cmdline "$marker" &&
		bios_boot ext2-rev0 -M pc -m 64M \
			-drive file="$bios_img_dir/ext2-rev0.raw",format=raw,if=ide
	bios_mk ext4 --size 64M --mkfs-options "-t ext4" --cmdline "$marker" &&
		bios_boot ext4 -M q35 -m 128M \
			-drive file="$bios_img_dir/ext4.raw",format=raw,if=virtio

	# A module listed in boot.cfg reaches the kernel intact.
	printf 'hello from the boot disk\n' >"$mod"
	bios_mk module --size 64M --add "$mod:/data/hello.txt" \
		--cmdline "$marker ktest.module=/data/hello.txt:hello" &&
		bios_boot module -M pc -m 64M \
			-drive file="$bios_img_dir/module.raw",format=raw,if=ide

	# A kernel hash recorded in boot.cfg is checked.
	bios_mk sha --size 64M --sha256 --cmdline "$marker" &&
		bios_boot sha -M pc -m 64M \
			-drive file="$bios_img_dir/sha.raw",format=raw,if=ide

	# The loader never writes to the disk.
	if [ -f "$bios_img_dir/pc-ide.raw" ]; then
		local before after
		before=$(sha256sum <"$bios_img_dir/pc-ide.raw")
		qemu_boot 60 "$logs/bios-ro.log" -M pc -m 64M \
			-drive file="$bios_img_dir/pc-ide.raw",format=raw,if=ide \
			>/dev/null
		after=$(sha256sum <"$bios_img_dir/pc-ide.raw")
		if [ "$before" = "$after" ] && [ "$GUEST_STATUS" = 0 ]; then
			t_pass "bios: the disk is unchanged after a boot"
		else
			t_fail "bios: disk unchanged after boot" "$QEMU_WHY"
		fi
	fi

	run_bios_bad_input_tests
}

run_bios_bad_input_tests() {
	bios_img_dir=$logs/bios-images
	local d=$bios_img_dir cmds=$logs/debugfs.cmds
	local elf=$build/tests/guest/guest-tests.elf

	t_section "BIOS loader: bad input gets one line and a halt"
	bios_mk bad-base --size 32M --cmdline "ktest.marker=1" || return
	local ext2_lba ext2_size
	read -r ext2_lba ext2_size < <(bios_ext2_part "$d/bad-base.raw")

	cp "$d/bad-base.raw" "$d/bad-nocfg.raw"
	echo "rm /boot/boot.cfg" >"$cmds"
	bios_edit_fs "$d/bad-nocfg.raw" "$cmds"
	bios_expect_error nocfg 'skiff: .*boot/boot.cfg.*not found'

	cp "$d/bad-base.raw" "$d/bad-cfgsyntax.raw"
	printf '# test\nkernel /boot/guest-tests.elf\nkernal /boot/x\n' >"$logs/bad.cfg"
	printf 'rm /boot/boot.cfg\nwrite %s /boot/boot.cfg\n' "$logs/bad.cfg" >"$cmds"
	bios_edit_fs "$d/bad-cfgsyntax.raw" "$cmds"
	bios_expect_error cfgsyntax 'skiff: boot.cfg:3: '

	cp "$d/bad-base.raw" "$d/bad-nokernel.raw"
	printf 'kernel /boot/missing.elf\n' >"$logs/bad.cfg"
	printf 'rm /boot/boot.cfg\nwrite %s /boot/boot.cfg\n' "$logs/bad.cfg" >"$cmds"
	bios_edit_fs "$d/bad-nokernel.raw" "$cmds"
	bios_expect_error nokernel 'skiff: .*/boot/missing.elf.*not found'

	cp "$d/bad-base.raw" "$d/bad-notelf.raw"
	printf 'this is not an ELF file\n' >"$logs/notelf"
	printf 'rm /boot/guest-tests.elf\nwrite %s /boot/guest-tests.elf\n' \
		"$logs/notelf" >"$cmds"
	bios_edit_fs "$d/bad-notelf.raw" "$cmds"
	bios_expect_error notelf 'skiff: elf: /boot/guest-tests.elf: .*'

	cp "$d/bad-base.raw" "$d/bad-elf32.raw"
	printf 'void _start(void){for(;;);}\n' >"$logs/e32.c"
	gcc -m32 -nostdlib -static -no-pie -o "$logs/e32.elf" "$logs/e32.c"
	printf 'rm /boot/guest-tests.elf\nwrite %s /boot/guest-tests.elf\n' \
		"$logs/e32.elf" >"$cmds"
	bios_edit_fs "$d/bad-elf32.raw" "$cmds"
	bios_expect_error elf32 'skiff: elf: /boot/guest-tests.elf: .*32'

	# A kernel whose segment lands on the loader (64 KiB) and one beyond
	# the RAM of a 64 MiB guest.
	printf 'void _start(void){for(;;);}\n' >"$logs/low.c"
	gcc -nostdlib -static -no-pie -Wl,-Ttext-segment=0x10000 \
		-o "$logs/low.elf" "$logs/low.c"
	cp "$d/bad-base.raw" "$d/bad-lowelf.raw"
	printf 'rm /boot/guest-tests.elf\nwrite %s /boot/guest-tests.elf\n' \
		"$logs/low.elf" >"$cmds"
	bios_edit_fs "$d/bad-lowelf.raw" "$cmds"
	bios_expect_error lowelf 'skiff: .*overlaps'
	gcc -nostdlib -static -no-pie -Wl,-Ttext-segment=0x40000000 \
		-o "$logs/high.elf" "$logs/low.c"
	cp "$d/bad-base.raw" "$d/bad-highelf.raw"
	printf 'rm /boot/guest-tests.elf\nwrite %s /boot/guest-tests.elf\n' \
		"$logs/high.elf" >"$cmds"
	bios_edit_fs "$d/bad-highelf.raw" "$cmds"
	bios_expect_error highelf 'skiff: .*outside usable RAM'

	# A kernel that does not match the hash in boot.cfg.
	bios_mk bad-tamper --size 32M --sha256 --cmdline x &&
		printf 'rm /boot/guest-tests.elf\nwrite %s /boot/guest-tests.elf\n' \
			"$build/kernel/skiff.elf" >"$cmds" &&
		bios_edit_fs "$d/bad-tamper.raw" "$cmds" &&
		bios_expect_error tamper 'skiff: /boot/guest-tests.elf: SHA-256 does not match'

	# Corrupt superblock: clear the ext2 magic (offset 1024 + 56).
	cp "$d/bad-base.raw" "$d/bad-sb.raw"
	printf '\0\0' | dd of="$d/bad-sb.raw" bs=1 seek=$((ext2_lba * 512 + 1024 + 56)) \
		conv=notrunc status=none
	bios_expect_error sb 'skiff: .*(magic|ext2)'

	# No Linux partition: type 0x83 (partition 2) becomes 0x07.
	cp "$d/bad-base.raw" "$d/bad-noext2.raw"
	printf '\007' | dd of="$d/bad-noext2.raw" bs=1 seek=$((446 + 16 + 4)) \
		conv=notrunc status=none
	bios_expect_error noext2 'skiff: .*no ext2 partition'

	# An empty partition table.
	cp "$d/bad-base.raw" "$d/bad-noparts.raw"
	dd if=/dev/zero of="$d/bad-noparts.raw" bs=1 seek=446 count=64 \
		conv=notrunc status=none
	bios_expect_error noparts 'skiff: .*(partition)'

	# A disk that fails reads (QEMU's blkdebug injects EIO at the
	# superblock).
	printf '[inject-error]\nevent = "read_aio"\nerrno = "5"\nsector = "%d"\n' \
		$((ext2_lba + 2)) >"$logs/blkdebug.conf"
	bios_expect_error eio 'skiff: disk: read error at LBA' \
		-drive "file=blkdebug:$logs/blkdebug.conf:$d/bad-base.raw,format=raw,if=ide"

	# An MBR whose stage 2 was never installed (sector count 0).
	cp "$d/bad-base.raw" "$d/bad-nostage2.raw"
	printf '\0\0' | dd of="$d/bad-nostage2.raw" bs=1 seek=$((0x1b0)) \
		conv=notrunc status=none
	bios_expect_error nostage2 'skiff: stage 2 not installed'

	# The disk ends before the file system does: reads fail cleanly.
	cp "$d/bad-base.raw" "$d/bad-short.raw"
	truncate -s $((ext2_lba * 512 + 64 * 1024)) "$d/bad-short.raw"
	bios_expect_error short 'skiff: .*(beyond|end of|read error)'
}
