# Shared by the scripts: versions, paths and small helpers. Sourced, with
# $top set to the root of the tree.

LWIP_VERSION=2.1.3
NEWLIB_VERSION=3.3.0

# newlib as the apps see it: no supplied system calls (libc-glue has them),
# locks through the retargetable hooks, one struct _reent per thread
# reached through __getreent(), and the kernel's code model and ABI.
NEWLIB_CONFIGURE_FLAGS="--disable-multilib --disable-nls \
--disable-newlib-supplied-syscalls --enable-newlib-retargetable-locking \
--enable-newlib-io-long-long --enable-newlib-io-c99-formats"
NEWLIB_CFLAGS="-O2 -g -ffreestanding -fno-pic -fno-pie -mno-red-zone \
-fno-stack-protector -D__DYNAMIC_REENT__"

die() {
	echo "$*" >&2
	exit 1
}

deps_dir() { echo "${SKIFF_DEPS_DIR:-$top/deps}"; }

# The newlib install is keyed by version and flags, so a change of flags
# builds a new one next to the old.
newlib_prefix() {
	local key
	key=$(printf '%s|%s|%s' "$NEWLIB_VERSION" "$NEWLIB_CONFIGURE_FLAGS" \
		"$NEWLIB_CFLAGS" | sha256sum | cut -c1-12)
	echo "$(deps_dir)/newlib-$NEWLIB_VERSION-$key"
}

lwip_dir() { echo "$(deps_dir)/lwip-$LWIP_VERSION"; }

# Configure (once) and build the tree in $top/build.
build_tree() {
	local b="$top/build"
	if [ ! -f "$b/build.ninja" ]; then
		meson setup "$b" "$top" \
			--cross-file "$top/scripts/cross/x86_64-elf.ini" \
			--native-file "$top/scripts/cross/native.ini" \
			-Dnewlib="$(newlib_prefix)/x86_64-elf" \
			-Dlwip="$(lwip_dir)" >"$top/build-setup.log" 2>&1 || {
			cat "$top/build-setup.log" >&2
			die "build: meson setup failed"
		}
	fi
	meson compile -C "$b" >"$b/compile.log" 2>&1 || {
		tail -n 60 "$b/compile.log" >&2
		die "build: compile failed (full log: build/compile.log)"
	}
}
