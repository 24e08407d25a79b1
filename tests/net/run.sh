# The network, for scripts/test: sourced, with testlib.sh and qemu.sh
# loaded and $top, $build and $logs set. The guest side is
# tests/net/nettest.c, the host side tests/net/hostside.py; traffic stays
# on loopback (QEMU's user network: the guest reaches the host as
# 10.0.2.2, the host reaches the guest through hostfwd on 127.0.0.1).

net_elf() { echo "$build/tests/net/nettest.elf"; }

# A free TCP port on the host's loopback.
net_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

net_loopback_test() {
	local log=$logs/net-loopback.log
	qemu_boot 60 "$log" -M q35 -m 256M -smp 2 -kernel "$(net_elf)" \
		-append "-- loopback"
	if [ "$GUEST_STATUS" = 0 ] &&
		grep -q '^nettest: loopback tcp 1048576 bytes identical, udp ok' "$log"; then
		t_pass "net: sockets over loopback (1 MiB TCP echo, UDP)"
	else
		t_fail "net: sockets over loopback" "$QEMU_WHY"
		show_log "$log"
	fi
}

# net_nic_tests NAME MACHINE SMP NICOPTS [serve]: DHCP from QEMU's user
# network and guest->host TCP on one device variant; with "serve" also
# host->guest TCP (20 MB echoed with a checksum, 50 connections at once).
net_nic_tests() {
	local name=$1 machine=$2 smp=$3 nicopts=$4
	local log=$logs/net-$name.log sinkport portfile=$logs/net-$name.port
	local hostport out
	local nic=(-netdev "user,id=n0" -device "virtio-net-pci,netdev=n0$nicopts")

	# DHCP and guest -> host: the host counts what the guest sends.
	rm -f "$portfile"
	python3 "$top/tests/net/hostside.py" sink 0 "$portfile" \
		>"$logs/net-$name-sink.out" 2>&1 &
	local sink_pid=$!
	for _ in $(seq 50); do [ -s "$portfile" ] && break; sleep 0.1; done
	sinkport=$(cat "$portfile" 2>/dev/null)
	qemu_boot 120 "$log" -M "$machine" -m 256M -smp "$smp" "${nic[@]}" \
		-kernel "$(net_elf)" \
		-append "-- connect 10.0.2.2 ${sinkport:-1} 2000000"
	wait "$sink_pid" 2>/dev/null
	if grep -q '^dhcp: net0: 10\.0\.2\.15 netmask 255\.255\.255\.0 gw 10\.0\.2\.2' "$log"; then
		t_pass "net[$name]: DHCP lease from QEMU's user network"
	else
		t_fail "net[$name]: DHCP" "$QEMU_WHY"
		show_log "$log"
	fi
	if [ "$GUEST_STATUS" = 0 ] &&
		grep -q '^nettest: sent 2000000 bytes, host counted 2000000' "$log"; then
		t_pass "net[$name]: guest -> host TCP, 2 MB counted by the host"
	else
		t_fail "net[$name]: guest -> host TCP" "$QEMU_WHY"
		show_log "$log"
	fi

	[ "${5:-}" = serve ] || return 0
	# Host -> guest through hostfwd: a guest echo server.
	hostport=$(net_free_port)
	log=$logs/net-$name-serve.log
	nic=(-netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$hostport-:8000"
		-device "virtio-net-pci,netdev=n0$nicopts")
	qemu_boot 300 "$log" -M "$machine" -m 256M -smp "$smp" "${nic[@]}" \
		-kernel "$(net_elf)" -append "-- serve 8000" &
	local qemu_pid=$!
	# hostfwd accepts before the guest listens: wait for the server.
	for _ in $(seq 600); do
		grep -q '^nettest: serving on port' "$log" 2>/dev/null && break
		sleep 0.1
	done
	out=$(timeout 240 python3 "$top/tests/net/hostside.py" echo "$hostport" \
		"${NET_ECHO_BYTES:-20000000}" 2>&1)
	if echo "$out" | grep -q 'sha256 match'; then
		t_pass "net[$name]: host -> guest TCP echo, $(echo "$out" | sed 's/hostside: echo //')"
	else
		t_fail "net[$name]: host -> guest TCP echo" "$out"
	fi
	out=$(timeout 120 python3 "$top/tests/net/hostside.py" many "$hostport" 50 2>&1)
	if echo "$out" | grep -q '50 of 50'; then
		t_pass "net[$name]: 50 concurrent connections echoed"
	else
		t_fail "net[$name]: 50 concurrent connections" "$out"
	fi
	timeout 30 python3 "$top/tests/net/hostside.py" quit "$hostport" >/dev/null 2>&1
	wait "$qemu_pid"
	if ! grep -q '^nettest: quit received' "$log"; then
		t_fail "net[$name]: the echo server stops on request" "$QEMU_WHY"
		show_log "$log"
	fi
}

run_net_tests() {
	t_section "network (QEMU $SKIFF_ACCEL, user networking on loopback)"
	if [ ! -f "$(net_elf)" ]; then
		t_fail "net: nettest.elf built"
		return
	fi
	net_loopback_test
	# GCE's kind of device (legacy only) and OpenStack q35's (modern only).
	net_nic_tests legacy-pc-1cpu pc 1 ",disable-modern=on"
	net_nic_tests modern-q35-4cpu q35 4 ",disable-legacy=on" serve
}
