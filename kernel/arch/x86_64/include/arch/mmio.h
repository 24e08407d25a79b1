/*
 * Device memory access. Every register read or write of a memory-mapped
 * device goes through these helpers: they are volatile (never merged,
 * split or reordered by the compiler) and they name the width. x86 keeps
 * uncached stores to device memory in order, so no fence is needed here.
 *
 * mmio_map() is the one place where a device's physical range becomes a
 * pointer. The loaders identity map the first 4 GiB, so until the memory
 * manager's mm_map_mmio() exists that range is used as it is and anything
 * above it is refused.
 */
#ifndef ARCH_MMIO_H
#define ARCH_MMIO_H

#include <stddef.h>
#include <stdint.h>

#define MMIO_IDENTITY_LIMIT (1ULL << 32)

static inline uint32_t mmio_read32(volatile void *base, uint32_t off)
{
	return *(volatile uint32_t *)((volatile uint8_t *)base + off);
}

static inline void mmio_write32(volatile void *base, uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)((volatile uint8_t *)base + off) = v;
}

/* A pointer to [phys, phys + size) of device memory, or NULL if it
 * cannot be mapped. */
static inline volatile void *mmio_map(uint64_t phys, uint64_t size)
{
	if (!size || phys >= MMIO_IDENTITY_LIMIT ||
	    size > MMIO_IDENTITY_LIMIT - phys)
		return NULL;
	return (volatile void *)(uintptr_t)phys;
}

#endif
