"""scripts/gce and scripts/openstack: the tarball GCE imports (one sparse
member named disk.raw, oldgnu format, whole GiB), the checks on their
input, the commands printed by a dry run, and the same commands run by
--execute against stand-in clients that only record their arguments."""
import gzip
import os
import shutil
import subprocess
import tarfile
import tempfile
import unittest

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
GCE = os.path.join(TOP, "scripts", "gce")
OPENSTACK = os.path.join(TOP, "scripts", "openstack")
GIB = 1 << 30
CERT = "/usr/share/ovmf/PkKek-1-snakeoil.pem"


def run(*args, env=None, cwd=None):
    return subprocess.run(list(args), capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=120)


def sparse_disk(path, size, signature=True):
    """A sparse file of SIZE bytes with an MBR boot signature and a little
    data near its end, so that the sparse map has a hole and two blocks."""
    with open(path, "wb") as f:
        f.truncate(size)
        if signature:
            f.seek(510)
            f.write(b"\x55\xaa")
        if size > 8192:
            f.seek(size - 4096)
            f.write(b"tail" * 16)


class Base(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="skiff-cloud-")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def path(self, name):
        return os.path.join(self.dir, name)

    def assert_one_line_error(self, r, *words):
        self.assertNotEqual(r.returncode, 0)
        lines = r.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        for w in words:
            self.assertIn(w, lines[0])

    def fake_clients(self, *names, fail=()):
        """Stand-ins for the cloud clients on PATH: each appends its argv to
        calls.log; those in FAIL exit 1 (a resource that does not exist)."""
        bindir = self.path("bin")
        os.makedirs(bindir, exist_ok=True)
        log = self.path("calls.log")
        for n in names:
            with open(os.path.join(bindir, n), "w") as f:
                f.write('#!/bin/sh\necho "$(basename "$0") $*" >>"%s"\n' % log)
                for pattern in fail:
                    if pattern.split()[0] == n:
                        f.write('case "$*" in "%s"*) exit 1 ;; esac\n'
                                % pattern.split(" ", 1)[1])
            os.chmod(os.path.join(bindir, n), 0o755)
        env = dict(os.environ)
        env["PATH"] = bindir + os.pathsep + env["PATH"]
        return env, log


class GcePackage(Base):
    def test_tarball_member_format_and_sparseness(self):
        src = self.path("echo-server.raw")
        sparse_disk(src, GIB)
        r = run(GCE, "package", src)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = self.path("disk.tar.gz")
        self.assertIn(out, r.stdout)
        # Only the written blocks are stored: a few KiB, not 1 GiB.
        self.assertLess(os.path.getsize(out), 64 * 1024)
        with gzip.open(out) as g:
            header = g.read(512)
        self.assertEqual(header[257:265], b"ustar  \0")  # old GNU magic
        with tarfile.open(out) as t:
            members = t.getmembers()
            self.assertEqual([m.name for m in members], ["disk.raw"])
            m = members[0]
            self.assertTrue(m.issparse())
            self.assertEqual(m.size, GIB)
            f = t.extractfile(m)
            self.assertEqual(f.read(512)[510:], b"\x55\xaa")
            f.seek(GIB - 4096)
            self.assertEqual(f.read(8), b"tailtail")

    def test_output_path(self):
        src = self.path("disk.raw")
        sparse_disk(src, GIB)
        out = self.path("elsewhere.tar.gz")
        r = run(GCE, "package", src, "-o", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(os.path.exists(out))
        self.assertFalse(os.path.exists(self.path("disk.tar.gz")))
        with tarfile.open(out) as t:
            self.assertEqual(t.getnames(), ["disk.raw"])

    def test_relative_paths(self):
        os.mkdir(self.path("img"))
        sparse_disk(self.path("img/a.raw"), GIB)
        r = run(GCE, "package", "img/a.raw", "-o", "out.tar.gz", cwd=self.dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(os.path.exists(self.path("out.tar.gz")))

    def test_not_whole_gib(self):
        src = self.path("disk.raw")
        sparse_disk(src, GIB + 512)
        r = run(GCE, "package", src)
        self.assert_one_line_error(r, src, "1073742336 bytes",
                                   "whole number of GiB")
        self.assertFalse(os.path.exists(self.path("disk.tar.gz")))

    def test_not_a_disk(self):
        src = self.path("disk.raw")
        sparse_disk(src, GIB, signature=False)
        self.assert_one_line_error(run(GCE, "package", src), src,
                                   "boot signature")

    def test_missing(self):
        self.assert_one_line_error(run(GCE, "package", self.path("no.raw")),
                                   "no.raw", "no such file")
        self.assert_one_line_error(run(GCE, "package"), "which disk image")


class GceDeploy(Base):
    def setUp(self):
        super().setUp()
        sparse_disk(self.path("disk.raw"), GIB)
        self.assertEqual(run(GCE, "package", self.path("disk.raw")).returncode,
                         0)
        self.tar = self.path("disk.tar.gz")

    def deploy(self, *extra, env=None):
        return run(GCE, "deploy", "--bucket", "skiff-test", "--image",
                   "echo-server", *extra, self.tar, env=env)

    def test_dry_run(self):
        r = self.deploy()
        self.assertEqual(r.returncode, 0, r.stderr)
        cmds = [l for l in r.stdout.splitlines() if not l.startswith("#")]
        self.assertEqual(cmds, [
            "gsutil mb -l us-central1 gs://skiff-test",
            "gsutil cp %s gs://skiff-test/disk.tar.gz" % self.tar,
            "gcloud compute images create echo-server --source-uri "
            "gs://skiff-test/disk.tar.gz --guest-os-features=UEFI_COMPATIBLE",
            "gcloud compute instances create echo-server --zone us-central1-c "
            "--machine-type e2-micro --image echo-server --metadata "
            "serial-port-enable=TRUE --tags skiff-tcp-8000",
            "gcloud compute firewall-rules create skiff-allow-tcp-8000 "
            "--allow tcp:8000 --target-tags skiff-tcp-8000 --direction "
            "INGRESS --source-ranges 0.0.0.0/0",
            "gcloud compute instances get-serial-port-output echo-server "
            "--zone us-central1-c --port 1",
            "gcloud compute instances describe echo-server --zone "
            "us-central1-c "
            "'--format=get(networkInterfaces[0].accessConfigs[0].natIP)'",
        ])
        self.assertIn("curl http://ADDRESS:8000/hello", r.stdout)

    def test_project_zone_instance_port(self):
        r = self.deploy("--project", "my-proj", "--zone", "europe-west1-b",
                        "--instance", "echo-1", "--machine-type", "e2-small",
                        "--port", "8080")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout
        self.assertIn("gsutil mb -p my-proj -l europe-west1 gs://skiff-test",
                      out)
        for line in out.splitlines():
            if line.startswith("gcloud "):
                self.assertIn("--project my-proj", line)
        self.assertIn("instances create echo-1 --project my-proj --zone "
                      "europe-west1-b --machine-type e2-small --image "
                      "echo-server --image-project my-proj", out)
        self.assertIn("--allow tcp:8080", out)

    @unittest.skipUnless(os.path.exists(CERT), "no OVMF snakeoil certificate")
    def test_signed(self):
        r = self.deploy("--signed", CERT)
        self.assertEqual(r.returncode, 0, r.stderr)
        der = self.path("disk-sb.der")
        self.assertIn("openssl x509 -in %s -outform DER -out %s" % (CERT, der),
                      r.stdout)
        self.assertIn("--guest-os-features=UEFI_COMPATIBLE "
                      "--platform-key-file=%s --key-exchange-key-file=%s "
                      "--signature-database-file=%s" % (der, der, der),
                      r.stdout)
        self.assertIn("--shielded-secure-boot", r.stdout)

    def test_bad_input(self):
        self.assert_one_line_error(
            run(GCE, "deploy", "--image", "x", self.tar), "--bucket")
        self.assert_one_line_error(self.deploy("--instance", "Bad_Name"),
                                   "--instance", "Bad_Name")
        self.assert_one_line_error(self.deploy("--signed", self.tar),
                                   "not a PEM certificate")
        other = self.path("other.tar.gz")
        small = self.path("image.raw")
        sparse_disk(small, 4096)
        with tarfile.open(other, "w:gz") as t:
            t.add(small, arcname="image.raw")
        self.tar = other
        self.assert_one_line_error(self.deploy(), "image.raw", "disk.raw")

    def test_execute_needs_the_clients(self):
        env = dict(os.environ, PATH="/usr/bin:/bin")
        if shutil.which("gsutil", path=env["PATH"]):
            self.skipTest("gsutil is installed")
        self.assert_one_line_error(self.deploy("--execute", env=env),
                                   "--execute needs 'gsutil'")

    def test_execute_runs_the_printed_commands(self):
        env, log = self.fake_clients(
            "gsutil", "gcloud",
            fail=("gsutil ls", "gcloud compute firewall-rules describe"))
        dry = self.deploy()
        r = self.deploy("--execute", env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(log) as f:
            calls = f.read().splitlines()
        printed = [l for l in dry.stdout.splitlines()
                   if not l.startswith("#")]
        ran = [c for c in calls if " ls " not in c and "describe skiff" not in c]
        self.assertEqual(len(ran), len(printed))
        self.assertTrue(ran[2].startswith("gcloud compute images create"))

    def test_execute_stops_at_a_failure(self):
        env, log = self.fake_clients(
            "gsutil", "gcloud", fail=("gcloud compute images",))
        r = self.deploy("--execute", env=env)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("gce: step", r.stderr)
        self.assertIn("gcloud compute images create", r.stderr)
        with open(log) as f:
            self.assertNotIn("instances create", f.read())


@unittest.skipUnless(shutil.which("qemu-img"), "no qemu-img")
class OpenStack(Base):
    def test_convert_and_dry_run(self):
        src = self.path("app.raw")
        sparse_disk(src, 64 << 20)
        r = run(OPENSTACK, src, "--image", "echo-server")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = self.path("disk.qcow2")
        info = run("qemu-img", "info", "--output=json", out)
        self.assertIn('"format": "qcow2"', info.stdout)
        self.assertIn('"virtual-size": %d' % (64 << 20), info.stdout)
        self.assertIn(
            "openstack image create echo-server --disk-format qcow2 "
            "--container-format bare --file %s "
            "--property hw_firmware_type=uefi --property hw_machine_type=q35 "
            "--property hw_vif_model=virtio --property hw_disk_bus=virtio\n"
            % out, r.stdout)
        self.assertIn("openstack server create echo-server --image "
                      "echo-server --flavor m1.tiny", r.stdout)
        self.assertIn("--dst-port 8000", r.stdout)
        self.assertIn("openstack console log show echo-server", r.stdout)

    def test_output_and_secure_boot(self):
        src = self.path("app.raw")
        sparse_disk(src, 64 << 20)
        out = self.path("x.qcow2")
        r = run(OPENSTACK, src, "-o", out, "--secure-boot", "--network", "n1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(os.path.exists(out))
        self.assertIn("--property os_secure_boot=required", r.stdout)
        self.assertIn("--network n1", r.stdout)

    def test_bad_input(self):
        src = self.path("app.raw")
        sparse_disk(src, 64 << 20, signature=False)
        self.assert_one_line_error(run(OPENSTACK, src), "boot signature")
        self.assert_one_line_error(run(OPENSTACK, self.path("none.raw")),
                                   "no such file")
        self.assertFalse(os.path.exists(self.path("disk.qcow2")))

    def test_execute(self):
        src = self.path("app.raw")
        sparse_disk(src, 64 << 20)
        env, log = self.fake_clients("openstack",
                                     fail=("openstack security group show",))
        r = run(OPENSTACK, src, "--execute", env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(log) as f:
            calls = f.read()
        self.assertIn("openstack image create skiff --disk-format qcow2", calls)
        self.assertIn("openstack server create skiff", calls)


if __name__ == "__main__":
    unittest.main()
