"""Decode a wire transaction with solders (an independent implementation) and
print what it says as JSON: used by the Swift tests to cross-check the
transactions the node builds. Usage: decode_tx.py BASE64 (or on stdin)."""
import base64, json, sys
from solders.instruction import AccountMeta, Instruction
from solders.message import Message
from solders.transaction import Transaction

def main():
    text = sys.argv[1] if len(sys.argv) > 1 else sys.stdin.read().strip()
    tx = Transaction.from_bytes(base64.b64decode(text))
    msg = tx.message
    keys = [str(k) for k in msg.account_keys]
    h = msg.header
    n_signed, ro_signed, ro_unsigned = (h.num_required_signatures, h.num_readonly_signed_accounts,
                                        h.num_readonly_unsigned_accounts)
    def writable(i):
        return i < n_signed - ro_signed if i < n_signed else i < len(keys) - ro_unsigned
    # Recompile the same instructions with solders' own message compiler: the
    # account order and header must come out byte for byte the same.
    ixs = [Instruction(msg.account_keys[ix.program_id_index], bytes(ix.data),
                       [AccountMeta(msg.account_keys[a], a < n_signed, writable(a)) for a in bytes(ix.accounts)])
           for ix in msg.instructions]
    again = Message.new_with_blockhash(ixs, msg.account_keys[0], msg.recent_blockhash)
    out = {
        "signatures": [str(s) for s in tx.signatures],
        "signaturesVerify": all(tx.verify_with_results()),
        "header": [msg.header.num_required_signatures, msg.header.num_readonly_signed_accounts,
                   msg.header.num_readonly_unsigned_accounts],
        "accountKeys": keys,
        "signers": [keys[i] for i in range(msg.header.num_required_signatures)],
        "writable": [keys[i] for i in range(len(keys)) if writable(i)],
        "recompiledEqual": bytes(again) == bytes(msg),
        "recentBlockhash": str(msg.recent_blockhash),
        "instructions": [{"programId": keys[ix.program_id_index],
                          "accounts": [keys[a] for a in bytes(ix.accounts)],
                          "data": bytes(ix.data).hex()} for ix in msg.instructions],
        "size": len(bytes(tx)),
    }
    print(json.dumps(out))

main()
