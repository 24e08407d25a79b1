/*
 * libFuzzer harness for the ELF64 checks. The input is the file: its
 * first ELF_HEAD_BYTES go to elf_parse in an exact-size copy, so ASan
 * catches any read past what the loader would have read. meson test
 * --suite fuzz runs it for 15 s on corpus-elf/; for a longer run:
 *
 *   mkdir -p /tmp/elf-corpus
 *   build/tests/loader/cfg/fuzz-elf /tmp/elf-corpus \
 *       tests/loader/cfg/corpus-elf -max_total_time=3600 -jobs=8
 *
 * On success it re-checks what the loader relies on: segments inside the
 * file and below 2^52, no overlap, the entry in an executable segment.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "elf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_image(const struct elf_image *img, uint64_t file_size)
{
	const struct elf_segment *a, *b;
	bool entry_ok = false;
	uint32_t i, j;

	if (img->count < 1 || img->count > ELF_MAX_SEGMENTS ||
	    img->lowest > img->highest || img->highest > (1ULL << 52))
		__builtin_trap();
	for (i = 0; i < img->count; i++) {
		a = &img->seg[i];
		if (a->filesz > a->memsz || a->offset > file_size ||
		    a->filesz > file_size - a->offset ||
		    a->paddr < img->lowest ||
		    a->memsz > img->highest - a->paddr)
			__builtin_trap();
		if ((a->flags & 1) && img->entry >= a->paddr &&
		    img->entry - a->paddr < a->memsz)
			entry_ok = true;
		for (j = i + 1; j < img->count; j++) {
			b = &img->seg[j];
			if (a->memsz && b->memsz &&
			    a->paddr < b->paddr + b->memsz &&
			    b->paddr < a->paddr + a->memsz)
				__builtin_trap();
		}
	}
	if (!entry_ok)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len = size < ELF_HEAD_BYTES ? size : ELF_HEAD_BYTES;
	static struct elf_image img;
	struct loader ld;
	uint8_t *head;
	int rc;

	head = malloc(len ? len : 1);
	if (!head)
		return 0;
	memcpy(head, data, len);
	memset(&ld, 0, sizeof(ld));
	rc = elf_parse(&ld, "/boot/fuzz.elf", head, len, size, &img);
	if (rc == 0)
		check_image(&img, size);
	else if (strncmp(ld.error, "elf: /boot/fuzz.elf: ", 21) != 0)
		__builtin_trap();
	free(head);
	return 0;
}
