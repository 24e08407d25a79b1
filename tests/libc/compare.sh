# The C library against the host's, for scripts/test: sourced, with
# testlib.sh and qemu.sh loaded and $top, $build and $logs set.
# tests/libc/conformance.c runs as the unikernel's app (newlib and
# libc-glue) and natively (glibc); each run must pass its own checks,
# and the lines between its markers must be identical.
#
# The unikernel boots from a disk image under SeaBIOS, not with -kernel:
# QEMU's PVH loader passes an -initrd as a single module without a name
# (hvm_modlist_entry.cmdline_paddr is 0, see kernel/arch/x86_64/boot.c),
# and the app opens its data file by path, which only a boot.cfg
# "module" line (mkimage --add) gives. Environment variables are the
# upper-case kernel options before "--"; the app's arguments follow it.

# libc_output FILE: the lines from "=== conformance begin ===" to
# "=== conformance end ===", without carriage returns.
libc_output() {
	sed 's/\r$//' "$1" |
		sed -n '/^=== conformance begin ===$/,/^=== conformance end ===$/p'
}

# libc_boot SMP: boot the image with SMP vCPUs and compare its output
# with the native run's.
libc_boot() {
	local smp=$1 dir=$logs/libc ok=1 lines ndiff
	local log=$logs/libc-smp$smp.log cpus="$1 vCPUs"
	[ "$smp" = 1 ] && cpus="1 vCPU"
	qemu_boot 120 "$log" -M q35 -m 256M -smp "$smp" \
		-drive file="$dir/conformance.raw",format=raw,if=virtio
	if [ "$GUEST_STATUS" = 0 ]; then
		t_pass "libc: conformance app exits 0 in the unikernel ($cpus)"
	else
		t_fail "libc: conformance app exits 0 in the unikernel ($cpus)" \
			"$QEMU_WHY"
		ok=0
	fi
	libc_output "$log" >"$dir/unikernel-smp$smp.txt"
	lines=$(wc -l <"$dir/native.txt")
	if diff -u --label native --label unikernel "$dir/native.txt" \
		"$dir/unikernel-smp$smp.txt" >"$dir/diff-smp$smp.txt"; then
		t_pass "libc: output identical to native ($lines lines, $cpus)"
	else
		ndiff=$(diff "$dir/native.txt" "$dir/unikernel-smp$smp.txt" |
			grep -c '^<')
		t_fail "libc: output identical to native ($cpus)" \
			"$ndiff of $lines native lines differ"
		sed 's/^/  | /' "$dir/diff-smp$smp.txt" | head -n 40
		ok=0
	fi
	[ "$ok" = 1 ] || show_log "$log"
}

run_libc_tests() {
	local elf=$build/tests/libc/libc-conformance.elf
	local native=$build/tests/libc/libc-conformance-native
	local dir=$logs/libc rc

	t_section "C library: conformance against the host's (QEMU $SKIFF_ACCEL)"
	if [ ! -f "$elf" ] || [ ! -x "$native" ]; then
		t_fail "libc: conformance test built" "no $elf or $native"
		return
	fi
	rm -rf "$dir"
	mkdir -p "$dir/host"

	# The reference: the same program on the host, on a copy of the
	# data file under a temporary directory.
	cp "$top/tests/libc/data.txt" "$dir/host/hello.txt"
	SKIFF_TEST=hello timeout --kill-after=5 60 "$native" \
		"$dir/host/hello.txt" >"$dir/native.out" 2>"$dir/native.err"
	rc=$?
	libc_output "$dir/native.out" >"$dir/native.txt"
	if [ "$rc" = 0 ] && [ -s "$dir/native.txt" ]; then
		t_pass "libc: conformance program passes natively ($(tail -n 2 \
			"$dir/native.txt" | head -n 1))"
	else
		t_fail "libc: conformance program passes natively" \
			"exit status $rc"
		grep -E '^FAIL' "$dir/native.out" | head -n 20 | sed 's/^/  | /'
		sed 's/^/  | /' "$dir/native.err" | head -n 20
	fi

	if ! "$top/scripts/mkimage" --build-dir "$build" --kernel "$elf" \
		--out "$dir/conformance.raw" --size 64M \
		--add "$top/tests/libc/data.txt:/data/hello.txt" \
		--cmdline "SKIFF_TEST=hello -- /data/hello.txt" \
		>"$dir/mkimage.log" 2>&1; then
		t_fail "libc: mkimage" "$(tail -n 1 "$dir/mkimage.log")"
		return
	fi
	libc_boot 4
	libc_boot 1
}
