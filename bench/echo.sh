#!/usr/bin/env bash
# Benchmark: the echo server (apps/echo-server) as the clouds get it, next
# to a Linux guest serving the same source built natively: QEMU start to
# first HTTP 200, sizes, memory floor, requests/s and latency with wrk.
#
#   bench/echo.sh [--runs N] [--accel tcg|kvm] [--build DIR] [--skip-linux]
#                 [--seconds N] [--wrk-runs N] [--out DIR]
#
# bench/README.md describes the method. --build DIR: an existing meson
# build directory (DIR/apps/echo-server/echo-server.elf and its boot
# code), measured as it is; the native server is built from the source
# tree DIR was configured from. By default build/ of this tree is built.
# --runs: boots per configuration for the start-up times (default 5);
# --seconds: length of each wrk run (default 10); --wrk-runs: wrk runs
# per guest, vCPU count and mode, in one boot, of which the median counts
# (default 3: a single run varies by a factor of two here); --out: where the
# results text and the SVG chart go (default bench/results/).
#
# Every QEMU run, wrk run and client is bounded by a timeout. QEMU: user
# networking with hostfwd from a free loopback port to the guest's 8000,
# virtio-net-pci, 256 MiB unless the memory floor is being searched.
set -uo pipefail
export LC_ALL=C # $EPOCHREALTIME with a dot

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib/common.sh"
. "$top/scripts/lib/qemu.sh"
. "$top/scripts/lib/bench.sh"
. "$top/bench/lib/linux-guest.sh"

runs=5
seconds=10
wrk_runs=3
build=""
out=$top/bench/results
linux=1
args=()
while [ $# -gt 0 ]; do
	case "$1" in
	--build | --seconds | --wrk-runs | --out)
		[ $# -ge 2 ] || die "echo: $1 needs a value"
		case "$1" in
		--build) build=$(cd "$2" && pwd) || die "echo: no directory $2" ;;
		--seconds) seconds=$2 ;;
		--wrk-runs) wrk_runs=$2 ;;
		--out) out=$2 ;;
		esac
		shift 2
		;;
	--skip-linux) linux=0; shift ;;
	-h | --help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) args+=("$1"); shift ;;
	esac
done
bench_args ${args[@]+"${args[@]}"}
case "$runs$seconds$wrk_runs" in *[!0-9]* | "") die "echo: --runs, --seconds and --wrk-runs take numbers" ;; esac
[ "$wrk_runs" -ge 1 ] && [ "$wrk_runs" -le 9 ] || die "echo: --wrk-runs takes 1 to 9"
[ "$runs" -ge 1 ] && [ "$runs" -le 50 ] || die "echo: --runs takes 1 to 50"
[ "$seconds" -ge 1 ] && [ "$seconds" -le 120 ] || die "echo: --seconds takes 1 to 120"
for t in wrk gnuplot python3 tar; do
	command -v "$t" >/dev/null || die "echo: needs $t (scripts/setup installs it)"
done

if [ -z "$build" ]; then
	"$top/scripts/setup" --quiet
	build_tree
	build=$top/build
fi
elf=$build/apps/echo-server/echo-server.elf
[ -f "$elf" ] || die "echo: no $elf (is apps/echo-server in that tree?)"
src=$(python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))["directories"]["source"])' \
	"$build/meson-info/meson-info.json") || die "echo: $build is not a meson build directory"
src=$src/apps/echo-server
OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
probe=$top/bench/lib/httpprobe.py
mkdir -p "$out" || die "echo: cannot create $out"

work=$(mktemp -d)
vm_pid=""
cleanup() {
	[ -z "$vm_pid" ] || { kill "$vm_pid" 2>/dev/null; wait "$vm_pid" 2>/dev/null; }
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
res=$work/results.txt
say() { echo "$*" | tee -a "$res"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

# --- build the native server and the images ------------------------------
gcc -std=gnu11 -O2 -static -pthread -o "$work/echo-server-native" \
	"$src"/*.c || die "echo: could not build the static native server from $src"
"$top/scripts/mkimage" --build-dir "$build" --kernel "$elf" \
	--out "$work/disk.raw" >"$work/mkimage.log" 2>&1 ||
	die "echo: mkimage failed: $(tail -n 3 "$work/mkimage.log")"
(cd "$work" && tar --format=oldgnu -Sczf disk.tar.gz disk.raw) ||
	die "echo: tar of disk.raw failed"
if [ "$linux" = 1 ]; then
	linux_guest_fetch
	linux_guest_initramfs "$work/echo-server-native" "$work/initrd.gz"
fi

# vm_start NAME LIMIT [qemu args]: starts a VM in the background with the
# serial console in $work/NAME.log and the forwarded port; sets vm_pid,
# vm_log and vm_t0 (wall clock at QEMU's start, seconds).
vm_start() {
	local name=$1 limit=$2
	shift 2
	vm_log=$work/$name.log
	: >"$vm_log"
	vm_t0=$EPOCHREALTIME
	# shellcheck disable=SC2046
	timeout --kill-after=5 "$limit" "$QEMU" $(qemu_accel_args) \
		-display none -no-reboot -monitor none -serial "file:$vm_log" \
		-netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$port-:8000" \
		-device virtio-net-pci,netdev=n0 \
		"$@" </dev/null >"$vm_log.qemu" 2>&1 &
	vm_pid=$!
}

vm_stop() {
	[ -z "$vm_pid" ] && return
	kill "$vm_pid" 2>/dev/null
	wait "$vm_pid" 2>/dev/null
	vm_pid=""
}

# guest_args GUEST SMP MEM: the QEMU arguments that boot GUEST: "seabios"
# (disk.raw, q35, virtio-blk), "seabios-pc" (disk.raw, pc, virtio-scsi),
# "ovmf" (disk.raw, q35, virtio-blk) or "linux" (-kernel, -initrd).
# shellcheck disable=SC2054 # commas inside QEMU's option values
guest_args() {
	local guest=$1 smp=$2 mem=$3 disk=$work/disk.raw
	local a=(-smp "$smp" -m "${mem}M")
	case "$guest" in
	seabios) a+=(-M q35 -drive "file=$disk,format=raw,if=none,id=d0,readonly=on"
		-device virtio-blk-pci,drive=d0,bootindex=0) ;;
	seabios-pc) a+=(-M pc -device virtio-scsi-pci
		-drive "file=$disk,format=raw,if=none,id=d0,readonly=on"
		-device scsi-hd,drive=d0,bootindex=0) ;;
	ovmf)
		cp "$OVMF_VARS" "$work/vars.fd"
		a+=(-M q35 -drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE"
			-drive "if=pflash,format=raw,unit=1,file=$work/vars.fd"
			-drive "file=$disk,format=raw,if=none,id=d0,readonly=on"
			-device virtio-blk-pci,drive=d0,bootindex=0) ;;
	linux) a+=(-M q35 -kernel "$LINUX_GUEST_KERNEL" -initrd "$work/initrd.gz"
		-append "console=ttyS0 quiet") ;;
	esac
	printf '%s\n' "${a[@]}"
}

# boot_wait GUEST SMP MEM LIMIT: boots and waits for the first 200; the VM
# keeps running (vm_stop ends it). Sets first200 (ms from QEMU's start),
# listen (ms until QEMU's user network accepted a connection) and mark
# (ms until the serial log had the line that says the app runs), "" if
# none.
boot_wait() {
	local guest=$1 smp=$2 mem=$3 limit=$4 rx o
	local -a qa
	mapfile -t qa < <(guest_args "$guest" "$smp" "$mem")
	rx='boot: kernel entry to app'
	[ "$guest" = linux ] && rx='linux-guest: starting'
	# The probe first, so that its start-up is not timed (httpprobe.py).
	rm -f "$work/go" "$work/go.ready"
	python3 "$probe" first200 --port "$port" --go "$work/go" \
		--timeout "$limit" --log "$work/$guest-$smp-$mem.log" \
		--mark "app=$rx" >"$work/probe.out" &
	probe_pid=$!
	for _ in $(seq 3000); do
		[ -e "$work/go.ready" ] && break
		kill -0 "$probe_pid" 2>/dev/null || break
		sleep 0.01
	done
	vm_start "$guest-$smp-$mem" $((limit + 60)) "${qa[@]}"
	echo "$vm_t0 $vm_pid" >"$work/go.tmp" && mv "$work/go.tmp" "$work/go"
	wait "$probe_pid"
	o=$(cat "$work/probe.out")
	first200=$(echo "$o" | sed -n 's/^first200_ms=//p')
	mark=$(echo "$o" | sed -n 's/^app_ms=\([0-9]*\)$/\1/p')
	listen=$(echo "$o" | sed -n 's/^listen_ms=//p')
	[ -n "$first200" ]
}

# ms LABEL LOG: "LABEL N ms" from a boot log.
ms() { tr -d '\r' <"$2" | sed -n "s/.*$1 \([0-9.]*\) ms.*/\1/p" | head -n 1; }

# --- sizes ------------------------------------------------------------------
# The ELF as the image carries it (scripts/mkimage strips debug
# information, symbols kept), and fully stripped for comparison.
objcopy --strip-debug "$elf" "$work/echo-installed.elf" 2>/dev/null
strip -o "$work/echo-stripped.elf" "$elf" 2>/dev/null
sz() { stat -c %s "$1"; }
kib() { awk -v b="$1" 'BEGIN { printf "%.1f KiB", b / 1024 }'; }
elf_size=$(sz "$work/echo-installed.elf")
tgz_size=$(sz "$work/disk.tar.gz")
{
	echo "# bench/echo.sh, $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -n), $(nproc) host CPUs"
	echo "# QEMU $SKIFF_ACCEL ($($QEMU --version | head -n 1 | awk '{print $4}')); load average (1/5/15 min) at the start: $(load)"
	echo "# ELF: $elf, source $src at $(git -C "$src" describe --always --dirty 2>/dev/null || echo "(not in git)")"
} >"$res"
cat "$res"
say
say "sizes (targets: disk.tar.gz < 1 MiB, ELF < 512 KiB)"
say "  echo-server.elf      $elf_size bytes ($(kib "$elf_size")) on the disk; $(sz "$elf") bytes with debug information in the build, $(sz "$work/echo-stripped.elf") stripped of symbols too"
say "  BOOTX64.EFI          $(sz "$build/uefi/BOOTX64.EFI") bytes"
say "  stage 2              $(sz "$build/boot/stage2.bin") bytes (+ MBR 440)"
say "  disk.raw             $(sz "$work/disk.raw") bytes apparent, $(du -k "$work/disk.raw" | cut -f1) KiB allocated"
say "  disk.tar.gz          $tgz_size bytes ($(kib "$tgz_size")), tar --format=oldgnu -Sczf"
say "  ELF target $([ "$elf_size" -lt 524288 ] && echo met || echo missed); disk.tar.gz target $([ "$tgz_size" -lt 1048576 ] && echo met || echo missed)"

# --- QEMU start to first 200 -------------------------------------------------
# Per boot: first 200; when QEMU's user network first accepted a
# connection (QEMU sets it up before it creates the machine, so this is a
# lower bound of its start-up before the first guest instruction); and
# from the kernel's TSC stamps: reset to loader (the firmware), loader to
# kernel, kernel entry to app. The serial log cannot time these from the
# host: the kernel's lines reach the log file in one burst, at about the
# time the app starts. "app->200" is the rest: first 200 minus the other
# columns, so it also holds whatever part of QEMU's start-up follows its
# network set-up.
say
say "QEMU start to first HTTP 200, medians of $runs boots, 1 vCPU, 256 MiB, ms (load at start: $(load))"
say "  QEMU: QEMU start to its user network accepting (lower bound of its start-up); firmware, loader, kernel: TSC stamps"
say "  floor = QEMU + firmware: QEMU start to our loader's first instruction (a lower bound); app->200 = the rest"
printf '  %-26s %8s %8s %8s %8s %8s %8s %8s\n' config "first200" "QEMU" firmware loader kernel "app->200" floor | tee -a "$res"
: >"$work/timeline.dat"
row=0
for guest in seabios seabios-pc ovmf; do
	: >"$work/boots-$guest"
	limit=60
	[ "$guest" = ovmf ] && limit=120
	for _ in $(seq "$runs"); do
		if boot_wait "$guest" 1 256 "$limit"; then
			printf '%s %s %s %s %s\n' "$first200" "${listen:-nan}" \
				"$(ms 'reset to loader' "$vm_log")" \
				"$(ms 'loader to kernel' "$vm_log")" \
				"$(ms 'kernel entry to app' "$vm_log")" >>"$work/boots-$guest"
		else
			echo "echo: $guest: no 200 within $limit s" >&2
			show_log "$vm_log" 20 >&2
		fi
		vm_stop
	done
	# Columns: first200 listen reset->loader loader->kernel kernel->app.
	col() { awk -v c="$1" '$c != "nan" && $c != "" { print $c }' "$work/boots-$guest" | median; }
	f=$(col 1) qinit=$(col 2) r=$(col 3) l=$(col 4) k=$(col 5)
	name=$guest
	case "$guest" in
	seabios) name="SeaBIOS q35 virtio-blk" ;;
	seabios-pc) name="SeaBIOS pc virtio-scsi" ;;
	ovmf) name="OVMF q35 virtio-blk" ;;
	esac
	if [ "$f" = n/a ]; then
		say "  $name: no boot answered"
		continue
	fi
	awk -v n="$name" -v f="$f" -v q="$qinit" -v r="$r" -v l="$l" -v k="$k" 'BEGIN {
		rest = f - q - r - l - k
		printf "  %-26s %8.0f %8.0f %8.1f %8.1f %8.1f %8.0f %8.0f\n", n, f, q, r, l, k, rest, q + r
	}' | tee -a "$res"
	echo "  single boots (first200 ms): $(cut -d' ' -f1 "$work/boots-$guest" | paste -sd' ')" | tee -a "$res"
	row=$((row + 1))
	awk -v n="skiff, $name" -v y="$row" -v f="$f" -v q="$qinit" -v r="$r" -v l="$l" -v k="$k" 'BEGIN {
		s = 0
		split(q " " r " " l " " k " " (f - q - r - l - k), d, " ")
		for (i = 1; i <= 5; i++) { printf "%d %.4f %.4f %d \"%s\"\n", y, s / 1000, (s + d[i]) / 1000, i, n; s += d[i] }
	}' >>"$work/timeline.dat"
	case "$guest" in
	seabios*) tgt="SeaBIOS target (first 200 < 500 ms) $(awk -v f="$f" 'BEGIN { print (f < 500 ? "met" : "missed") }')" ;;
	ovmf) tgt="OVMF target (first 200 within 500 ms of the floor) $(awk -v f="$f" -v fl="$(awk -v q="$qinit" -v r="$r" 'BEGIN { print q + r }')" 'BEGIN { printf "%s (%.0f ms after it)", (f - fl <= 500 ? "met" : "missed"), f - fl }')" ;;
	esac
	say "  $tgt"
done

if [ "$linux" = 1 ]; then
	: >"$work/boots-linux"
	for _ in $(seq "$runs"); do
		if boot_wait linux 1 256 120; then
			echo "$first200 ${mark:-nan}" >>"$work/boots-linux"
		else
			echo "echo: linux: no 200 within 120 s" >&2
			show_log "$vm_log" 20 >&2
		fi
		vm_stop
	done
	lf=$(cut -d' ' -f1 "$work/boots-linux" | median)
	lm=$(awk '$2 != "nan" { print $2 }' "$work/boots-linux" | median)
	say "  Linux guest (-kernel/-initrd, q35): first 200 $lf ms, of which QEMU start to 'linux-guest: starting' $lm ms"
	say "  single boots (first200 ms): $(cut -d' ' -f1 "$work/boots-linux" | paste -sd' ')"
	if [ "$lf" != n/a ]; then
		row=$((row + 1))
		awk -v y="$row" -v f="$lf" -v m="$lm" 'BEGIN {
			printf "%d 0 %.4f 6 \"Linux guest, -kernel/-initrd\"\n", y, m / 1000
			printf "%d %.4f %.4f 5 \"Linux guest, -kernel/-initrd\"\n", y, m / 1000, f / 1000
		}' >>"$work/timeline.dat"
	fi
fi
say "  load average at the end: $(load)"

# --- memory floor -------------------------------------------------------------
# mem_ok GUEST MIB: boots with MIB MiB and 1 vCPU; 0 if it answers two
# rounds of 100 parallel clients.
mem_ok() {
	local ok=1
	local limit=20
	[ "$1" = linux ] && limit=45
	if boot_wait "$1" 1 "$2" "$limit"; then
		python3 "$probe" parallel --port "$port" --clients 100 \
			--rounds 2 --timeout 30 >"$work/par.out" 2>&1 && ok=0
	fi
	vm_stop
	return $ok
}

# mem_floor GUEST LO HI: the smallest MiB in LO..HI at which mem_ok holds,
# by bisection (assumes more memory never hurts); "> HI" if HI fails.
mem_floor() {
	local guest=$1 lo=$2 hi=$3 mid tried=""
	if ! mem_ok "$guest" "$hi"; then
		floor="> $hi"
		tried="$hi:no"
	else
		tried="$hi:ok"
		while [ $((hi - lo)) -gt 0 ]; do
			mid=$(((lo + hi) / 2))
			if mem_ok "$guest" "$mid"; then
				hi=$mid
				tried="$tried $mid:ok"
			else
				lo=$((mid + 1))
				tried="$tried $mid:no"
			fi
		done
		floor=$hi
	fi
	floor_tried=$tried
}

say
say "memory floor: smallest -m (MiB) that still answers 2 rounds of 100 parallel clients, 1 vCPU (load at start: $(load))"
mem_floor seabios 8 64
say "  skiff (SeaBIOS q35 virtio-blk, search 8..64): $floor MiB (tried $floor_tried)"
if [ "$linux" = 1 ]; then
	mem_floor linux 16 256
	say "  Linux guest (search 16..256): $floor MiB (tried $floor_tried)"
fi

# --- wrk ---------------------------------------------------------------------
# wrk_run MODE: one wrk run against the forwarded port; prints
# "req/s p50 p99 errors" (latencies in ms).
wrk_run() {
	local hdr=() o
	[ "$1" = close ] && hdr=(-H 'Connection: close')
	o=$(timeout --kill-after=5 $((seconds + 30)) wrk -t2 -c32 -d"${seconds}s" \
		--timeout 5s --latency ${hdr[@]+"${hdr[@]}"} \
		"http://127.0.0.1:$port/hello" 2>&1)
	echo "$o" >>"$work/wrk.log"
	echo "$o" | awk '
	function ms(v) {
		if (v ~ /us$/) return v * 0.001
		if (v ~ /ms$/) return v + 0
		if (v ~ /m$/) return v * 60000
		if (v ~ /s$/) return v * 1000
		return v
	}
	/^ +50%/ { p50 = ms($2) }
	/^ +99%/ { p99 = ms($2) }
	/^Requests\/sec:/ { rps = $2 }
	/Socket errors:/ { gsub(",", ""); err += $4 + $6 + $8 + $10 }
	/Non-2xx/ { err += $NF }
	END {
		if (rps == "") { print "n/a n/a n/a n/a"; exit }
		printf "%.0f %.2f %.2f %d\n", rps, p50, p99, err
	}'
}

# wrk_median MODE: wrk_runs runs; prints the run with the median req/s
# ("req/s p50 p99 errors"), with errors summed over all runs, then the
# single runs' req/s.
wrk_median() {
	local i all=""
	for i in $(seq "$wrk_runs"); do
		all+="$(wrk_run "$1")"$'\n'
	done
	echo -n "$all" | awk -v n="$wrk_runs" '
	{ rps[NR] = $1; line[NR] = $0; err += $4; singles = singles " " $1 }
	END {
		for (i = 1; i <= NR; i++)
			for (j = i + 1; j <= NR; j++)
				if (rps[j] + 0 < rps[i] + 0) {
					t = rps[i]; rps[i] = rps[j]; rps[j] = t
					t = line[i]; line[i] = line[j]; line[j] = t
				}
		split(line[int((NR + 1) / 2)], m, " ")
		printf "%s %s %s %d%s\n", m[1], m[2], m[3], err, singles
	}'
}

say
say "wrk -t2 -c32 -d${seconds}s --latency through QEMU's user network (hostfwd), q35, 256 MiB; latency in ms (load at start: $(load))"
say "  keep-alive: wrk's default; close: -H 'Connection: close' (a new connection per request)"
say "  req/s: the median of $wrk_runs runs in one boot (the single runs follow), p50 and p99 of that run; errors: all runs'"
printf '  %-28s %5s %-10s %9s %8s %8s %7s  %s\n' guest vCPUs mode "req/s" p50 p99 errors "single runs" | tee -a "$res"
guests="seabios"
[ "$linux" = 1 ] && guests="seabios linux"
for smp in 1 4; do
	for guest in $guests; do
		name="skiff (SeaBIOS, disk.raw)"
		[ "$guest" = linux ] && name="Linux guest"
		if ! boot_wait "$guest" "$smp" 256 120; then
			echo "echo: $guest, $smp vCPUs: no 200" >&2
			show_log "$vm_log" 20 >&2
			vm_stop
			continue
		fi
		for mode in keep-alive close; do
			read -r rps p50 p99 err singles < <(wrk_median "$mode")
			printf '  %-28s %5d %-10s %9s %8s %8s %7s  %s\n' "$name" "$smp" \
				"$mode" "$rps" "$p50" "$p99" "$err" "$singles" | tee -a "$res"
			echo "$guest $smp $mode $rps" >>"$work/rps.dat"
		done
		vm_stop
	done
done
if [ "$linux" = 1 ]; then
	for smp in 1 4; do
		for mode in keep-alive close; do
			awk -v s="$smp" -v m="$mode" '
			$2 == s && $3 == m { r[$1] = $4 }
			END {
				if (r["seabios"] == "" || r["linux"] == "" || r["linux"] == "n/a" || r["seabios"] == "n/a") {
					printf "  requests/s target (1.5x the Linux guest), %d vCPU %s: not measured\n", s, m
					exit
				}
				x = r["seabios"] / r["linux"]
				printf "  requests/s target (1.5x the Linux guest), %d vCPU %s: %.2fx, %s\n", s, m, x, (x >= 1.5 ? "met" : "missed")
			}' "$work/rps.dat" | tee -a "$res"
		done
	done
fi
say "  load average at the end: $(load)"

# --- chart --------------------------------------------------------------------
# Reference rows: figures measured on this machine earlier, not by this
# script (docs/benchmarks.md): SeaBIOS + GRUB 2.06 to a multiboot kernel
# 0.35-0.39 s, GRUB 0.24-0.29 s of it; a Debian Linux guest running the
# Go server reaches its first 200 in about 2.5 s, about 5.6 s through GRUB.
row=$((row + 1))
cat >>"$work/timeline.dat" <<EOF
$row 0 0.105 7 "GRUB + Linux + Go server (reference)"
$row 0.105 0.37 8 "GRUB + Linux + Go server (reference)"
$row 0.37 5.6 9 "GRUB + Linux + Go server (reference)"
EOF
row=$((row + 1))
echo "$row 0 2.5 9 \"Linux -kernel + Go server (reference)\"" >>"$work/timeline.dat"

: >"$work/rps-chart.dat"
for smp in 1 4; do
	for mode in keep-alive close; do
		s=$(awk -v s="$smp" -v m="$mode" '$1 == "seabios" && $2 == s && $3 == m { print $4 }' "$work/rps.dat" 2>/dev/null)
		l=$(awk -v s="$smp" -v m="$mode" '$1 == "linux" && $2 == s && $3 == m { print $4 }' "$work/rps.dat" 2>/dev/null)
		echo "\"$mode, $smp vCPU\" ${s:-NaN} ${l:-NaN}" >>"$work/rps-chart.dat"
	done
done
ytics=$(awk '!seen[$1]++ { printf "%s\"%s\" %d", (n++ ? ", " : ""), substr($0, index($0, "\"") + 1, length($0) - index($0, "\"") - 1), $1 }' "$work/timeline.dat")
gnuplot <<EOF || echo "echo: gnuplot failed" >&2
set terminal svg size 1000,820 dynamic font "sans,12" background "white"
set output "$out/echo.svg"
set multiplot layout 2,1 title "skiff echo server vs Linux guest: QEMU $SKIFF_ACCEL, $(nproc) host CPUs, $(date -u +%Y-%m-%d)"
set title "QEMU start to first HTTP 200 (pale rows: reference figures measured earlier on this machine, not in this run)"
set xlabel "seconds since QEMU start"
set ytics ($ytics)
set yrange [0.4:$row.6]
set xrange [0:*]
set grid x
set key outside right top vertical
set style fill solid 0.9 border -1
set palette defined (1 "#bbbbbb", 2 "#4477aa", 3 "#66ccee", 4 "#228833", 5 "#ccbb44", 6 "#ee6677", 7 "#4477aa", 8 "#aa3377", 9 "#ee6677")
unset colorbox
set cbrange [1:9]
plot "$work/timeline.dat" using ((\$2+\$3)/2):(\$4 < 7 ? \$1 : NaN):2:3:(\$1-0.3):(\$1+0.3):4 with boxxyerror fc palette notitle, \
	"$work/timeline.dat" using ((\$2+\$3)/2):(\$4 >= 7 ? \$1 : NaN):2:3:(\$1-0.3):(\$1+0.3):4 with boxxyerror fc palette fs transparent solid 0.35 border -1 notitle, \
	NaN with boxes fc rgb "#bbbbbb" title "QEMU start-up (to its network up)", \
	NaN with boxes fc rgb "#4477aa" title "firmware", \
	NaN with boxes fc rgb "#66ccee" title "our loader", \
	NaN with boxes fc rgb "#aa3377" title "GRUB", \
	NaN with boxes fc rgb "#228833" title "kernel to app", \
	NaN with boxes fc rgb "#ee6677" title "QEMU + firmware + Linux + init (+ app)", \
	NaN with boxes fc rgb "#ccbb44" title "app to first 200 (ours: the rest)"
set title "requests/s, wrk -t2 -c32 through QEMU user networking (this run)"
unset xlabel
set ylabel "requests/s"
set ytics auto
set yrange [0:*]
set xrange [*:*]
unset grid
set grid y
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.9 border -1
set key inside right top
plot "$work/rps-chart.dat" using 2:xtic(1) title "skiff" lc rgb "#4477aa", \
	"" using 3 title "Linux guest" lc rgb "#ee6677"
unset multiplot
EOF
cp "$res" "$out/echo.txt"
echo
echo "results: $out/echo.txt, chart: $out/echo.svg"
