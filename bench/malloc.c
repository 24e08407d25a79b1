/*
 * malloc/free throughput: THREADS threads each keep a working set of 256
 * live blocks and, ROUNDS times, free a random one of them and allocate
 * a new block in its place. Sizes are mostly small (16..512 bytes, 15 in
 * 16 rounds), the rest 4..64 KiB. Each thread fills its working set
 * before the clock starts and empties it after the clock stops; an
 * operation is one malloc or one free, so a round is two.
 *
 * The same source runs as the unikernel's app and natively (C11,
 * POSIX threads); bench/malloc.sh runs both and compares them.
 *
 * Usage: malloc-bench [THREADS [ROUNDS [REPEAT]]] (default 1 1000000 5).
 * Each repetition prints one line:
 *   malloc-bench: T threads, R rounds each: N ops in S s, X ops/s
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_THREADS 64
#define WORKING_SET 256

struct worker {
	int id;
	long rounds;
	int failed;
	double start, end;
};

static pthread_barrier_t start_line, finish_line;

/* A deterministic generator (xorshift64*), the same on every libc. */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static size_t block_size(uint64_t r)
{
	if (r % 16)
		return 16 + (size_t)(r >> 8) % 497;	  /* 16..512 */
	return 4096 + (size_t)(r >> 8) % (60 * 1024 + 1); /* 4..64 KiB */
}

/* Write the first and last byte, so that the block is really there. */
static void *alloc_touch(size_t n)
{
	unsigned char *p = malloc(n);

	if (p) {
		p[0] = (unsigned char)n;
		p[n - 1] = (unsigned char)n;
	}
	return p;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *worker(void *arg)
{
	struct worker *w = arg;
	void *live[WORKING_SET];
	uint64_t s = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)w->id << 32 | 1);

	for (int i = 0; i < WORKING_SET; i++) {
		live[i] = alloc_touch(block_size(rng_next(&s)));
		if (!live[i])
			w->failed = 1;
	}
	pthread_barrier_wait(&start_line);
	w->start = now();
	for (long i = 0; i < w->rounds; i++) {
		uint64_t r = rng_next(&s);
		int k = (int)(r % WORKING_SET);

		free(live[k]);
		live[k] = alloc_touch(block_size(r >> 8));
		if (!live[k])
			w->failed = 1;
	}
	w->end = now();
	pthread_barrier_wait(&finish_line);
	for (int i = 0; i < WORKING_SET; i++)
		free(live[i]);
	return NULL;
}

/* One timed repetition: 0, or -1 if an allocation failed. The time is
 * from the first thread's start to the last one's end, each taken by
 * the thread itself: whether a woken thread runs before its waker
 * depends on the scheduler. */
static int run(int threads, long rounds)
{
	pthread_t t[MAX_THREADS];
	struct worker w[MAX_THREADS];
	double t0 = 0, t1 = 0;
	int failed = 0;

	pthread_barrier_init(&start_line, NULL, (unsigned)threads + 1);
	pthread_barrier_init(&finish_line, NULL, (unsigned)threads + 1);
	for (int i = 0; i < threads; i++) {
		w[i] = (struct worker){ .id = i, .rounds = rounds };
		if (pthread_create(&t[i], NULL, worker, &w[i])) {
			fprintf(stderr,
				"malloc-bench: pthread_create failed\n");
			exit(1);
		}
	}
	pthread_barrier_wait(&start_line);
	pthread_barrier_wait(&finish_line);
	for (int i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		failed |= w[i].failed;
		if (!i || w[i].start < t0)
			t0 = w[i].start;
		if (!i || w[i].end > t1)
			t1 = w[i].end;
	}
	pthread_barrier_destroy(&start_line);
	pthread_barrier_destroy(&finish_line);
	if (failed) {
		fprintf(stderr, "malloc-bench: an allocation failed\n");
		return -1;
	}
	double ops = 2.0 * (double)rounds * threads;
	printf("malloc-bench: %d threads, %ld rounds each: %.0f ops in %.3f s, "
	       "%.0f ops/s\n",
	       threads, rounds, ops, t1 - t0, ops / (t1 - t0));
	return 0;
}

int main(int argc, char **argv)
{
	int threads = argc > 1 ? atoi(argv[1]) : 1;
	long rounds = argc > 2 ? atol(argv[2]) : 1000000;
	int repeat = argc > 3 ? atoi(argv[3]) : 5;

	if (threads < 1 || threads > MAX_THREADS || rounds < 1 || repeat < 1) {
		fprintf(stderr,
			"usage: malloc-bench [THREADS (1-%d) [ROUNDS "
			"[REPEAT]]]\n",
			MAX_THREADS);
		return 2;
	}
	for (int i = 0; i < repeat; i++)
		if (run(threads, rounds) < 0)
			return 1;
	return 0;
}
