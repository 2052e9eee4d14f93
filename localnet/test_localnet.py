"""Tests of the localnet JSON-RPC server (standard library unittest; run with
`.venv/bin/python -m unittest discover -s localnet -p 'test_*.py'`).
Each test class starts its own server on a free loopback port."""
import base64
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request
from pathlib import Path

from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer
from solders.transaction import Transaction

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from localsvc.base58 import b58encode  # noqa: E402
from localnet import server  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Net:
    def __init__(self, ledger):
        self.port = free_port()
        self.ledger = ledger
        self.proc = subprocess.Popen([sys.executable, str(HERE / "main.py"), "run", "--port", str(self.port),
                                      "--ledger", ledger, "--exit-with", str(os.getpid())],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                if self.call("getHealth").get("result") == "ok":
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("localnet did not start")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)

    def raw(self, body: bytes):
        req = urllib.request.Request("http://127.0.0.1:%d" % self.port, data=body,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.load(r)

    def call(self, method, params=None):
        return self.raw(json.dumps({"jsonrpc": "2.0", "id": 7, "method": method,
                                    "params": params if params is not None else []}).encode())

    def result(self, method, params=None):
        r = self.call(method, params)
        if "error" in r:
            raise AssertionError("%s: %s" % (method, r["error"]))
        return r["result"]

    def blockhash(self):
        return Hash.from_string(self.result("getLatestBlockhash")["value"]["blockhash"])

    def funded(self, lamports=10**9):
        k = Keypair()
        self.result("requestAirdrop", [str(k.pubkey()), lamports])
        return k

    def transfer_tx(self, frm, to, lamports, blockhash=None):
        msg = Message([transfer(TransferParams(from_pubkey=frm.pubkey(), to_pubkey=to, lamports=lamports))], frm.pubkey())
        return Transaction([frm], msg, blockhash or self.blockhash())


class LocalnetTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        cls.net = Net(cls.dir.name)

    @classmethod
    def tearDownClass(cls):
        cls.net.stop()
        cls.dir.cleanup()

    def test_bad_requests_get_json_rpc_errors(self):
        n = self.net
        self.assertEqual(n.raw(b"{nope")["error"]["code"], -32700)
        self.assertEqual(n.raw(b"[]")["error"]["code"], -32600)
        self.assertEqual(n.raw(b'{"jsonrpc":"1.0","id":1,"method":"getSlot"}')["error"]["code"], -32600)
        self.assertEqual(n.call("noSuchMethod")["error"]["code"], -32601)
        self.assertEqual(n.call("getBalance", ["not base58!"])["error"]["code"], -32602)
        self.assertEqual(n.call("getBalance", [])["error"]["code"], -32602)
        self.assertEqual(n.call("getBalance", [123])["error"]["code"], -32602)
        self.assertEqual(n.call("sendTransaction", ["AAAA", {"encoding": "base64"}])["error"]["code"], -32602)
        self.assertEqual(n.call("sendTransaction", ["AA==", {"encoding": "hex"}])["error"]["code"], -32602)
        self.assertEqual(n.call("sendTransaction", [{"x": 1}])["error"]["code"], -32602)
        self.assertEqual(n.call("requestAirdrop", [str(Keypair().pubkey()), -5])["error"]["code"], -32602)
        self.assertEqual(n.call("getMinimumBalanceForRentExemption", ["x"])["error"]["code"], -32602)
        self.assertEqual(n.call("localnet_advanceClock", [-1])["error"]["code"], -32602)
        batch = n.raw(b'[{"jsonrpc":"2.0","id":1,"method":"getSlot"},{"jsonrpc":"2.0","id":2,"method":"nope"},3]')
        self.assertIsInstance(batch[0]["result"], int)
        self.assertEqual(batch[1]["error"]["code"], -32601)
        self.assertEqual(batch[2]["error"]["code"], -32600)
        self.assertEqual(n.result("getHealth"), "ok")  # still alive

    def test_send_base64_and_base58_and_statuses(self):
        n = self.net
        a, b = n.funded(), Keypair().pubkey()
        tx = n.transfer_tx(a, b, 1_000_000)
        sig = n.result("sendTransaction", [base64.b64encode(bytes(tx)).decode(), {"encoding": "base64"}])
        self.assertEqual(sig, str(tx.signatures[0]))
        tx2 = n.transfer_tx(a, b, 1000)  # b exists now: any amount
        sig2 = n.result("sendTransaction", [b58encode(bytes(tx2))])  # base58 is the default
        statuses = n.result("getSignatureStatuses", [[sig, sig2, str(Keypair().pubkey())]])["value"]
        self.assertEqual(statuses[0]["err"], None)
        self.assertEqual(statuses[0]["confirmationStatus"], "finalized")
        self.assertEqual(statuses[1]["status"], {"Ok": None})
        self.assertIsNone(statuses[2])
        self.assertEqual(n.result("getBalance", [str(b)])["value"], 1_001_000)
        self.assertEqual(n.result("getBalance", [str(a.pubkey())])["value"], 10**9 - 1_001_000 - 10000)
        # the same transaction again
        again = n.call("sendTransaction", [base64.b64encode(bytes(tx)).decode(), {"encoding": "base64"}])
        self.assertEqual(again["error"]["code"], -32002)
        self.assertEqual(again["error"]["data"]["err"], "AlreadyProcessed")

    def test_failed_preflight_costs_nothing_skip_preflight_charges_the_fee(self):
        n = self.net
        a = n.funded(10**6)
        tx = n.transfer_tx(a, Keypair().pubkey(), 10**9)
        r = n.call("sendTransaction", [base64.b64encode(bytes(tx)).decode(), {"encoding": "base64"}])
        self.assertEqual(r["error"]["code"], -32002)
        self.assertEqual(r["error"]["data"]["err"], {"InstructionError": [0, {"Custom": 1}]})
        self.assertIn("Transaction simulation failed", r["error"]["message"])
        self.assertTrue(r["error"]["data"]["logs"])
        self.assertEqual(n.result("getBalance", [str(a.pubkey())])["value"], 10**6)
        sig = n.result("sendTransaction", [base64.b64encode(bytes(tx)).decode(),
                                           {"encoding": "base64", "skipPreflight": True}])
        status = n.result("getSignatureStatuses", [[sig]])["value"][0]
        self.assertEqual(status["err"], {"InstructionError": [0, {"Custom": 1}]})
        self.assertEqual(n.result("getBalance", [str(a.pubkey())])["value"], 10**6 - 5000)

    def test_bad_signature_and_unknown_blockhash(self):
        n = self.net
        a = n.funded()
        tx = n.transfer_tx(a, Keypair().pubkey(), 1_000_000)
        raw = bytearray(bytes(tx))
        raw[5] ^= 1  # inside the signature
        r = n.call("sendTransaction", [base64.b64encode(bytes(raw)).decode(), {"encoding": "base64"}])
        self.assertEqual(r["error"]["code"], -32003)
        stale = n.transfer_tx(a, Keypair().pubkey(), 1, blockhash=Hash.new_unique())
        r = n.call("sendTransaction", [base64.b64encode(bytes(stale)).decode(), {"encoding": "base64"}])
        self.assertEqual(r["error"]["data"]["err"], "BlockhashNotFound")
        self.assertFalse(n.result("isBlockhashValid", [str(Hash.new_unique())])["value"])

    def test_recent_blockhashes_stay_valid(self):
        n = self.net
        a = n.funded()
        old = n.blockhash()
        for _ in range(3):
            n.funded()  # moves slots and blockhashes on
        self.assertNotEqual(str(old), str(n.blockhash()))
        n.result("sendTransaction", [base64.b64encode(bytes(n.transfer_tx(a, Keypair().pubkey(), 1_000_000, old))).decode(),
                                     {"encoding": "base64"}])

    def test_simulate_and_account_info(self):
        n = self.net
        a = n.funded()
        b = Keypair().pubkey()
        tx = n.transfer_tx(a, b, 1_000_000)
        sim = n.result("simulateTransaction", [base64.b64encode(bytes(tx)).decode(), {"encoding": "base64"}])
        self.assertIsNone(sim["value"]["err"])
        self.assertGreater(sim["value"]["unitsConsumed"], 0)
        self.assertEqual(n.result("getBalance", [str(b)])["value"], 0)  # nothing committed
        # replaceRecentBlockhash with an unknown blockhash still simulates
        stale = n.transfer_tx(a, b, 1_000_000, blockhash=Hash.new_unique())
        sim = n.result("simulateTransaction", [base64.b64encode(bytes(stale)).decode(),
                                               {"encoding": "base64", "replaceRecentBlockhash": True}])
        self.assertIsNone(sim["value"]["err"])
        info = n.result("getAccountInfo", [str(a.pubkey()), {"encoding": "base64"}])["value"]
        self.assertEqual(info["owner"], "11111111111111111111111111111111")
        self.assertEqual(info["data"], ["", "base64"])
        self.assertIsNone(n.result("getAccountInfo", [str(b), {"encoding": "base64"}])["value"])
        self.assertEqual(n.result("getMinimumBalanceForRentExemption", [0]), 890880)
        fee = n.result("getFeeForMessage", [base64.b64encode(bytes(tx.message)).decode()])["value"]
        self.assertEqual(fee, 5000)

    def test_program_accounts_with_filters(self):
        n = self.net
        a = n.funded()
        owner = Keypair()
        accounts = []
        for data in [bytes(40), bytes(32), bytes(40)]:  # create_account leaves the data zeroed
            k = Keypair()
            from solders.system_program import CreateAccountParams, create_account
            rent = n.result("getMinimumBalanceForRentExemption", [len(data)])
            ix = create_account(CreateAccountParams(from_pubkey=a.pubkey(), to_pubkey=k.pubkey(), lamports=rent,
                                                    space=len(data), owner=owner.pubkey()))
            tx = Transaction([a, k], Message([ix], a.pubkey()), n.blockhash())
            n.result("sendTransaction", [base64.b64encode(bytes(tx)).decode(), {"encoding": "base64"}])
            accounts.append(str(k.pubkey()))
        everything = n.result("getProgramAccounts", [str(owner.pubkey()), {"encoding": "base64"}])
        self.assertEqual(sorted(x["pubkey"] for x in everything), sorted(accounts))
        sized = n.result("getProgramAccounts", [str(owner.pubkey()), {"encoding": "base64", "filters": [{"dataSize": 40}]}])
        self.assertEqual(sorted(x["pubkey"] for x in sized), sorted([accounts[0], accounts[2]]))
        zeros = n.result("getProgramAccounts", [str(owner.pubkey()), {"encoding": "base64", "withContext": True,
            "filters": [{"dataSize": 40}, {"memcmp": {"offset": 32, "bytes": b58encode(bytes(8))}}]}])
        self.assertEqual(len(zeros["value"]), 2)
        ones = n.result("getProgramAccounts", [str(owner.pubkey()), {"encoding": "base64",
            "filters": [{"memcmp": {"offset": 0, "bytes": b58encode(b"\x01")}}]}])
        self.assertEqual(ones, [])
        self.assertEqual(n.call("getProgramAccounts", [str(owner.pubkey()), {"filters": [{"nope": 1}]}])["error"]["code"], -32602)

    def test_clock_follows_wall_time_and_moves_forward(self):
        n = self.net
        c = n.result("localnet_getClock")
        self.assertLess(abs(c["unixTimestamp"] - c["offsetSeconds"] - time.time()), 5)
        moved = n.result("localnet_advanceClock", [100])
        self.assertEqual(moved["offsetSeconds"], c["offsetSeconds"] + 100)
        self.assertGreater(moved["slot"], c["slot"])


class LedgerTests(unittest.TestCase):
    def test_accounts_survive_a_restart(self):
        with tempfile.TemporaryDirectory() as d:
            net = Net(d)
            try:
                a = net.funded(7_770_000)
                slot = net.result("getSlot")
            finally:
                net.stop()
            net = Net(d)
            try:
                self.assertEqual(net.result("getBalance", [str(a.pubkey())])["value"], 7_770_000)
                self.assertGreaterEqual(net.result("getSlot"), slot)
            finally:
                net.stop()

    def test_a_killed_localnet_keeps_every_transaction_and_skips_a_torn_line(self):
        with tempfile.TemporaryDirectory() as d:
            net = Net(d)
            try:
                a = net.funded(5_000_000)
                b = Keypair()
                net.result("sendTransaction", [base64.b64encode(bytes(net.transfer_tx(a, b.pubkey(), 1_234_567))).decode(),
                                               {"encoding": "base64"}])
                slot = net.result("getSlot")
            finally:
                net.proc.kill()   # no clean shutdown: the journal is all there is
                net.proc.wait(timeout=10)
            with open(os.path.join(d, "journal.jsonl"), "a") as f:
                f.write('{"accounts": {"torn')
            net = Net(d)
            try:
                self.assertEqual(net.result("getBalance", [str(b.pubkey())])["value"], 1_234_567)
                self.assertEqual(net.result("getBalance", [str(a.pubkey())])["value"], 5_000_000 - 1_234_567 - 5000)
                self.assertGreaterEqual(net.result("getSlot"), slot)
            finally:
                net.stop()
            # Folded into the snapshot at start: the journal begins again.
            self.assertEqual(os.path.getsize(os.path.join(d, "journal.jsonl")), 0)

    def test_many_transactions_fold_the_journal_into_the_snapshot(self):
        with tempfile.TemporaryDirectory() as d:
            net = Net(d)
            try:
                for _ in range(server.JOURNAL_COMPACT_LINES // 2 + 5):
                    net.funded(1_000_000)
                with open(os.path.join(d, "journal.jsonl")) as f:
                    self.assertLess(sum(1 for _ in f), server.JOURNAL_COMPACT_LINES)
                last = net.funded(4_242_424)
            finally:
                net.stop()
            net = Net(d)
            try:
                self.assertEqual(net.result("getBalance", [str(last.pubkey())])["value"], 4_242_424)
            finally:
                net.stop()


class LauncherTests(unittest.TestCase):
    """`localnet start|status|stop` through the shared lifecycle helper (localsvc/lifecycle.py)."""

    def launcher(self, *args):
        return subprocess.run([str(HERE / "localnet"), *args], capture_output=True, text=True, timeout=90,
                              env={**os.environ, "LOCALNET_PYTHON": sys.executable})

    def test_start_on_a_free_port_status_and_stop(self):
        with tempfile.TemporaryDirectory() as d:
            started = self.launcher("start", "--port", "0", "--ledger", d, "--exit-with", str(os.getpid()))
            try:
                self.assertEqual(started.returncode, 0, started.stderr)
                port = int(Path(d, "localnet.port").read_text().strip())
                pid = int(Path(d, "localnet.pid").read_text().strip())
                self.assertIn("http://127.0.0.1:%d" % port, started.stdout)
                req = urllib.request.Request("http://127.0.0.1:%d" % port, headers={"Content-Type": "application/json"},
                                             data=b'{"jsonrpc":"2.0","id":1,"method":"getHealth"}')
                with urllib.request.urlopen(req, timeout=10) as r:
                    self.assertEqual(json.load(r)["result"], "ok")
                again = self.launcher("start", "--port", "0", "--ledger", d)
                self.assertEqual(again.returncode, 1, "a second start on the same ledger is refused")
                self.assertIn("already running", again.stderr)
                status = self.launcher("status", "--ledger", d)
                self.assertEqual(status.returncode, 0, status.stdout)
            finally:
                stopped = self.launcher("stop", "--ledger", d)
            self.assertEqual(stopped.returncode, 0, stopped.stderr)
            self.assertIn("stopped pid %d cleanly" % pid, stopped.stdout, "SIGTERM ends it; no SIGKILL needed")
            self.assertFalse(Path(d, "localnet.pid").exists())
            self.assertEqual(self.launcher("status", "--ledger", d).returncode, 3)

    def test_bad_arguments_are_refused_with_the_reason(self):
        r = self.launcher("start", "--port", "nine")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--port", r.stderr)


class Base58Tests(unittest.TestCase):
    def test_round_trip_leading_zeros_and_bad_characters(self):
        from localsvc.base58 import b58decode
        for data in (b"", b"\0", b"\0\0\x01", bytes(range(32)), b"\xff" * 64):
            self.assertEqual(b58decode(b58encode(data)), data)
        # A Solana system program id: 32 zero bytes.
        self.assertEqual(b58encode(bytes(32)), "1" * 32)
        self.assertEqual(b58encode(b"hello world"), "StV1DL6CwTryKyV")
        with self.assertRaisesRegex(ValueError, "invalid base58 character '0'"):
            b58decode("10")


if __name__ == "__main__":
    unittest.main()
