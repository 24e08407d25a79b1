; The stack switch between two threads: push the callee-saved registers
; of the System V ABI on the old stack, store its pointer, load the new
; one and pop its registers. Everything else is caller-saved, so the C
; caller (arch_switch) has already saved what it needs. The frame a new
; thread starts from is built by arch_thread_init to match.

bits 64
default rel

global switch_stacks

section .note.GNU-stack noalloc noexec nowrite progbits

section .text
; void switch_stacks(uint64_t *save_sp, uint64_t new_sp)
switch_stacks:
	push rbp
	push rbx
	push r12
	push r13
	push r14
	push r15
	mov [rdi], rsp
	mov rsp, rsi
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbx
	pop rbp
	ret
