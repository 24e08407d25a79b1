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

# net_step_check LOG STEP PATTERN NAME: the guest ended with status 0 and
# its line "nettest: STEP: ..." matches PATTERN: pass with that line; else
# fail NAME with the step's line, or QEMU's reason when there is none.
net_step_check() {
	local log=$1 step=$2 re=$3 name=$4 why
	if [ "$GUEST_STATUS" = 0 ] && grep -q "^nettest: $step: $re" "$log"; then
		t_pass "net: $(sed -n "s/\r\$//; s/^nettest: $step: //p" "$log")"
	else
		why=$(grep -m1 "^nettest: $step" "$log" | tr -d '\r')
		t_fail "net: $name" "${why:-$QEMU_WHY}"
		show_log "$log" 20
	fi
}

# net_loopback_test: nettest over 127.0.0.1 in one boot. First
# "loopback": 1 MiB through a TCP connection to itself, and UDP.
# Then "reuse": a client reconnects from the same port to a server whose
# side is in TIME-WAIT (net/lwip/tcp_reuse.c), also while the server's
# socket is still open (shut with SHUT_WR), and a connect to a closed
# port fails with ECONNREFUSED (lwIP's errno is the app's). Then "churn":
# 3000 connections that the server closes first; no more than 1024 stay
# in TIME-WAIT (net/lwip/tcp_reuse.c). Then, on one vCPU, "lastack": a
# socket whose connection ended in LAST-ACK after it read the end of file
# closes without touching the next connection (net/lwip/patches/).
net_loopback_test() {
	local log=$logs/net-loopback.log
	qemu_boot 60 "$log" -M q35 -m 256M -smp 2 -kernel "$(net_elf)" \
		-append "-- loopback reuse churn 3000"
	if grep -q '^nettest: loopback tcp 1048576 bytes identical, udp ok' "$log"; then
		t_pass "net: sockets over loopback (1 MiB TCP echo, UDP)"
	else
		t_fail "net: sockets over loopback" "$QEMU_WHY"
		show_log "$log"
		return
	fi
	if grep -q '^nettest: churn: 3000 connections' "$log" &&
		grep -q '^tcp: more than 1024 connections in TIME-WAIT; the oldest end early' "$log"; then
		t_pass "net: $(sed -n 's/\r$//; s/^nettest: churn: //p' "$log"), TIME-WAIT held to 1024"
	else
		t_fail "net: 3000 connections closed by the server first" \
			"$(grep -m1 '^nettest: churn' "$log" | tr -d '\r')"
	fi
	net_step_check "$log" reuse '.* past TIME-WAIT in .*closed port: Connection refused' \
		"a port reused past TIME-WAIT, ECONNREFUSED"
	t_console_clean "net[loopback]" "$log"
	# One vCPU: "lastack" orders its steps by priority (see nettest.c).
	log=$logs/net-lastack.log
	qemu_boot 60 "$log" -M q35 -m 128M -smp 1 -kernel "$(net_elf)" \
		-append "-- lastack"
	net_step_check "$log" lastack '.*left the next connection alone' \
		"a socket closed after its LAST-ACK ended"
	t_console_clean "net[lastack]" "$log"
}

# net_variant NAME MACHINE SMP NICOPTS BOOT ECHO_BYTES CONNS [link]: one boot of
# the test app on one device variant, booted with -kernel (BOOT=kernel) or
# from a disk image under SeaBIOS (BOOT=disk). The guest takes a DHCP
# lease from QEMU's user network, pings the host (10.0.2.2), sends 2 MB to
# a host sink, then serves TCP echo on port 8000, reached through
# hostfwd: ECHO_BYTES echoed with a checksum, then CONNS connections open
# at once; with "link", the link then goes down and up (QMP set_link) and
# 1 MB is echoed again; then "quit".
net_variant() {
	local name=$1 machine=$2 smp=$3 nicopts=$4 boot=$5 bytes=$6 conns=$7
	local linktest=${8:-} qmp=$logs/net-$1.qmp
	local log=$logs/net-$name.log portfile=$logs/net-$name.port
	local sinkport hostport out steps img qemu_pid sink_pid
	local -a disk
	rm -f "$log.status"

	rm -f "$portfile"
	python3 "$top/tests/net/hostside.py" sink 0 "$portfile" \
		>"$logs/net-$name-sink.out" 2>&1 &
	sink_pid=$!
	for _ in $(seq 50); do [ -s "$portfile" ] && break; sleep 0.1; done
	sinkport=$(cat "$portfile" 2>/dev/null)
	hostport=$(net_free_port)
	steps="ping 10.0.2.2 3 connect 10.0.2.2 ${sinkport:-1} 2000000 serve 8000"
	if [ "$boot" = disk ]; then
		img=$logs/net-$name.raw
		if ! "$top/scripts/mkimage" --build-dir "$build" --size 64M \
			--kernel "$(net_elf)" --out "$img" \
			--cmdline "-uart=io:0x3f8 -- $steps" \
			>"$logs/net-$name-mk.log" 2>&1; then
			t_fail "net[$name]: mkimage" "$(tail -n 1 "$logs/net-$name-mk.log")"
			kill "$sink_pid" 2>/dev/null
			return
		fi
		disk=(-drive "file=$img,format=raw")
	else
		disk=(-kernel "$(net_elf)" -append "-- $steps")
	fi
	# In the background: its status comes back through a file.
	(
		qemu_boot 300 "$log" -M "$machine" -m 256M -smp "$smp" \
			-netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$hostport-:8000" \
			-device "virtio-net-pci,netdev=n0,id=nic0$nicopts" \
			-qmp "unix:$qmp,server=on,wait=off" \
			${NET_QEMU_EXTRA:-} "${disk[@]}"
		printf '%s\n%s\n' "$GUEST_STATUS" "$QEMU_WHY" >"$log.status"
	) &
	qemu_pid=$!
	# hostfwd accepts before the guest listens: wait for the server (or
	# for the guest to stop early).
	for _ in $(seq 900); do
		grep -q '^nettest: serving on port' "$log" 2>/dev/null && break
		kill -0 "$qemu_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill "$sink_pid" 2>/dev/null
	wait "$sink_pid" 2>/dev/null
	if grep -q '^dhcp: net0: 10\.0\.2\.15 netmask 255\.255\.255\.0 gw 10\.0\.2\.2' "$log"; then
		t_pass "net[$name]: DHCP lease from QEMU's user network"
	else
		t_fail "net[$name]: DHCP" "no lease line"
	fi
	case $nicopts in *rx_queue_size=1024*)
		if grep -q '^virtio-net: net0: .*rx/tx queues 1024/' "$log"; then
			t_pass "net[$name]: the device's 1024-entry receive queue in use"
		else
			t_fail "net[$name]: a 1024-entry receive queue" "$(grep -m1 '^virtio-net: net0' "$log")"
		fi
	esac
	if grep -q '^nettest: ping 10\.0\.2\.2: 3 of 3 answered' "$log"; then
		t_pass "net[$name]: guest -> host ICMP echo"
	else
		t_fail "net[$name]: guest -> host ICMP echo" "$(grep -m1 'nettest: ping' "$log")"
	fi
	if grep -q '^nettest: sent 2000000 bytes, host counted 2000000' "$log"; then
		t_pass "net[$name]: guest -> host TCP, 2 MB counted by the host"
	else
		t_fail "net[$name]: guest -> host TCP" "$(grep -m1 'nettest: ' "$log")"
	fi
	if grep -q '^nettest: serving on port' "$log"; then
		out=$(timeout 240 python3 "$top/tests/net/hostside.py" echo \
			"$hostport" "$bytes" 2>&1)
		if echo "$out" | grep -q 'sha256 match'; then
			t_pass "net[$name]: host -> guest TCP echo, $(echo "$out" | sed 's/hostside: echo //')"
		else
			t_fail "net[$name]: host -> guest TCP echo" "$out"
		fi
		out=$(timeout 120 python3 "$top/tests/net/hostside.py" many \
			"$hostport" "$conns" 2>&1)
		if echo "$out" | grep -q "$conns of $conns"; then
			t_pass "net[$name]: $(echo "$out" | sed 's/hostside: //')"
		else
			t_fail "net[$name]: $conns concurrent connections" "$out"
		fi
		[ -n "$linktest" ] && net_link_test "$name" "$log" "$qmp" "$hostport"
		timeout 30 python3 "$top/tests/net/hostside.py" quit "$hostport" \
			>/dev/null 2>&1
	fi
	wait "$qemu_pid"
	GUEST_STATUS=$(sed -n 1p "$log.status" 2>/dev/null)
	QEMU_WHY=$(sed -n 2p "$log.status" 2>/dev/null)
	if [ "$GUEST_STATUS" = 0 ] && grep -q '^nettest: quit received' "$log"; then
		t_pass "net[$name]: the echo server stops on request, status 0"
	else
		t_fail "net[$name]: the echo server stops on request" "$QEMU_WHY"
		show_log "$log"
	fi
	t_console_clean "net[$name]" "$log"
}

# net_wait_line LOG REGEX SECS: wait for a line in a running guest's log.
net_wait_line() {
	for _ in $(seq $(($3 * 10))); do
		grep -Eq "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# The link goes down: the driver sees it (config interrupt) and lwIP's
# interface follows; it comes back: traffic flows again on the open
# server.
net_link_test() {
	local name=$1 log=$2 qmp=$3 port=$4 out hs=$top/tests/net/hostside.py

	if ! timeout 20 python3 "$hs" link "$qmp" nic0 down ||
		! net_wait_line "$log" '^net: net0: link down' 10; then
		t_fail "net[$name]: link down seen by the guest" "$(grep -m1 'link down' "$log")"
		return
	fi
	if ! timeout 20 python3 "$hs" link "$qmp" nic0 up ||
		! net_wait_line "$log" '^net: net0: link up' 10; then
		t_fail "net[$name]: link up seen by the guest"
		return
	fi
	out=$(timeout 60 python3 "$hs" echo "$port" 1000000 2>&1)
	if echo "$out" | grep -q 'sha256 match'; then
		t_pass "net[$name]: link down and up: both logged, then 1 MB echoed"
	else
		t_fail "net[$name]: traffic after the link came back" "$out"
	fi
}

run_net_tests() {
	t_section "network (QEMU $SKIFF_ACCEL, user networking on loopback)"
	if [ ! -f "$(net_elf)" ]; then
		t_fail "net: nettest.elf built"
		return
	fi
	net_loopback_test
	# GCE's kind of device (legacy only) and OpenStack q35's (modern
	# only), on 1 and 4 vCPUs, booted by -kernel and from disk (SeaBIOS).
	net_variant legacy-pc-1cpu pc 1 ",disable-modern=on" kernel \
		"${NET_ECHO_BYTES:-100000000}" 200
	net_variant modern-q35-4cpu q35 4 ",disable-legacy=on" kernel \
		"${NET_ECHO_BYTES:-100000000}" 200 link
	# GCE's queues are larger than QEMU's default 256.
	net_variant legacy-pc-4cpu-disk pc 4 \
		",disable-modern=on,rx_queue_size=1024" disk 20000000 200
	net_variant modern-q35-1cpu-disk q35 1 ",disable-legacy=on" disk \
		20000000 200
	# A device without the optional features: no event indices (the
	# flags suppress notifications), one buffer per frame, no link status.
	net_variant bare-pc-1cpu pc 1 \
		",disable-modern=on,event_idx=off,mrg_rxbuf=off,status=off" \
		kernel 20000000 50
}
