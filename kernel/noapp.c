/*
 * The app of the bare kernel image (skiff.elf): it shows the arguments it
 * was given and exits with status 0, so that a boot can be checked end to
 * end before any real app is linked in.
 */
#include <kernel/console.h>
#include <kernel/kernel.h>

int app_main(int argc, char **argv)
{
	kprintf("app: no app linked; argc=%d\n", argc);
	for (int i = 0; i < argc; i++)
		kprintf("app: argv[%d] = \"%s\"\n", i, argv[i]);
	return 0;
}
