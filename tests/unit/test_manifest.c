/*
 * test_manifest.c - YAML manifests (manifest.c) and the JSON/YAML choice of
 * input.c.
 *
 * The conversion tables compare kcs_manifest_to_json() output, one line
 * "<line> <json>" per object, with what kubectl (sigs.k8s.io/yaml over
 * go-yaml v2) makes of the same YAML; expected values were derived by hand
 * from go-yaml v2's resolve.go, not from this code. Error rows check the
 * code and a piece of the message (always the line).
 *
 * The end-to-end tests run manifests through a real reader and audit and
 * check verdicts, reasons and where each pod came from.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>

#include "kcs/alloc.h"
#include "kcs/audit.h"
#include "kcs/buf.h"
#include "kcs/input.h"
#include "kcs/manifest.h"
#include "kcs/reader.h"

/* ---- helpers -------------------------------------------------------- */

/* Convert `yaml`; returns the output (caller frees) or NULL on error. */
static char *conv(const char *yaml, size_t len, const char *ns,
		  struct kcs_error *err)
{
	struct kcs_buf out = KCS_BUF_INIT(256u * 1024 * 1024);
	char *s;

	if (kcs_manifest_to_json(yaml, len, ns, &out, err)) {
		kcs_buf_release(&out);
		return NULL;
	}
	s = kcs_buf_detach(&out, NULL);
	kcs_buf_release(&out);
	cr_assert(s != NULL);
	return s;
}

static void expect_json(const char *yaml, const char *want, const char *why)
{
	struct kcs_error err = KCS_ERROR_INIT;
	char *got = conv(yaml, strlen(yaml), NULL, &err);

	cr_expect(got != NULL, "%s: unexpected error: %s", why, err.msg);
	if (got)
		cr_expect_str_eq(got, want, "%s:\n--- yaml\n%s\n--- got\n%s--- want\n%s",
				 why, yaml, got, want);
	kcs_free(got);
}

static void expect_err(const char *yaml, size_t len, enum kcs_err code,
		       const char *part, const char *why)
{
	struct kcs_error err = KCS_ERROR_INIT;
	char *got = conv(yaml, len, NULL, &err);

	cr_expect(got == NULL, "%s: converted, but must fail: %s", why,
		  got ? got : "");
	cr_expect_eq(err.code, code, "%s: code %d, want %d (%s)", why,
		     err.code, code, err.msg);
	cr_expect(strstr(err.msg, part) != NULL,
		  "%s: message '%s' lacks '%s'", why, err.msg, part);
	kcs_free(got);
}

/* ---- scalars -------------------------------------------------------- */

/*
 * Each row: a value as written after `v: ` and its JSON. The object is a
 * Namespace so no default namespace is filled in.
 */
Test(manifest, scalar_typing)
{
	static const struct {
		const char *yaml, *json;
	} rows[] = {
		/* booleans: every spelling go-yaml v2 resolves */
		{ "y", "true" }, { "Y", "true" }, { "yes", "true" },
		{ "Yes", "true" }, { "YES", "true" }, { "true", "true" },
		{ "True", "true" }, { "TRUE", "true" }, { "on", "true" },
		{ "On", "true" }, { "ON", "true" },
		{ "n", "false" }, { "N", "false" }, { "no", "false" },
		{ "No", "false" }, { "NO", "false" }, { "false", "false" },
		{ "False", "false" }, { "FALSE", "false" }, { "off", "false" },
		{ "Off", "false" }, { "OFF", "false" },
		/* other capitalisations are strings */
		{ "yEs", "\"yEs\"" }, { "tRUE", "\"tRUE\"" }, { "oN", "\"oN\"" },
		{ "nO", "\"nO\"" }, { "yes!", "\"yes!\"" },
		/* nulls */
		{ "", "null" }, { "~", "null" }, { "null", "null" },
		{ "Null", "null" }, { "NULL", "null" }, { "nULL", "\"nULL\"" },
		/* quoted and block scalars are strings */
		{ "\"true\"", "\"true\"" }, { "'yes'", "\"yes\"" },
		{ "\"\"", "\"\"" }, { "'~'", "\"~\"" }, { "\"42\"", "\"42\"" },
		{ "|\n  yes", "\"yes\\n\"" }, { ">-\n  on", "\"on\"" },
		/* tags */
		{ "!!str yes", "\"yes\"" }, { "!!str 42", "\"42\"" },
		{ "!!bool yes", "true" }, { "!!bool \"true\"", "true" },
		{ "!!int 42", "42" }, { "!!int \"0x10\"", "16" },
		{ "!!float 1", "1" }, { "!!float 2.5", "2.5" },
		{ "!!null ~", "null" }, { "!!null", "null" },
		{ "!custom true", "\"true\"" }, { "! 12", "\"12\"" },
		{ "!!timestamp 2001-12-14", "\"2001-12-14\"" },
		/* integers (Go's ParseInt base 0, underscores dropped) */
		{ "42", "42" }, { "-17", "-17" }, { "+5", "5" }, { "0", "0" },
		{ "-0", "0" }, { "0x1F", "31" }, { "0X1f", "31" },
		{ "-0x10", "-16" }, { "0o17", "15" }, { "017", "15" },
		{ "0b101", "5" }, { "-0b11", "-3" }, { "1_000", "1000" },
		{ "0x_ff", "255" },
		{ "9223372036854775807", "9223372036854775807" },
		{ "-9223372036854775808", "-9223372036854775808" },
		/* over int64, unsigned: ParseUint */
		{ "9223372036854775808", "9223372036854775808" },
		{ "18446744073709551615", "18446744073709551615" },
		/* over uint64, decimal: the float regex takes it */
		{ "18446744073709551616", "18446744073709552000" },
		{ "-9223372036854775809", "-9223372036854776000" },
		/* over uint64, hex: a big integer, written in decimal */
		{ "0x10000000000000000", "18446744073709551616" },
		{ "-0x10000000000000000", "-18446744073709551616" },
		/* not octal: 8 and 9 make it a float, as ParseFloat reads it */
		{ "08", "8" }, { "0999", "999" },
		/* floats */
		{ "1.5", "1.5" }, { "-2.25", "-2.25" }, { "1e3", "1000" },
		{ "1E-2", "0.01" }, { ".5", "0.5" }, { "-.5", "-0.5" },
		{ "+.5e1", "5" }, { "1.", "1" }, { "1_000.5", "1000.5" },
		/* strings that look a little like numbers */
		/* Go's encoding/json float notation */
		{ "1e21", "1e+21" }, { "1.5e-7", "1.5e-7" }, { "1e-6", "0.000001" },
		{ "-0.0", "-0" }, { "123.456e2", "12345.6" }, { "0.1", "0.1" },
		{ "1.", "1" }, { "2.50", "2.5" }, { "1e20", "100000000000000000000" },
		{ "1.2.3", "\"1.2.3\"" }, { "0x", "\"0x\"" },
		{ "0xZZ", "\"0xZZ\"" }, { "12abc", "\"12abc\"" },
		{ "1:30", "\"1:30\"" }, { "2024-01-01", "\"2024-01-01\"" },
		{ "+", "\"+\"" }, { "-x", "\"-x\"" }, { ".", "\".\"" },
		{ ".e5", "\".e5\"" }, { "1e999", "\"1e999\"" },
		{ ".5e999", "\".5e999\"" }, { "._5", "\"._5\"" },
		{ "<<", "\"<<\"" }, { "NET_RAW", "\"NET_RAW\"" },
		{ "'it''s'", "\"it's\"" }, { "\"a\\tb\"", "\"a\\tb\"" },
	};
	size_t i;

	for (i = 0; i < KCS_ARRAY_SIZE(rows); i++) {
		char yaml[256], want[256];

		snprintf(yaml, sizeof(yaml), "kind: Namespace\nv: %s\n",
			 rows[i].yaml);
		snprintf(want, sizeof(want),
			 "1 {\"kind\":\"Namespace\",\"v\":%s}\n", rows[i].json);
		expect_json(yaml, want, rows[i].yaml);
	}
}

Test(manifest, scalar_errors)
{
	static const struct {
		const char *yaml, *part;
	} rows[] = {
		{ "kind: Namespace\nv: .inf\n", "line 2: .inf and .nan" },
		{ "kind: Namespace\nv: -.Inf\n", "line 2: .inf and .nan" },
		{ "kind: Namespace\nv: .NaN\n", "line 2: .inf and .nan" },
		{ "kind: Namespace\nv: !!float .inf\n", "line 2: .inf" },
		{ "kind: Namespace\nv: !!binary aGk=\n", "line 2: !!binary" },
		{ "kind: Namespace\nv: !!int abc\n", "line 2: value does not fit its tag" },
		{ "kind: Namespace\nv: !!int 1.5\n", "line 2: value does not fit" },
		{ "kind: Namespace\nv: !!bool 1\n", "line 2: value does not fit" },
		{ "kind: Namespace\nv: !!null x\n", "line 2: value does not fit" },
		{ "kind: Namespace\nv: !!float abc\n", "line 2: value does not fit" },
		{ "kind: Namespace\nv: !!timestamp soon\n", "line 2: value does not fit" },
	};
	size_t i;

	for (i = 0; i < KCS_ARRAY_SIZE(rows); i++)
		expect_err(rows[i].yaml, strlen(rows[i].yaml), KCS_ERR_PARSE,
			   rows[i].part, rows[i].yaml);
}

/* ---- keys ----------------------------------------------------------- */

Test(manifest, keys_made_strings)
{
	/* sigs.k8s.io/yaml: int, bool and float keys become strings (floats
	 * as Go's FormatFloat(f, 'g', -1, 32)); the output is sorted as Go's
	 * encoding/json sorts map keys. */
	expect_json("kind: Namespace\ndata:\n  9000: a\n  0x10: b\n  yes: c\n"
		    "  false: d\n  1.5: e\n  .inf: f\n  \"z\": g\n  1e6: h\n",
		    "1 {\"data\":{\".inf\":\"f\",\"1.5\":\"e\",\"16\":\"b\","
		    "\"1e+06\":\"h\",\"9000\":\"a\",\"false\":\"d\","
		    "\"true\":\"c\",\"z\":\"g\"},\"kind\":\"Namespace\"}\n",
		    "non-string keys");
}

Test(manifest, key_errors)
{
	static const struct {
		const char *yaml, *part;
	} rows[] = {
		{ "kind: Namespace\n~: x\n", "line 2: a mapping key is null" },
		{ "kind: Namespace\n? [a, b]\n: x\n", "line 2: a mapping key must be a scalar" },
		{ "kind: Namespace\n? {a: 1}\n: x\n", "line 2: a mapping key must be a scalar" },
		{ "kind: Namespace\n0x1FFFFFFFFFFFFFFFF: x\n", "line 2: a mapping key is an integer" },
		/* duplicates: kubectl's strict decoding refuses them */
		{ "kind: Namespace\nspec:\n  a: 1\n  b: 2\n  a: 3\n",
		  "line 5: duplicate key 'a' in a mapping (first at line 3)" },
		{ "kind: Pod\nkind: Pod\n", "line 2: duplicate key 'kind'" },
		/* equal once made strings: kubectl would keep either */
		{ "kind: Namespace\nd:\n  1: a\n  \"1\": b\n", "line 4: duplicate key '1'" },
		{ "kind: Namespace\nd:\n  yes: a\n  true: b\n", "line 4: duplicate key 'true'" },
		{ "kind: Namespace\nd:\n  0x10: a\n  16: b\n", "line 4: duplicate key '16'" },
		/* a key with a space (or anything odd) is not quoted */
		{ "kind: Namespace\n\"a b\": 1\n\"a b\": 2\n", "line 3: duplicate key '' in" },
	};
	size_t i;

	for (i = 0; i < KCS_ARRAY_SIZE(rows); i++)
		expect_err(rows[i].yaml, strlen(rows[i].yaml), KCS_ERR_PARSE,
			   rows[i].part, rows[i].yaml);
}

Test(manifest, duplicate_privileged_never_hidden)
{
	/* The case the rule is for: a later key must not hide an earlier
	 * `privileged: true` (nor the other way round). */
	const char *y = "kind: Pod\nspec:\n  containers:\n  - name: c\n"
			"    securityContext:\n      privileged: true\n"
			"      privileged: false\n";

	expect_err(y, strlen(y), KCS_ERR_PARSE,
		   "line 7: duplicate key 'privileged'", "privileged twice");
}

/* ---- anchors, aliases, merge keys ----------------------------------- */

Test(manifest, aliases_and_merges)
{
	expect_json("kind: Namespace\na: &x {p: 1, q: [yes]}\nb: *x\n",
		    "1 {\"a\":{\"p\":1,\"q\":[true]},\"b\":{\"p\":1,\"q\":[true]},"
		    "\"kind\":\"Namespace\"}\n", "alias to a mapping");
	expect_json("kind: Namespace\na: &s on\nb: *s\n",
		    "1 {\"a\":true,\"b\":true,\"kind\":\"Namespace\"}\n",
		    "alias to a scalar keeps its type");
	expect_json("kind: Namespace\na: &s 'on'\nb: *s\n",
		    "1 {\"a\":\"on\",\"b\":\"on\",\"kind\":\"Namespace\"}\n",
		    "alias to a quoted scalar");
	expect_json("kind: Namespace\na: &x 1\na2: &x 2\nb: *x\n",
		    "1 {\"a\":1,\"a2\":2,\"b\":2,\"kind\":\"Namespace\"}\n",
		    "a redefined anchor: the latest wins");
	expect_json("kind: Namespace\nbase: &b {x: 1, z: 3}\nm:\n  <<: *b\n  w: 2\n",
		    "1 {\"base\":{\"x\":1,\"z\":3},\"kind\":\"Namespace\","
		    "\"m\":{\"w\":2,\"x\":1,\"z\":3}}\n", "merge one mapping");
	/* YAML 1.1: the key y is the boolean true, as go-yaml v2 reads it */
	expect_json("kind: Namespace\na: &a {x: 1}\nb: &b {y: 2}\n"
		    "m: {<<: [*a, *b], z: 3}\n",
		    "1 {\"a\":{\"x\":1},\"b\":{\"true\":2},\"kind\":\"Namespace\","
		    "\"m\":{\"true\":2,\"x\":1,\"z\":3}}\n", "merge a list");
	expect_json("kind: Namespace\nm:\n  <<: {x: 1}\n",
		    "1 {\"kind\":\"Namespace\",\"m\":{\"x\":1}}\n",
		    "merge an inline mapping");
	expect_json("kind: Namespace\na: &a {x: 1}\nb: &b {<<: *a, w: 2}\n"
		    "m: {<<: *b}\n",
		    "1 {\"a\":{\"x\":1},\"b\":{\"w\":2,\"x\":1},"
		    "\"kind\":\"Namespace\",\"m\":{\"w\":2,\"x\":1}}\n",
		    "merge of a mapping with its own merge");
	expect_json("kind: Namespace\nm: {'<<': 1}\n",
		    "1 {\"kind\":\"Namespace\",\"m\":{\"<<\":1}}\n",
		    "a quoted << is an ordinary key");
}

Test(manifest, alias_and_merge_errors)
{
	static const struct {
		const char *yaml, *part;
	} rows[] = {
		{ "kind: Namespace\na: *nope\n", "line 2: alias to an unknown anchor" },
		{ "kind: Namespace\na: &a [1, *a]\n", "line 2: alias inside the node it refers to" },
		{ "kind: Namespace\nm: {<<: 1}\n", "line 2: a merge key needs a mapping" },
		{ "kind: Namespace\nm: {<<: [{a: 1}, 2]}\n", "line 2: a merge key needs a mapping" },
		/* a merge that sets a key given too: strict go-yaml refuses */
		{ "kind: Namespace\nb: &b {x: 1}\nm:\n  x: 2\n  <<: *b\n",
		  "duplicate key 'x' in a mapping" },
		{ "kind: Namespace\na: &a {x: 1}\nb: &b {x: 2}\nm: {<<: [*a, *b]}\n",
		  "duplicate key 'x'" },
	};
	size_t i;

	for (i = 0; i < KCS_ARRAY_SIZE(rows); i++)
		expect_err(rows[i].yaml, strlen(rows[i].yaml), KCS_ERR_PARSE,
			   rows[i].part, rows[i].yaml);
}

/* A merge must not let a privileged base be overridden silently. */
Test(manifest, merge_cannot_hide_privileged)
{
	const char *y = "kind: Pod\nx-sc: &sc {privileged: true}\nspec:\n"
			"  containers:\n  - name: c\n    securityContext:\n"
			"      <<: *sc\n      privileged: false\n";

	expect_err(y, strlen(y), KCS_ERR_PARSE, "duplicate key 'privileged'",
		   "merge dup");
}

/* ---- limits --------------------------------------------------------- */

static char *billion_laughs(void)
{
	struct kcs_buf b = KCS_BUF_INIT(1 << 20);
	int i, j;

	kcs_buf_addstr(&b, "kind: Namespace\na0: &a0 [lol, lol]\n");
	for (i = 1; i < 30; i++) {
		kcs_buf_addf(&b, "a%d: &a%d [", i, i);
		for (j = 0; j < 10; j++)
			kcs_buf_addf(&b, "%s*a%d", j ? ", " : "", i - 1);
		kcs_buf_addstr(&b, "]\n");
	}
	cr_assert(b.err == KCS_OK);
	return kcs_buf_detach(&b, NULL);
}

/* "kind: Namespace\n<key>: " then `n` [ and n ] (and `mid` between). */
static void nest(struct kcs_buf *b, const char *key, int n, const char *mid)
{
	int i;

	kcs_buf_addf(b, "%s: ", key);
	for (i = 0; i < n; i++)
		kcs_buf_addch(b, '[');
	kcs_buf_addstr(b, mid);
	for (i = 0; i < n; i++)
		kcs_buf_addch(b, ']');
	kcs_buf_addch(b, '\n');
}

Test(manifest, limits)
{
	struct kcs_buf b = KCS_BUF_INIT(80u * 1024 * 1024);
	struct kcs_error err = KCS_ERROR_INIT;
	char *bomb = billion_laughs(), *got;
	int i;

	cr_assert(bomb != NULL);
	expect_err(bomb, strlen(bomb), KCS_ERR_LIMIT,
		   "aliases expand to more than", "billion laughs");
	kcs_free(bomb);

	/* nesting: 64 levels pass (the root and 63), 65 do not */
	kcs_buf_addstr(&b, "kind: Namespace\n");
	nest(&b, "v", 63, "");
	got = conv(b.buf, b.len, NULL, &err);
	cr_expect(got != NULL, "64 levels: %s", err.msg);
	kcs_free(got);
	kcs_buf_reset(&b);
	kcs_buf_addstr(&b, "kind: Namespace\n");
	nest(&b, "v", 64, "");
	expect_err(b.buf, b.len, KCS_ERR_LIMIT,
		   "line 2: nesting deeper than 64", "65 levels");
	/* ... and counted again through aliases */
	kcs_buf_reset(&b);
	kcs_buf_addstr(&b, "kind: Namespace\n");
	kcs_buf_addstr(&b, "x: &d\n");
	nest(&b, "- a", 40, "x");
	nest(&b, "b", 30, "*d");
	expect_err(b.buf, b.len, KCS_ERR_LIMIT, "nesting deeper than 64",
		   "deep through an alias");

	/* a scalar over KCS_JSON_MAX_STRING */
	kcs_buf_reset(&b);
	kcs_buf_addstr(&b, "kind: Namespace\n\nv: ");
	for (i = 0; i < (int)KCS_JSON_MAX_STRING + 1; i++)
		kcs_buf_addch(&b, 'x');
	kcs_buf_addch(&b, '\n');
	cr_assert(b.err == KCS_OK);
	expect_err(b.buf, b.len, KCS_ERR_LIMIT, "line 3: scalar longer than",
		   "long scalar");

	/* one big scalar repeated by aliases: the byte budget */
	kcs_buf_reset(&b);
	kcs_buf_addstr(&b, "kind: Namespace\nv: &big ");
	for (i = 0; i < 1024 * 1024; i++)
		kcs_buf_addch(&b, 'x');
	kcs_buf_addstr(&b, "\nw: [");
	for (i = 0; i < 80; i++)
		kcs_buf_addstr(&b, i ? ", *big" : "*big");
	kcs_buf_addstr(&b, "]\n");
	expect_err(b.buf, b.len, KCS_ERR_LIMIT,
		   "line 3: aliases expand to more than", "aliased big scalar");

	/* a document over KCS_MANIFEST_MAX_DOC (after a small one) */
	kcs_buf_reset(&b);
	kcs_buf_addstr(&b, "---\nkind: Namespace\n---\nkind: Namespace\nv:\n");
	while (b.len <= KCS_MANIFEST_MAX_DOC + 1024 * 1024) {
		kcs_buf_addstr(&b, "- ");
		for (i = 0; i < 1000; i++)
			kcs_buf_addch(&b, 'y');
		kcs_buf_addch(&b, '\n');
	}
	cr_assert(b.err == KCS_OK);
	expect_err(b.buf, b.len, KCS_ERR_LIMIT,
		   "line 3: document larger than", "huge document");
	kcs_buf_release(&b);
}

/* ---- documents, lists, lines ---------------------------------------- */

Test(manifest, documents_and_lines)
{
	/* helm template output: comments, separators, empty documents */
	expect_json("---\n# Source: chart/templates/a.yaml\n"
		    "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n"
		    "---\n# Source: chart/templates/empty.yaml\n---\n---\n~\n"
		    "---\n\n\nkind: Namespace\nmetadata: {name: b}\n...\n",
		    "3 {\"apiVersion\":\"v1\",\"kind\":\"Namespace\","
		    "\"metadata\":{\"name\":\"a\"}}\n"
		    "15 {\"kind\":\"Namespace\",\"metadata\":{\"name\":\"b\"}}\n",
		    "multi-document stream");
	/* CRLF line ends, a UTF-8 byte order mark */
	expect_json("\xEF\xBB\xBFkind: Namespace\r\n\r\nmetadata:\r\n"
		    "  name: crlf\r\n---\r\nkind: Namespace\r\n",
		    "1 {\"kind\":\"Namespace\",\"metadata\":{\"name\":\"crlf\"}}\n"
		    "6 {\"kind\":\"Namespace\"}\n", "CRLF and BOM");
	/* a document of comments only gives nothing */
	expect_json("# nothing\n# here\n", "", "comments only");
	expect_json("", "", "empty stream");
}

Test(manifest, lists_are_split)
{
	expect_json("apiVersion: v1\nkind: List\nmetadata: {}\nitems:\n"
		    "- apiVersion: v1\n  kind: Namespace\n  metadata: {name: a}\n"
		    "- kind: Namespace\n  metadata:\n    name: b\n"
		    "- ~\n"
		    "-\n"
		    "  kind: Namespace\n",
		    "5 {\"apiVersion\":\"v1\",\"kind\":\"Namespace\","
		    "\"metadata\":{\"name\":\"a\"}}\n"
		    "8 {\"kind\":\"Namespace\",\"metadata\":{\"name\":\"b\"}}\n"
		    "13 {\"kind\":\"Namespace\"}\n", "kind: List");
	/* items of a typed list without a kind get the list's item kind */
	expect_json("kind: PodList\nitems:\n- metadata: {name: p, namespace: x}\n"
		    "- kind: Pod\n  metadata: {name: q, namespace: x}\n",
		    "3 {\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\","
		    "\"namespace\":\"x\"}}\n"
		    "4 {\"kind\":\"Pod\",\"metadata\":{\"name\":\"q\","
		    "\"namespace\":\"x\"}}\n", "PodList");
	expect_json("kind: NamespaceList\nitems:\n- metadata: {name: ns1}\n",
		    "3 {\"kind\":\"Namespace\",\"metadata\":{\"name\":\"ns1\"}}\n",
		    "NamespaceList items are not given a namespace");
	/* YAML 1.1 again: the name n is the boolean false (kubectl would
	 * refuse it); the reader, not this module, judges the type */
	expect_json("kind: NamespaceList\nitems:\n- metadata: {name: n}\n",
		    "3 {\"kind\":\"Namespace\",\"metadata\":{\"name\":false}}\n",
		    "name: n");
	expect_json("kind: List\nitems: []\n", "", "empty list");
	expect_json("kind: List\nitems:\n", "", "null items");
	/* an items list reached through an alias */
	expect_json("x: &i\n- kind: Namespace\nkind: List\nitems: *i\n",
		    "2 {\"kind\":\"Namespace\"}\n", "aliased items");
}

Test(manifest, document_errors)
{
	static const struct {
		const char *yaml, *part;
	} rows[] = {
		{ "- a\n- b\n", "line 1: a document must be an object (a mapping), not a sequence" },
		{ "---\nkind: Namespace\n---\njust text\n", "line 4: a document must be an object" },
		{ "kind: List\nitems:\n- kind: Namespace\n- 42\n", "line 4: a list item must be an object" },
		{ "kind: Namespace\nmetadata:\n  name: a\n name: b\n", "line 4: invalid YAML" },
		{ "kind: Namespace\nv: [a, b\n", "invalid YAML" },
		{ "kind: Namespace\nv: \"open\n", "invalid YAML" },
		{ "kind: Namespace\n\tv: 1\n", "line 2: invalid YAML" },
	};
	size_t i;

	for (i = 0; i < KCS_ARRAY_SIZE(rows); i++)
		expect_err(rows[i].yaml, strlen(rows[i].yaml), KCS_ERR_PARSE,
			   rows[i].part, rows[i].yaml);
	/* not UTF-8: libyaml's reader names the byte */
	expect_err("kind: Namespace\nv: \xff\n", 20, KCS_ERR_PARSE,
		   "invalid YAML text after byte", "bad UTF-8");
}

/* ---- default namespace ---------------------------------------------- */

Test(manifest, default_namespace)
{
	static const struct {
		const char *yaml, *json, *why;
	} rows[] = {
		{ "kind: Pod\n",
		  "1 {\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"team-a\"}}\n",
		  "no metadata" },
		{ "kind: Pod\nmetadata: {name: p}\n",
		  "1 {\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":\"team-a\"}}\n",
		  "no namespace" },
		{ "kind: Pod\nmetadata: {name: p, namespace: ~}\n",
		  "1 {\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":\"team-a\"}}\n",
		  "null namespace" },
		{ "kind: Pod\nmetadata: {name: p, namespace: ''}\n",
		  "1 {\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":\"team-a\"}}\n",
		  "empty namespace" },
		{ "kind: Pod\nmetadata:\n",
		  "1 {\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"team-a\"}}\n",
		  "null metadata" },
		{ "kind: Deployment\nmetadata: {name: d, namespace: prod}\n",
		  "1 {\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d\",\"namespace\":\"prod\"}}\n",
		  "namespace given" },
		{ "kind: Namespace\nmetadata: {name: ns1}\n",
		  "1 {\"kind\":\"Namespace\",\"metadata\":{\"name\":\"ns1\"}}\n",
		  "a Namespace has none" },
		{ "kind: Pod\nmetadata: &m {name: p}\n",
		  "1 {\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":\"team-a\"}}\n",
		  "anchored metadata" },
		{ "kind: Pod\nmetadata: {namespace: 7}\n",
		  "1 {\"kind\":\"Pod\",\"metadata\":{\"namespace\":7}}\n",
		  "a namespace of the wrong type is left for the reader" },
		{ "kind: List\nitems:\n- kind: Pod\n- kind: Pod\n  metadata: {namespace: x}\n",
		  "3 {\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"team-a\"}}\n"
		  "4 {\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"x\"}}\n",
		  "each list item" },
		{ "kind: Pod\nspec:\n  template:\n    metadata: {name: t}\n",
		  "1 {\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"team-a\"},"
		  "\"spec\":{\"template\":{\"metadata\":{\"name\":\"t\"}}}}\n",
		  "only the object's own metadata" },
	};
	size_t i;

	for (i = 0; i < KCS_ARRAY_SIZE(rows); i++) {
		struct kcs_error err = KCS_ERROR_INIT;
		char *got = conv(rows[i].yaml, strlen(rows[i].yaml), "team-a",
				 &err);

		cr_expect(got != NULL, "%s: %s", rows[i].why, err.msg);
		if (got)
			cr_expect_str_eq(got, rows[i].json, "%s", rows[i].why);
		kcs_free(got);
	}
	/* NULL means "default" */
	expect_json("kind: Pod\n",
		    "1 {\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"default\"}}\n",
		    "default namespace");
}

/* ---- through the reader and the rules ------------------------------- */

/* What the reader handed over, one line per pod or namespace. */
struct trace {
	struct kcs_buf b;
	size_t docs;
};

static enum kcs_err on_pod(struct kcs_pod *pod, void *user,
			   struct kcs_error *err)
{
	struct trace *t = user;
	size_t i;

	(void)err;
	kcs_buf_addf(&t->b, "pod %s/%s %s src=%s:%lu %s/%s:", pod->ns.s,
		     pod->name.s, kcs_verdict_name(pod->verdict),
		     pod->source.file ? pod->source.file : "-",
		     pod->source.line,
		     pod->source.kind[0] ? pod->source.kind : "-",
		     pod->source.name.s[0] ? pod->source.name.s : "-");
	for (i = 0; i < pod->n; i++)
		kcs_buf_addf(&t->b, " %s=%s/%s", pod->containers[i].name.s,
			     kcs_verdict_name(pod->containers[i].verdict),
			     kcs_reason_name(pod->containers[i].reason));
	kcs_buf_addch(&t->b, '\n');
	return KCS_OK;
}

static enum kcs_err on_ns(const struct kcs_nsobj *ns, void *user,
			  struct kcs_error *err)
{
	struct trace *t = user;

	(void)err;
	kcs_buf_addf(&t->b, "ns %s enforce=%s\n", ns->name.s,
		     ns->labels.enforce.present ? ns->labels.enforce.s : "-");
	return KCS_OK;
}

static void on_doc(const struct kcs_doc_info *in, void *user)
{
	struct trace *t = user;

	(void)in;
	t->docs++;
}

/* Run `data` through kcs_input_data; returns the trace or NULL (err). */
static char *scan(const char *data, size_t len, const char *ns,
		  struct kcs_error *err, size_t *docs)
{
	struct trace t = { KCS_BUF_INIT(1 << 20), 0 };
	struct kcs_reader_cbs cbs = { on_pod, on_ns, &t };
	struct kcs_input_opts o = { ns, on_doc, &t };
	struct kcs_reader *r = kcs_reader_new(&cbs, KCS_HINT_NONE);
	enum kcs_err rc;
	char *s;

	cr_assert(r != NULL);
	rc = kcs_input_data(r, "test.yaml", data, len, &o, err);
	kcs_reader_free(r);
	cr_assert(t.b.err == KCS_OK);
	if (docs)
		*docs = t.docs;
	s = kcs_buf_detach(&t.b, NULL);
	kcs_buf_release(&t.b);
	if (rc) {
		kcs_free(s);
		return NULL;
	}
	return s;
}

static void expect_scan(const char *yaml, const char *want, const char *why)
{
	struct kcs_error err = KCS_ERROR_INIT;
	char *got = scan(yaml, strlen(yaml), NULL, &err, NULL);

	cr_expect(got != NULL, "%s: %s", why, err.msg);
	if (got)
		cr_expect_str_eq(got, want, "%s:\n--- got\n%s--- want\n%s", why,
				 got, want);
	kcs_free(got);
}

#define DEPLOY(sc)                                                        \
	"# Source: web/templates/deployment.yaml\n"                       \
	"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n" \
	"spec:\n  template:\n    spec:\n      containers:\n"              \
	"      - name: app\n        securityContext:\n" sc

Test(manifest, yaml_booleans_decide_verdicts)
{
	expect_scan(DEPLOY("          privileged: yes\n"),
		    "pod default/web FAIL src=test.yaml:2 Deployment/web: "
		    "app=FAIL/PRIVILEGED\n", "privileged: yes is true");
	expect_scan(DEPLOY("          privileged: On\n"
			   "          capabilities: {drop: [ALL]}\n"),
		    "pod default/web FAIL src=test.yaml:2 Deployment/web: "
		    "app=FAIL/PRIVILEGED\n", "privileged: On is true");
	expect_scan(DEPLOY("          privileged: \"true\"\n"
			   "          capabilities: {drop: [ALL]}\n"),
		    "pod default/web FAIL src=test.yaml:2 Deployment/web: "
		    "app=FAIL/MALFORMED\n", "a quoted \"true\" is a string");
	expect_scan(DEPLOY("          privileged: no\n"
			   "          capabilities: {drop: [ALL]}\n"),
		    "pod default/web PASS src=test.yaml:2 Deployment/web: "
		    "app=PASS/DROP_ALL\n", "privileged: no is false");
	expect_scan(DEPLOY("          capabilities:\n"
			   "            add: [NET_RAW]\n"
			   "            drop: [ALL]\n"),
		    "pod default/web FAIL src=test.yaml:2 Deployment/web: "
		    "app=FAIL/ADD_NET_RAW\n", "add NET_RAW");
	expect_scan(DEPLOY("          capabilities:\n"
			   "            drop: [yes]\n"),
		    "pod default/web FAIL src=test.yaml:2 Deployment/web: "
		    "app=FAIL/MALFORMED\n", "drop: [yes] is a boolean item");
}

Test(manifest, workloads_lines_and_namespaces)
{
	const char *yaml =
		"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: prod\n"
		"  labels:\n    pod-security.kubernetes.io/enforce: restricted\n"
		"---\n"
		"apiVersion: v1\nkind: List\nitems:\n"
		"- apiVersion: batch/v1\n  kind: CronJob\n"
		"  metadata: {name: backup, namespace: prod}\n"
		"  spec:\n    jobTemplate:\n      spec:\n        template:\n"
		"          spec:\n            containers:\n"
		"            - name: dump\n"
		"              securityContext: {capabilities: {drop: [ALL]}}\n"
		"- apiVersion: v1\n  kind: Pod\n  metadata: {name: bare}\n"
		"  spec:\n    containers:\n    - name: c\n";
	struct kcs_error err = KCS_ERROR_INIT;
	size_t docs = 0;
	char *got = scan(yaml, strlen(yaml), "team-a", &err, &docs);

	cr_assert(got != NULL, "%s", err.msg);
	cr_expect_str_eq(got,
			 "ns prod enforce=restricted\n"
			 "pod prod/backup PASS src=test.yaml:11 CronJob/backup: "
			 "dump=PASS/DROP_ALL\n"
			 "pod team-a/bare FAIL src=test.yaml:22 -/-: "
			 "c=FAIL/NO_SECURITY_CONTEXT\n");
	cr_expect_eq(docs, 3, "on_doc per object: %zu", docs);
	kcs_free(got);
}

Test(manifest, reader_errors_name_the_line)
{
	struct kcs_error err = KCS_ERROR_INIT;
	const char *yaml = "kind: Namespace\nmetadata: {name: a}\n---\n"
			   "kind: Namespace\nmetadata: {name: [x]}\n";
	char *got = scan(yaml, strlen(yaml), NULL, &err, NULL);

	cr_expect(got == NULL);
	cr_expect(strncmp(err.msg, "line 4: ", 8) == 0, "%s", err.msg);
	cr_expect(strstr(err.msg, "at byte") == NULL, "%s", err.msg);
	cr_expect_str_eq(err.source, "test.yaml");

	/* a Status saved as YAML is an error, as in JSON */
	kcs_error_clear(&err);
	yaml = "kind: Status\napiVersion: v1\nstatus: Failure\ncode: 403\n"
	       "reason: Forbidden\n";
	got = scan(yaml, strlen(yaml), NULL, &err, NULL);
	cr_expect(got == NULL);
	cr_expect(strstr(err.msg, "line 1: holds an API error") != NULL, "%s",
		  err.msg);

	/* an empty stream (helm template that rendered nothing) */
	kcs_error_clear(&err);
	yaml = "---\n# Source: chart/templates/nothing.yaml\n---\n";
	got = scan(yaml, strlen(yaml), NULL, &err, NULL);
	cr_expect(got == NULL);
	cr_expect(strstr(err.msg, "holds no objects") != NULL, "%s", err.msg);
}

Test(manifest, json_still_streams_through_the_reader)
{
	/*
	 * JSON (first byte { or [): streamed, one on_doc; the file is
	 * stamped (JSON workload manifests name it) but no line
	 */
	const char *json = "  \n{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\","
			   "\"namespace\":\"n\"},\"spec\":{\"containers\":"
			   "[{\"name\":\"c\"}]}}";
	struct kcs_error err = KCS_ERROR_INIT;
	size_t docs = 0;
	char *got = scan(json, strlen(json), NULL, &err, &docs);

	cr_assert(got != NULL, "%s", err.msg);
	cr_expect_str_eq(got, "pod n/p FAIL src=test.yaml:0 -/-: "
			      "c=FAIL/NO_SECURITY_CONTEXT\n");
	cr_expect_eq(docs, 1);
	kcs_free(got);

	/* a JSON syntax error keeps its byte offset */
	kcs_error_clear(&err);
	got = scan("{\"kind\": }", 10, NULL, &err, NULL);
	cr_expect(got == NULL);
	cr_expect(strstr(err.msg, "invalid JSON after byte") != NULL, "%s",
		  err.msg);
}

/* Allocation failures anywhere end in a clean KCS_ERR_NOMEM. */
Test(manifest, out_of_memory)
{
	const char *yaml = "kind: List\nitems:\n- kind: Pod\n"
			   "  metadata: &m {name: p}\n"
			   "  spec: {containers: [{name: c, x: *m}]}\n"
			   "- {kind: Namespace, metadata: {name: n}}\n";
	long n;

	for (n = 0; n < 200; n++) {
		struct kcs_buf out = KCS_BUF_INIT(1 << 20);
		struct kcs_error err = KCS_ERROR_INIT;
		enum kcs_err rc;

		kcs_alloc_fail_after(n);
		rc = kcs_manifest_to_json(yaml, strlen(yaml), NULL, &out, &err);
		kcs_alloc_fail_after(-1);
		kcs_buf_release(&out);
		if (rc == KCS_OK)
			break;
		cr_expect_eq(rc, KCS_ERR_NOMEM, "n=%ld: %d %s", n, rc, err.msg);
	}
	cr_expect(n < 200, "never succeeded");
}
