/*
 * The smallest program there is, linked static without a libc: the
 * ELF tests build it for x86_64 (a valid kernel as far as the loader's
 * checks go) and for i386 (an ELFCLASS32 file to refuse).
 */
void _start(void);

void _start(void)
{
	for (;;)
		;
}
