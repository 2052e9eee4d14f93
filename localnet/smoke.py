"""Development aid: load programs/out/paychannel.so into LiteSVM and run
open / claim / close once. The real tests are the Swift ones."""
import struct, sys, time
from pathlib import Path
from solders.litesvm import LiteSVM
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.instruction import Instruction, AccountMeta
from solders.message import Message
from solders.transaction import Transaction
from solders.clock import Clock

ROOT = Path(__file__).resolve().parent.parent
SYS = Pubkey.from_string("11111111111111111111111111111111")
ED = Pubkey.from_string("Ed25519SigVerify111111111111111111111111111")
IXS = Pubkey.from_string("Sysvar1nstructions1111111111111111111111111")

def ed25519_ix(kp, msg):
    sig = bytes(kp.sign_message(msg)); pk = bytes(kp.pubkey())
    hdr = 16; pk_off = hdr; sig_off = pk_off + 32; msg_off = sig_off + 64
    data = bytes([1, 0]) + struct.pack("<7H", sig_off, 0xFFFF, pk_off, 0xFFFF, msg_off, len(msg), 0xFFFF) + pk + sig + msg
    return Instruction(ED, data, [])

def voucher(channel, amount, seq):
    return b"peernode-voucher-v1" + bytes(channel) + struct.pack("<QQ", amount, seq)

def send(svm, payer, ixs, signers):
    tx = Transaction(signers, Message(ixs, payer.pubkey()), svm.latest_blockhash())
    r = svm.send_transaction(tx)
    svm.expire_blockhash()
    return r

def main():
    svm = LiteSVM()
    prog = Pubkey.from_string("PayChanne1111111111111111111111111111111111") if False else Keypair().pubkey()
    svm.add_program(prog, (ROOT / "programs/out/paychannel.so").read_bytes())
    now = int(time.time())
    c = svm.get_clock()
    svm.set_clock(Clock(c.slot, c.epoch_start_timestamp, c.epoch, c.leader_schedule_epoch, now))
    payer, payee = Keypair(), Keypair()
    svm.airdrop(payer.pubkey(), 10_000_000_000); svm.airdrop(payee.pubkey(), 1_000_000_000)
    cid = 7
    chan, bump = Pubkey.find_program_address([b"channel", bytes(payer.pubkey()), bytes(payee.pubkey()), struct.pack("<Q", cid)], prog)
    dep = 1_000_000
    ix = Instruction(prog, bytes([0]) + struct.pack("<QQq", cid, dep, now + 3600),
        [AccountMeta(payer.pubkey(), True, True), AccountMeta(payee.pubkey(), False, False),
         AccountMeta(chan, False, True), AccountMeta(SYS, False, False)])
    r = send(svm, payer, [ix], [payer]); print("open", r)
    acct = svm.get_account(chan); print("channel", acct.lamports, acct.owner == prog, bytes(acct.data).hex())
    before = svm.get_balance(payee.pubkey())
    for amt, seq in [(1000, 1), (2500, 2)]:
        m = voucher(chan, amt, seq)
        cl = Instruction(prog, bytes([3]) + struct.pack("<QQ", amt, seq),
            [AccountMeta(chan, False, True), AccountMeta(payee.pubkey(), False, True), AccountMeta(IXS, False, False)])
        r = send(svm, payee, [ed25519_ix(payer, m), cl], [payee]); print("claim", amt, r)
    print("payee delta", svm.get_balance(payee.pubkey()) - before)
    m = voucher(chan, 2500, 2)
    cl = Instruction(prog, bytes([3]) + struct.pack("<QQ", 2500, 2),
        [AccountMeta(chan, False, True), AccountMeta(payee.pubkey(), False, True), AccountMeta(IXS, False, False)])
    r = send(svm, payee, [ed25519_ix(payer, m), cl], [payee]); print("replay", type(r).__name__, getattr(r, 'err', None))
    close = Instruction(prog, bytes([4]), [AccountMeta(payee.pubkey(), True, False), AccountMeta(chan, False, True), AccountMeta(payer.pubkey(), False, True)])
    r = send(svm, payee, [close], [payee]); print("close", type(r).__name__, getattr(r, 'err', None))
    print("channel after", svm.get_account(chan))

main()
