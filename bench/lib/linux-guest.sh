# shellcheck shell=bash
# A minimal Linux guest for the benchmarks: Debian's cloud kernel and an
# initramfs with busybox, an /init script and one static program. Sourced
# after common.sh, with $top set.
#
# Only Debian's archive is used: 'apt-get download' of the kernel package
# that linux-image-cloud-amd64 depends on and of busybox-static, into
# $(deps_dir)/linux-guest/, keyed by package version so that a second run
# only rebuilds the (small) initramfs.
#
# The guest's kernel command line carries its settings (besides
# console=ttyS0):
#   skiff.ip=A.B.C.D/NN   eth0's address (without it: udhcpc)
#   skiff.gw=A.B.C.D      default route (optional)
#   skiff.args=a,b,c      the program's arguments, comma-separated
# /init prints "linux-guest: eth0 up ..." and "linux-guest: starting
# ..." on the console, runs the program with its output on the console,
# and powers the VM off when it exits (QEMU then exits with status 0).

LINUX_GUEST_META=linux-image-cloud-amd64

linux_guest_dir() { echo "$(deps_dir)/linux-guest"; }

# linux_guest_fetch: downloads and unpacks the kernel and busybox (once
# per package version) and sets LINUX_GUEST_KERNEL (the bzImage),
# LINUX_GUEST_VERSION (its uname -r), LINUX_GUEST_PKGVER (the Debian
# version of the package) and LINUX_GUEST_BUSYBOX.
linux_guest_fetch() {
	local dir pkg kver bbver root dl
	dir=$(linux_guest_dir)
	pkg=$(apt-cache depends "$LINUX_GUEST_META" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n 1)
	[ -n "$pkg" ] || die "linux-guest: apt-cache knows no $LINUX_GUEST_META (apt-get update?)"
	kver=$(apt-cache policy "$pkg" | sed -n 's/^ *Candidate: //p')
	bbver=$(apt-cache policy busybox-static | sed -n 's/^ *Candidate: //p')
	case "$kver|$bbver" in
	"|"* | *"|" | *"(none)"*)
		die "linux-guest: no candidate version of $pkg or busybox-static" ;;
	esac
	mkdir -p "$dir"
	# shellcheck disable=SC2034 # for the caller's report
	LINUX_GUEST_PKGVER=$kver
	LINUX_GUEST_VERSION=${pkg#linux-image-}
	root=$dir/$pkg-$kver
	if [ ! -f "$root/.complete" ]; then
		echo "linux-guest: fetching $pkg $kver with apt-get download" >&2
		dl=$(mktemp -d "$dir/dl.XXXXXX")
		chmod 755 "$dl" # apt's _apt user downloads into it
		(cd "$dl" && apt-get download -q "$pkg=$kver") >"$dir/apt.log" 2>&1 ||
			die "linux-guest: apt-get download $pkg failed (log: $dir/apt.log)"
		rm -rf "$root"
		dpkg-deb -x "$dl"/"$pkg"_*.deb "$root" ||
			die "linux-guest: could not unpack $pkg"
		rm -rf "$dl"
		touch "$root/.complete"
	fi
	LINUX_GUEST_KERNEL=$root/boot/vmlinuz-$LINUX_GUEST_VERSION
	LINUX_GUEST_MODULES=$root/lib/modules/$LINUX_GUEST_VERSION
	[ -f "$LINUX_GUEST_KERNEL" ] || die "linux-guest: no $LINUX_GUEST_KERNEL in $pkg"

	root=$dir/busybox-static-${bbver//:/_}
	if [ ! -f "$root/.complete" ]; then
		echo "linux-guest: fetching busybox-static $bbver with apt-get download" >&2
		dl=$(mktemp -d "$dir/dl.XXXXXX")
		chmod 755 "$dl"
		(cd "$dl" && apt-get download -q "busybox-static=$bbver") >"$dir/apt.log" 2>&1 ||
			die "linux-guest: apt-get download busybox-static failed (log: $dir/apt.log)"
		rm -rf "$root"
		dpkg-deb -x "$dl"/busybox-static_*.deb "$root" ||
			die "linux-guest: could not unpack busybox-static"
		rm -rf "$dl"
		touch "$root/.complete"
	fi
	LINUX_GUEST_BUSYBOX=$root/bin/busybox
	[ -x "$LINUX_GUEST_BUSYBOX" ] || die "linux-guest: no busybox in busybox-static"
}

# linux_guest_module_deps NAME...: the module files (relative to the
# kernel's module tree) that loading NAMEs needs, dependencies first, each
# once. Debian's package ships no modules.dep (depmod runs at install), so
# the dependencies come from each module's own "depends=" field.
linux_guest_module_deps() {
	local name file deps
	for name in "$@"; do
		file=$(cd "$LINUX_GUEST_MODULES" &&
			find kernel -name "$name.ko" -o -name "${name//_/-}.ko" | head -n 1)
		[ -n "$file" ] || die "linux-guest: no module $name in $LINUX_GUEST_MODULES"
		deps=$(tr '\0' '\n' <"$LINUX_GUEST_MODULES/$file" |
			sed -n 's/^depends=//p' | head -n 1)
		# shellcheck disable=SC2086 # a comma-separated list of names
		[ -z "$deps" ] || linux_guest_module_deps ${deps//,/ }
		echo "$file"
	done | awk '!seen[$0]++'
}

# linux_guest_initramfs PROGRAM OUT: a gzipped newc initramfs with
# busybox, /init, PROGRAM as /app (a static binary) and the modules the
# virtio-net NIC needs (virtio_pci and virtio_net are modules in the
# cloud kernel, not built in). Needs linux_guest_fetch first.
linux_guest_initramfs() {
	local program=$1 out=$2 work mod
	work=$(mktemp -d)
	mkdir -p "$work"/{bin,dev,etc,proc,sys,tmp,modules}
	# The kernel opens /dev/console for init before devtmpfs is mounted.
	[ "$(id -u)" != 0 ] || mknod -m 600 "$work/dev/console" c 5 1
	cp "$LINUX_GUEST_BUSYBOX" "$work/bin/busybox"
	cp "$program" "$work/app"
	for mod in $(linux_guest_module_deps virtio_pci virtio_net); do
		cp "$LINUX_GUEST_MODULES/$mod" "$work/modules/"
		basename "$mod" >>"$work/modules/order"
	done
	cat >"$work/init" <<'EOF'
#!/bin/busybox sh
# The benchmark guest's init: modules, eth0, the program, poweroff.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
for m in $(cat /modules/order); do
	insmod /modules/$m || echo "linux-guest: insmod $m failed"
done
ip= gw= args=
for o in $(cat /proc/cmdline); do
	case "$o" in
	skiff.ip=*) ip=${o#skiff.ip=} ;;
	skiff.gw=*) gw=${o#skiff.gw=} ;;
	skiff.args=*) args=$(echo "${o#skiff.args=}" | tr , ' ') ;;
	esac
done
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
ip link set lo up
ip link set eth0 up
if [ -n "$ip" ]; then
	ip addr add "$ip" dev eth0
	[ -z "$gw" ] || ip route add default via "$gw"
else
	udhcpc -i eth0 -q -n -t 5 -s /etc/udhcpc.script >/dev/null 2>&1
fi
echo "linux-guest: eth0 up: $(ip -4 -o addr show dev eth0 | awk '{print $4}')," \
	"kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPUs"
echo "linux-guest: starting /app $args"
/app $args
echo "linux-guest: /app exited with status $?"
poweroff -f
EOF
	cat >"$work/etc/udhcpc.script" <<'EOF'
#!/bin/busybox sh
# udhcpc's hook: the lease's address and router on the interface.
case "$1" in
bound | renew)
	ip addr flush dev "$interface"
	ip addr add "$ip/$mask" dev "$interface"
	[ -z "$router" ] || ip route add default via "${router%% *}"
	;;
esac
EOF
	chmod 755 "$work/init" "$work/etc/udhcpc.script"
	(cd "$work" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) |
		gzip -6 >"$out" || die "linux-guest: could not make $out"
	rm -rf "$work"
}
