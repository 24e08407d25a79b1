/*
 * Host tests of SHA-256 (boot/core/sha256.c): the FIPS 180-4 example
 * messages (NIST "SHA256.pdf" examples: "abc", the 448-bit two-block
 * message, one million 'a'), the empty message, lengths around the
 * padding boundary (55, 56, 63, 64, 65, 119 bytes), and streaming in
 * every chunk size against the one-shot result.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "sha256.h"

static void hex(const uint8_t *d, char *out)
{
	int i;

	for (i = 0; i < SHA256_DIGEST_SIZE; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void check_digest(const void *msg, size_t len, const char *want)
{
	uint8_t d[SHA256_DIGEST_SIZE];
	char got[2 * SHA256_DIGEST_SIZE + 1];

	sha256(msg, len, d);
	hex(d, got);
	CHECK_STR_EQ(got, want);
}

static void check_a(size_t n, const char *want)
{
	char *msg = malloc(n ? n : 1);

	memset(msg, 'a', n);
	check_digest(msg, n, want);
	free(msg);
}

static void test_vectors(void)
{
	check_digest("", 0,
		     "e3b0c44298fc1c149afbf4c8996fb924"
		     "27ae41e4649b934ca495991b7852b855");
	check_digest("abc", 3,
		     "ba7816bf8f01cfea414140de5dae2223"
		     "b00361a396177a9cb410ff61f20015ad");
	check_digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		     56,
		     "248d6a61d20638b8e5c026930c3e6039"
		     "a33ce45964ff2167f6ecedd419db06c1");
	check_a(55, "9f4390f8d30c2dd92ec9f095b65e2b9a"
		    "e9b0a925a5258e241c9f1e910f734318");
	check_a(56, "b35439a4ac6f0948b6d6f9e3c6af0f5f"
		    "590ce20f1bde7090ef7970686ec6738a");
	check_a(63, "7d3e74a05d7db15bce4ad9ec0658ea98"
		    "e3f06eeecf16b4c6fff2da457ddc2f34");
	check_a(64, "ffe054fe7ae0cb6dc65c3af9b61d5209"
		    "f439851db43d0ba5997337df154668eb");
	check_a(65, "635361c48bb9eab14198e76ea8ab7f1a"
		    "41685d6ad62aa9146d301d4f17eb0ae0");
	check_a(119, "31eba51c313a5c08226adf18d4a359cf"
		     "dfd8d2e816b13f4af952f7ea6584dcfb");
	check_a(1000000, "cdc76e5c9914fb9281a1c7e284d73e67"
			 "f1809a48a497200e046d39ccc7112cd0");
}

static void test_streaming(void)
{
	uint8_t msg[300], one[SHA256_DIGEST_SIZE], many[SHA256_DIGEST_SIZE];
	struct sha256_ctx c;
	size_t chunk, pos, n;

	for (pos = 0; pos < sizeof(msg); pos++)
		msg[pos] = (uint8_t)(pos * 7 + 3);
	sha256(msg, sizeof(msg), one);
	for (chunk = 1; chunk <= sizeof(msg); chunk++) {
		sha256_init(&c);
		for (pos = 0; pos < sizeof(msg); pos += n) {
			n = sizeof(msg) - pos < chunk ? sizeof(msg) - pos
						      : chunk;
			sha256_update(&c, msg + pos, n);
		}
		sha256_final(&c, many);
		CHECK(memcmp(one, many, sizeof(one)) == 0);
	}
}

int main(void)
{
	test_vectors();
	test_streaming();
	return check_exit("loader-sha256");
}
