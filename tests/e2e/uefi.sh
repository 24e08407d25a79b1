# UEFI boots (OVMF) of disk images made by scripts/mkimage, for
# scripts/test: sourced after bios.sh (it reuses bios_mk, bios_edit_fs
# and guest_suite). OVMF needs TCG on this kind of machine and takes
# about 5 s to reach our loader, so the set is chosen, not exhaustive.

OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
OVMF_SB_CODE=/usr/share/OVMF/OVMF_CODE_4M.snakeoil.fd
OVMF_SB_VARS=/usr/share/OVMF/OVMF_VARS_4M.snakeoil.fd
OVMF_SB_KEY=/usr/share/ovmf/PkKek-1-snakeoil.key
OVMF_SB_CERT=/usr/share/ovmf/PkKek-1-snakeoil.pem

# uefi_fw NAME [secure]: the pflash arguments, with a private copy of the
# variable store for boot NAME.
uefi_fw() {
	local vars=$logs/ovmf-vars-$1.fd code=$OVMF_CODE src=$OVMF_VARS
	if [ "${2-}" = secure ]; then
		code=$OVMF_SB_CODE
		src=$OVMF_SB_VARS
	fi
	cp "$src" "$vars"
	echo "-drive if=pflash,format=raw,unit=0,readonly=on,file=$code" \
		"-drive if=pflash,format=raw,unit=1,file=$vars"
}

uefi_boot() {
	local name=$1
	shift
	# shellcheck disable=SC2046
	guest_suite "uefi:$name" "$logs/uefi-$name.log" $(uefi_fw "$name") "$@"
}

run_uefi_tests() {
	local d=$logs/bios-images cmds=$logs/debugfs.cmds
	local marker="ktest.marker=1 ktest.firmware=uefi ktest.fb=1"

	t_section "UEFI boots (OVMF, our BOOTX64.EFI, QEMU $SKIFF_ACCEL)"
	for f in "$OVMF_CODE" "$OVMF_VARS" "$OVMF_SB_CODE" "$OVMF_SB_VARS"; do
		[ -f "$f" ] || {
			t_fail "uefi: firmware present" "$f missing (package ovmf)"
			return
		}
	done
	local efi_size
	efi_size=$(stat -c %s "$build/uefi/BOOTX64.EFI")
	t_pass "uefi: BOOTX64.EFI built, $efi_size bytes"

	# One disk.raw, both firmwares: the GCE-like default image.
	if bios_mk both --cmdline "ktest.marker=1"; then
		bios_boot both-seabios -M q35 -m 2G \
			-device virtio-scsi-pci,id=scsi \
			-drive file="$d/both.raw",format=raw,if=none,id=d0 \
			-device scsi-hd,drive=d0,bootindex=0
		uefi_boot both-ovmf -M q35 -m 2G \
			-device virtio-scsi-pci,id=scsi \
			-drive file="$d/both.raw",format=raw,if=none,id=d0 \
			-device scsi-hd,drive=d0,bootindex=0
		if grep -q 'booted by BIOS' "$logs/bios-both-seabios.log" &&
			grep -q 'booted by UEFI' "$logs/uefi-both-ovmf.log"; then
			t_pass "one disk.raw boots under SeaBIOS and under OVMF"
		else
			t_fail "one disk.raw boots under SeaBIOS and under OVMF"
		fi
	fi

	bios_mk uefi-gpt --size 64M --partition gpt \
		--cmdline "$marker ktest.cpus=4" &&
		uefi_boot gpt-virtio-blk -M q35 -m 128M -smp 4 \
			-drive file="$d/uefi-gpt.raw",format=raw,if=virtio
	bios_mk uefi-mbr --size 64M --cmdline "$marker" &&
		uefi_boot mbr-pc-virtio-blk -M pc -m 2G \
			-drive file="$d/uefi-mbr.raw",format=raw,if=virtio
	[ -f "$d/uefi-gpt.raw" ] &&
		uefi_boot gpt-ahci -M q35 -m 2G -smp 4 \
			-drive file="$d/uefi-gpt.raw",format=raw,if=ide
	[ -f "$d/uefi-mbr.raw" ] &&
		uefi_boot mbr-ahci -M q35 -m 128M \
			-drive file="$d/uefi-mbr.raw",format=raw,if=ide
	[ -f "$d/uefi-gpt.raw" ] &&
		uefi_boot gpt-pc-virtio-scsi -M pc -m 128M -smp 4 \
			-device virtio-scsi-pci,id=scsi \
			-drive file="$d/uefi-gpt.raw",format=raw,if=none,id=d0 \
			-device scsi-hd,drive=d0,bootindex=0

	# Bad input: one line, then back to the firmware.
	if bios_mk uefi-nocfg --size 32M --cmdline x; then
		cp "$d/uefi-nocfg.raw" "$d/uefi-notelf.raw"
		cp "$d/uefi-nocfg.raw" "$d/uefi-highelf.raw"
		echo "rm /boot/boot.cfg" >"$cmds"
		bios_edit_fs "$d/uefi-nocfg.raw" "$cmds"
		uefi_expect uefi-nocfg "" 'returning to the firmware' \
			'skiff: ext2: /boot/boot.cfg: not found'
		printf 'rm /boot/guest-tests.elf\nwrite %s /boot/guest-tests.elf\n' \
			"$logs/notelf" >"$cmds"
		bios_edit_fs "$d/uefi-notelf.raw" "$cmds"
		uefi_expect uefi-notelf "" 'returning to the firmware' \
			'skiff: elf: /boot/guest-tests.elf: '
		# A segment at 1 GiB, beyond the RAM of a 256 MiB guest.
		printf 'rm /boot/guest-tests.elf\nwrite %s /boot/guest-tests.elf\n' \
			"$logs/high.elf" >"$cmds"
		bios_edit_fs "$d/uefi-highelf.raw" "$cmds"
		uefi_expect uefi-highelf "" 'returning to the firmware' \
			'skiff: elf: /boot/guest-tests.elf: segment 0 .* is not free memory'
	fi

	run_secure_boot_tests
}

# uefi_expect NAME secure|"" PATTERN [REQUIRED-LINE]: boot NAME.raw on
# q35 and wait for PATTERN on the console.
uefi_expect() {
	local name=$1 mode=$2 pattern=$3 need=${4-} log=$logs/uefi-$1.log
	local smm=()
	[ "$mode" = secure ] && smm=(-M q35,smm=on -global
		driver=cfi.pflash01,property=secure,value=on)
	[ "$mode" = secure ] || smm=(-M q35)
	# shellcheck disable=SC2046
	qemu_boot_until 90 "$log" "$pattern" "${smm[@]}" -m 256M \
		$(uefi_fw "$name" "$mode") \
		-drive file="$logs/bios-images/$name.raw",format=raw,if=virtio
	if [ "$QEMU_MATCHED" = 1 ] &&
		{ [ -z "$need" ] || grep -aq -- "$need" "$log"; }; then
		t_pass "uefi: $name: $(grep -aEo "${need:-$pattern}.*" "$log" | head -n1 | tr -d '\r\033')"
	else
		t_fail "uefi: $name" "$QEMU_WHY"
		show_log "$log"
	fi
}

run_secure_boot_tests() {
	local d=$logs/bios-images key=$logs/snakeoil.key cmds=$logs/debugfs.cmds
	local marker="ktest.marker=1 ktest.firmware=uefi"

	t_section "UEFI Secure Boot (OVMF snakeoil keys)"
	# Debian ships the snakeoil key encrypted with the password
	# 'snakeoil' (README.Debian of the ovmf package).
	if ! openssl rsa -in "$OVMF_SB_KEY" -passin pass:snakeoil -out "$key" \
		>/dev/null 2>&1; then
		t_fail "secure boot: decrypt the snakeoil test key"
		return
	fi
	bios_mk sb-signed --size 32M --sign "$key:$OVMF_SB_CERT" \
		--cmdline "$marker" || return
	uefi_expect sb-signed secure '^guest: [0-9]+ passed, 0 failed' \
		'skiff-uefi: .*signed boot.cfg'
	if grep -aq 'not ok' "$logs/uefi-sb-signed.log"; then
		t_fail "secure boot: guest tests of the signed image"
		show_log "$logs/uefi-sb-signed.log"
	fi

	bios_mk sb-unsigned --size 32M --cmdline "$marker" &&
		uefi_expect sb-unsigned secure 'Access Denied'

	cp "$d/sb-signed.raw" "$d/sb-tampered-kernel.raw"
	printf 'rm /boot/guest-tests.elf\nwrite %s /boot/guest-tests.elf\n' \
		"$build/kernel/skiff.elf" >"$cmds"
	bios_edit_fs "$d/sb-tampered-kernel.raw" "$cmds"
	uefi_expect sb-tampered-kernel secure 'returning to the firmware' \
		'skiff: /boot/guest-tests.elf: SHA-256 does not match boot.cfg'

	cp "$d/sb-signed.raw" "$d/sb-tampered-cfg.raw"
	printf 'kernel /boot/guest-tests.elf\ncmdline %s\n' "$marker" \
		>"$logs/tampered.cfg"
	printf 'rm /boot/boot.cfg\nwrite %s /boot/boot.cfg\n' \
		"$logs/tampered.cfg" >"$cmds"
	bios_edit_fs "$d/sb-tampered-cfg.raw" "$cmds"
	uefi_expect sb-tampered-cfg secure 'returning to the firmware' \
		'skiff: boot.cfg: SHA-256 does not match the one signed'
}
