# Shared by scripts/gce and scripts/openstack: checking a disk image and
# showing or running the cloud client's commands. Sourced after common.sh,
# with $prog set to the script's name for messages.

# shell_words ARGS...: the arguments as one line a shell reads back the
# same, quoting only the words that need it.
shell_words() {
	local a out="" q="'\\''"
	for a in "$@"; do
		if [[ "$a" =~ ^[A-Za-z0-9_./:=,@%+-]+$ ]]; then
			out+="$a "
		else
			out+="'${a//\'/$q}' "
		fi
	done
	echo "${out% }"
}

# step COMMENT CMD ARGS...: print the command under its comment, and with
# $execute=1 run it too, stopping at the first failure.
step_n=0
step() {
	local comment=$1
	shift
	step_n=$((step_n + 1))
	echo "# $step_n. $comment"
	shell_words "$@"
	if [ "$execute" = 1 ]; then
		"$@" || die "$prog: step $step_n failed: $(shell_words "$@")"
	fi
}

# need_clients NAME...: with --execute, each client must be installed.
need_clients() {
	local c
	[ "$execute" = 1 ] || return 0
	for c in "$@"; do
		command -v "$c" >/dev/null ||
			die "$prog: --execute needs '$c', which is not in PATH"
	done
}

# check_disk FILE: a readable regular file with the boot signature of an
# MBR (our MBR and GPT layouts both have one) in its first sector.
check_disk() {
	local f=$1 sig
	[ -e "$f" ] || die "$prog: $f: no such file"
	[ -f "$f" ] || die "$prog: $f: not a regular file"
	[ -r "$f" ] || die "$prog: $f: not readable"
	sig=$(od -An -tx1 -j510 -N2 "$f" | tr -d ' \n')
	[ "$sig" = 55aa ] ||
		die "$prog: $f: no boot signature (55 AA) at byte 510; not a disk image (make one with scripts/mkimage)"
}
