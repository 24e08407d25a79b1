#!/bin/bash
# End-to-end tests of the loader core's partition table and ext2 code:
# run-fs-tests.sh FSREAD. Images are built here, in a temporary directory,
# without root: mke2fs -d copies a source tree in, debugfs -w makes
# symlinks, fragmentation and corruptions, sfdisk writes MBR and GPT
# tables into plain files. Every image is sparse. Each case prints one
# line; a read must match its source byte for byte, a corruption must
# fail with exit 1 and the expected message, and no case may produce a
# sanitizer report. Exits 1 if any case failed.
set -u
fsread=$(realpath "$1")
export PATH=$PATH:/sbin:/usr/sbin
for tool in mke2fs debugfs e2fsck sfdisk; do
	command -v $tool >/dev/null || {
		echo "run-fs-tests.sh: $tool not found" >&2
		exit 1
	}
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
pass=0
fail=0

# --- helpers -----------------------------------------------------------

result() { # name ok? detail
	if [ "$2" = 1 ]; then
		echo "ok   $1"
		pass=$((pass + 1))
	else
		echo "FAIL $1: $3"
		fail=$((fail + 1))
	fi
}

sanitizer_clean() {
	! grep -qE 'Sanitizer|runtime error' "$1"
}

# read_ok NAME IMAGE PATH HOSTFILE [fsread options]: contents must match.
read_ok() {
	local name=$1 img=$2 path=$3 host=$4 rc
	shift 4
	"$fsread" "$@" -c "$host" "$img" "$path" >out 2>err
	rc=$?
	if [ $rc -eq 0 ] && sanitizer_clean err; then
		result "$name" 1
	else
		result "$name" 0 "rc $rc: $(head -c 300 err)"
	fi
}

# read_err NAME IMAGE PATH REGEX [fsread options]: exit 1 with the message.
read_err() {
	local name=$1 img=$2 path=$3 re=$4 rc
	shift 4
	"$fsread" "$@" "$img" "$path" >out 2>err
	rc=$?
	if [ $rc -eq 1 ] && sanitizer_clean err && grep -qE "$re" err; then
		result "$name" 1
	else
		result "$name" 0 "rc $rc, wanted /$re/: $(head -c 300 err)"
	fi
}

# check NAME COMMAND...: a precondition of the test images themselves.
check() {
	local name=$1
	shift
	if "$@" >/dev/null 2>&1; then
		result "$name" 1
	else
		result "$name" 0 "precondition failed: $*"
	fi
}

mkfs() { # image size source mke2fs-options...
	local img=$1 size=$2 src=$3
	shift 3
	rm -f "$img"
	truncate -s "$size" "$img"
	mke2fs -q -F -E root_owner=0:0 -d "$src" "$@" "$img" >/dev/null 2>&1 ||
		echo "run-fs-tests.sh: mke2fs $* failed" >&2
}

dbg() { # image requests...: debugfs -w, one request per argument
	local img=$1
	shift
	printf '%s\n' "$@" | debugfs -w -f - "$img" >/dev/null 2>&1
}

rd32() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; }

wr32() { # file offset value
	printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $(($3 & 255)) \
		$((($3 >> 8) & 255)) $((($3 >> 16) & 255)) \
		$((($3 >> 24) & 255)))" |
		dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

wr16() { # file offset value
	printf "$(printf '\\%03o\\%03o' $(($3 & 255)) $((($3 >> 8) & 255)))" |
		dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# Byte offset in IMAGE of the directory entry NAME in directory DIR.
dirent_off() { # image blocksize dir name
	local blk off
	blk=$(debugfs -R "bmap $3 0" "$1" 2>/dev/null)
	off=$(dd if="$1" bs="$2" skip="$blk" count=1 status=none |
		grep -obUa "$4" | head -1 | cut -d: -f1)
	echo $((blk * $2 + off - 8))
}

SB=1024

# --- source tree -------------------------------------------------------

src=$tmp/src
mkdir -p "$src/boot" "$src/etc/deep/er" "$src/many"
head -c 1048576 /dev/urandom >"$src/boot/app.elf"
head -c 100 /dev/urandom >"$src/boot/small"
head -c 12289 /dev/urandom >"$src/boot/direct13"
: >"$src/boot/empty"
echo "console=ttyS0" >"$src/etc/deep/er/boot.cfg"
# Sparse: holes must read as zeros. 'dind' reaches double-indirect
# blocks with 4 KiB blocks (past 4 MiB), 'tind' triple-indirect ones
# with 1 KiB blocks (past 64 MiB + 268 KiB).
truncate -s 6M "$src/boot/dind"
head -c 70000 /dev/urandom | dd of="$src/boot/dind" bs=1K seek=5000 \
	conv=notrunc status=none
truncate -s 72M "$src/boot/tind"
head -c 5000 /dev/urandom | dd of="$src/boot/tind" conv=notrunc status=none
head -c 200000 /dev/urandom | dd of="$src/boot/tind" bs=1K seek=68000 \
	conv=notrunc status=none
# Symlinks: fast (< 60 bytes) and slow, absolute and relative, a chain
# of exactly 8, one of 9, a loop and a symlinked directory.
long=$(printf 'x%.0s' $(seq 70))
mkdir -p "$src/$long"
cp "$src/boot/small" "$src/$long/target"
ln -s /boot/app.elf "$src/fast-abs"
ln -s ../boot/app.elf "$src/etc/fast-rel"
ln -s "/$long/target" "$src/slow-abs"
ln -s "../$long/target" "$src/etc/slow-rel"
ln -s boot "$src/bootlink"
ln -s /etc/deep/er/../er/boot.cfg "$src/cfglink"
ln -s boot/app.elf "$src/l8"
for i in 7 6 5 4 3 2 1 0; do ln -s l$((i + 1)) "$src/l$i"; done
ln -s loop "$src/loop"
ln -s nowhere "$src/dangling"
for i in $(seq 2000); do echo "file $i" >"$src/many/f$i"; done

# --- file system variants: every file reads back identical -----------

mkfs ext2-small.img 96M "$src" -t ext2
mkfs ext2-large.img 600M "$src" -t ext2
mkfs ext2-128.img 96M "$src" -t ext2 -I 128
mkfs ext2-2k.img 96M "$src" -t ext2 -b 2048
mkfs ext2-rev0.img 96M "$src" -t ext2 -r 0
mkfs ext3.img 96M "$src" -t ext3
mkfs ext4.img 128M "$src" -t ext4
mkfs ext4-1k.img 96M "$src" -t ext4 -b 1024 -O metadata_csum_seed,orphan_file
mkfs ext4-metabg.img 96M "$src" -t ext4 -b 1024 -g 1024 -N 3072 \
	-O meta_bg,^resize_inode
mkfs ext2-metabg.img 96M "$src" -t ext2 -g 1024 -N 3072 \
	-O meta_bg,^resize_inode

check "small ext2 has 1 KiB blocks" \
	bash -c "dumpe2fs -h ext2-small.img 2>/dev/null | grep -q 'Block size:[[:space:]]*1024'"
check "ext2-128 has 128-byte inodes" \
	bash -c "dumpe2fs -h ext2-128.img 2>/dev/null | grep -q 'Inode size:[[:space:]]*128'"
check "large ext2 has 4 KiB blocks, 256-byte inodes" \
	bash -c "dumpe2fs -h ext2-large.img 2>/dev/null | grep -q 'Block size:[[:space:]]*4096' && dumpe2fs -h ext2-large.img 2>/dev/null | grep -q 'Inode size:[[:space:]]*256'"
check "rev0 image is revision 0" \
	bash -c "dumpe2fs -h ext2-rev0.img 2>/dev/null | grep -q 'revision #:[[:space:]]*0'"
check "ext4 image has 64bit, metadata_csum, flex_bg" \
	bash -c "dumpe2fs -h ext4.img 2>/dev/null | grep features | grep 64bit | grep flex_bg | grep -q metadata_csum"
check "tind is sparse on ext2-small" \
	bash -c "[ \$(debugfs -R 'stat /boot/tind' ext2-small.img 2>/dev/null | sed -n 's/.*Blockcount: \([0-9]*\).*/\1/p') -lt 10000 ]"
# The last of the 2000 files must lie in a group whose descriptor is in a
# later meta group (16 64-byte or 32 32-byte descriptors per 1 KiB block).
meta_late() { # image descriptors-per-block
	local ipg ino
	ipg=$(dumpe2fs -h "$1" 2>/dev/null | sed -n 's/^Inodes per group: *//p')
	ino=$(debugfs -R "stat /many/f2000" "$1" 2>/dev/null |
		sed -n 's/^Inode: \([0-9]*\).*/\1/p')
	[ -n "$ipg" ] && [ -n "$ino" ] && [ "$ino" -gt $(($2 * ipg)) ]
}
check "ext4 meta_bg: /many/f2000 in a later meta group" \
	meta_late ext4-metabg.img 16
check "ext2 meta_bg: /many/f2000 in a later meta group" \
	meta_late ext2-metabg.img 32

for img in ext2-small ext2-large ext2-128 ext2-2k ext2-rev0 ext3 ext4 \
	ext4-1k ext4-metabg ext2-metabg; do
	for f in boot/app.elf boot/small boot/direct13 boot/empty boot/dind \
		boot/tind etc/deep/er/boot.cfg many/f1 many/f2000; do
		read_ok "$img: /$f" $img.img /$f "$src/$f" -o 0
	done
done
read_ok "ext2-small: chunked reads of 3001 bytes" ext2-small.img \
	/boot/app.elf "$src/boot/app.elf" -o 0 -k 3001
read_ok "ext4: chunked reads of 4097 bytes of a sparse file" ext4.img \
	/boot/dind "$src/boot/dind" -o 0 -k 4097

# --- symlinks ----------------------------------------------------------

for img in ext2-small ext4; do
	read_ok "$img: fast absolute symlink" $img.img /fast-abs \
		"$src/boot/app.elf" -o 0
	read_ok "$img: fast relative symlink" $img.img /etc/fast-rel \
		"$src/boot/app.elf" -o 0
	read_ok "$img: slow absolute symlink" $img.img /slow-abs \
		"$src/$long/target" -o 0
	read_ok "$img: slow relative symlink" $img.img /etc/slow-rel \
		"$src/$long/target" -o 0
	read_ok "$img: symlinked directory" $img.img /bootlink/small \
		"$src/boot/small" -o 0
	read_ok "$img: symlink with .. inside" $img.img /cfglink \
		"$src/etc/deep/er/boot.cfg" -o 0
	read_ok "$img: chain of 8 symlinks" $img.img /l1 "$src/boot/app.elf" \
		-o 0
	read_err "$img: chain of 9 symlinks" $img.img /l0 \
		'^ext2: /l0: too many levels of symbolic links' -o 0
	read_err "$img: symlink loop" $img.img /loop \
		'^ext2: /loop: too many levels of symbolic links' -o 0
	read_err "$img: dangling symlink" $img.img /dangling \
		"^ext2: /dangling: 'nowhere' not found" -o 0
done
check "slow-abs is a slow symlink" \
	bash -c "debugfs -R 'stat /slow-abs' ext2-small.img 2>/dev/null | grep -q 'BLOCKS:'"
check "fast-abs is a fast symlink" \
	bash -c "debugfs -R 'stat /fast-abs' ext2-small.img 2>/dev/null | grep -q 'Fast link dest'"

# --- htree directories -------------------------------------------------

for img in ext2-small ext4; do
	cp $img.img $img-htree.img
	e2fsck -fyD $img-htree.img >/dev/null 2>&1
	check "$img: /many is an htree directory" \
		bash -c "debugfs -R 'htree_dump /many' $img-htree.img 2>/dev/null | grep -q 'Number of entries'"
	for f in f1 f999 f2000; do
		read_ok "$img htree: /many/$f" $img-htree.img /many/$f \
			"$src/many/$f" -o 0
	done
	read_err "$img htree: missing name" $img-htree.img /many/f2001 \
		'^ext2: /many/f2001: not found' -o 0
done

# --- fragmented files --------------------------------------------------

# Fill a small fs with 4 KiB files, delete every other one and write a
# file into the holes: it ends up in dozens of pieces. On ext4 that many
# extents need an index node (extent tree depth 1).
mkdir -p frag/fill
head -c $((600 * 4096)) /dev/urandom | (cd frag/fill && split -b 4096 -a 3 -d)
n=0
for f in frag/fill/x*; do
	n=$((n + 1))
	mv "$f" frag/fill/$n
done
head -c 400000 /dev/urandom >frag-file
for t in ext2 ext4; do
	mkfs frag-$t.img 4M frag -t $t -b 1024 -N 700 -O ^has_journal
	reqs=()
	for i in $(seq 1 2 600); do reqs+=("rm /fill/$i"); done
	dbg frag-$t.img "${reqs[@]}" "write frag-file /frag"
	read_ok "$t: fragmented file" frag-$t.img /frag frag-file -o 0
	read_ok "$t: fragmented file, chunks of 1000" frag-$t.img /frag \
		frag-file -o 0 -k 1000
done
check "ext2 fragmented file has > 20 runs" \
	bash -c "[ \$(debugfs -R 'stat /frag' frag-ext2.img 2>/dev/null | grep -o '([0-9]*-[0-9]*)' | wc -l) -gt 20 ]"
check "ext4 fragmented file has an extent index node" \
	bash -c "debugfs -R 'ex /frag' frag-ext4.img 2>/dev/null | grep -qE '^ *0/ *1 '"

# --- performance: disk requests for a 1 MiB contiguous file ------------

for img in ext2-small ext4; do
	"$fsread" -s -o 0 -c "$src/boot/app.elf" $img.img /boot/app.elf \
		>out 2>err
	n=$(sed -n 's/^fsread: \([0-9]*\) requests.*/\1/p' err)
	if [ -n "$n" ] && [ "$n" -le 24 ]; then
		result "$img: 1 MiB file in $n disk requests (<= 24)" 1
	else
		result "$img: 1 MiB file in few disk requests" 0 \
			"$n requests: $(head -c 200 err)"
	fi
done

# --- path errors -------------------------------------------------------

read_err "not found" ext2-small.img /boot/x '^ext2: /boot/x: not found$' \
	-o 0
read_err "missing directory" ext2-small.img /nodir/x \
	"^ext2: /nodir/x: 'nodir' not found" -o 0
read_err "component not a directory" ext2-small.img /boot/app.elf/x \
	"^ext2: /boot/app.elf/x: 'app.elf' is not a directory" -o 0
read_err "not a regular file" ext2-small.img /boot \
	'^ext2: /boot: not a regular file' -o 0
read_err "relative path" ext2-small.img boot/app.elf \
	'path not absolute' -o 0

# --- INCOMPAT features -------------------------------------------------

incompat=$((SB + 0x60))
for feat in compression:0x1 journal_dev:0x8 dirdata:0x1000 \
	inline_data:0x8000 encrypt:0x10000 casefold:0x20000; do
	cp ext2-small.img feat.img
	wr32 feat.img $incompat $(($(rd32 feat.img $incompat) | ${feat#*:}))
	read_err "INCOMPAT ${feat%:*} refused" feat.img /boot/app.elf \
		"^ext2: unsupported INCOMPAT feature '${feat%:*}'$" -o 0
done
cp ext2-small.img feat.img
wr32 feat.img $incompat $(($(rd32 feat.img $incompat) | 0x40000))
read_err "unknown INCOMPAT bit refused" feat.img /boot/app.elf \
	'^ext2: unsupported INCOMPAT feature 0x40000$' -o 0
cp ext3.img feat.img
dbg feat.img "feature needs_recovery"
read_err "ext3 needing recovery refused" feat.img /boot/app.elf \
	'needs journal recovery' -o 0
# Features that need nothing from a reader are accepted.
cp ext4.img feat.img
wr32 feat.img $incompat $(($(rd32 feat.img $incompat) | 0x100 | 0x400 | 0x4000))
read_ok "ext4 with mmp, ea_inode, largedir bits" feat.img /boot/app.elf \
	"$src/boot/app.elf" -o 0

# --- corrupt superblocks -----------------------------------------------

cp ext2-small.img bad.img
wr16 bad.img $((SB + 0x38)) 0x1234
read_err "bad magic" bad.img /boot/app.elf \
	'^ext2: bad superblock magic 0x1234' -o 0
cp ext2-small.img bad.img
wr32 bad.img $((SB + 0x18)) 7
read_err "block size out of range" bad.img /boot/app.elf \
	'^ext2: block size 1024 << 7 out of range' -o 0
cp ext2-small.img bad.img
wr32 bad.img $((SB + 0x0)) $(($(rd32 bad.img $SB) * 2))
read_err "inode count inconsistent with groups" bad.img /boot/app.elf \
	'^ext2: groups count inconsistent with blocks count' -o 0
cp ext2-small.img bad.img
wr32 bad.img $((SB + 0x4)) $(($(rd32 bad.img $((SB + 4))) - 9000))
read_err "block count inconsistent with groups" bad.img /boot/app.elf \
	'^ext2: groups count inconsistent with blocks count' -o 0
cp ext2-small.img bad.img
truncate -s 50M bad.img
read_err "fs larger than its device" bad.img /boot/app.elf \
	'do not fit the partition' -o 0
cp ext2-small.img bad.img
wr16 bad.img $((SB + 0x58)) 100
read_err "bad inode size" bad.img /boot/app.elf 'inode size 100 invalid' -o 0

# --- corrupt inodes and block maps -------------------------------------

cp ext2-small.img bad.img
dbg bad.img "sif /boot/app.elf block[IND] 123456789"
read_err "indirect block beyond end of fs" bad.img /boot/app.elf \
	'^ext2: /boot/app.elf: indirect block 123456789 beyond end of fs \(98304 blocks\)' -o 0
cp ext2-small.img bad.img
dbg bad.img "sif /boot/app.elf block[DIND] 4000000000"
read_err "double-indirect block beyond end of fs" bad.img /boot/app.elf \
	'indirect block 4000000000 beyond end of fs' -o 0
cp ext2-small.img bad.img
dbg bad.img "sif /boot/small block[0] 98304"
read_err "data block beyond end of fs" bad.img /boot/small \
	'^ext2: /boot/small: block 98304 beyond end of fs' -o 0
cp ext2-small.img bad.img
dbg bad.img "sif /boot/tind block[TIND] 0"
read_ok "zeroed triple-indirect pointer reads as a hole" bad.img \
	/boot/app.elf "$src/boot/app.elf" -o 0
"$fsread" -o 0 bad.img /boot/tind 2>err | cmp -s - "$src/boot/tind"
result "hole check can fail (tind differs once unmapped)" \
	"$([ $? -ne 0 ] && sanitizer_clean err && echo 1 || echo 0)" \
	"a zeroed TIND pointer still read identical data"
cp ext4.img bad.img
dbg bad.img "sif /boot/app.elf block[0] 0x1234"
read_err "extent header bad magic" bad.img /boot/app.elf \
	'^ext2: /boot/app.elf: extent header bad magic 0x1234' -o 0
cp ext4.img bad.img
dbg bad.img "sif /boot/app.elf block[1] 0x70004"
read_err "extent depth too big" bad.img /boot/app.elf \
	'^ext2: /boot/app.elf: extent depth 7 too big' -o 0
cp frag-ext4.img bad.img
# Point the index entry at the superblock: its child has no extent magic.
dbg bad.img "sif /frag block[4] 1"
read_err "extent index pointing at a non-extent block" bad.img /frag \
	'extent header bad magic .* in block 1$' -o 0
cp ext4.img bad.img
dbg bad.img "sif /boot/small block[5] 0x7fffffff"
read_err "extent beyond end of fs" bad.img /boot/small \
	'beyond end of fs' -o 0

# --- corrupt directories -----------------------------------------------

off=$(dirent_off ext2-small.img 1024 /boot app.elf)
cp ext2-small.img bad.img
wr32 bad.img $off 99999999
read_err "inode number out of range" bad.img /boot/app.elf \
	'^ext2: /boot/app.elf: inode 99999999 out of range' -o 0
cp ext2-small.img bad.img
wr16 bad.img $((off + 4)) 6
read_err "directory rec_len too small" bad.img /boot/app.elf \
	'bad entry at offset .* \(rec_len 6,' -o 0
cp ext2-small.img bad.img
wr16 bad.img $((off + 4)) 2000
read_err "directory rec_len past the block" bad.img /boot/app.elf \
	'bad entry at offset .* \(rec_len 2000,' -o 0
cp ext2-small.img bad.img
printf '\377' | dd of=bad.img bs=1 seek=$((off + 6)) conv=notrunc status=none
read_err "directory name_len past rec_len" bad.img /boot/app.elf \
	'bad entry .* name_len 255\)' -o 0

# --- partition tables --------------------------------------------------

mkfs part-fs.img 8M "$src/etc" -t ext4
cp "$src/etc/deep/er/boot.cfg" ref.cfg
mkdisk() { # disk sfdisk-script
	rm -f "$1"
	truncate -s 24M "$1"
	printf "$2" | sfdisk -q "$1" >/dev/null 2>&1
	dd if=part-fs.img of="$1" bs=512 seek=$3 conv=notrunc status=none
}
mkdisk gpt.img 'label: gpt\nstart=2048, size=4096, type=uefi\nstart=8192, size=16384, type=linux\n' 8192
mkdisk mbr.img 'label: dos\nstart=2048, size=4096, type=c\nstart=8192, size=16384, type=83\n' 8192
mkdisk logical.img 'label: dos\nstart=2048, size=2048, type=c\nstart=4096, size=40000, type=5\nstart=6144, size=2048, type=82\nstart=10240, size=16384, type=83\n' 10240
read_ok "GPT: find the Linux partition" gpt.img /deep/er/boot.cfg ref.cfg
read_ok "MBR: find the 0x83 partition" mbr.img /deep/er/boot.cfg ref.cfg
read_ok "MBR: logical partition in an EBR chain" logical.img \
	/deep/er/boot.cfg ref.cfg
read_ok "GPT: explicit partition 2" gpt.img /deep/er/boot.cfg ref.cfg -p 2
"$fsread" -l logical.img >out 2>err
result "MBR listing numbers logical partitions from 5" \
	"$(grep -q '^6 10240 16384 0x83' out && sanitizer_clean err && echo 1 || echo 0)" \
	"$(cat out err)"
"$fsread" -l gpt.img >out 2>err
result "GPT listing" \
	"$(grep -q '^gpt 2$' out && grep -q '^2 8192 16384 0x00 0fc63daf' out && echo 1 || echo 0)" \
	"$(cat out err)"
cp gpt.img bad.img
printf 'X' | dd of=bad.img bs=1 seek=$((512 + 20)) conv=notrunc status=none
read_ok "GPT: bad primary header CRC, backup used" bad.img \
	/deep/er/boot.cfg ref.cfg
cp gpt.img bad.img
printf 'X' | dd of=bad.img bs=1 seek=$((1024 + 130)) conv=notrunc status=none
read_ok "GPT: bad primary entry array, backup used" bad.img \
	/deep/er/boot.cfg ref.cfg
last=$(($(stat -c %s gpt.img) / 512 - 1))
printf 'X' | dd of=bad.img bs=1 seek=$((last * 512 + 20)) conv=notrunc status=none
read_err "GPT: primary and backup both bad" bad.img /deep/er/boot.cfg \
	'^part: GPT entries at LBA 2: CRC mismatch .*; backup: GPT header at LBA [0-9]+: CRC mismatch'
cp gpt.img bad.img
dd if=/dev/zero of=bad.img bs=1 seek=510 count=2 conv=notrunc status=none
read_err "no MBR signature" bad.img /x '^part: no partition table'
mkdisk nolinux.img 'label: dos\nstart=2048, size=4096, type=c\nstart=8192, size=16384, type=7\n' 8192
read_err "MBR without a Linux partition" nolinux.img /x \
	'^part: no ext2 partition \(found: #1 type 0x0c #2 type 0x07\)'
mkdisk empty.img 'label: dos\nstart=2048, size=4096, type=83\n' 30000
read_err "Linux partition without ext2" empty.img /x \
	'#1 Linux without ext2 magic'
mkdisk big.img 'label: dos\nstart=2048, size=4096, type=83\n' 30000
wr32 big.img $((446 + 12)) 99999999
read_err "MBR partition beyond end of disk" big.img /x \
	'^part: partition 1 .* beyond end of disk'

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
