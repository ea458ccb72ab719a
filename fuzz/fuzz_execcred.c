/*
 * fuzz_execcred.c - ExecCredential documents (exec plugin output).
 *
 * The input is what a plugin printed. It is parsed as the answer to a v1
 * and to a v1beta1 request. A document names one apiVersion, so at most
 * one of the two may succeed; a success must hold a token, or a client
 * certificate and key together (client-go's rule), and a failure must
 * leave the credential empty. Release must leave it zeroed.
 */
#include <stdint.h>
#include <string.h>

#include "kcs/execcred.h"
#include "fuzz.h"
#include "kcs/banned.h"

static const char *const versions[] = {
	"client.authentication.k8s.io/v1",
	"client.authentication.k8s.io/v1beta1",
};

static int is_zero(const struct kcs_credential *c)
{
	return !c->token && !c->client_cert.data && !c->client_cert.len &&
	       !c->client_key.data && !c->client_key.len && !c->expires;
}

static void check_blob(const struct kcs_blob *b)
{
	if (b->data)
		FUZZ_CHECK(b->len > 0 && b->data[b->len] == '\0');
	else
		FUZZ_CHECK(b->len == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int ok = 0;
	size_t i;

	for (i = 0; i < KCS_ARRAY_SIZE(versions); i++) {
		struct kcs_credential cred;
		struct kcs_error err = KCS_ERROR_INIT;
		enum kcs_err rc;

		rc = kcs_exec_parse(versions[i], data, size, &cred, &err);
		FUZZ_CHECK(rc == err.code);
		if (rc == KCS_OK) {
			ok++;
			check_blob(&cred.client_cert);
			check_blob(&cred.client_key);
			FUZZ_CHECK((cred.token && cred.token[0]) ||
				   (cred.client_cert.data &&
				    cred.client_key.data));
			FUZZ_CHECK(!cred.client_cert.data ==
				   !cred.client_key.data);
		} else {
			FUZZ_CHECK(err.msg[0] != '\0');
			FUZZ_CHECK(is_zero(&cred));
		}
		kcs_credential_release(&cred);
		FUZZ_CHECK(is_zero(&cred));
	}
	FUZZ_CHECK(ok <= 1);
	return 0;
}
