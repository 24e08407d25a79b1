/*
 * libFuzzer harness for the loader's ext2 reader: the input is a whole
 * file system image held in memory; the harness mounts it, opens a few
 * fixed paths (a file, one reached through a symlink) and reads them in
 * odd-sized chunks so that the direct, bounce and hole paths all run.
 * run-fuzz.sh makes the seed images with mke2fs. 'meson test --suite
 * fuzz' runs it for 15 s; for a longer run:
 *
 *   tests/loader/fs/run-fuzz.sh build/tests/loader/fs/fuzz-ext2 ext2 \
 *       /tmp/fuzz-ext2 -max_total_time=3600 -jobs=2
 */
#include <stdint.h>

#include "ext2.h"
#include "fuzz_mem.h"

#define READ_MAX (256u << 10)

static const char *const paths[] = { "/boot/app.elf", "/s/app.elf",
				     "/boot/big" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[READ_MAX];
	struct mem_disk m;
	struct loader ld;
	struct ext2_fs *fs;
	struct ext2_file f;
	size_t i;

	mem_setup(&m, &ld, data, size);
	if (ext2_mount(&ld, 0, ld.disk_sectors, &fs) == 0) {
		for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
			uint64_t off = 0;
			int64_t got;

			if (ext2_open(fs, paths[i], &f) < 0)
				continue;
			/* An unaligned chunk, then a large one. */
			got = ext2_read(fs, &f, 100, buf, 3000);
			while (got >= 0 && off < READ_MAX) {
				got = ext2_read(fs, &f, off, buf,
						READ_MAX - off);
				if (got <= 0)
					break;
				off += (uint64_t)got;
			}
		}
	}
	mem_free_all(&m);
	return 0;
}
