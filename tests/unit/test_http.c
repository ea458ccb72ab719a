/*
 * test_http.c - the HTTP client against the project's test API server
 * (tests/apiserver/kubeapi.py, started per test): paging with and without
 * kcs_http_prefetch(), adoption, cancellation, faults on a prefetched page
 * (410, 429, 500, a hang), a prefetch left pending at kcs_http_free()
 * (run under valgrind to see it leaks nothing), and the connection count.
 *
 * Criterion runs every test in a forked child; the server is stopped in
 * the fixture's fini, so a failed assertion does not leave it running
 * (and it exits by itself after --max-lifetime anyway).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include <curl/curl.h>

#include "kcs/config.h"
#include "kcs/http.h"
#include "kcs/reader.h"
#include "testutil.h"

#define PODS 1000
#define LIMIT 100
#define PAGES (PODS / LIMIT)

extern char **environ;

/* ---- the test API server ------------------------------------------------ */

static struct {
	char dir[256];
	pid_t pid;
	struct kcs_restconfig cfg;
	int have_cfg;
} srv;

static int rm_one(const char *p, const struct stat *sb, int flag,
		  struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

/* Start kubeapi.py with up to two --fault specs; load its kubeconfig. */
static void srv_start(const char *fault1, const char *fault2)
{
	char ready[512], kc[512], log[512];
	char *argv[24];
	int n = 0, i;
	posix_spawn_file_actions_t fa;
	struct kcs_config_request req = { 0 };
	struct kcs_error err = KCS_ERROR_INIT;
	struct stat st;

	snprintf(srv.dir, sizeof(srv.dir), "/tmp/kcs-test-http-XXXXXX");
	cr_assert(mkdtemp(srv.dir) != NULL);
	snprintf(ready, sizeof(ready), "%s/ready.json", srv.dir);
	snprintf(kc, sizeof(kc), "%s/kubeconfig", srv.dir);
	snprintf(log, sizeof(log), "%s/requests.log", srv.dir);
	argv[n++] = "python3";
	argv[n++] = (char *)tu_path("tests/apiserver/kubeapi.py");
	argv[n++] = "--state-dir";
	argv[n++] = srv.dir;
	argv[n++] = "--port";
	argv[n++] = "0";
	argv[n++] = "--max-lifetime";
	argv[n++] = "120";
	argv[n++] = "--generate-pods";
	argv[n++] = "1000";
	argv[n++] = "--generate-namespaces";
	argv[n++] = "10";
	argv[n++] = "--request-log";
	argv[n++] = log;
	if (fault1) {
		argv[n++] = "--fault";
		argv[n++] = (char *)fault1;
	}
	if (fault2) {
		argv[n++] = "--fault";
		argv[n++] = (char *)fault2;
	}
	argv[n] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	cr_assert(posix_spawnp(&srv.pid, "python3", &fa, NULL, argv,
			       environ) == 0);
	posix_spawn_file_actions_destroy(&fa);
	for (i = 0; i < 3000 && stat(ready, &st) != 0; i++) {
		struct timespec ts = { 0, 10 * 1000000L };

		cr_assert(waitpid(srv.pid, NULL, WNOHANG) == 0,
			  "test API server exited");
		nanosleep(&ts, NULL);
	}
	cr_assert(i < 3000, "test API server did not start");
	req.kubeconfig = kc;
	cr_assert(kcs_config_load(&req, &srv.cfg, &err) == KCS_OK, "%s",
		  err.msg);
	srv.have_cfg = 1;
}

static void setup(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void teardown(void)
{
	if (srv.pid > 0) {
		kill(srv.pid, SIGTERM);
		waitpid(srv.pid, NULL, 0);
		srv.pid = 0;
	}
	if (srv.have_cfg)
		kcs_restconfig_release(&srv.cfg);
	srv.have_cfg = 0;
	if (srv.dir[0])
		nftw(srv.dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	curl_global_cleanup();
}

/* The pages of the pod list in the server's log, in the order they were
 * asked for (ts is logged at the end, ms is how long the answer took). */
static int logged_pages(int *pages, long *status, int max)
{
	char path[512], line[8192];
	double start[64];
	FILE *f;
	int n = 0, i, j;

	snprintf(path, sizeof(path), "%s/requests.log", srv.dir);
	f = fopen(path, "r");
	cr_assert(f != NULL);
	while (fgets(line, sizeof(line), f) && n < max && n < 64) {
		const char *p = strstr(line, "\"page\":");
		const char *ts = strstr(line, "\"ts\":");
		const char *ms = strstr(line, "\"ms\":");
		const char *st = strstr(line, "\"status\":");

		if (!strstr(line, "\"path\":\"/api/v1/pods\"") || !p || !ts ||
		    !ms || !st)
			continue;
		pages[n] = (int)strtol(p + 7, NULL, 10);
		status[n] = strtol(st + 9, NULL, 10);
		start[n] = strtod(ts + 5, NULL) - strtod(ms + 5, NULL) / 1000.0;
		n++;
	}
	fclose(f);
	for (i = 1; i < n; i++) /* insertion sort by start time */
		for (j = i; j > 0 && start[j - 1] > start[j]; j--) {
			double t = start[j];
			int pg = pages[j];
			long s = status[j];

			start[j] = start[j - 1];
			start[j - 1] = t;
			pages[j] = pages[j - 1];
			pages[j - 1] = pg;
			status[j] = status[j - 1];
			status[j - 1] = s;
		}
	return n;
}

/* ---- a pod lister on kcs_http ----------------------------------------- */

struct lister {
	struct kcs_http *h;
	struct kcs_reader *r;
	CURL *esc;
	int prefetch;          /* send the next page ahead from on_body */
	int asked;             /* it was sent ahead for this page */
	char next[8192];       /* its path */
	char log[64 * 1024];   /* -v lines */
	size_t log_len;
};

static void on_log(const char *text, void *user)
{
	struct lister *l = user;
	int n = snprintf(l->log + l->log_len, sizeof(l->log) - l->log_len,
			 "%s\n", text);

	if (n > 0 && l->log_len + (size_t)n < sizeof(l->log))
		l->log_len += (size_t)n;
}

static void page_path(struct lister *l, const char *cont, char *out,
		      size_t size)
{
	char *e;

	if (!cont || !*cont) {
		snprintf(out, size, "/api/v1/pods?limit=%d", LIMIT);
		return;
	}
	e = curl_easy_escape(l->esc, cont, 0);
	cr_assert(e != NULL);
	snprintf(out, size, "/api/v1/pods?limit=%d&continue=%s", LIMIT, e);
	curl_free(e);
}

static enum kcs_err feed(const void *data, size_t len, void *user,
			 struct kcs_error *err)
{
	struct lister *l = user;
	const struct kcs_doc_info *in;
	struct kcs_http_request next = { .method = "GET" };
	enum kcs_err rc = kcs_reader_feed(l->r, data, len, err);

	if (rc || !l->prefetch || l->asked)
		return rc;
	in = kcs_reader_info(l->r);
	if (!in->continue_token.len)
		return KCS_OK;
	l->asked = 1;
	page_path(l, in->continue_token.buf, l->next, sizeof(l->next));
	next.path = l->next;
	return kcs_http_prefetch(l->h, &next, err);
}

static void lister_init(struct lister *l, int prefetch, long timeout_ms)
{
	struct kcs_http_settings set = {
		.timeout_ms = timeout_ms, .verbose = 1, .on_log = on_log,
	};
	struct kcs_error err = KCS_ERROR_INIT;

	memset(l, 0, sizeof(*l));
	set.user = l;
	l->prefetch = prefetch;
	l->h = kcs_http_new(&srv.cfg, &set, &err);
	cr_assert(l->h != NULL, "%s", err.msg);
	kcs_http_set_wait_scale(l->h, 1);
	l->r = kcs_reader_new(NULL, KCS_HINT_PODS);
	l->esc = curl_easy_init();
	cr_assert(l->r && l->esc);
}

static void lister_release(struct lister *l)
{
	kcs_http_free(l->h);
	kcs_reader_free(l->r);
	curl_easy_cleanup(l->esc);
}

/* GET one page of pods into the reader; the token of the next in cont. */
static enum kcs_err get_page(struct lister *l, const char *path,
			     struct kcs_http_response *resp, char *cont,
			     size_t cont_size, size_t *pods,
			     struct kcs_error *err)
{
	struct kcs_http_request req = {
		.method = "GET", .path = path, .on_body = feed, .user = l,
	};
	const struct kcs_doc_info *in;
	enum kcs_err rc;

	cr_assert(kcs_reader_restart(l->r, err) == KCS_OK);
	l->asked = 0;
	rc = kcs_http_do(l->h, &req, resp, err);
	if (rc)
		return rc;
	cr_assert(kcs_reader_finish(l->r, err) == KCS_OK, "%s", err->msg);
	in = kcs_reader_info(l->r);
	*pods += in->n_pods;
	cr_assert(in->continue_token.len < cont_size);
	memcpy(cont, in->continue_token.buf, in->continue_token.len + 1);
	return KCS_OK;
}

/* List every pod page by page; returns the pages read. */
static int list_all(struct lister *l, size_t *pods)
{
	struct kcs_http_response resp;
	struct kcs_error err = KCS_ERROR_INIT;
	char cont[4096] = "", path[8192];
	int pages = 0;

	*pods = 0;
	do {
		page_path(l, cont, path, sizeof(path));
		cr_assert(get_page(l, path, &resp, cont, sizeof(cont), pods,
				   &err) == KCS_OK, "%s", err.msg);
		cr_assert(resp.status == 200);
		pages++;
	} while (cont[0] && pages < 100);
	return pages;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	while ((hay = strstr(hay, needle))) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

TestSuite(http, .init = setup, .fini = teardown, .timeout = 120);

/* ---- tests ------------------------------------------------------------- */

Test(http, pages_without_prefetch)
{
	struct lister l;
	size_t pods;

	srv_start(NULL, NULL);
	lister_init(&l, 0, 0);
	cr_assert_eq(list_all(&l, &pods), PAGES);
	cr_assert_eq(pods, PODS);
	cr_assert_eq(kcs_http_requests(l.h), PAGES);
	cr_assert_eq(kcs_http_connections(l.h), 1); /* keep-alive */
	cr_assert_eq(count(l.log, "prefetch"), 0);
	lister_release(&l);
}

Test(http, prefetch_adopted_in_order)
{
	struct lister l;
	int pages[64], i, n;
	long status[64];
	size_t pods;

	srv_start(NULL, NULL);
	lister_init(&l, 1, 10000);
	cr_assert_eq(list_all(&l, &pods), PAGES);
	cr_assert_eq(pods, PODS);
	/* each page asked for exactly once: PAGES-1 of them ahead */
	cr_assert_eq(kcs_http_requests(l.h), PAGES);
	cr_assert_eq(count(l.log, "sent ahead (prefetch)"), PAGES - 1, "%s",
		     l.log);
	cr_assert_eq(count(l.log, "bytes, prefetched"), PAGES - 1, "%s", l.log);
	cr_assert_eq(count(l.log, "cancelled"), 0);
	/* HTTP/1.1: the page being read and the one ahead, reused after */
	cr_assert_eq(kcs_http_connections(l.h), 2);
	cr_assert_eq(count(l.log, "new connection"), 2, "%s", l.log);
	n = logged_pages(pages, status, 64);
	cr_assert_eq(n, PAGES);
	for (i = 0; i < n; i++) {
		cr_expect_eq(pages[i], i + 1, "request %d was page %d", i,
			     pages[i]);
		cr_expect_eq(status[i], 200);
	}
	lister_release(&l);
}

Test(http, prefetch_outside_a_transfer_is_adopted)
{
	struct lister l;
	struct kcs_http_request req = { .method = "GET", .path = "/version" };
	struct kcs_http_response resp;
	struct kcs_error err = KCS_ERROR_INIT;

	srv_start(NULL, NULL);
	lister_init(&l, 0, 0);
	cr_assert_eq(kcs_http_prefetch(l.h, &req, &err), KCS_OK);
	cr_assert_eq(kcs_http_do(l.h, &req, &resp, &err), KCS_OK, "%s", err.msg);
	cr_assert_eq(resp.status, 200);
	cr_assert_eq(kcs_http_requests(l.h), 1);
	cr_assert_eq(count(l.log, "bytes, prefetched"), 1, "%s", l.log);
	lister_release(&l);
}

Test(http, prefetch_cancelled_by_another_request)
{
	struct lister l;
	struct kcs_http_response resp;
	struct kcs_error err = KCS_ERROR_INIT;
	struct kcs_http_request ver = { .method = "GET", .path = "/version" };
	char cont[4096], path[8192], page2[8192];
	size_t pods = 0;

	/* page 1 trickles in (~0.4 s): page 2's answer arrives meanwhile and
	 * is held, paused, when it is cancelled */
	srv_start("path=^/api/v1/pods$,page=1,slow=20,times=0", NULL);
	lister_init(&l, 1, 0);
	/* a first listing leaves two idle connections: a prefetch then goes
	 * out at once, with no handshake to wait for */
	cr_assert_eq(list_all(&l, &pods), PAGES);
	cr_assert_eq(kcs_http_requests(l.h), PAGES);
	l.log_len = 0;
	l.log[0] = '\0';
	pods = 0;
	page_path(&l, NULL, path, sizeof(path));
	cr_assert_eq(get_page(&l, path, &resp, cont, sizeof(cont), &pods, &err),
		     KCS_OK, "%s", err.msg);
	page_path(&l, cont, page2, sizeof(page2));
	cr_assert_str_eq(l.next, page2); /* page 2 was sent ahead */
	cr_assert_eq(kcs_http_requests(l.h), PAGES + 1); /* still under way */
	/* another request: the prefetch is dropped, its connection closed */
	cr_assert_eq(kcs_http_do(l.h, &ver, &resp, &err), KCS_OK, "%s", err.msg);
	cr_assert_eq(count(l.log, "cancelled (its answer was held)"), 1, "%s",
		     l.log);
	/* page 1, page 2 (sent, dropped), /version */
	cr_assert_eq(kcs_http_requests(l.h), PAGES + 3);
	/* page 2 is asked for again and read whole, not from the prefetch */
	l.prefetch = 0;
	cr_assert_eq(get_page(&l, page2, &resp, cont, sizeof(cont), &pods, &err),
		     KCS_OK, "%s", err.msg);
	cr_assert_eq(pods, 2 * LIMIT);
	cr_assert_eq(kcs_http_requests(l.h), PAGES + 4);
	cr_assert_eq(count(l.log, "bytes, prefetched"), 0, "%s", l.log);
	/* the other connection served both: none was opened */
	cr_assert_eq(kcs_http_connections(l.h), 2);
	lister_release(&l);
}

Test(http, second_prefetch_ignored)
{
	struct lister l;
	struct kcs_http_request a = { .method = "GET", .path = "/version" };
	struct kcs_http_request b = { .method = "GET", .path = "/api/v1/namespaces" };
	struct kcs_http_request post = { .method = "POST", .path = "/version",
					 .body = "{}", .body_len = 2 };
	struct kcs_http_response resp;
	struct kcs_error err = KCS_ERROR_INIT;

	srv_start(NULL, NULL);
	lister_init(&l, 0, 0);
	cr_assert_eq(kcs_http_prefetch(l.h, &post, &err), KCS_ERR_INTERNAL);
	kcs_error_clear(&err);
	cr_assert_eq(kcs_http_prefetch(l.h, &a, &err), KCS_OK);
	cr_assert_eq(kcs_http_prefetch(l.h, &b, &err), KCS_OK); /* ignored */
	cr_assert_eq(kcs_http_do(l.h, &b, &resp, &err), KCS_OK, "%s", err.msg);
	cr_assert_eq(count(l.log, "bytes, prefetched"), 0, "%s", l.log);
	cr_assert_eq(count(l.log, "cancelled"), 1, "%s", l.log);
	lister_release(&l);
}

Test(http, prefetched_410_is_the_answer)
{
	struct lister l;
	struct kcs_http_response resp;
	struct kcs_error err = KCS_ERROR_INIT;
	char cont[4096], path[8192];
	size_t pods = 0;

	srv_start("path=^/api/v1/pods$,page=2,status=410", NULL);
	lister_init(&l, 1, 0);
	page_path(&l, NULL, path, sizeof(path));
	cr_assert_eq(get_page(&l, path, &resp, cont, sizeof(cont), &pods, &err),
		     KCS_OK, "%s", err.msg);
	page_path(&l, cont, path, sizeof(path));
	/* adopted: the 410 and its new token, as if asked for now; no retry */
	cr_assert_eq(get_page(&l, path, &resp, cont, sizeof(cont), &pods, &err),
		     KCS_ERR_API);
	cr_assert_eq(resp.status, 410);
	cr_assert_eq(err.http_status, 410);
	cr_assert_str_eq(resp.status_reason, "Expired");
	cr_assert(resp.status_continue[0] != '\0');
	cr_assert_eq(kcs_http_requests(l.h), 2);
	cr_assert_eq(pods, LIMIT);
	lister_release(&l);
}

Test(http, prefetched_429_and_500_retried)
{
	struct lister l;
	int pages[64], i, n;
	long status[64];
	size_t pods;

	srv_start("path=^/api/v1/pods$,page=3,status=429,retry-after=2",
		  "path=^/api/v1/pods$,page=6,status=500");
	lister_init(&l, 1, 0);
	cr_assert_eq(list_all(&l, &pods), PAGES);
	cr_assert_eq(pods, PODS); /* every pod once */
	cr_assert_eq(kcs_http_requests(l.h), PAGES + 2);
	cr_assert(strstr(l.log, "retrying in 2000 ms after HTTP 429"), "%s",
		  l.log);
	cr_assert(strstr(l.log, "retrying in 500 ms after HTTP 500"), "%s",
		  l.log);
	cr_assert_leq(kcs_http_connections(l.h), 2);
	n = logged_pages(pages, status, 64);
	cr_assert_eq(n, PAGES + 2);
	for (i = 0; i < n; i++) {
		/* 1 2 3(429) 3 4 5 6(500) 6 7 8 9 10 */
		int want = i + 1 - (i >= 3) - (i >= 7);

		cr_expect_eq(pages[i], want, "request %d was page %d", i,
			     pages[i]);
	}
	cr_expect_eq(status[2], 429);
	cr_expect_eq(status[6], 500);
	lister_release(&l);
}

Test(http, hung_prefetch_times_out_after_adoption)
{
	struct lister l;
	struct kcs_http_response resp;
	struct kcs_error err = KCS_ERROR_INIT;
	struct timespec t0, t1;
	char cont[4096], path[8192];
	size_t pods = 0;
	double took;

	srv_start("path=^/api/v1/pods$,page=2,hang=1", NULL);
	lister_init(&l, 1, 3000); /* page 1 must fit in it under valgrind */
	page_path(&l, NULL, path, sizeof(path));
	cr_assert_eq(get_page(&l, path, &resp, cont, sizeof(cont), &pods, &err),
		     KCS_OK, "%s", err.msg);
	page_path(&l, cont, path, sizeof(path));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_eq(get_page(&l, path, &resp, cont, sizeof(cont), &pods, &err),
		     KCS_ERR_HTTP);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	took = (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	cr_assert(strstr(err.msg, "timed out"), "%s", err.msg);
	/* counted from adoption: once, not from when it was sent */
	cr_assert(took > 2.9 && took < 5.5, "took %.2f s", took);
	lister_release(&l);
}

Test(http, free_with_prefetch_pending)
{
	struct lister l;
	struct kcs_http_response resp;
	struct kcs_error err = KCS_ERROR_INIT;
	char cont[4096], path[8192];
	size_t pods = 0;

	/* as above: page 2's answer is held when the client is freed */
	srv_start("path=^/api/v1/pods$,page=1,slow=20", NULL);
	lister_init(&l, 1, 0);
	page_path(&l, NULL, path, sizeof(path));
	cr_assert_eq(get_page(&l, path, &resp, cont, sizeof(cont), &pods, &err),
		     KCS_OK, "%s", err.msg);
	cr_assert_eq(count(l.log, "sent ahead"), 1);
	lister_release(&l); /* drops the paused page 2: valgrind: no leak */
}
