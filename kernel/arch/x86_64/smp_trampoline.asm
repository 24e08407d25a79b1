; Application-processor start-up code (Intel SDM vol. 3A, 9.4.4 and
; 9.9): copied by smp.c into a page below 1 MiB whose number is the
; STARTUP IPI vector, so every AP starts here in real mode at
; CS = page << 8, IP = 0, all of them at once. It loads a small GDT,
; enters protected mode, reads its own APIC id, turns on PAE, long mode
; and paging with the boot CPU's CR3, finds its slot in the table of APs
; by that APIC id, and jumps to the 64-bit entry on the slot's stack with
; the slot as argument. Nothing here is written to, so the APs need no
; lock between them; all addresses are patched in by smp.c (see struct
; smp_tramp_data and struct smp_ap_slot there), and the code itself is
; position-independent.

bits 16
default abs

global smp_tramp_start
global smp_tramp_end
global smp_tramp_data

%define CR4_PAE (1 << 5)
%define CR4_OSFXSR (1 << 9)
%define CR4_OSXMMEXCPT (1 << 10)
%define MSR_EFER 0xc0000080
%define MSR_APIC_BASE 0x1b
%define APIC_BASE_X2APIC (1 << 10)
%define APIC_BASE_ENABLE (1 << 11)
%define APIC_BASE_ADDR 0xfffff000
%define XAPIC_ID 0x20			; SDM table 11-1; ID in bits 31:24
%define MSR_X2APIC_ID 0x802
%define CR0_PE (1 << 0)
%define CR0_MP (1 << 1)
%define CR0_EM (1 << 2)
%define CR0_WP (1 << 16)
%define CR0_PG (1 << 31)
%define OFF(x) ((x) - smp_tramp_start)

; struct smp_tramp_data
%define D_CR3 0
%define D_EFER 8
%define D_ENTRY 16
%define D_SLOTS 24
%define D_SLOT_COUNT 32
; struct smp_ap_slot
%define SLOT_APIC_ID 0
%define SLOT_STACK_TOP 8
%define SLOT_SIZE 24

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
	; The APIC id from the local APIC itself, which is what the MADT
	; lists (firmware may have changed an xAPIC id, so the initial id in
	; CPUID is only the fallback): the x2APIC ID MSR when firmware left
	; the APIC in x2APIC mode, which INIT keeps (SDM 11.12.5.1); else
	; the xAPIC ID register, read while paging is still off.
	mov ecx, MSR_APIC_BASE
	rdmsr
	test eax, APIC_BASE_X2APIC
	jnz .x2apic
	test eax, APIC_BASE_ENABLE
	jz .cpuid			; disabled: the registers do not answer
	test edx, edx
	jnz .cpuid			; registers above 4 GiB: out of reach
	and eax, APIC_BASE_ADDR
	mov edi, [eax + XAPIC_ID]
	shr edi, 24
	jmp .have_id
.x2apic:
	mov ecx, MSR_X2APIC_ID
	rdmsr
	mov edi, eax
	jmp .have_id
.cpuid:
	mov eax, 1
	cpuid
	mov edi, ebx
	shr edi, 24
.have_id:
	mov eax, cr4
	or eax, CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT
	mov cr4, eax
	mov eax, [esi + OFF(smp_tramp_data) + D_CR3]
	mov cr3, eax
	mov ecx, MSR_EFER
	rdmsr
	or eax, [esi + OFF(smp_tramp_data) + D_EFER]	; LME, NXE
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
	mov esi, esi			; page base and APIC id, zero-extended
	mov edi, edi
	mov rbx, [rsi + OFF(smp_tramp_data) + D_SLOTS]
	mov ecx, [rsi + OFF(smp_tramp_data) + D_SLOT_COUNT]
.find:
	test ecx, ecx
	jz .unknown
	cmp [rbx + SLOT_APIC_ID], edi
	je .found
	add rbx, SLOT_SIZE
	dec ecx
	jmp .find
.unknown:
	; Not a CPU the boot CPU started: stay out of the way. The boot CPU
	; logs the slot that never reports.
	cli
	hlt
	jmp .unknown
.found:
	mov rsp, [rbx + SLOT_STACK_TOP]
	mov rax, [rsi + OFF(smp_tramp_data) + D_ENTRY]
	mov rdi, rbx			; argument: the slot
	xor ebp, ebp
	push rbp			; a null return address ends backtraces
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
