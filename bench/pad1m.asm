; One MiB of incompressible, non-zero data in .rodata, so that the boot
; benchmark loads a kernel of the size its target is stated for (zeros
; would become holes in the ext2 image and never be read).
section .rodata
global bench_pad
bench_pad:
	incbin "pad1m.bin"
