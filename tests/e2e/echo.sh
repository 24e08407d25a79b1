# The tutorial end to end, for scripts/test: sourced, with testlib.sh,
# qemu.sh, tests/e2e/uefi.sh and tests/net/run.sh loaded and $top, $build
# and $logs set. One disk.raw of the echo server (scripts/mkimage, 1 GiB
# sparse, as shipped to the clouds) is booted the way OpenStack's UEFI
# flavors run it: q35, OVMF, the disk on virtio-blk, a modern-only
# virtio-net NIC, 1 and 4 vCPUs; QEMU's user network forwards a loopback
# port to the guest's 8000, and tests/echo/check.py sends its requests
# and compares every answer with what the Go server answers. The GCE-like
# boot of the same image (pc, SeaBIOS, virtio-scsi, a legacy-only NIC and
# GCE's DHCP) is in tests/net/gce.sh, which has the namespaces it needs.

echo_elf() { echo "$build/apps/echo-server/echo-server.elf"; }
echo_img() { echo "$logs/echo-disk.raw"; }

# echo_mkimage: the image both clouds get; 0 when it is there.
echo_mkimage() {
	[ -f "$(echo_img)" ] && [ "$(echo_img)" -nt "$(echo_elf)" ] && return 0
	if ! "$top/scripts/mkimage" --build-dir "$build" --kernel "$(echo_elf)" \
		--out "$(echo_img)" >"$logs/echo-mkimage.log" 2>&1; then
		t_fail "echo: scripts/mkimage of the echo server" \
			"$(tail -n 1 "$logs/echo-mkimage.log")"
		return 1
	fi
}

# echo_openstack SMP: boot the image as an OpenStack UEFI flavor would and
# run the HTTP checks through the forwarded port.
echo_openstack() {
	local smp=$1 name=openstack-${1}cpu port log out qemu_pid
	log=$logs/echo-$name.log
	port=$(net_free_port)
	(
		# shellcheck disable=SC2046
		qemu_boot 300 "$log" -M q35 -m 128M -smp "$smp" \
			$(uefi_fw "echo-$name") \
			-drive "if=none,id=d0,format=raw,readonly=on,file=$(echo_img)" \
			-device virtio-blk-pci,drive=d0 \
			-netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$port-:8000" \
			-device virtio-net-pci,netdev=n0,disable-legacy=on \
			-name "echo-$name"
	) &
	qemu_pid=$!
	if ! python3 "$top/tests/e2e/http_wait.py" 127.0.0.1 "$port" 120; then
		t_fail "echo[$name]: the server answers GET /hello" \
			"no 200 within 120 s"
		show_log "$log"
		kill "$qemu_pid" 2>/dev/null
		pkill -f -- "-name echo-$name" 2>/dev/null
		wait "$qemu_pid" 2>/dev/null
		return
	fi
	t_pass "echo[$name]: $(grep -m1 -E '^(boot: kernel entry to app|dhcp: net0)' "$log" | tr -d '\r') ... serving"
	out=$(timeout 240 python3 "$top/tests/echo/check.py" --host 127.0.0.1 \
		--port "$port" --remote-addr-ip 10.0.2.2 2>&1)
	if [ $? = 0 ]; then
		t_pass "echo[$name]: $(echo "$out" | tail -n 1)"
	else
		t_fail "echo[$name]: the HTTP checks" "$(echo "$out" | tail -n 15)"
		show_log "$log" 30
	fi
	pkill -f -- "-name echo-$name" 2>/dev/null
	wait "$qemu_pid" 2>/dev/null
	t_console_clean "echo[$name]" "$log"
}

run_echo_tests() {
	t_section "the echo server end to end (QEMU $SKIFF_ACCEL): OpenStack-like"
	if [ ! -f "$(echo_elf)" ]; then
		t_fail "echo: echo-server.elf built"
		return
	fi
	echo_mkimage || return
	echo_openstack 1
	echo_openstack 4
}
