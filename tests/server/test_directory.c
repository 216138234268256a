#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto/frame.h"
#include "server/relay_int.h"

static struct proto_slice
sl(const char *s)
{
	return (struct proto_slice){s, strlen(s)};
}

/* A token or ticket matches only itself, whole. */
static void
directory__token_eq__only_the_whole_token(void **state)
{
	const char *tok = "0123456789abcdef0123456789abcdef";

	(void)state;
	assert_true(server_directory_token_eq(sl(tok), tok));
	assert_false(server_directory_token_eq(
	    sl("0123456789abcdef0123456789abcdee"), tok));
	assert_false(server_directory_token_eq(
	    sl("1123456789abcdef0123456789abcdef"), tok));
	/* A prefix, a longer one, and nothing are not the token. */
	assert_false(server_directory_token_eq(sl("0123456789abcdef"), tok));
	assert_false(server_directory_token_eq(
	    sl("0123456789abcdef0123456789abcdef0"), tok));
	assert_false(server_directory_token_eq(sl(""), tok));
	/* No token held: nothing matches, not even an empty one. */
	assert_false(server_directory_token_eq(sl(""), ""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(directory__token_eq__only_the_whole_token),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
