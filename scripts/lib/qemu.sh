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
