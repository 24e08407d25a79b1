/*
 * Real-mode BIOS services from the 32-bit stage 2, through the thunk in
 * stage2_entry.asm. Buffers passed to the BIOS must lie below 1 MiB and
 * be given as segment:offset.
 */
#ifndef BOOT_BIOS_H
#define BOOT_BIOS_H

#include <stddef.h>
#include <stdint.h>

struct bios_regs {
	uint32_t eax, ebx, ecx, edx, esi, edi, ebp, eflags;
	uint16_t ds, es;
} __attribute__((packed));
_Static_assert(offsetof(struct bios_regs, eax) == 0, "layout");
_Static_assert(offsetof(struct bios_regs, ebx) == 4, "layout");
_Static_assert(offsetof(struct bios_regs, ecx) == 8, "layout");
_Static_assert(offsetof(struct bios_regs, edx) == 12, "layout");
_Static_assert(offsetof(struct bios_regs, esi) == 16, "layout");
_Static_assert(offsetof(struct bios_regs, edi) == 20, "layout");
_Static_assert(offsetof(struct bios_regs, ebp) == 24, "layout");
_Static_assert(offsetof(struct bios_regs, eflags) == 28, "layout");
_Static_assert(offsetof(struct bios_regs, ds) == 32, "layout");
_Static_assert(offsetof(struct bios_regs, es) == 34, "layout");

#define EFLAGS_CF (1u << 0)

/* Run software interrupt intno in real mode with r in and out. */
void bios_call(uint32_t intno, struct bios_regs *r);

/* Enter the kernel: never returns (stage2_entry.asm). */
__attribute__((noreturn)) void enter_kernel(uint32_t pml4, uint32_t boot_info,
					    uint64_t entry);

static inline uint16_t rm_seg(const void *p)
{
	return (uint16_t)((uintptr_t)p >> 4);
}

static inline uint16_t rm_off(const void *p)
{
	return (uint16_t)((uintptr_t)p & 0xf);
}

#endif
