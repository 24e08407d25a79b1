; Hand-off to the kernel from the UEFI loader (see handoff.h).
;
; handoff_jump(page, pml4, stack_top, boot_info, entry) runs with the
; System V ABI (rdi, rsi, rdx, rcx, r8), as gnu-efi code calls it, and
; jumps into the copy of handoff_stub at page with interrupts off. The
; stub switches CR3 and RSP and enters the kernel with RDI = boot info
; and RSI = BOOT_INFO_MAGIC.

bits 64
default rel

global handoff_jump
global handoff_stub
global handoff_stub_end

section .note.GNU-stack noalloc noexec nowrite progbits
section .text
handoff_jump:
	cli
	jmp rdi

handoff_stub:
	mov cr3, rsi
	mov rsp, rdx
	xor ebp, ebp
	push rbp			; a zero return address for backtraces
	mov rdi, rcx
	mov rsi, 0x544f4f4246494b53	; BOOT_INFO_MAGIC
	jmp r8
handoff_stub_end:
