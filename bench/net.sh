#!/usr/bin/env bash
# Benchmark: TCP over a tap device, the unikernel against a Linux guest
# (Debian's cloud kernel, a busybox initramfs), both running
# bench/netbench.c under the same QEMU settings; host->guest throughput,
# connection rate and the time from QEMU's start to the server's "ready".
#
#   bench/net.sh [--runs N] [--seconds N] [--mbytes N] [--workers N]
#                [--smp "1 4"] [--host-ports] [--accel tcg|kvm] [--build DIR]
#                [--guests "skiff linux"]
#
# Needs root (a network namespace and a tap device). Everything runs in
# a namespace of its own, created here and deleted on exit: a persistent
# tap device "tap0" with the host side 10.0.9.1/24, QEMU inside the
# namespace on that tap, the guest at 10.0.9.2 (static). No traffic
# leaves the namespace. The Linux guest comes from Debian's archive
# (bench/lib/linux-guest.sh, cached under deps/linux-guest/); --guests skiff
# measures the unikernel alone.
#
# Each guest is booted twice per vCPU count: once with "netbench sink"
# for --runs transfers of --mbytes MB (10^6 bytes) from a host client,
# each checked against the count the guest sends back (MB/s: bytes over
# the time from connect to the count's arrival); once with "netbench rr"
# for --runs periods of --seconds s of --workers parallel host clients
# doing connect, a request line, the 64-byte reply, close (connections
# per second). Both report medians, and the single runs below the table.
# The host side is bench/netclient.c, built here. Each connection-rate run
# connects from an address of its own (10.0.9.11, .12 ...) and uses each
# local port once, because the guest closes first and keeps TIME_WAIT;
# with --host-ports the host's kernel picks the ports instead (and may
# reuse one the guest still holds in TIME_WAIT: see netclient.c). QEMU: q35, 256 MiB, virtio-net-pci (defaults), the same
# MAC, -accel from --accel; the host's CPUs are not pinned, so the client,
# QEMU's I/O thread and its vCPU threads share them.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib/common.sh"
. "$top/scripts/lib/qemu.sh"
. "$top/scripts/lib/bench.sh"
. "$top/bench/lib/linux-guest.sh"

runs=5
seconds=5
mbytes=100
workers=8
smps="1 4"
guests="skiff linux"
host_ports=0
build=""
args=()
while [ $# -gt 0 ]; do
	case "$1" in
	--build | --seconds | --mbytes | --workers | --smp | --guests)
		[ $# -ge 2 ] || die "net: $1 needs a value"
		case "$1" in
		--build) build=$2 ;;
		--seconds) seconds=$2 ;;
		--mbytes) mbytes=$2 ;;
		--workers) workers=$2 ;;
		--smp) smps=$2 ;;
		--guests) guests=$2 ;;
		esac
		shift 2
		;;
	--host-ports) host_ports=1; shift ;;
	*) args+=("$1"); shift ;;
	esac
done
bench_args ${args[@]+"${args[@]}"}
case "$runs$seconds$mbytes$workers${smps// /}" in
*[!0-9]* | "") die "net: --runs, --seconds, --mbytes, --workers and --smp take numbers" ;;
esac
for guest in $guests; do
	case "$guest" in
	skiff | linux) ;;
	*) die "net: --guests takes skiff, linux or both, not $guest" ;;
	esac
done
if [ "$runs" -lt 1 ] || [ "$runs" -gt 100 ]; then
	die "net: --runs takes 1 to 100"
fi
[ "$(id -u)" = 0 ] || die "net: needs root (ip netns, a tap device)"
[ -c /dev/net/tun ] || die "net: no /dev/net/tun"

if [ -z "$build" ]; then
	"$top/scripts/setup" --quiet
	build_tree
	build=$top/build
fi
image=$build/bench/netbench.elf
[ -f "$image" ] || die "net: no $image"

ns=skiff-net-$$
host_ip=10.0.9.1
guest_ip=10.0.9.2
quit_ip=10.0.9.10
port=5001
qemu_pid=""
work=$(mktemp -d)
cleanup() {
	[ -z "$qemu_pid" ] || kill "$qemu_pid" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

gcc -std=gnu11 -O2 -static -pthread -o "$work/netbench-linux" \
	"$top/bench/netbench.c" || die "net: could not build the static netbench"
gcc -std=gnu11 -O2 -pthread -o "$work/netclient" "$top/bench/netclient.c" ||
	die "net: could not build the client"
case " $guests " in
*" linux "*)
	linux_guest_fetch
	linux_guest_initramfs "$work/netbench-linux" "$work/initrd.gz"
	;;
esac

ip netns add "$ns" || die "net: ip netns add $ns failed"
if ! { ip -n "$ns" link set lo up &&
	ip -n "$ns" tuntap add dev tap0 mode tap &&
	ip -n "$ns" addr add "$host_ip/24" dev tap0 &&
	ip -n "$ns" addr add "$quit_ip/24" dev tap0 &&
	ip -n "$ns" link set tap0 up; }; then
	die "net: could not set up tap0 in $ns"
fi
for r in $(seq "$runs"); do
	ip -n "$ns" addr add "10.0.9.$((10 + r))/24" dev tap0 ||
		die "net: could not add 10.0.9.$((10 + r)) to tap0"
done
# The clients close after the guest does, so they leave no TIME_WAIT
# behind; a wide port range still keeps reuse rare at high rates.
ip netns exec "$ns" sysctl -q -w net.ipv4.ip_local_port_range="10000 65000"

in_ns() { ip netns exec "$ns" "$@"; }

# guest_start GUEST SMP MODE: boots GUEST (skiff or linux) running
# "netbench MODE $port" in the background, bounded by a timeout, and
# waits up to 120 s for its "ready" line. Sets qemu_pid, log and ready_s
# (seconds from QEMU's start to the line; "" if it never came).
guest_start() {
	local guest=$1 smp=$2 mode=$3 t0 boot
	log=$work/$guest-$smp-$mode.log
	: >"$log"
	case "$guest" in
	skiff) boot=(-kernel "$image" -append
		"ip=$guest_ip netmask=255.255.255.0 gw=$host_ip -- $mode $port") ;;
	linux) boot=(-kernel "$LINUX_GUEST_KERNEL" -initrd "$work/initrd.gz"
		-append "console=ttyS0 quiet skiff.ip=$guest_ip/24 skiff.gw=$host_ip skiff.args=$mode,$port") ;;
	esac
	t0=$(date +%s%N)
	# Not through in_ns: $! must be the process that becomes timeout
	# (ip netns exec execs it), so that killing it ends QEMU.
	# shellcheck disable=SC2046
	ip netns exec "$ns" timeout --kill-after=5 "$qemu_limit" "$QEMU" $(qemu_accel_args) \
		-M q35 -m 256M -smp "$smp" \
		-display none -no-reboot -monitor none -serial "file:$log" \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-netdev tap,id=n0,ifname=tap0,script=no,downscript=no \
		-device virtio-net-pci,netdev=n0 \
		"${boot[@]}" </dev/null >"$log.qemu" 2>&1 &
	qemu_pid=$!
	ready_s=""
	for _ in $(seq 6000); do
		if grep -q '^netbench: .* ready on port' "$log"; then
			ready_s=$(awk -v a="$t0" -v b="$(date +%s%N)" \
				'BEGIN { printf "%.2f", (b - a) / 1e9 }')
			return 0
		fi
		kill -0 "$qemu_pid" 2>/dev/null || break
		sleep 0.02
	done
	echo "net: $guest, $smp vCPU, $mode: no ready line" >&2
	show_log "$log" >&2
	return 1
}

# guest_stop GUEST SMP: asks the server to exit and waits up to 30 s for
# the VM to end (the unikernel exits with status 0, QEMU then with 1; the
# Linux guest powers off, QEMU exits with 0); kills it otherwise.
guest_stop() {
	local guest=$1 smp=$2 rc want
	# From an address of its own, so that its port cannot be one the
	# guest still holds in TIME_WAIT (--host-ports).
	in_ns timeout 20 "$work/netclient" quit "$guest_ip" "$port" \
		"$quit_ip" >/dev/null
	for _ in $(seq 300); do
		kill -0 "$qemu_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill "$qemu_pid" 2>/dev/null
	wait "$qemu_pid"
	rc=$?
	qemu_pid=""
	want=$([ "$guest" = skiff ] && echo 1 || echo 0)
	if [ "$rc" != "$want" ]; then
		echo "net: $guest, $smp vCPU: the VM did not end cleanly (QEMU exit code $rc)" >&2
		show_log "$log" 30 >&2
	fi
}

# A guest that does at least 1 MB/s needs far less than this.
qemu_limit=$((300 + runs * (mbytes + seconds + 20)))

# measure GUEST SMP: one table row.
measure() {
	local guest=$1 smp=$2 out tput="n/a" rate="n/a" ready=() errors=0 e
	local sends=$work/sends rrs=$work/rrs fails=0 r from
	: >"$sends"
	: >"$rrs"
	if guest_start "$guest" "$smp" sink; then
		ready+=("$ready_s")
		for _ in $(seq "$runs"); do
			if out=$(in_ns timeout $((60 + mbytes)) "$work/netclient" \
				send "$guest_ip" "$port" $((mbytes * 1000000)) 2>&1); then
				echo "$out" | sed -n 's/.*, \([0-9.]*\) MB\/s,.*/\1/p' >>"$sends"
			else
				fails=$((fails + 1))
				echo "net: $guest, $smp vCPU: ${out:-netclient send timed out}" >&2
			fi
		done
		[ "$fails" = 0 ] || show_log "$log" 30 >&2
		guest_stop "$guest" "$smp"
		[ ! -s "$sends" ] || tput=$(median <"$sends")
		[ "$fails" = 0 ] || tput="$tput ($((runs - fails)) of $runs ok)"
	fi
	if guest_start "$guest" "$smp" rr; then
		ready+=("$ready_s")
		for r in $(seq "$runs"); do
			from=10.0.9.$((10 + r))
			[ "$host_ports" = 0 ] || from=""
			# shellcheck disable=SC2086 # no FROM with --host-ports
			out=$(in_ns timeout $((seconds + 30)) "$work/netclient" rr \
				"$guest_ip" "$port" "$workers" "$seconds" $from 2>&1)
			echo "$out" | sed -n 's/.*, \([0-9]*\) conn\/s,.*/\1/p' >>"$rrs"
			e=$(echo "$out" | sed -n 's/.*conn\/s, \([0-9]*\) errors.*/\1/p')
			errors=$((errors + ${e:-1}))
			case "$out" in
			*" 0 errors"*) ;;
			*) echo "net: $guest, $smp vCPU: ${out:-netclient rr timed out}" >&2 ;;
			esac
		done
		[ "$errors" = 0 ] || show_log "$log" 30 >&2
		guest_stop "$guest" "$smp"
		[ ! -s "$rrs" ] || rate=$(median <"$rrs")
	fi
	printf '| %s | %d | %s | %s | %s | %d |\n' "$guest" "$smp" \
		"$(printf '%s\n' ${ready[@]+"${ready[@]}"} | median)" \
		"$tput" "$rate" "$errors"
	printf '%s, %d vCPU: ready %s s; MB/s %s; conn/s %s\n' "$guest" "$smp" \
		"${ready[*]:-n/a}" "$(paste -sd' ' "$sends")" \
		"$(paste -sd' ' "$rrs")" >>"$work/details"
}

echo "TCP over a tap, QEMU $SKIFF_ACCEL ($($QEMU --version | head -n 1 | awk '{print $4}')), q35, 256 MiB, virtio-net-pci;"
echo "medians of $runs runs: host->guest $mbytes MB per run, $workers clients for $seconds s per run$([ "$host_ports" = 0 ] || echo ", ports picked by the host")"
echo "skiff: $image"
[ -z "${LINUX_GUEST_VERSION:-}" ] ||
	echo "linux: Debian linux-image-$LINUX_GUEST_VERSION $LINUX_GUEST_PKGVER, busybox initramfs, netbench.c by $(gcc -dumpfullversion) -O2 -static"
echo
echo "| guest | vCPUs | QEMU start to ready, s (best of 2 boots) | host->guest MB/s | connections/s | rr errors |"
echo "|---|---|---|---|---|---|"
for smp in $smps; do
	for guest in $guests; do
		measure "$guest" "$smp"
	done
done
echo
echo "single runs (ready: the sink boot, then the rr boot):"
cat "$work/details"
