/*
 * libFuzzer harness for the boot.cfg parser. meson test --suite fuzz runs
 * it for 15 s on the seeds in corpus-cfg/; for a longer run:
 *
 *   mkdir -p /tmp/cfg-corpus
 *   build/tests/loader/cfg/fuzz-cfg /tmp/cfg-corpus \
 *       tests/loader/cfg/corpus-cfg -max_total_time=3600 -jobs=8 \
 *       -dict=tests/loader/cfg/cfg.dict
 *
 * Besides what ASan and UBSan catch, it checks the parser's promises: on
 * success every string is NUL-terminated inside its field and paths are
 * absolute; on failure the error is one line starting "boot.cfg".
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cfg.h"

static bool terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct boot_cfg cfg;
	struct loader ld;
	uint32_t i;
	int rc;

	memset(&ld, 0, sizeof(ld));
	rc = cfg_parse(&ld, (const char *)data, size, &cfg);
	if (rc == 0) {
		if (!terminated(cfg.kernel, sizeof(cfg.kernel)) ||
		    cfg.kernel[0] != '/' ||
		    !terminated(cfg.cmdline, sizeof(cfg.cmdline)) ||
		    cfg.module_count > CFG_MODULES_MAX)
			__builtin_trap();
		for (i = 0; i < cfg.module_count; i++) {
			if (!terminated(cfg.modules[i], CFG_PATH_MAX) ||
			    cfg.modules[i][0] != '/')
				__builtin_trap();
		}
	} else {
		if (rc >= 0 || strncmp(ld.error, "boot.cfg", 8) != 0 ||
		    strchr(ld.error, '\n') || strchr(ld.error, '\r'))
			__builtin_trap();
	}
	return 0;
}
