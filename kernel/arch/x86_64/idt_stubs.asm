; Interrupt and exception entry: one stub per vector (Intel SDM vol. 3A,
; 6.12 and 6.14). Each stub makes the frame uniform (a zero error code
; where the CPU pushes none, then the vector), the common path saves the
; general registers as struct irq_frame (arch/interrupt.h) and calls
; irq_dispatch(frame) with a 16-byte-aligned stack, then returns with
; iretq. Kernel code uses no SSE, so no vector state is saved here.

bits 64
default rel

extern irq_dispatch
global idt_stub_table

section .note.GNU-stack noalloc noexec nowrite progbits

section .text
; Vectors whose exceptions push an error code (SDM table 6-1).
%define HAS_ERROR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

align 16
irq_common:
	push rax
	push rcx
	push rdx
	push rbx
	push rbp
	push rsi
	push rdi
	push r8
	push r9
	push r10
	push r11
	push r12
	push r13
	push r14
	push r15
	cld
	mov rdi, rsp
	call irq_dispatch
	pop r15
	pop r14
	pop r13
	pop r12
	pop r11
	pop r10
	pop r9
	pop r8
	pop rdi
	pop rsi
	pop rbp
	pop rbx
	pop rdx
	pop rcx
	pop rax
	add rsp, 16			; vector and error code
	iretq

%assign v 0
%rep 256
align 16
stub_ %+ v:
%if HAS_ERROR(v) == 0
	push qword 0
%endif
	push qword v
	jmp irq_common
%assign v v + 1
%endrep

section .rodata
align 8
idt_stub_table:
%assign v 0
%rep 256
	dq stub_ %+ v
%assign v v + 1
%endrep
