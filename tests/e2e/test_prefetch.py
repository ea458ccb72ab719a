"""End-to-end: the next page of a live listing is requested while the
current one is still being read (kcs_http_prefetch, called by live.c once
the reader has seen metadata.continue). The listing must come out exactly
as without prefetch: every pod once, the server asked for each page once
(plus the retries a fault forces), at most two connections, and every
fault of a prefetched page handled as if the page had been asked for when
due."""
import os
import re
import time
import unittest

import kcs
from apiserver import Server

PODS = 2000
NAMESPACES = 20
CHUNK = 200
PAGES = PODS // CHUNK
GEN = ["--generate-pods", str(PODS), "--generate-namespaces", str(NAMESPACES)]


def scan(srv, *args, timeout=120):
    return kcs.run(["-A", "-o", "json", "-v", "--chunk-size", str(CHUNK)]
                   + list(args), env=srv.env(srv.file("kubeconfig")),
                   timeout=timeout)


def pod_requests(srv):
    """The pod-list requests, in the order the server received them."""
    recs = [r for r in srv.requests()
            if r.get("method") == "GET" and r["path"] == "/api/v1/pods"]
    # ts is logged when the answer is done; ms is how long it took
    return sorted(recs, key=lambda r: r["ts"] - r["ms"] / 1000.0)


def log_lines(err, what):
    return [l for l in err.splitlines() if what in l]


class Prefetch(unittest.TestCase):
    def assert_all_pods_once(self, out):
        rep = kcs.load(out)
        kcs.check_report(out)
        self.assertTrue(rep["complete"], rep["errors"])
        ids = [(p["namespace"], p["name"]) for p in rep["pods"]]
        self.assertEqual(len(ids), PODS)
        self.assertEqual(len(set(ids)), PODS, "a pod was listed twice")
        return rep

    def assert_at_most_two_connections(self, err):
        # -v marks each request that opened a connection
        n = len(log_lines(err, "new connection"))
        self.assertGreaterEqual(n, 1, err)
        self.assertLessEqual(n, 2, err)

    def test_pages_prefetched_once_in_order(self):
        with Server(*GEN) as srv:
            rc, out, err = scan(srv)
            self.assertEqual(rc, 1, err)
            self.assert_all_pods_once(out)
            reqs = pod_requests(srv)
            self.assertEqual([r["page"] for r in reqs], list(range(1, PAGES + 1)))
            self.assertTrue(all(r["status"] == 200 for r in reqs))
            # every page after the first was sent ahead and adopted
            self.assertEqual(len(log_lines(err, "sent ahead (prefetch)")), PAGES - 1, err)
            done = [l for l in log_lines(err, "/api/v1/pods?") if " -> 200 " in l]
            self.assertEqual(len(done), PAGES, err)
            self.assertNotIn("prefetched", done[0])
            self.assertTrue(all("prefetched" in l for l in done[1:]), err)
            self.assertNotIn("cancelled", err)
            # HTTP/1.1: the page being read and the one sent ahead, no more
            self.assertEqual(len(log_lines(err, "new connection")), 2, err)
            # no more requests than without prefetch: none asked twice
            asked = [(r["method"], r["path"], r["query"]) for r in srv.requests()
                     if "method" in r]
            self.assertEqual(len(asked), len(set(asked)), asked)

    def test_prefetched_page_expired_restarts_listing(self):
        with Server(*GEN, "--fault", "path=^/api/v1/pods$,page=3,status=410") as srv:
            rc, out, err = scan(srv)
            self.assertEqual(rc, 1, err)
            rep = self.assert_all_pods_once(out)
            self.assertTrue(rep["source"]["snapshotConsistent"])
            reqs = pod_requests(srv)
            self.assertEqual([r["status"] for r in reqs].count(410), 1)
            # pages 1-3 (3 expired), then 1..PAGES again from a new snapshot
            self.assertEqual([r["page"] for r in reqs],
                             [1, 2, 3] + list(range(1, PAGES + 1)))
            self.assertRegex(err, r"continue=\S+ -> 410 \(0 bytes, prefetched")
            self.assert_at_most_two_connections(err)

    def test_prefetched_page_429_waits_and_retries(self):
        with Server(*GEN, "--fault",
                    "path=^/api/v1/pods$,page=3,status=429,retry-after=1") as srv:
            t0 = time.monotonic()
            rc, out, err = scan(srv)
            self.assertEqual(rc, 1, err)
            self.assertGreaterEqual(time.monotonic() - t0, 1.0)
            self.assert_all_pods_once(out)
            self.assertIn("retrying in 1000 ms after HTTP 429", err)
            reqs = pod_requests(srv)
            self.assertEqual([r["page"] for r in reqs],
                             [1, 2, 3] + list(range(3, PAGES + 1)))
            self.assertEqual([r["status"] for r in reqs].count(429), 1)
            self.assert_at_most_two_connections(err)

    def test_prefetched_page_500_retried(self):
        with Server(*GEN, "--fault", "path=^/api/v1/pods$,page=4,status=500") as srv:
            rc, out, err = scan(srv)
            self.assertEqual(rc, 1, err)
            self.assert_all_pods_once(out)
            self.assertIn("retrying in 500 ms after HTTP 500", err)
            reqs = pod_requests(srv)
            self.assertEqual([r["page"] for r in reqs],
                             [1, 2, 3, 4] + list(range(4, PAGES + 1)))

    def test_prefetched_page_connection_reset_retried(self):
        with Server(*GEN, "--fault", "path=^/api/v1/pods$,page=5,reset=-1") as srv:
            rc, out, err = scan(srv)
            self.assertEqual(rc, 1, err)
            self.assert_all_pods_once(out)
            pages = [r["page"] for r in pod_requests(srv)]
            self.assertEqual(sorted(set(pages)), list(range(1, PAGES + 1)))

    def test_prefetched_page_truncated_is_an_error(self):
        # the page's body is cut after it was adopted: never a clean PASS
        with Server(*GEN, "--fault", "path=^/api/v1/pods$,page=2,truncate=2000") as srv:
            rc, out, err = scan(srv)
            self.assertEqual(rc, 3, err)
            rep = kcs.load(out)
            kcs.check_report(out)
            self.assertFalse(rep["complete"])
            self.assertTrue(rep["errors"])

    def test_page_failing_after_prefetch_frees_it(self):
        # page 1 is cut after its continue token: page 2 was already sent
        # ahead and is dropped when the client is freed (no leak under
        # KCS_E2E_VALGRIND=1)
        with Server(*GEN, "--fault", "path=^/api/v1/pods$,page=1,truncate=100000") as srv:
            rc, out, err = scan(srv)
            self.assertEqual(rc, 3, err)
            self.assertIn("sent ahead (prefetch)", err)
            rep = kcs.load(out)
            self.assertFalse(rep["complete"])
            self.assertTrue(rep["errors"])

    @unittest.skipIf(kcs.VALGRIND, "timing-sensitive: not under valgrind")
    def test_hung_prefetch_bounded_by_request_timeout(self):
        with Server(*GEN, "--fault", "path=^/api/v1/pods$,page=2,hang=1") as srv:
            t0 = time.monotonic()
            rc, out, err = scan(srv, "--request-timeout", "1s", timeout=60)
            took = time.monotonic() - t0
            self.assertEqual(rc, 3, err)
            self.assertIn("timed out", err)
            self.assertRegex(err, r"continue=\S+ -> 0 \(0 bytes, prefetched[^)]*\): "
                                  r"Timeout was reached")
            # counted from adoption: one timeout, not two, past page 1
            self.assertLess(took, 4.0)
            rep = kcs.load(out)
            self.assertFalse(rep["complete"])

    @unittest.skipIf(kcs.VALGRIND, "timing-sensitive: not under valgrind")
    def test_prefetch_timeout_counts_from_adoption(self):
        # A page of 200 pods is ~35 gzip pieces of 4 KiB. Page 1 trickles
        # in for ~1 s; page 2, sent ahead at its start, for ~1.75 s, which
        # is longer than the 1.5 s timeout from when it was sent, but ends
        # well within 1.5 s of its adoption (the end of page 1): the time
        # it waited for page 1 to be read is not its own.
        with Server(*GEN, "--fault", "path=^/api/v1/pods$,page=1,slow=30",
                    "--fault", "path=^/api/v1/pods$,page=2,slow=50") as srv:
            rc, out, err = scan(srv, "--request-timeout", "1500ms", timeout=60)
            self.assertEqual(rc, 1, err)
            self.assert_all_pods_once(out)
            reqs = pod_requests(srv)
            self.assertGreater(reqs[0]["ms"], 700, reqs[0])  # slowed down
            self.assertGreater(reqs[1]["ms"], 1500, reqs[1])

if __name__ == "__main__":
    unittest.main()
