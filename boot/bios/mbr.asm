; MBR boot sector: load stage 2 with INT 13h extensions and jump to it.
;
; The BIOS loads this sector at 0000:7C00 and jumps to it with DL = boot
; drive (BIOS Boot Specification 1.01). We take a TSC stamp for the boot
; time line, check for the INT 13h extensions (EDD 3.0, function 41h),
; read stage 2 (LBA and sector count patched in at STAGE2_LBA_OFF by the
; installer, boot/install.c) to 0000:8000 with function 42h, and jump to it
; with DL still the boot drive. On any failure: a short message on the
; screen and on COM1, then halt; never a reboot loop.
;
; Layout: code and data in bytes 0..439; then the disk signature (440),
; two reserved bytes, the partition table (446) and 55 AA (510). The
; installer keeps bytes 440..511 of the disk as they are.

%define STAGE2_ADDR 0x8000
%define TSC_STAMP 0x0500		; 8 bytes, read by stage 2
%define COM1 0x3f8

bits 16
org 0x7c00

start:
	cli
	xor ax, ax
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov sp, 0x7c00
	jmp 0:.norm			; some BIOSes enter at 07C0:0000
.norm:
	sti
	cld
	mov [drive], dl			; before rdtsc overwrites EDX
	rdtsc
	mov [TSC_STAMP], eax
	mov [TSC_STAMP + 4], edx

	mov ah, 0x41
	mov bx, 0x55aa
	mov dl, [drive]
	int 0x13
	jc no_edd
	cmp bx, 0xaa55
	jne no_edd
	test cl, 1			; packet interface supported
	jz no_edd

	mov ax, [stage2_count]
	test ax, ax
	jz no_stage2
	mov [dap.count], ax
	mov eax, [stage2_lba]
	mov [dap.lba], eax
	mov eax, [stage2_lba + 4]
	mov [dap.lba + 4], eax
	mov si, dap
	mov ah, 0x42
	mov dl, [drive]
	int 0x13
	jc read_error

	mov dl, [drive]
	jmp 0:STAGE2_ADDR

no_edd:
	mov si, msg_edd
	jmp fail
no_stage2:
	mov si, msg_install
	jmp fail
read_error:
	mov si, msg_read
fail:
	lodsb
	test al, al
	jz .halt
	mov bl, al
	mov ah, 0x0e			; teletype
	mov bh, 0
	int 0x10
	mov dx, COM1 + 5		; line status: wait for THR empty
	mov cx, 0xffff
.wait:
	in al, dx
	test al, 0x20
	loopz .wait
	mov dx, COM1
	mov al, bl
	out dx, al
	jmp fail
.halt:
	cli
	hlt
	jmp .halt

msg_edd:	db "skiff: no INT 13h extensions; halted", 13, 10, 0
msg_read:	db "skiff: disk read error loading stage 2; halted", 13, 10, 0
msg_install:	db "skiff: stage 2 not installed; halted", 13, 10, 0

align 4
dap:
	db 16, 0			; size, reserved
.count:	dw 0
	dw 0, STAGE2_ADDR >> 4		; offset, segment
.lba:	dq 0
drive:	db 0

; Filled in by the installer.
	times 0x1a8 - ($ - $$) db 0
stage2_lba:	dq 0			; 0x1a8
stage2_count:	dw 0			; 0x1b0: sectors, at most 127
	times 440 - ($ - $$) db 0
