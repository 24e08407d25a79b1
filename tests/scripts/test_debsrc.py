"""scripts/lib/debsrc.py: deb-src stanzas derived from the binary sources,
for one-line and deb822 files, keeping only Debian's own archives."""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..",
                                "scripts", "lib"))
import debsrc  # noqa: E402


def write(text):
    f = tempfile.NamedTemporaryFile("w", delete=False, suffix=".list")
    f.write(text)
    f.close()
    return f.name


class OneLine(unittest.TestCase):
    def test_options_and_components(self):
        p = write("# comment\n"
                  "deb [arch=amd64 signed-by=/k.gpg] http://m/debian "
                  "bookworm main contrib\n"
                  "deb-src http://m/debian bookworm main\n")
        e = list(debsrc.one_line_entries(p))
        self.assertEqual(len(e), 1)
        self.assertEqual(e[0]["uris"], "http://m/debian")
        self.assertEqual(e[0]["suites"], "bookworm")
        self.assertEqual(e[0]["components"], "main contrib")
        self.assertEqual(e[0]["signed-by"], "/k.gpg")
        os.unlink(p)

    def test_plain(self):
        p = write("deb http://m/debian-security bookworm-security main\n")
        e = list(debsrc.one_line_entries(p))
        self.assertEqual(e[0]["components"], "main")
        self.assertTrue(debsrc.is_debian(e[0]))
        os.unlink(p)


class Deb822(unittest.TestCase):
    def test_types_and_enabled(self):
        p = write("Types: deb\nURIs: http://m/debian\nSuites: bookworm\n"
                  "  bookworm-updates\nComponents: main\n\n"
                  "Types: deb\nEnabled: no\nURIs: http://n/debian\n"
                  "Suites: x\nComponents: main\n\n"
                  "Types: deb-src\nURIs: http://o/debian\nSuites: y\n"
                  "Components: main\n")
        e = list(debsrc.deb822_entries(p))
        self.assertEqual(len(e), 1)
        self.assertEqual(e[0]["suites"], "bookworm bookworm-updates")
        os.unlink(p)

    def test_third_party_dropped(self):
        self.assertFalse(debsrc.is_debian(
            {"uris": "https://example.invalid/node_20.x", "signed-by": ""}))
        self.assertTrue(debsrc.is_debian(
            {"uris": "http://mirror/x", "signed-by":
             "/usr/share/keyrings/debian-archive-keyring.gpg"}))


if __name__ == "__main__":
    unittest.main()
