; BIOS stage 2: entry from the MBR, the real-mode BIOS call thunk, CPU
; exception stubs and the final jump into the 64-bit kernel.
;
; The MBR jumps to 0000:8000 in real mode with DL = boot drive. We enable
; A20 (INT 15h AX=2401h, then the port 92h "fast A20" gate), switch to
; 32-bit protected mode with a flat GDT, zero .bss, install an IDT whose
; handlers report the exception and halt (a fault must never become a
; triple-fault reboot loop), and call stage2_main(drive).
;
; bios_call() drops back to real mode for one software interrupt (disk
; reads, E820, teletype) and returns to protected mode. It and its data
; must sit below 64 KiB with CS = 0, which the linker script guarantees by
; placing .entry first at 0x8000.
;
; Intel SDM vol. 3A, 9.9.1 (switching to protected mode), 9.9.2 (back to
; real mode) and 9.8.5 (initializing IA-32e mode).

%define CODE32 0x08
%define DATA32 0x10
%define CODE16 0x18
%define DATA16 0x20
%define CODE64 0x28
%define STACK_TOP 0x7c00

; The thunk's variables live below the stack, away from any code page:
; under TCG a store to a page that holds translated code throws that
; code away, and the thunk runs on every disk read.
%define RM_VARS 0x510
%define regs_ptr (RM_VARS + 0)
%define saved_esp (RM_VARS + 4)
%define pm_idt_save (RM_VARS + 8)	; 6 bytes
%define kernel_arg (RM_VARS + 16)
%define kernel_entry (RM_VARS + 24)	; 8 bytes
%define boot_drive (RM_VARS + 32)	; 1 byte

extern stage2_main
extern stage2_exception
extern __bss_start
extern __bss_end

global stage2_start
global bios_call
global enter_kernel

section .entry progbits alloc exec write align=16
bits 16
stage2_start:
	cli
	xor ax, ax
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov sp, STACK_TOP
	mov [boot_drive], dl
	sti

	mov ax, 0x2401			; A20 through the BIOS
	int 0x15
	in al, 0x92			; and through the fast A20 gate
	test al, 2
	jnz .a20_done
	or al, 2
	and al, 0xfe			; bit 0 would reset the machine
	out 0x92, al
.a20_done:
	cli
	lgdt [gdt_ptr]
	mov eax, cr0
	or al, 1
	mov cr0, eax
	jmp CODE32:pm_entry

bits 32
pm_entry:
	mov ax, DATA32
	mov ds, ax
	mov es, ax
	mov fs, ax
	mov gs, ax
	mov ss, ax
	mov esp, STACK_TOP
	cld
	mov edi, __bss_start
	mov ecx, __bss_end
	sub ecx, edi
	xor eax, eax
	rep stosb

	; IDT: 32 interrupt gates, one stub each.
	xor ecx, ecx
.idt:
	mov eax, ecx
	shl eax, 3			; stubs are 8 bytes apart
	add eax, exc_stubs
	mov [idt + ecx * 8], ax
	mov word [idt + ecx * 8 + 2], CODE32
	mov word [idt + ecx * 8 + 4], 0x8e00	; present, DPL 0, 32-bit gate
	shr eax, 16
	mov [idt + ecx * 8 + 6], ax
	inc ecx
	cmp ecx, 32
	jne .idt
	lidt [idt_ptr]

	movzx eax, byte [boot_drive]
	push eax
	call stage2_main
halt:
	cli
	hlt
	jmp halt

; Exception stubs, 8 bytes each: push the vector and jump to the common
; path. The C side knows which vectors also pushed an error code.
align 8
exc_stubs:
%assign v 0
%rep 32
	align 8
	push byte v
	jmp near exc_common
%assign v v + 1
%endrep

exc_common:
	; stack: vector, then error code and eip, or eip and cs
	call stage2_exception		; (vector, word1, word2) as cdecl args
	jmp halt

; void bios_call(uint32_t intno, struct bios_regs *r)
; struct bios_regs: eax ebx ecx edx esi edi ebp eflags (u32), ds es (u16)
; intno is 0x10, 0x13 or 0x15 (no self-modifying 'int', for the reason
; above); any other number is treated as 0x15.
bios_call:
	push ebp
	push ebx
	push esi
	push edi
	mov eax, [esp + 20]
	mov [RM_VARS + 36], al		; the interrupt to issue
	mov eax, [esp + 24]
	mov [regs_ptr], eax
	mov [saved_esp], esp
	sidt [pm_idt_save]
	jmp CODE16:.pm16

bits 16
.pm16:
	mov ax, DATA16
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov eax, cr0
	and al, 0xfe
	mov cr0, eax
	jmp 0:.rm
.rm:
	xor ax, ax
	mov ds, ax
	mov ss, ax
	mov sp, [saved_esp]
	lidt [rm_idt_ptr]
	mov esi, [regs_ptr]
	mov ax, [esi + 34]		; es
	mov es, ax
	mov eax, [esi + 0]
	mov ebx, [esi + 4]
	mov ecx, [esi + 8]
	mov edx, [esi + 12]
	mov edi, [esi + 20]
	mov ebp, [esi + 24]
	push word [esi + 32]		; ds, loaded last
	mov esi, [esi + 16]
	pop ds
	sti
	cmp byte [cs:RM_VARS + 36], 0x13
	je .int13
	cmp byte [cs:RM_VARS + 36], 0x10
	je .int10
	int 0x15
	jmp .done
.int13:
	int 0x13
	jmp .done
.int10:
	int 0x10
.done:
	cli
	push ds
	push esi
	pushfd
	xor si, si
	mov ds, si
	mov esi, [regs_ptr]
	pop dword [esi + 28]		; eflags
	pop dword [esi + 16]		; esi
	pop word [esi + 32]		; ds
	mov [esi + 0], eax
	mov [esi + 4], ebx
	mov [esi + 8], ecx
	mov [esi + 12], edx
	mov [esi + 20], edi
	mov [esi + 24], ebp
	mov [esi + 34], es

	lgdt [gdt_ptr]
	lidt [pm_idt_save]
	mov eax, cr0
	or al, 1
	mov cr0, eax
	jmp CODE32:.back

bits 32
.back:
	mov ax, DATA32
	mov ds, ax
	mov es, ax
	mov fs, ax
	mov gs, ax
	mov ss, ax
	mov esp, [saved_esp]
	pop edi
	pop esi
	pop ebx
	pop ebp
	ret

; void enter_kernel(uint32_t pml4, uint32_t boot_info, uint64_t entry)
; Identity paging from pml4, long mode, then jump to entry with
; RDI = boot_info and RSI = BOOT_INFO_MAGIC (docs/boot-protocol.md).
enter_kernel:
	cli
	mov eax, [esp + 8]
	mov [kernel_arg], eax
	mov eax, [esp + 12]
	mov [kernel_entry], eax
	mov eax, [esp + 16]
	mov [kernel_entry + 4], eax
	mov eax, cr4
	or eax, (1 << 5) | (1 << 9) | (1 << 10)	; PAE, OSFXSR, OSXMMEXCPT
	mov cr4, eax
	mov eax, [esp + 4]
	mov cr3, eax
	mov ecx, 0xc0000080			; EFER
	rdmsr
	or eax, 1 << 8				; LME
	wrmsr
	mov eax, cr0
	and eax, ~(1 << 2)			; EM
	or eax, (1 << 31) | (1 << 1)		; PG, MP
	mov cr0, eax
	jmp CODE64:.long

bits 64
.long:
	mov ax, DATA32
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov edi, [abs kernel_arg]
	mov rsi, 0x544f4f4246494b53		; BOOT_INFO_MAGIC
	mov rax, [abs kernel_entry]
	jmp rax

align 16
gdt:
	dq 0
	dq 0x00cf9a000000ffff		; 0x08 32-bit code
	dq 0x00cf92000000ffff		; 0x10 32-bit data
	dq 0x00009a000000ffff		; 0x18 16-bit code, 64 KiB
	dq 0x000092000000ffff		; 0x20 16-bit data, 64 KiB
	dq 0x00af9a000000ffff		; 0x28 64-bit code
gdt_end:
gdt_ptr:
	dw gdt_end - gdt - 1
	dd gdt
rm_idt_ptr:
	dw 0x3ff
	dd 0
idt_ptr:
	dw 32 * 8 - 1
	dd idt

section .bss nobits alloc noexec write align=8
idt:	resb 32 * 8
