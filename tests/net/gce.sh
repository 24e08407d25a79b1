# The network as GCE gives it, for scripts/test: sourced, with testlib.sh
# and qemu.sh loaded and $top, $build and $logs set. Needs root,
# /dev/net/tun and dnsmasq (Debian's dnsmasq-base); without them every
# check is skipped with the reason. Traffic stays inside four network
# namespaces made here and removed on the way out, even on failure:
#
#   l2  the VPC's link: bridge br0 with tap0 (QEMU's NIC, run in this
#       namespace), l2-rt (MTU 1460, to the gateway) and l2-pr (to a probe)
#   rt  the gateway: rt-l2 10.128.0.1/20 with dnsmasq, rt-pe 10.200.0.254/24
#   pe  a host past the gateway ("the internet"): 10.200.0.1/24
#   pr  a probe VM on the link: 10.128.0.3/32 with GCE's two routes
#
# dnsmasq leases 10.128.0.2 as GCE does: netmask 255.255.255.255, option
# 121 with a host route to the gateway and the default route through it,
# option 26 MTU 1460, and no router option (3), so that a client that
# ignores 121 has no way off its /32. Packets over 1460 bytes are dropped
# without a word in both directions between the link and the gateway: the
# bridge drops a frame larger than its egress port's MTU, a veth one larger
# than its peer's. QEMU's tap has no vnet header (vnet_hdr=off) and the
# veths no segmentation offloads, so no super-frame slips past those
# checks; a watcher on tap0 reports the largest frame each way, and the
# positive runs check it.
#
# The guest is tests/net/nettest.c; the peer's side is tests/net/hostside.py
# with --host. The negative runs boot the same guest with dhcp.routes=off
# and dhcp.mtu=off and pass only if it then fails the way a client without
# option 121 or 26 fails on GCE. The fault tests stop dnsmasq and start it
# late, and write bad frames into tap0 (hostside.py inject): see
# gce_dhcp_late and gce_faults.
#
# A failing boot leaves its frame headers in $logs/gce-NAME.pcap (for
# tshark). GCE_QMP=PATH gives every boot a QMP socket at PATH, to look
# into a stalled guest (info registers, info virtio-queue-status).

GCE_GUEST=10.128.0.2
GCE_GW=10.128.0.1
GCE_PROBE=10.128.0.3
GCE_PEER=10.200.0.1
GCE_PORT=9000
GCE_BYTES=${GCE_BYTES:-50000000}
GCE_MAXFRAME=1474 # 1460 + the Ethernet header

# gce_ns NAME: the namespace's unique name.
gce_ns() { echo "skiff-gce$GCE_ID-$1"; }
# gce_in NAME CMD...: run CMD in the namespace (in the foreground: a
# function's process id in the background is a subshell's, so background
# jobs call ip netns exec themselves, which becomes the command).
gce_in() {
	local ns
	ns=$(gce_ns "$1")
	shift
	ip netns exec "$ns" "$@"
}

# gce_bg PID: a background process of ours, stopped by gce_cleanup unless
# gce_stop has stopped it (and reaped it: its number may be reused).
gce_bg() { GCE_PIDS="$GCE_PIDS $1 "; }
gce_stop() {
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	GCE_PIDS=${GCE_PIDS/ $1 / }
}

# gce_qemu_kill: stop a QEMU still running. One booted in the background
# is behind qemu_boot's subshell and timeout; its pidfile names it.
gce_qemu_kill() {
	local pid
	if [ -n "${GCE_DIR:-}" ] && [ -s "$GCE_DIR/qemu.pid" ]; then
		pid=$(cat "$GCE_DIR/qemu.pid")
		grep -qF "$GCE_DIR/qemu.pid" "/proc/$pid/cmdline" 2>/dev/null &&
			kill "$pid"
		rm -f "$GCE_DIR/qemu.pid"
	fi
}

gce_cleanup() {
	local pid n
	for pid in ${GCE_PIDS:-}; do
		gce_stop "$pid"
	done
	gce_qemu_kill
	[ -n "${GCE_ID:-}" ] || return 0
	for n in l2 rt pe pr; do
		ip netns delete "$(gce_ns "$n")" 2>/dev/null
	done
}

# gce_setup: the namespaces, links, addresses and dnsmasq. Returns
# non-zero with the failing command in $GCE_WHY.
gce_setup() {
	local cmd dev out
	local setup=(
		"ip netns add $(gce_ns l2)"
		"ip netns add $(gce_ns rt)"
		"ip netns add $(gce_ns pe)"
		"ip netns add $(gce_ns pr)"
		"gce_in l2 ip link set lo up"
		"gce_in rt ip link set lo up"
		"gce_in pe ip link set lo up"
		"gce_in pr ip link set lo up"
		"gce_in l2 ip link add br0 type bridge forward_delay 0 stp_state 0 nf_call_iptables 0 nf_call_ip6tables 0 nf_call_arptables 0"
		"gce_in l2 ip tuntap add dev tap0 mode tap"
		"gce_in l2 ip link set tap0 master br0"
		"gce_in l2 ip link add l2-rt mtu 1460 type veth peer name rt-l2 netns $(gce_ns rt)"
		"gce_in l2 ip link set l2-rt master br0"
		"gce_in l2 ip link add l2-pr type veth peer name pr-l2 netns $(gce_ns pr)"
		"gce_in l2 ip link set l2-pr master br0"
		"gce_in rt ip link add rt-pe type veth peer name pe-rt netns $(gce_ns pe)"
		"gce_in l2 ip link set br0 up"
		"gce_in l2 ip link set tap0 up"
		"gce_in l2 ip link set l2-rt up"
		"gce_in l2 ip link set l2-pr up"
		"gce_in rt ip addr add $GCE_GW/20 dev rt-l2"
		"gce_in rt ip link set rt-l2 up"
		"gce_in rt ip addr add 10.200.0.254/24 dev rt-pe"
		"gce_in rt ip link set rt-pe up"
		"gce_in rt sysctl -q -w net.ipv4.ip_forward=1"
		"gce_in pe ip addr add $GCE_PEER/24 dev pe-rt"
		"gce_in pe ip link set pe-rt up"
		"gce_in pe ip route add default via 10.200.0.254"
		"gce_in pr ip addr add $GCE_PROBE/32 dev pr-l2"
		"gce_in pr ip link set pr-l2 up"
		"gce_in pr ip route add $GCE_GW/32 dev pr-l2 scope link"
		"gce_in pr ip route add default via $GCE_GW dev pr-l2 onlink"
	)
	for cmd in "${setup[@]}"; do
		if ! out=$($cmd 2>&1); then
			GCE_WHY="'$cmd' failed: $out"
			return 1
		fi
	done
	# With br_netfilter, bridged IPv4 goes through netfilter, which
	# fragments a packet without DF that is too large for the egress
	# port instead of dropping it; lwIP sends TCP without DF.
	gce_in l2 sysctl -q -w net.bridge.bridge-nf-call-iptables=0 \
		net.bridge.bridge-nf-call-ip6tables=0 \
		net.bridge.bridge-nf-call-arptables=0 2>/dev/null
	# No segmentation offloads on the veths: a GSO packet passes the
	# MTU checks whole.
	for dev in l2:l2-rt l2:l2-pr rt:rt-l2 rt:rt-pe pe:pe-rt pr:pr-l2; do
		gce_in "${dev%%:*}" ethtool -K "${dev#*:}" tso off gso off \
			gro off >/dev/null 2>&1
	done
	gce_dnsmasq_start
}

# gce_dnsmasq_start: GCE's DHCP server on the gateway, its process id in
# GCE_DNSMASQ_PID (gce_stop stops it). Returns non-zero with the reason
# in $GCE_WHY.
gce_dnsmasq_start() {
	rm -f "$GCE_DIR/dnsmasq.pid"
	# GCE's lease. Option 121 as raw bytes (RFC 3442): 10.128.0.1/32
	# on-link, then 0.0.0.0/0 via 10.128.0.1. A bare option 3 tells
	# dnsmasq not to send its default router; --no-ping skips the 3 s
	# check that nobody holds the address before the first offer.
	ip netns exec "$(gce_ns rt)" /usr/sbin/dnsmasq --keep-in-foreground --conf-file=/dev/null \
		--port=0 --interface=rt-l2 --bind-interfaces --no-ping \
		--user=root --group=root \
		--dhcp-range=$GCE_GUEST,$GCE_GUEST,1h \
		--dhcp-option=1,255.255.255.255 \
		--dhcp-option=3 \
		--dhcp-option=26,1460 \
		--dhcp-option=121,20:0a:80:00:01:00:00:00:00:00:0a:80:00:01 \
		--dhcp-leasefile="$GCE_DIR/leases" \
		--pid-file="$GCE_DIR/dnsmasq.pid" \
		--log-dhcp --log-facility="$GCE_DIR/dnsmasq.log" &
	GCE_DNSMASQ_PID=$!
	gce_bg "$GCE_DNSMASQ_PID"
	for _ in $(seq 50); do
		[ -s "$GCE_DIR/dnsmasq.pid" ] && return 0
		kill -0 "$GCE_DNSMASQ_PID" 2>/dev/null || break
		sleep 0.1
	done
	GCE_WHY="dnsmasq did not start: $(tail -n 5 "$GCE_DIR/dnsmasq.log" 2>/dev/null)"
	return 1
}

# gce_ping NS ADDR SIZE df|nodf: pings with SIZE bytes of payload (an IP
# packet of SIZE + 28), with DF set or not, get an answer within a second
# or two.
gce_ping() {
	local pmtu='do'
	[ "$4" = nodf ] && pmtu=dont
	gce_in "$1" ping -n -q -M "$pmtu" -c 2 -W 1 -s "$3" "$2" >/dev/null 2>&1
}

gce_path_test() {
	local ok=1 why=''
	gce_ping pr "$GCE_PEER" 1432 df || { ok=0; why+=" probe->peer 1460 bytes lost;"; }
	gce_ping pe "$GCE_PROBE" 1432 df || { ok=0; why+=" peer->probe 1460 bytes lost;"; }
	gce_ping pr "$GCE_PEER" 1472 df && { ok=0; why+=" probe->peer 1500 bytes (DF) passed;"; }
	gce_ping pe "$GCE_PROBE" 1472 df && { ok=0; why+=" peer->probe 1500 bytes (DF) passed;"; }
	gce_ping pr "$GCE_PEER" 1472 nodf && { ok=0; why+=" probe->peer 1500 bytes (no DF) passed;"; }
	if [ "$ok" = 1 ]; then
		t_pass "gce-net: the path takes 1460-byte packets and drops 1500-byte ones, both ways, with DF or without (ping)"
	else
		t_fail "gce-net: the path's MTU is 1460" "${why%;}"
	fi
}

# A QEMU that runs in the l2 namespace, for qemu_boot, with a NIC on tap0
# (gce_nic NICOPTS gives its arguments).
gce_nic() {
	echo "-pidfile $GCE_DIR/qemu.pid"
	[ -z "${GCE_QMP:-}" ] || echo "-qmp unix:$GCE_QMP,server=on,wait=off"
	echo "-netdev tap,id=n0,ifname=tap0,script=no,downscript=no,vnet_hdr=off"
	echo "-device virtio-net-pci,netdev=n0$1"
}

gce_qemu_wrapper() {
	cat >"$GCE_DIR/qemu" <<EOF
#!/bin/sh
exec ip netns exec $(gce_ns l2) $(printf %q "$QEMU") "\$@"
EOF
	chmod +x "$GCE_DIR/qemu"
}

# gce_frames_start NAME / gce_frames_stop: watch tap0's frames during one
# boot, their headers into $logs/gce-NAME.pcap (removed by gce_pcap_drop
# when the boot's checks pass); gce_frames_stop sets GCE_FRAMES (the
# result line), GCE_BIG_IN and GCE_BIG_OUT (the largest frame from and to
# the guest).
gce_frames_start() {
	GCE_FRAMES_OUT=$logs/gce-$1-frames.out
	GCE_PCAP=$logs/gce-$1.pcap
	ip netns exec "$(gce_ns l2)" "$GCE_PY" "$top/tests/net/hostside.py" \
		frames tap0 400 "$GCE_PCAP" >"$GCE_FRAMES_OUT" 2>&1 &
	GCE_FRAMES_PID=$!
	gce_bg "$GCE_FRAMES_PID"
	for _ in $(seq 50); do
		grep -q watching "$GCE_FRAMES_OUT" 2>/dev/null && break
		sleep 0.1
	done
}

gce_frames_stop() {
	gce_stop "$GCE_FRAMES_PID"
	GCE_FRAMES=$(grep 'frames on' "$GCE_FRAMES_OUT")
	GCE_BIG_IN=$(echo "$GCE_FRAMES" | sed -n 's/.*largest in \([0-9]*\) out.*/\1/p')
	GCE_BIG_OUT=$(echo "$GCE_FRAMES" | sed -n 's/.* out \([0-9]*\) bytes.*/\1/p')
}

# gce_pcap_drop FAILS: remove the boot's capture if no check failed since
# T_FAILED was FAILS; otherwise name it.
gce_pcap_drop() {
	if [ "$T_FAILED" = "$1" ]; then
		rm -f "$GCE_PCAP"
	else
		echo "  (frames on tap0: $GCE_PCAP)"
	fi
}

gce_frames_check() {
	if [ -n "$GCE_BIG_IN" ] && [ "$GCE_BIG_IN" -le "$GCE_MAXFRAME" ] &&
		[ "$GCE_BIG_OUT" -le "$GCE_MAXFRAME" ]; then
		t_pass "gce-net[$1]: no frame on tap0 over $GCE_MAXFRAME bytes (largest from the guest $GCE_BIG_IN, to it $GCE_BIG_OUT)"
	else
		t_fail "gce-net[$1]: frames on tap0 within the MTU" "${GCE_FRAMES:-no result from the watcher}"
	fi
}

# gce_connect NAME KOPTS BYTES LIMIT MACHINE SMP NICOPTS: boot the guest
# to send BYTES to a sink on the peer; leaves the serial log in $log and
# the sink's output in $GCE_SINK.
gce_connect() {
	local name=$1 kopts=$2 bytes=$3 limit=$4 machine=$5 smp=$6 nicopts=$7
	local portfile=$GCE_DIR/$name.port tries=${GCE_TRIES:-30}
	log=$logs/gce-$name.log
	GCE_SINK=$logs/gce-$name-sink.out
	ip netns exec "$(gce_ns pe)" "$GCE_PY" "$top/tests/net/hostside.py" \
		--host "$GCE_PEER" sink "$GCE_PORT" "$portfile" >"$GCE_SINK" 2>&1 &
	local sink_pid=$!
	gce_bg "$sink_pid"
	for _ in $(seq 50); do [ -s "$portfile" ] && break; sleep 0.1; done
	gce_frames_start "$name"
	# shellcheck disable=SC2046
	qemu_boot "$limit" "$log" -M "$machine" -m 256M -smp "$smp" \
		$(gce_nic "$nicopts") -kernel "$(net_elf)" \
		-append "$kopts -- connect $GCE_PEER $GCE_PORT $bytes $tries"
	gce_frames_stop
	gce_stop "$sink_pid"
}

gce_lease_check() {
	local name=$1 mtu=$2 gw=$3 re
	re="^dhcp: net0: ${GCE_GUEST//./\\.} netmask 255\.255\.255\.255 gw ${gw//./\\.} mtu $mtu "
	if grep -q "$re" "$log"; then
		t_pass "gce-net[$name]: the lease, $(grep "$re" "$log" | tr -d '\r')"
		return 0
	fi
	t_fail "gce-net[$name]: the lease (/32, gw $gw, mtu $mtu)" "$QEMU_WHY"
	show_log "$log"
	tail -n 20 "$GCE_DIR/dnsmasq.log" | sed 's/^/  | dnsmasq: /'
	return 1
}

gce_routes_check() {
	local name=$1
	if grep -q "^dhcp: net0: routes 10\.128\.0\.1/32 on-link, 0\.0\.0\.0/0 via 10\.128\.0\.1\s*$" "$log"; then
		t_pass "gce-net[$name]: option 121 in force: $(grep -o '^dhcp: net0: routes.*' "$log" | tr -d '\r')"
	else
		t_fail "gce-net[$name]: option 121's routes" "$QEMU_WHY"
		show_log "$log"
	fi
}

# The whole scenario on one kind of NIC: lease, routes, guest -> peer,
# peer -> guest, and the frame sizes of both runs.
gce_positive() {
	local name=$1 machine=$2 smp=$3 nicopts=$4 start out qemu_pid fails
	start=$SECONDS
	fails=$T_FAILED
	gce_connect "$name" "" "$GCE_BYTES" 150 "$machine" "$smp" "$nicopts"
	gce_lease_check "$name" 1460 "$GCE_GW" && gce_routes_check "$name"
	if [ "$GUEST_STATUS" = 0 ] &&
		grep -q "^nettest: sent $GCE_BYTES bytes, host counted $GCE_BYTES" "$log"; then
		t_pass "gce-net[$name]: guest -> peer through the gateway, $GCE_BYTES bytes counted ($((SECONDS - start)) s)"
	else
		t_fail "gce-net[$name]: guest -> peer TCP" "$QEMU_WHY; $(cat "$GCE_SINK")"
		show_log "$log"
	fi
	gce_frames_check "$name"
	gce_pcap_drop "$fails"

	# Peer -> guest: the guest echoes, the peer checks a SHA-256.
	log=$logs/gce-$name-serve.log
	fails=$T_FAILED
	gce_frames_start "$name-serve"
	# shellcheck disable=SC2046
	qemu_boot 150 "$log" -M "$machine" -m 256M -smp "$smp" \
		$(gce_nic "$nicopts") -kernel "$(net_elf)" \
		-append "-- serve 8000" &
	qemu_pid=$!
	gce_bg "$qemu_pid"
	for _ in $(seq 600); do
		grep -q '^dhcp: net0: routes' "$log" 2>/dev/null &&
			grep -q '^nettest: serving on port' "$log" && break
		sleep 0.1
	done
	out=$(gce_in pe timeout 90 "$GCE_PY" "$top/tests/net/hostside.py" \
		--host "$GCE_GUEST" echo 8000 "$GCE_BYTES" 2>&1)
	if echo "$out" | grep -q 'sha256 match'; then
		t_pass "gce-net[$name]: peer -> guest TCP echo, ${out#hostside: echo }"
	else
		t_fail "gce-net[$name]: peer -> guest TCP echo" "$out"
		show_log "$log"
	fi
	gce_in pe timeout 30 "$GCE_PY" "$top/tests/net/hostside.py" \
		--host "$GCE_GUEST" quit 8000 >/dev/null 2>&1
	wait "$qemu_pid"
	GCE_PIDS=${GCE_PIDS/ $qemu_pid / }
	gce_frames_stop
	gce_frames_check "$name-serve"
	gce_pcap_drop "$fails"
}

# gce_echo SMP: the echo server's disk.raw (tests/e2e/echo.sh) booted as
# GCE runs it: pc, SeaBIOS, the disk on virtio-scsi, a legacy-only NIC,
# this network; the HTTP checks from the peer, past the gateway.
gce_echo() {
	local smp=$1 name=echo-gce-${1}cpu qemu_pid out fails=$T_FAILED
	log=$logs/gce-$name.log
	gce_frames_start "$name"
	# shellcheck disable=SC2046
	qemu_boot 300 "$log" -M pc -m 128M -smp "$smp" \
		$(gce_nic ",disable-modern=on") \
		-device virtio-scsi-pci,id=scsi0 \
		-drive "if=none,id=d0,format=raw,readonly=on,file=$(echo_img)" \
		-device scsi-hd,drive=d0,bus=scsi0.0 &
	qemu_pid=$!
	gce_bg "$qemu_pid"
	if ! gce_in pe timeout 150 "$GCE_PY" "$top/tests/e2e/http_wait.py" \
		"$GCE_GUEST" 8000 120; then
		t_fail "gce-net[$name]: the server answers GET /hello" \
			"no 200 within 120 s"
		show_log "$log"
	else
		gce_lease_check "$name" 1460 "$GCE_GW"
		out=$(gce_in pe timeout 240 "$GCE_PY" "$top/tests/echo/check.py" \
			--host "$GCE_GUEST" --port 8000 --remote-addr-ip "$GCE_PEER" 2>&1)
		if [ $? = 0 ]; then
			t_pass "gce-net[$name]: $(echo "$out" | tail -n 1)"
		else
			t_fail "gce-net[$name]: the HTTP checks" "$(echo "$out" | tail -n 15)"
			show_log "$log" 30
		fi
	fi
	gce_qemu_kill
	wait "$qemu_pid" 2>/dev/null
	GCE_PIDS=${GCE_PIDS/ $qemu_pid / }
	t_console_clean "gce-net[$name]" "$log"
	gce_frames_stop
	gce_frames_check "$name"
	gce_pcap_drop "$fails"
}

# Without option 121 the /32 lease has no gateway: connect must fail.
gce_no_routes() {
	local name=no-routes fails=$T_FAILED
	GCE_TRIES=10 gce_connect "$name" "dhcp.routes=off" 1000000 60 pc 1 \
		",disable-modern=on"
	if grep -q '^dhcp: net0: dhcp.routes=off: option 121 (2 routes) ignored' "$log" &&
		grep -q "^dhcp: net0: $GCE_GUEST netmask 255.255.255.255 gw 0.0.0.0 " "$log" &&
		grep -q '^nettest: connect: ' "$log" && [ "$GUEST_STATUS" = 1 ]; then
		t_pass "gce-net[negative]: with dhcp.routes=off the guest has no gateway and cannot reach the peer (connect failed)"
	else
		t_fail "gce-net[negative]: dhcp.routes=off must make the connect fail" "$QEMU_WHY"
		show_log "$log"
	fi
	gce_pcap_drop "$fails"
}

# Without option 26 the guest sends 1500-byte packets that the path drops:
# the bulk transfer must not complete in the time a good one takes.
gce_no_mtu() {
	local name=no-mtu limit=30 sunk fails=$T_FAILED
	gce_connect "$name" "dhcp.mtu=off" "$GCE_BYTES" "$limit" pc 1 \
		",disable-modern=on"
	sunk=$(sed -n 's/^hostside: sink \(stopped at\|counted\) \([0-9]*\).*/\2/p' "$GCE_SINK")
	if grep -q '^dhcp: net0: dhcp.mtu=off: option 26 (mtu 1460) ignored' "$log" &&
		grep -q "^dhcp: net0: $GCE_GUEST netmask 255.255.255.255 gw $GCE_GW mtu 1500 " "$log" &&
		! grep -q '^nettest: sent ' "$log" && [ -z "$GUEST_STATUS" ] &&
		[ "${GCE_BIG_IN:-0}" -gt "$GCE_MAXFRAME" ] &&
		[ "${sunk:-0}" -lt "$GCE_BYTES" ]; then
		t_pass "gce-net[negative]: with dhcp.mtu=off the guest -> peer transfer stalls (${sunk:-0} of $GCE_BYTES bytes in ${limit} s; the guest sent $GCE_BIG_IN-byte frames)"
	else
		t_fail "gce-net[negative]: dhcp.mtu=off must stall the transfer" "$QEMU_WHY; ${GCE_FRAMES:-}; $(cat "$GCE_SINK")"
		show_log "$log"
	fi
	gce_pcap_drop "$fails"
}

# gce_boot_bg NAME LIMIT STEPS: boot the guest (pc, 1 vCPU, legacy-only
# NIC: GCE's kind) in the background with nettest STEPS; $log is its
# serial log, $GCE_QEMU_PID the boot's process, and gce_boot_wait collects
# GUEST_STATUS and QEMU_WHY.
gce_boot_bg() {
	log=$logs/gce-$1.log
	rm -f "$log.status"
	(
		# shellcheck disable=SC2046
		qemu_boot "$2" "$log" -M pc -m 256M -smp 1 \
			$(gce_nic ",disable-modern=on") -kernel "$(net_elf)" \
			-append "-- $3"
		printf '%s\n%s\n' "$GUEST_STATUS" "$QEMU_WHY" >"$log.status"
	) &
	GCE_QEMU_PID=$!
	gce_bg "$GCE_QEMU_PID"
}

gce_boot_wait() {
	wait "$GCE_QEMU_PID"
	GCE_PIDS=${GCE_PIDS/ $GCE_QEMU_PID / }
	GUEST_STATUS=$(sed -n 1p "$log.status" 2>/dev/null)
	QEMU_WHY=$(sed -n 2p "$log.status" 2>/dev/null)
}

# No DHCP server at first: the guest must keep asking, say so every 5 s,
# and keep running its app (a connection retried every 200 ms); the
# server comes 8 s into DHCP, and the lease must follow at lwIP's next
# retransmission (DISCOVERs at 0, 2, 6, 14, 30 s: here the one at 14 s),
# then the connection and 1 MB to the peer.
gce_dhcp_late() {
	local name=dhcp-late portfile=$GCE_DIR/dhcp-late.port sink_pid
	local bytes=1000000 nags ms late=3 re fails=$T_FAILED
	gce_stop "$GCE_DNSMASQ_PID"
	GCE_SINK=$logs/gce-$name-sink.out
	ip netns exec "$(gce_ns pe)" "$GCE_PY" "$top/tests/net/hostside.py" \
		--host "$GCE_PEER" sink "$GCE_PORT" "$portfile" >"$GCE_SINK" 2>&1 &
	sink_pid=$!
	gce_bg "$sink_pid"
	for _ in $(seq 50); do [ -s "$portfile" ] && break; sleep 0.1; done
	gce_frames_start "$name"
	gce_boot_bg "$name" 60 "connect $GCE_PEER $GCE_PORT $bytes 50"
	re='^dhcp: net0: no lease yet after 5 s; still asking'
	if net_wait_line "$log" "$re" 30; then
		sleep "$late"
	fi
	if ! gce_dnsmasq_start; then
		t_fail "gce-net[$name]: dnsmasq started late" "$GCE_WHY"
	fi
	gce_boot_wait
	gce_frames_stop
	gce_stop "$sink_pid"
	nags=$(sed -n '/^dhcp: net0: 10\./q; /^dhcp: net0: no lease yet after/p' "$log" | tr -d '\r')
	if echo "$nags" | grep -q "$re"; then
		t_pass "gce-net[$name]: no server: the guest says so and keeps asking ($(echo "$nags" | wc -l) lines before the lease, the first '$(echo "$nags" | head -n 1)')"
	else
		t_fail "gce-net[$name]: 'no lease yet after 5 s' before the lease" "$QEMU_WHY"
		show_log "$log"
	fi
	ms=$(sed -n 's/^dhcp: net0: 10\.128\.0\.2 .* in \([0-9]*\) ms.*/\1/p' "$log" | head -n 1)
	if gce_lease_check "$name" 1460 "$GCE_GW" && [ "${ms:-0}" -ge 8000 ] &&
		[ "$ms" -le 40000 ]; then
		t_pass "gce-net[$name]: server started $((5 + late)) s into DHCP: lease bound in $ms ms"
	else
		t_fail "gce-net[$name]: lease between 8 and 40 s (at the next retransmission after the server starts)" "${ms:-no} ms"
	fi
	if [ "$GUEST_STATUS" = 0 ] &&
		grep -q "^nettest: sent $bytes bytes, host counted $bytes" "$log"; then
		t_pass "gce-net[$name]: then guest -> peer TCP, $bytes bytes counted"
	else
		t_fail "gce-net[$name]: guest -> peer TCP after the late lease" "$QEMU_WHY; $(cat "$GCE_SINK")"
		show_log "$log"
	fi
	gce_pcap_drop "$fails"
}

# gce_tap_stat NAME: a counter of tap0's (tx_ is towards the guest).
gce_tap_stat() {
	gce_in l2 cat "/sys/class/net/tap0/statistics/$1" 2>/dev/null || echo 0
}

# gce_inject KIND COUNT: frames of one kind from tap0 to the guest (as
# from the gateway, hostside.py inject); sets GCE_SENT and GCE_ANSWERED
# and adds the result line to $GCE_INJECTED.
gce_inject() {
	local out
	out=$(gce_in l2 timeout 40 "$GCE_PY" "$top/tests/net/hostside.py" \
		--host "$GCE_GUEST" inject tap0 "$GCE_MAC" "$1" "$2" "$GCE_GW" 2>&1)
	GCE_INJECTED+="  $out"$'\n'
	GCE_SENT=$(echo "$out" | sed -n 's/^hostside: inject [^ ]*: \([0-9]*\) frames.*/\1/p')
	GCE_ANSWERED=$(echo "$out" | sed -n 's/.* \([0-9]*\) answered$/\1/p')
}

# gce_expect WHAT KIND COUNT ANSWERS: inject; ANSWERS is "all", "none" or
# "some"; a miss is added to $GCE_BAD.
gce_expect() {
	local what=$1 kind=$2 count=$3 want=$4 ok=0
	gce_inject "$kind" "$count"
	if [ "${GCE_SENT:-0}" = "$count" ]; then
		case $want in
		all) [ "$GCE_ANSWERED" = "$count" ] && ok=1 ;;
		none) [ "$GCE_ANSWERED" = 0 ] && ok=1 ;;
		some) [ "${GCE_ANSWERED:-0}" -gt 0 ] && ok=1 ;;
		esac
	fi
	[ "$ok" = 1 ] ||
		GCE_BAD+=" $what ($kind): ${GCE_SENT:-?} sent, ${GCE_ANSWERED:-?} answered, expected $want;"
}

# Bad input from the link: frames to the guest's MAC written straight
# into tap0 (the guest's side of it), while it serves TCP echo. Each kind
# must get the answer it deserves (good echo requests and SYNs one each,
# bad ones none); the oversized ones must be dropped by the driver with
# its log line; afterwards a TCP echo through the gateway must still
# pass, with no CPU exception or panic on the console.
gce_faults() {
	local name=faults fails=$T_FAILED out re big tx drop n
	GCE_INJECTED=
	GCE_BAD=
	gce_frames_start "$name"
	gce_boot_bg "$name" 150 "serve 8000"
	net_wait_line "$log" '^dhcp: net0: routes' 60 &&
		net_wait_line "$log" '^nettest: serving on port' 10
	GCE_MAC=$(sed -n 's/^virtio-net: net0: \([0-9a-f:]\{17\}\), .*/\1/p' "$log" | head -n 1)
	if [ -z "$GCE_MAC" ] || ! grep -q '^nettest: serving on port' "$log" ||
		! grep -q '^dhcp: net0: routes' "$log"; then
		t_fail "gce-net[$name]: the guest up and serving" "no MAC, lease or server in the log"
		gce_qemu_kill
		gce_boot_wait
		gce_frames_stop
		show_log "$log"
		return
	fi
	# AF_PACKET refuses frames over the device's MTU.
	gce_in l2 ip link set tap0 mtu 9216
	gce_expect "good echo requests" ping 5 all
	gce_expect "an echo request in a frame of the largest size accepted (MTU + 18)" big:1518 2 all
	for big in 1519 4000 9018; do
		gce_expect "oversized frame" "big:$big" 2 none
	done
	for big in 14 15 34; do
		gce_expect "runt" "runt:$big" 3 none
	done
	gce_expect "bad IPv4 header checksum" ipsum 5 none
	gce_expect "IPv4 total length past the frame" iplen 5 none
	gce_expect "IPv4 header length 16" ihl 5 none
	gce_expect "good SYN" syn:8000 3 all
	gce_expect "SYN with a bad TCP checksum" tcpsum:8000 5 none
	tx=$(gce_tap_stat tx_packets) drop=$(gce_tap_stat tx_dropped)
	gce_expect "burst" burst 3000 some
	tx=$(($(gce_tap_stat tx_packets) - tx)) drop=$(($(gce_tap_stat tx_dropped) - drop))
	GCE_INJECTED+="  (burst: tap0 passed $tx frames to QEMU, dropped $drop)"$'\n'
	gce_expect "good echo requests after all that" ping 5 all
	gce_in l2 ip link set tap0 mtu 1500
	if [ -z "$GCE_BAD" ]; then
		t_pass "gce-net[$name]: injected frames answered as they deserve:"$'\n'"${GCE_INJECTED%$'\n'}"
	else
		t_fail "gce-net[$name]: injected frames" "${GCE_BAD%;}"$'\n'"${GCE_INJECTED%$'\n'}"
	fi
	# Buffers of 1530 bytes (12 of header, 1518 of frame, then 1530 of
	# frame in each further one): 1519 bytes take 2, 4000 take 3, 9018
	# take 6. The first of each size is logged (a line a second at most).
	re='^virtio-net: net0: dropped a received frame: '
	out=
	for n in 2 3 6; do
		grep -Eq "${re}(length [0-9]+ > [0-9]+, )?spread over $n buffers" "$log" ||
			out+=" $n"
	done
	if [ -z "$out" ]; then
		t_pass "gce-net[$name]: the driver dropped the oversized frames and said so: $(grep "$re" "$log" | tr -d '\r' | sed "s/$re//" | paste -sd ';' | sed 's/;/; /g')"
	else
		t_fail "gce-net[$name]: the driver's lines for oversized frames" "no 'spread over N buffers' for N =$out"
	fi
	out=$(gce_in pe timeout 90 "$GCE_PY" "$top/tests/net/hostside.py" \
		--host "$GCE_GUEST" echo 8000 5000000 2>&1)
	gce_in pe timeout 30 "$GCE_PY" "$top/tests/net/hostside.py" \
		--host "$GCE_GUEST" quit 8000 >/dev/null 2>&1
	gce_boot_wait
	gce_frames_stop
	if echo "$out" | grep -q 'sha256 match' && [ "$GUEST_STATUS" = 0 ] &&
		! grep -Eq '^(fault|panic|kernel: fatal)' "$log"; then
		t_pass "gce-net[$name]: afterwards peer -> guest TCP echo, ${out#hostside: echo }; no fault or panic, quit with status 0"
	else
		t_fail "gce-net[$name]: the guest still serves after the bad input" "$out; $QEMU_WHY"
		show_log "$log"
	fi
	if [ "${GCE_BIG_OUT:-0}" = 9018 ]; then
		t_pass "gce-net[$name]: the watcher on tap0 saw the largest injected frame (9018 bytes) go to the guest"
	else
		t_fail "gce-net[$name]: the 9018-byte frame on tap0" "${GCE_FRAMES:-no result from the watcher}"
	fi
	grep -a 'receive ring' "$log" | tr -d '\r' | sed 's/^/  (/; s/$/)/'
	gce_pcap_drop "$fails"
}

run_gce_net_tests() {
	local why='' start=$SECONDS log
	t_section "network as on GCE (QEMU $SKIFF_ACCEL, tap in network namespaces, dnsmasq)"
	if [ "$(id -u)" != 0 ]; then
		why="needs root for network namespaces"
	elif [ ! -c /dev/net/tun ]; then
		why="no /dev/net/tun"
	elif [ ! -x /usr/sbin/dnsmasq ]; then
		why="no /usr/sbin/dnsmasq (Debian's dnsmasq-base)"
	elif ! command -v ethtool >/dev/null; then
		why="no ethtool"
	elif ! command -v ping >/dev/null; then
		why="no ping (Debian's iputils-ping)"
	elif [ ! -f "$(net_elf)" ]; then
		t_fail "gce-net: nettest.elf built"
		return
	fi
	if [ -n "$why" ]; then
		t_skip "gce-net: the GCE-like network tests" "$why"
		return
	fi
	# The interpreter itself, not a wrapper that forks it: the watcher
	# and the sink are stopped by their process id.
	GCE_PY=$(python3 -c 'import sys; print(sys.executable)')
	GCE_ID=$$-$RANDOM
	GCE_DIR=$logs/gce
	GCE_PIDS=
	rm -rf "$GCE_DIR"
	mkdir -p "$GCE_DIR"
	trap 'gce_cleanup' EXIT
	trap 'gce_cleanup; exit 130' INT TERM HUP
	if ! gce_setup; then
		t_fail "gce-net: namespaces, bridge, tap and dnsmasq" "$GCE_WHY"
	else
		gce_qemu_wrapper
		local QEMU=$GCE_DIR/qemu
		gce_path_test
		# GCE's device: legacy only, pc, 1 vCPU.
		gce_positive legacy-pc-1cpu pc 1 ",disable-modern=on"
		gce_no_routes
		gce_no_mtu
		# OpenStack q35's device (modern only) on 4 vCPUs, same network.
		gce_positive modern-q35-4cpu q35 4 ",disable-legacy=on"
		# Faults, on GCE's kind of device: the DHCP server late, then
		# bad frames from the link.
		gce_dhcp_late
		gce_faults
		# The tutorial's app as GCE runs it (tests/e2e/echo.sh made
		# the image, when the echo server was built).
		if [ -f "$(echo_img)" ]; then
			gce_echo 1
			gce_echo 4
		fi
	fi
	gce_cleanup
	trap - EXIT INT TERM HUP
	echo "  (GCE-like network tests: $((SECONDS - start)) s)"
}
