/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/fingerprint.h"

/* Syncthing's own test device ID (lib/protocol/deviceid_test.go). */
static const char st_id[] =
    "P56IOI7-MZJNU2Y-IQGDREY-DM2MGTI-MGL3BXN-PQ6W5BM-TBBZ4TJ-XZWICQ2";

static void
util_fp__round_trips__syncthing_vector(void **state)
{
	unsigned char fp[UTIL_FP_LEN], again[UTIL_FP_LEN];
	char text[UTIL_FP_TEXT], hex[UTIL_FP_HEX], err[128];

	(void)state;
	assert_int_equal(util_fp_parse(st_id, fp, err, sizeof err), 0);
	util_fp_text(fp, text);
	assert_string_equal(text, st_id);
	util_fp_hex(fp, hex);
	assert_int_equal(strlen(hex), 64);
	assert_int_equal(util_fp_parse(hex, again, err, sizeof err), 0);
	assert_memory_equal(fp, again, UTIL_FP_LEN);
}

static void
util_fp__encodes__fixed_bytes(void **state)
{
	unsigned char fp[UTIL_FP_LEN], back[UTIL_FP_LEN];
	char text[UTIL_FP_TEXT], hex[UTIL_FP_HEX], err[128];
	size_t i;

	(void)state;
	for (i = 0; i < UTIL_FP_LEN; i++)
		fp[i] = (unsigned char)i;
	util_fp_hex(fp, hex);
	assert_string_equal(hex,
	    "000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f");
	util_fp_text(fp, text);
	/* base32 of 00..1f is AAAQEAYEAUDAOCAJBIFQYDIOB4IBCEQTCQKRMFYYDENBWHA5DYPQ
	 * with a check after each 13 characters. */
	assert_string_equal(text,
	    "AAAQEAY-EAUDAOB-CAJBIFQ-YDIOB4B-"
	    "IBCEQTC-QKRMFYX-YDENBWH-A5DYPQG");
	for (i = 7; i < 63; i += 8)
		assert_int_equal(text[i], '-');
	assert_int_equal(util_fp_parse(text, back, err, sizeof err), 0);
	assert_memory_equal(fp, back, UTIL_FP_LEN);
}

static void
util_fp__accepts__lower_case_and_spaces(void **state)
{
	unsigned char a[UTIL_FP_LEN], b[UTIL_FP_LEN];
	char err[128];

	(void)state;
	assert_int_equal(util_fp_parse(st_id, a, err, sizeof err), 0);
	assert_int_equal(util_fp_parse("p56ioi7 mzjnu2y iqgdrey dm2mgti "
	                               "mgl3bxn pq6w5bm tbbz4tj xzwicq2",
	                     b, err, sizeof err),
	    0);
	assert_memory_equal(a, b, UTIL_FP_LEN);
}

static void
util_fp__refuses__one_character_typo(void **state)
{
	unsigned char fp[UTIL_FP_LEN];
	char bad[sizeof st_id], err[128];
	size_t i;

	(void)state;
	/* Every single substitution inside any chunk is caught. */
	for (i = 0; i < sizeof st_id - 1; i++) {
		if (st_id[i] == '-')
			continue;
		memcpy(bad, st_id, sizeof st_id);
		bad[i] = bad[i] == 'A' ? 'B' : 'A';
		assert_int_equal(util_fp_parse(bad, fp, err, sizeof err), -1);
		assert_non_null(strstr(err, "check"));
	}
}

static void
util_fp__refuses__wrong_length_and_characters(void **state)
{
	unsigned char fp[UTIL_FP_LEN];
	char err[128];

	(void)state;
	assert_int_equal(
	    util_fp_parse("P56IOI7-MZJNU2Y", fp, err, sizeof err), -1);
	assert_non_null(strstr(err, "56"));
	assert_int_equal(util_fp_parse("P56IOI7-MZJNU2Y-IQGDREY-DM2MGTI-"
	                               "MGL3BXN-PQ6W5BM-TBBZ4TJ-XZWIC01",
	                     fp, err, sizeof err),
	    -1);
	assert_non_null(strstr(err, "'0'"));
	assert_int_equal(util_fp_parse("", fp, err, sizeof err), -1);
	assert_int_equal(util_fp_parse("00112233445566778899aabbccddeeff0011223"
	                               "3445566778899aabbccddeefg",
	                     fp, err, sizeof err),
	    -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(util_fp__round_trips__syncthing_vector),
	    cmocka_unit_test(util_fp__encodes__fixed_bytes),
	    cmocka_unit_test(util_fp__accepts__lower_case_and_spaces),
	    cmocka_unit_test(util_fp__refuses__one_character_typo),
	    cmocka_unit_test(util_fp__refuses__wrong_length_and_characters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
