"""--help, README.md and man/kubecapscan.1 describe the same options and
exit statuses as the option table in src/opts.c (curl test1139, git t0450),
and the README's commands are the ones CI runs."""
import os
import re
import subprocess
import unittest

import kcs


def table_options():
    """(long, short) pairs from the option table in src/opts.c."""
    with open(kcs.path("src", "opts.c")) as f:
        src = f.read()
    body = src[src.index("static const struct kcs_option table[]"):]
    body = body[:body.index("};")]
    rows = re.findall(r'\{\s*"([a-z-]+)",\s*(\'.\'|0),', body)
    return [(name, None if short == "0" else short.strip("'"))
            for name, short in rows]


def man_text():
    p = subprocess.run(["groff", "-man", "-Tutf8", "-rHY=0", "-rLL=300n", "-P", "-c",
                        kcs.path("man", "kubecapscan.1")],
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise AssertionError(p.stderr)
    # drop overstrike/bold sequences and hyphenation
    text = re.sub(r".\x08", "", p.stdout)
    return text.replace("\u2010", "-").replace("\u2011", "-")


class Docs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.opts = table_options()
        rc, cls.help, _ = kcs.run(["--help"])
        assert rc == 0
        with open(kcs.path("README.md")) as f:
            cls.readme = f.read()
        cls.man = man_text()
        with open(kcs.path("man", "kubecapscan.1")) as f:
            cls.man_src = f.read()

    def test_table_is_sorted_and_unique(self):
        names = [n for n, _ in self.opts]
        self.assertGreater(len(names), 10)
        self.assertEqual(names, sorted(names))
        self.assertEqual(len(names), len(set(names)))
        shorts = [s for _, s in self.opts if s]
        self.assertEqual(len(shorts), len(set(shorts)))

    def test_every_option_is_in_help_readme_and_man(self):
        for name, short in self.opts:
            with self.subTest(option=name):
                self.assertTrue(re.search(r"--%s\b" % re.escape(name), self.help),
                                "--%s missing from --help" % name)
                self.assertTrue("`--%s" % name in self.readme,
                                "`--%s missing from README.md" % name)
                self.assertTrue(re.search(r"--%s\b" % re.escape(name), self.man),
                                "--%s missing from the man page" % name)
                if short:
                    self.assertTrue("-%s, --%s" % (short, name) in self.help,
                                    "-%s, --%s missing from --help" % (short, name))
                    self.assertTrue("`-%s`, `--%s" % (short, name) in self.readme,
                                    "-%s, --%s missing from README.md" % (short, name))
                    self.assertTrue("-%s, --%s" % (short, name) in self.man,
                                    "-%s, --%s missing from the man page"
                                    % (short, name))

    def test_no_undocumented_options_in_docs(self):
        """Every option the docs describe as ours exists: --help whole, the
        README's option table, the man page's OPTIONS section (other
        programs' options, quoted in examples, are not checked)."""
        known = {n for n, _ in self.opts}
        readme_rows = "\n".join(line for line in self.readme.splitlines()
                                if line.startswith("| `-"))
        man_opts = self.man[self.man.index("OPTIONS"):self.man.index("EXIT STATUS")]
        for where, text in (("help", self.help), ("README", readme_rows),
                            ("man", man_opts)):
            for name in set(re.findall(r"(?<![\w-])--([a-z][a-z-]+[a-z])", text)):
                with self.subTest(where=where, option=name):
                    self.assertTrue(name in known, "--%s in %s is not an option"
                                    % (name, where))

    def test_exit_statuses_agree(self):
        for code in range(0, 5):
            with self.subTest(code=code):
                self.assertTrue(re.search(r"\n  %d  " % code, self.help),
                                "exit status %d missing from --help" % code)
                self.assertTrue(re.search(r"\n\| %d \| " % code, self.readme),
                                "exit status %d missing from README.md" % code)
                self.assertTrue(re.search(r"\.TP\n\.B %d\n" % code, self.man_src),
                                "exit status %d missing from the man page" % code)

    def test_man_has_the_sections(self):
        for sec in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS",
                    "ENVIRONMENT", "FILES", "EXAMPLES", "SEE ALSO"):
            self.assertIn(".SH %s" % sec, self.man_src)

    def test_man_renders_without_warnings(self):
        p = subprocess.run(["groff", "-man", "-ww", "-z",
                            kcs.path("man", "kubecapscan.1")],
                           capture_output=True, text=True)
        self.assertEqual((p.returncode, p.stderr), (0, ""))

    def test_readme_commands_and_ci(self):
        blocks = re.findall(r"<!-- command:(\w+) -->\n```sh\n(.*?)\n```",
                            self.readme, re.S)
        self.assertEqual([b[0] for b in blocks], ["run", "test"])
        for _, cmd in blocks:
            self.assertNotIn("\n", cmd)  # one command each
            self.assertTrue(cmd.startswith("apt-get update && apt-get install"))
        self.assertIn("ctest --test-dir build", blocks[1][1])
        with open(kcs.path(".ci", "run")) as f:
            ci = f.read()
        self.assertIn("<!-- command:test -->", ci)
        p = subprocess.run(["awk", r'/<!-- command:test -->/{f=1; next} f && /^```sh/{g=1; next} g && /^```/{exit} g{print}',
                            kcs.path("README.md")], capture_output=True, text=True)
        self.assertEqual(p.stdout.strip(), blocks[1][1])


if __name__ == "__main__":
    unittest.main(verbosity=2)
