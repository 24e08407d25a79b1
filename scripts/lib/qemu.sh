# QEMU helpers for run, test and bench. Sourced after common.sh.
#
# Every boot is bounded by a timeout, and the guest's exit status comes
# back through isa-debug-exit: QEMU exits with (status << 1) | 1.

QEMU=${QEMU:-qemu-system-x86_64}
SKIFF_ACCEL=${SKIFF_ACCEL:-tcg}

# The -accel and -cpu arguments for $SKIFF_ACCEL (tcg or kvm).
qemu_accel_args() {
	case "$SKIFF_ACCEL" in
	tcg) echo "-accel tcg -cpu max" ;;
	kvm)
		[ -w /dev/kvm ] || die "qemu: --accel kvm: /dev/kvm is not usable"
		echo "-accel kvm -cpu host"
		;;
	*) die "qemu: unknown accelerator '$SKIFF_ACCEL' (tcg or kvm)" ;;
	esac
}

# qemu_boot TIMEOUT LOG [qemu args...]
# Boots with the serial console into LOG and sets:
#   QEMU_RC      QEMU's own exit code (124: timed out)
#   GUEST_STATUS the guest's exit status, or "" if it did not exit
#                through isa-debug-exit
#   QEMU_WHY     a short description of how it ended
qemu_boot() {
	local limit=$1 log=$2
	shift 2
	: >"$log"
	# shellcheck disable=SC2046
	timeout --kill-after=5 "$limit" "$QEMU" $(qemu_accel_args) \
		-display none -no-reboot -monitor none \
		-serial "file:$log" \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		"$@" </dev/null >"$log.qemu" 2>&1
	QEMU_RC=$?
	GUEST_STATUS=""
	if [ "$QEMU_RC" = 124 ] || [ "$QEMU_RC" = 137 ]; then
		QEMU_WHY="timed out after ${limit}s"
	elif [ $((QEMU_RC % 2)) = 1 ]; then
		GUEST_STATUS=$(((QEMU_RC - 1) / 2))
		QEMU_WHY="guest exited with status $GUEST_STATUS"
	elif [ "$QEMU_RC" = 0 ]; then
		QEMU_WHY="VM stopped without an exit status"
	else
		QEMU_WHY="QEMU failed (exit code $QEMU_RC): $(head -c 300 "$log.qemu")"
	fi
}

# Print a boot's serial log, indented, for a failure report.
show_log() {
	local log=$1
	echo "  --- serial log ($log) ---"
	sed 's/\r$//; s/^/  | /' "$log" | tail -n "${2:-80}"
	if [ -s "$log.qemu" ]; then
		echo "  --- qemu ---"
		sed 's/^/  | /' "$log.qemu" | tail -n 20
	fi
	echo "  ---"
}

# qemu_boot_until TIMEOUT LOG PATTERN [qemu args...]
# Like qemu_boot, but stops the VM as soon as a line matching the extended
# regex PATTERN appears on the serial console (for boots that are meant to
# halt, or servers that never exit). Sets QEMU_MATCHED to 1 if it did,
# and QEMU_ALIVE to 1 if the VM was still up a moment after the match (a
# halted guest is; one that reset would have made QEMU exit, -no-reboot).
qemu_boot_until() {
	local limit=$1 log=$2 pattern=$3 pid deadline
	shift 3
	: >"$log"
	QEMU_MATCHED=0
	QEMU_ALIVE=0
	# shellcheck disable=SC2046
	timeout --kill-after=5 "$limit" "$QEMU" $(qemu_accel_args) \
		-display none -no-reboot -monitor none \
		-serial "file:$log" \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		"$@" </dev/null >"$log.qemu" 2>&1 &
	pid=$!
	deadline=$((SECONDS + limit + 10))
	while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do
		if grep -Eq "$pattern" "$log" 2>/dev/null; then
			QEMU_MATCHED=1
			sleep 0.3 # let the rest of the line (and a halt) land
			kill -0 "$pid" 2>/dev/null && QEMU_ALIVE=1
			kill "$pid" 2>/dev/null
			break
		fi
		sleep 0.05
	done
	wait "$pid" 2>/dev/null
	QEMU_RC=$?
	grep -Eq "$pattern" "$log" 2>/dev/null && QEMU_MATCHED=1
	if [ "$QEMU_MATCHED" = 1 ]; then
		QEMU_WHY="matched '$pattern'"
	elif [ "$QEMU_RC" = 124 ]; then
		QEMU_WHY="timed out after ${limit}s without '$pattern'"
	else
		QEMU_WHY="QEMU ended (exit code $QEMU_RC) without '$pattern'"
	fi
}
