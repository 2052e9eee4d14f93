"""Tests of the project's BPF linker (programs/link.py): what it produces
loads and runs in the real runtime (LiteSVM), relocations included, and what
SBPFv0 cannot hold is refused with a clear message.
Run: .venv/bin/python -m unittest discover -s programs -p 'test_*.py'"""
import os
import struct
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import link  # noqa: E402

CLANG = os.environ.get("CLANG", "/opt/swift/usr/bin/clang")
FLAGS = ["-target", "bpfel", "-mcpu=v2", "-O2", "-ffreestanding", "-fno-builtin", "-c"]

# Relocations of every kind: lddw of strings and tables (R_BPF_64_64),
# pointers inside .rodata (R_BPF_64_ABS64), calls to local functions that are
# not inlined (pc-relative) and a syscall (dynamic R_BPF_64_32).
TABLES = r"""
typedef unsigned long long u64;
extern void sol_log_(const char *, u64);
static const char *const names[3] = {"alpha", "be", "gamma!"};
static const u64 lens[3] = {5, 2, 6};
__attribute__((noinline)) static u64 length(const char *s) { u64 n = 0; while (s[n]) n++; return n; }
__attribute__((noinline)) static u64 check(u64 i) { return length(names[i]) == lens[i] ? 0 : 10 + i; }
u64 entrypoint(unsigned char *input) {
  (void)input;
  for (u64 i = 0; i < 3; i++) { u64 e = check(i); if (e) return e; }
  sol_log_(names[2], 6);
  return 0;
}
"""

MUTABLE = r"""
typedef unsigned long long u64;
static u64 counter = 1;
u64 entrypoint(unsigned char *input) { (void)input; return counter++; }
"""


def compile_c(source: str, directory: str) -> bytes:
    c = os.path.join(directory, "p.c")
    o = os.path.join(directory, "p.o")
    with open(c, "w") as f:
        f.write(source)
    subprocess.run([CLANG, *FLAGS, c, "-o", o], check=True)
    with open(o, "rb") as f:
        return f.read()


def run_in_litesvm(so: bytes):
    from solders.instruction import Instruction
    from solders.keypair import Keypair
    from solders.litesvm import LiteSVM
    from solders.message import Message
    from solders.transaction import Transaction
    svm = LiteSVM()
    program = Keypair().pubkey()
    svm.add_program(program, so)
    payer = Keypair()
    svm.airdrop(payer.pubkey(), 10**9)
    tx = Transaction([payer], Message([Instruction(program, b"", [])], payer.pubkey()), svm.latest_blockhash())
    return svm.send_transaction(tx)


@unittest.skipUnless(os.access(CLANG, os.X_OK), "no clang at %s" % CLANG)
class LinkTests(unittest.TestCase):
    def test_relocations_load_and_run(self):
        with tempfile.TemporaryDirectory() as d:
            so, info = link.link(compile_c(TABLES, d))
        self.assertEqual(info["syscalls"], ["sol_log_"])
        self.assertEqual(so[:4], b"\x7fELF")
        self.assertEqual(struct.unpack_from("<HH", so, 16), (3, 247))   # ET_DYN, EM_BPF
        self.assertEqual(struct.unpack_from("<I", so, 48)[0], 0)        # e_flags: SBPFv0
        result = run_in_litesvm(so)
        self.assertFalse(hasattr(result, "err"), getattr(result, "err", lambda: None)())
        self.assertIn("Program log: gamma!", result.logs())

    def test_mutable_globals_are_refused(self):
        with tempfile.TemporaryDirectory() as d:
            obj = compile_c(MUTABLE, d)
        with self.assertRaises(link.LinkError) as e:
            link.link(obj)
        self.assertIn("mutable", str(e.exception))

    def test_not_a_bpf_object(self):
        for blob in (b"", b"hello", b"\x7fELF" + b"\0" * 60):
            with self.assertRaises(link.LinkError):
                link.link(blob)
        with open(sys.executable, "rb") as f:
            host = f.read(1 << 16)
        with self.assertRaises((link.LinkError, struct.error, IndexError)):
            link.link(host)

    def test_the_payment_channel_program_links(self):
        with tempfile.TemporaryDirectory() as d:
            with open(HERE / "paychannel.c") as f:
                src = f.read()
            c = os.path.join(d, "p.c")
            o = os.path.join(d, "p.o")
            with open(c, "w") as f:
                f.write(src)
            subprocess.run([CLANG, *FLAGS, "-mllvm", "-bpf-stack-size=4096", c, "-o", o], check=True)
            with open(o, "rb") as f:
                so, info = link.link(f.read())
        self.assertEqual(sorted(info["syscalls"]), sorted([
            "sol_get_clock_sysvar", "sol_get_rent_sysvar", "sol_invoke_signed_c", "sol_log_",
            "sol_try_find_program_address"]))
        result = run_in_litesvm(so)  # no data: the program refuses it (Custom 100)
        self.assertIn("Custom(100)", str(result.err()))


if __name__ == "__main__":
    unittest.main()
