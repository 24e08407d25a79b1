; Kernel entry points.
;
; pvh_start32: the PVH boot ABI (Xen's arch/x86/hvm/start_info.h; what
;   'qemu-system-x86_64 -kernel' uses for an ELF with a PHYS32_ENTRY note).
;   32-bit protected mode, paging off, EBX = hvm_start_info. We build an
;   identity map of the first 4 GiB with 2 MiB pages, enter long mode and
;   call pvh_main(start_info).
; _start: the entry our own loaders use (docs/boot-protocol.md). Long mode,
;   identity-mapped, interrupts off, RDI = struct boot_info, RSI =
;   BOOT_INFO_MAGIC. We switch to our GDT and stack and call
;   loader_main(info, magic).
;
; Both paths zero .bss before any C runs, take a TSC stamp first thing,
; and enable SSE (newlib and apps use it; the kernel itself is built with
; general registers only).

%define XEN_ELFNOTE_PHYS32_ENTRY 18
%define CR0_PE (1 << 0)
%define CR0_MP (1 << 1)
%define CR0_EM (1 << 2)
%define CR0_NW (1 << 29)
%define CR0_CD (1 << 30)
%define CR0_PG (1 << 31)
%define CR4_PAE (1 << 5)
%define CR4_OSFXSR (1 << 9)
%define CR4_OSXMMEXCPT (1 << 10)
%define MSR_EFER 0xc0000080
%define EFER_LME (1 << 8)
%define PTE_P (1 << 0)
%define PTE_W (1 << 1)
%define PTE_PS (1 << 7)
%define KERNEL_CS 0x08
%define KERNEL_DS 0x10

extern pvh_main
extern loader_main
extern __bss_start
extern __bss_end
global pvh_start32
global _start
global boot_entry_tsc

; QEMU reads this note from the PT_NOTE segment; the descriptor sits right
; after the 4-byte name because the segment is 4-aligned.
section .note.pvh note alloc noexec nowrite align=4
	dd 4				; n_namesz: "Xen\0"
	dd 8				; n_descsz
	dd XEN_ELFNOTE_PHYS32_ENTRY	; n_type
	db "Xen", 0
	dq pvh_start32

section .text.entry progbits alloc exec nowrite align=16
bits 32
pvh_start32:
	cli
	cld
	rdtsc
	mov ebp, eax			; keep the entry stamp in ebp:edx'
	mov esp, edx			; (esp is free until we load a stack)
	mov esi, ebx			; hvm_start_info

	mov edi, __bss_start
	mov ecx, __bss_end
	sub ecx, edi
	xor eax, eax
	rep stosb
	mov [boot_entry_tsc], ebp
	mov [boot_entry_tsc + 4], esp
	mov esp, boot_stack_top

	; PML4[0] -> PDPT; PDPT[0..3] -> PD0..3; 2048 PD entries of 2 MiB.
	mov eax, boot_pdpt
	or eax, PTE_P | PTE_W
	mov [boot_pml4], eax
	xor ecx, ecx
.pdpt:
	mov eax, ecx
	shl eax, 12
	add eax, boot_pd
	or eax, PTE_P | PTE_W
	mov [boot_pdpt + ecx * 8], eax
	inc ecx
	cmp ecx, 4
	jne .pdpt
	xor ecx, ecx
.pd:
	mov eax, ecx
	shl eax, 21
	or eax, PTE_P | PTE_W | PTE_PS
	mov [boot_pd + ecx * 8], eax
	mov eax, ecx
	shr eax, 11			; bits 32+ of ecx * 2 MiB
	mov [boot_pd + ecx * 8 + 4], eax
	inc ecx
	cmp ecx, 2048
	jne .pd

	mov eax, cr4
	or eax, CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT
	mov cr4, eax
	mov eax, boot_pml4
	mov cr3, eax
	mov ecx, MSR_EFER
	rdmsr
	or eax, EFER_LME
	wrmsr
	mov eax, cr0
	and eax, ~(CR0_EM | CR0_CD | CR0_NW)
	or eax, CR0_PG | CR0_PE | CR0_MP
	mov cr0, eax
	lgdt [boot_gdt_ptr]
	jmp KERNEL_CS:.long_mode

bits 64
.long_mode:
	mov ax, KERNEL_DS
	mov ds, ax
	mov es, ax
	mov ss, ax
	xor eax, eax
	mov fs, ax
	mov gs, ax
	mov rsp, boot_stack_top
	mov edi, esi			; zero-extends: start_info is below 4 GiB
	call pvh_main
	jmp halt_forever

_start:
	cli
	cld
	mov r12, rdi			; boot info
	mov r13, rsi			; magic
	rdtsc
	shl rdx, 32
	or rax, rdx
	mov r14, rax

	lgdt [boot_gdt_ptr]
	push KERNEL_CS
	lea rax, [rel .reload_cs]
	push rax
	retfq
.reload_cs:
	mov ax, KERNEL_DS
	mov ds, ax
	mov es, ax
	mov ss, ax
	xor eax, eax
	mov fs, ax
	mov gs, ax

	mov rdi, __bss_start
	mov rcx, __bss_end
	sub rcx, rdi
	xor eax, eax
	rep stosb
	mov [boot_entry_tsc], r14
	mov rsp, boot_stack_top

	mov rax, cr0
	and rax, ~CR0_EM
	or rax, CR0_MP
	mov cr0, rax
	mov rax, cr4
	or rax, CR4_OSFXSR | CR4_OSXMMEXCPT
	mov cr4, rax

	mov rdi, r12
	mov rsi, r13
	call loader_main

halt_forever:
	cli
	hlt
	jmp halt_forever

section .rodata
align 16
boot_gdt:
	dq 0
	dq 0x00af9a000000ffff		; 0x08: 64-bit code, DPL 0
	dq 0x00cf92000000ffff		; 0x10: data, DPL 0
boot_gdt_end:
boot_gdt_ptr:
	dw boot_gdt_end - boot_gdt - 1
	dq boot_gdt

section .bss nobits alloc noexec write align=4096
boot_pml4:	resb 4096
boot_pdpt:	resb 4096
boot_pd:	resb 4 * 4096
boot_stack:	resb 16384
boot_stack_top:
boot_entry_tsc:	resq 1
