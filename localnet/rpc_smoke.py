"""Development aid: over JSON-RPC, deploy programs/out/paychannel.so through the
upgradeable loader, then open / claim / close. Usage: rpc_smoke.py URL"""
import base64, json, struct, sys, time, urllib.request
from pathlib import Path
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.instruction import Instruction, AccountMeta
from solders.message import Message
from solders.transaction import Transaction
from solders.hash import Hash
from solders.system_program import create_account, CreateAccountParams

URL = sys.argv[1]
ROOT = Path(__file__).resolve().parent.parent
SYS = Pubkey.from_string("11111111111111111111111111111111")
LOADER = Pubkey.from_string("BPFLoaderUpgradeab1e11111111111111111111111")
RENT = Pubkey.from_string("SysvarRent111111111111111111111111111111111")
CLOCK = Pubkey.from_string("SysvarC1ock11111111111111111111111111111111")
ED = Pubkey.from_string("Ed25519SigVerify111111111111111111111111111")
IXS = Pubkey.from_string("Sysvar1nstructions1111111111111111111111111")

def rpc(method, params=None):
    req = urllib.request.Request(URL, json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)

def send(payer, ixs, signers, expect_ok=True):
    bh = Hash.from_string(rpc("getLatestBlockhash")["result"]["value"]["blockhash"])
    tx = Transaction(signers, Message(ixs, payer.pubkey()), bh)
    r = rpc("sendTransaction", [base64.b64encode(bytes(tx)).decode(), {"encoding": "base64"}])
    if expect_ok and "error" in r:
        raise SystemExit("send failed: %s" % json.dumps(r["error"])[:2000])
    return r, len(bytes(tx))

def main():
    payer = Keypair()
    rpc("requestAirdrop", [str(payer.pubkey()), 100 * 10**9])
    so = (ROOT / "programs/out/paychannel.so").read_bytes()
    buf, prog = Keypair(), Keypair()
    rent = lambda n: rpc("getMinimumBalanceForRentExemption", [n])["result"]
    send(payer, [create_account(CreateAccountParams(from_pubkey=payer.pubkey(), to_pubkey=buf.pubkey(), lamports=rent(37 + len(so)), space=37 + len(so), owner=LOADER)),
                 Instruction(LOADER, struct.pack("<I", 0), [AccountMeta(buf.pubkey(), False, True), AccountMeta(payer.pubkey(), False, False)])], [payer, buf])
    for off in range(0, len(so), 900):
        chunk = so[off:off + 900]
        send(payer, [Instruction(LOADER, struct.pack("<IIQ", 1, off, len(chunk)) + chunk, [AccountMeta(buf.pubkey(), False, True), AccountMeta(payer.pubkey(), True, False)])], [payer])
    pdata, _ = Pubkey.find_program_address([bytes(prog.pubkey())], LOADER)
    send(payer, [create_account(CreateAccountParams(from_pubkey=payer.pubkey(), to_pubkey=prog.pubkey(), lamports=rent(36), space=36, owner=LOADER)),
                 Instruction(LOADER, struct.pack("<IQ", 2, 2 * len(so)), [AccountMeta(payer.pubkey(), True, True), AccountMeta(pdata, False, True), AccountMeta(prog.pubkey(), False, True), AccountMeta(buf.pubkey(), False, True), AccountMeta(RENT, False, False), AccountMeta(CLOCK, False, False), AccountMeta(SYS, False, False), AccountMeta(payer.pubkey(), True, False)])], [payer, prog])
    pid = prog.pubkey(); print("deployed", pid)
    payee = Keypair(); rpc("requestAirdrop", [str(payee.pubkey()), 10**9])
    cid = 1; now = rpc("localnet_getClock")["result"]["unixTimestamp"]
    chan, _ = Pubkey.find_program_address([b"channel", bytes(payer.pubkey()), bytes(payee.pubkey()), struct.pack("<Q", cid)], pid)
    r, n = send(payer, [Instruction(pid, bytes([0]) + struct.pack("<QQq", cid, 10**6, now + 60), [AccountMeta(payer.pubkey(), True, True), AccountMeta(payee.pubkey(), False, False), AccountMeta(chan, False, True), AccountMeta(SYS, False, False)])], [payer])
    print("open", r, n)
    msg = b"peernode-voucher-v1" + bytes(chan) + struct.pack("<QQ", 5000, 1)
    sig = bytes(payer.sign_message(msg)); pk = bytes(payer.pubkey())
    ed = Instruction(ED, bytes([1, 0]) + struct.pack("<7H", 48, 0xFFFF, 16, 0xFFFF, 112, len(msg), 0xFFFF) + pk + sig + msg, [])
    cl = Instruction(pid, bytes([3]) + struct.pack("<QQ", 5000, 1), [AccountMeta(chan, False, True), AccountMeta(payee.pubkey(), False, True), AccountMeta(IXS, False, False)])
    r, n = send(payee, [ed, cl], [payee]); print("claim", r, "tx bytes", n)
    print(rpc("getSignatureStatuses", [[r["result"]]]))
    r, n = send(payee, [ed, cl], [payee], expect_ok=False); print("replay", json.dumps(r)[:600])
    print("clock+", rpc("localnet_advanceClock", [120]))
    r, n = send(payer, [Instruction(pid, bytes([4]), [AccountMeta(payer.pubkey(), True, True), AccountMeta(chan, False, True), AccountMeta(payer.pubkey(), False, True)])], [payer]); print("close by payer after expiry", r)
    print(rpc("getAccountInfo", [str(chan), {"encoding": "base64"}]))

main()
