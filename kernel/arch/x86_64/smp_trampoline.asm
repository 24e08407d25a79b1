; Application-processor start-up code (Intel SDM vol. 3A, 9.4.4 and
; 9.9): copied by smp.c into a page below 1 MiB whose number is the
; STARTUP IPI vector, so the AP starts here in real mode at CS = page << 8,
; IP = 0. It loads a small GDT, enters protected mode, turns on PAE, long
; mode and paging with the BSP's CR3, and jumps to the 64-bit entry the
; BSP left in the data block, with that AP's stack and argument. All
; addresses it needs are patched into the data block by smp.c (see
; struct smp_tramp_data), so the code itself is position-independent.

bits 16
default abs

global smp_tramp_start
global smp_tramp_end
global smp_tramp_data

%define CR4_PAE (1 << 5)
%define CR4_OSFXSR (1 << 9)
%define CR4_OSXMMEXCPT (1 << 10)
%define MSR_EFER 0xc0000080
%define CR0_PE (1 << 0)
%define CR0_MP (1 << 1)
%define CR0_EM (1 << 2)
%define CR0_WP (1 << 16)
%define CR0_PG (1 << 31)
%define OFF(x) ((x) - smp_tramp_start)

section .note.GNU-stack noalloc noexec nowrite progbits

section .rodata
align 16
smp_tramp_start:
	cli
	cld
	mov ax, cs
	mov ds, ax
	xor esi, esi
	mov si, ax
	shl esi, 4			; linear base of this page
	lgdt [OFF(tr_gdt_ptr)]
	mov eax, cr0
	or eax, CR0_PE
	mov cr0, eax
	jmp dword far [OFF(tr_pm32_ptr)]

bits 32
tr_pm32:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov eax, cr4
	or eax, CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT
	mov cr4, eax
	mov eax, [esi + OFF(smp_tramp_data) + 0]	; cr3
	mov cr3, eax
	mov ecx, MSR_EFER
	rdmsr
	or eax, [esi + OFF(smp_tramp_data) + 8]	; EFER bits: LME, NXE
	wrmsr
	mov eax, cr0
	and eax, ~CR0_EM
	or eax, CR0_PG | CR0_WP | CR0_MP
	mov cr0, eax
	jmp far [esi + OFF(tr_lm64_ptr)]

bits 64
tr_lm64:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov rsp, [rsi + OFF(smp_tramp_data) + 16]	; stack top
	mov rdi, [rsi + OFF(smp_tramp_data) + 24]	; argument
	mov rax, [rsi + OFF(smp_tramp_data) + 32]	; entry
	xor ebp, ebp
	push rbp
	jmp rax

align 8
tr_gdt:
	dq 0
	dq 0x00cf9a000000ffff		; 0x08: 32-bit code
	dq 0x00cf92000000ffff		; 0x10: data
	dq 0x00af9a000000ffff		; 0x18: 64-bit code
tr_gdt_ptr:
	dw 4 * 8 - 1
	dd 0				; patched: page + OFF(tr_gdt)
tr_pm32_ptr:
	dd 0				; patched: page + OFF(tr_pm32)
	dw 0x08
tr_lm64_ptr:
	dd 0				; patched: page + OFF(tr_lm64)
	dw 0x18
align 8
smp_tramp_data:
	times 5 dq 0			; struct smp_tramp_data
smp_tramp_end:

section .rodata
global smp_tramp_offsets
align 8
smp_tramp_offsets:
	dq OFF(tr_gdt), OFF(tr_gdt_ptr), OFF(tr_pm32), OFF(tr_pm32_ptr)
	dq OFF(tr_lm64), OFF(tr_lm64_ptr), OFF(smp_tramp_data)
