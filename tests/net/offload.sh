# virtio-net's receive offloads over a tap, for scripts/test: sourced
# after tests/net/run.sh (net_elf, net_wait_line), with testlib.sh and
# qemu.sh loaded and $top, $build and $logs set; the entry point is
# run_net_offload_tests. Needs root and /dev/net/tun, and
# is skipped with the reason otherwise.
#
# In a network namespace of its own (deleted afterwards) a tap device
# "tap0" with the host side 10.0.9.1/24; QEMU opens it with its default
# vnet header, so the device offers GUEST_CSUM and GUEST_TSO4 and the
# host's TCP hands the guest segments of up to 64 KiB with partial
# checksums. tests/net/nettest.c serves TCP echo on 10.0.9.2 (static).
# Each variant checks the offloads the driver logs, 20 MB echoed with a
# SHA-256 check (tests/net/hostside.py), the largest frame sent to the
# guest on tap0 (over 1514 bytes only with GUEST_TSO4), and, with frames
# injected on tap0 (tests/net/inject.py: no header flags, so nothing
# vouches for them), that a SYN and a UDP datagram with good checksums
# are answered and ones with bad checksums are not, and that the guest
# logged those two drops.

OFFLOAD_NS=skiff-offload-$$
OFFLOAD_MAC=52:54:00:12:34:56

offload_in() { ip netns exec "$OFFLOAD_NS" "$@"; }

offload_setup() {
	ip netns add "$OFFLOAD_NS" &&
		offload_in ip link set lo up &&
		offload_in ip tuntap add dev tap0 mode tap &&
		offload_in ip addr add 10.0.9.1/24 dev tap0 &&
		offload_in ip link set tap0 up
}

# offload_variant NAME MACHINE NICOPTS KOPTS EXPECT: EXPECT is what the
# driver's start-up line names ("csum+tso4" or "none").
offload_variant() {
	local name=$1 machine=$2 nicopts=$3 kopts=$4 expect=$5
	local log=$logs/offload-$name.log frames=$logs/offload-$name-frames.out
	local hs=$top/tests/net/hostside.py out big qemu_pid watch_pid fails=$T_FAILED

	# Not through offload_in: $! must be the watcher itself.
	ip netns exec "$OFFLOAD_NS" python3 "$hs" frames tap0 200 >"$frames" 2>&1 &
	watch_pid=$!
	net_wait_line "$frames" watching 5
	: >"$log"
	# shellcheck disable=SC2046
	ip netns exec "$OFFLOAD_NS" timeout --kill-after=5 180 "$QEMU" \
		$(qemu_accel_args) -M "$machine" -m 128M \
		-display none -no-reboot -monitor none -serial "file:$log" \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-netdev tap,id=n0,ifname=tap0,script=no,downscript=no \
		-device "virtio-net-pci,netdev=n0,mac=$OFFLOAD_MAC$nicopts" \
		-kernel "$(net_elf)" \
		-append "ip=10.0.9.2 netmask=255.255.255.0 $kopts -- serve 8000" \
		</dev/null >"$log.qemu" 2>&1 &
	qemu_pid=$!
	if ! net_wait_line "$log" '^nettest: serving on port 8000' 60; then
		t_fail "offload[$name]: guest serving" "no 'serving' line"
		kill "$qemu_pid" "$watch_pid" 2>/dev/null
		wait "$qemu_pid" "$watch_pid" 2>/dev/null
		show_log "$log"
		return
	fi
	if grep -q "^virtio-net: net0: .*, rx offloads $expect, " "$log"; then
		t_pass "offload[$name]: driver takes rx offloads $expect"
	else
		t_fail "offload[$name]: rx offloads $expect" "$(grep -m1 '^virtio-net: net0: ' "$log")"
	fi

	out=$(offload_in timeout 120 python3 "$hs" --host 10.0.9.2 echo 8000 20000000 2>&1)
	if echo "$out" | grep -q 'sha256 match'; then
		t_pass "offload[$name]: 20 MB echoed, SHA-256 matches (${out#*bytes in })"
	else
		t_fail "offload[$name]: 20 MB echo" "$out"
	fi

	if out=$(offload_in timeout 60 python3 "$top/tests/net/inject.py" \
		tap0 "$OFFLOAD_MAC" 10.0.9.1 10.0.9.2 8000 2>&1); then
		t_pass "offload[$name]: good TCP and UDP checksums answered, bad ones dropped"
	else
		t_fail "offload[$name]: injected checksums" "$(echo "$out" | tr '\n' ';')"
	fi
	if grep -q '^net: net0: dropped a TCP packet from 10.0.9.1 with a bad checksum (1 so far)' "$log" &&
		grep -q '^net: net0: dropped a UDP packet from 10.0.9.1 with a bad checksum (2 so far)' "$log"; then
		t_pass "offload[$name]: the guest counted both bad checksums"
	else
		t_fail "offload[$name]: bad checksums counted" "$(grep -m2 'bad checksum' "$log" | tr '\n' ';')"
	fi

	offload_in timeout 20 python3 "$hs" --host 10.0.9.2 quit 8000 >/dev/null 2>&1
	wait "$qemu_pid"
	kill "$watch_pid" 2>/dev/null
	wait "$watch_pid" 2>/dev/null
	big=$(sed -n 's/.* out \([0-9]*\) bytes.*/\1/p' "$frames")
	if [ -z "$big" ]; then
		t_fail "offload[$name]: frames on tap0" "no result from the watcher"
	elif [ "$expect" = none ] && [ "$big" -le 1514 ]; then
		t_pass "offload[$name]: no frame to the guest over 1514 bytes (largest $big)"
	elif [ "$expect" != none ] && [ "$big" -gt 1514 ]; then
		t_pass "offload[$name]: TCP segments over the MTU reached the guest (largest frame $big bytes)"
	else
		t_fail "offload[$name]: largest frame to the guest" "$big bytes"
	fi
	if grep -q 'dropped a received frame' "$log"; then
		t_fail "offload[$name]: no frame dropped as malformed" "$(grep -m1 'dropped a received frame' "$log")"
	fi
	[ "$fails" = "$T_FAILED" ] || show_log "$log" 40
}

run_net_offload_tests() {
	t_section "network receive offloads (QEMU $SKIFF_ACCEL, a tap in a namespace)"
	if [ "$(id -u)" != 0 ] || [ ! -c /dev/net/tun ]; then
		t_skip "offload: needs root and /dev/net/tun"
		return
	fi
	if [ ! -f "$(net_elf)" ]; then
		t_fail "offload: nettest.elf built"
		return
	fi
	if ! offload_setup; then
		t_fail "offload: a namespace with tap0"
		ip netns del "$OFFLOAD_NS" 2>/dev/null
		return
	fi
	# The offloads on a modern device (q35) and on GCE's legacy kind
	# (pc), and none when the kernel option turns them off.
	offload_variant modern-q35 q35 ",disable-legacy=on" "" csum+tso4
	offload_variant legacy-pc pc ",disable-modern=on" "" csum+tso4
	offload_variant off-q35 q35 "" "virtio-net.offload=off" none
	ip netns del "$OFFLOAD_NS"
}
