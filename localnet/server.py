"""localnet: the real Solana runtime (LiteSVM, PyPI `solders`) behind standard
Solana JSON-RPC 2.0 over HTTP on 127.0.0.1.

Methods: getHealth, getVersion, getSlot, getBlockHeight, getLatestBlockhash,
isBlockhashValid, getBalance, getAccountInfo, getMultipleAccounts, getProgramAccounts,
getMinimumBalanceForRentExemption, getFeeForMessage, requestAirdrop,
sendTransaction, simulateTransaction, getSignatureStatuses, and the
non-standard localnet_advanceClock / localnet_getClock (docs/localnet.md).

The clock follows wall time (plus an offset that localnet_advanceClock moves
forward); it is set before every transaction. Every committed transaction
moves the slot on by one and makes a new blockhash; the last 150 blockhashes
are accepted, as a cluster accepts recent ones. Accounts touched by
transactions are written to the ledger directory so a restart keeps them.
"""

import base64
import json
import os
import re
import signal
import sys
import threading
import time
from collections import OrderedDict, deque

from solders.account import Account
from solders.clock import Clock
from solders.hash import Hash
from solders.litesvm import LiteSVM
from solders.message import Message, to_bytes_versioned
from solders.pubkey import Pubkey
from solders.rpc.responses import RpcSimulateTransactionResult
from solders.transaction import VersionedTransaction
from solders.transaction_status import TransactionConfirmationStatus, TransactionStatus

from localsvc import lifecycle
from localsvc.base58 import b58decode, b58encode
from localsvc.httpbase import BaseHandler, BodyError, LoopbackServer

VERSION = "localnet-1 (solders %s)" % __import__("solders").__version__
BLOCKHASH_QUEUE = 150
MAX_BODY = 2 * 1024 * 1024
MAX_TX_BYTES = 1232
MAX_BATCH = 100
MAX_STATUSES = 200_000
# The ledger's journal is folded into the snapshot after this many lines.
JOURNAL_COMPACT_LINES = 2000
LAMPORTS_PER_SIGNATURE = 5000
ED25519_PROGRAM = "Ed25519SigVerify111111111111111111111111111"
SECP256K1_PROGRAM = "KeccakSecp256k11111111111111111111111111111"
SECP256R1_PROGRAM = "Secp256r1SigVerify1111111111111111111111111"

# JSON-RPC error codes (the standard ones and Solana's).
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
SEND_TRANSACTION_PREFLIGHT_FAILURE = -32002
TRANSACTION_SIGNATURE_VERIFICATION_FAILURE = -32003

class RpcError(Exception):
    def __init__(self, code, message, data=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


def invalid_params(message):
    return RpcError(INVALID_PARAMS, message)


def error_json(err):
    """A TransactionError as the real RPC shows it (solders serializes it)."""
    status = TransactionStatus(slot=0, confirmations=None, status=err, err=err,
                               confirmation_status=None)
    return json.loads(status.to_json())["err"]


def error_message(err_json):
    if isinstance(err_json, dict) and "InstructionError" in err_json:
        index, inner = err_json["InstructionError"]
        if isinstance(inner, dict) and "Custom" in inner:
            what = "custom program error: 0x%x" % inner["Custom"]
        else:
            what = re.sub(r"(?<!^)(?=[A-Z])", " ", str(inner)).lower()
        return "Error processing Instruction %d: %s" % (index, what)
    if isinstance(err_json, dict) and len(err_json) == 1:
        name, detail = next(iter(err_json.items()))
        words = re.sub(r"(?<!^)(?=[A-Z])", " ", str(name)).capitalize()
        return "%s: %s" % (words, json.dumps(detail))
    return re.sub(r"(?<!^)(?=[A-Z])", " ", str(err_json)).capitalize()


class Chain:
    """One LiteSVM behind a lock, with the bookkeeping a cluster's RPC has."""

    def __init__(self, ledger_dir=None):
        self.lock = threading.RLock()
        self.svm = LiteSVM()
        self.clock_offset = 0
        self.ledger_dir = ledger_dir
        self.snapshot = OrderedDict()  # address -> account json
        self.journal = None  # the open journal file (appended to per transaction)
        self.journal_lines = 0
        self.statuses = OrderedDict()  # signature -> (slot, err json or None)
        self.blockhashes = deque(maxlen=BLOCKHASH_QUEUE)
        self.slot = self.svm.get_clock().slot
        if ledger_dir:
            self._load()
        # Blockhashes are checked here against the recent ones (LiteSVM alone
        # accepts only the very latest).
        self.svm.with_blockhash_check(False)
        self.svm.with_sigverify(True)
        self.svm.warp_to_slot(self.slot)
        self.blockhashes.append(str(self.svm.latest_blockhash()))
        self._sync_clock()

    # --- clock, slots, blockhashes ---------------------------------------
    def now(self):
        return int(time.time()) + self.clock_offset

    def _sync_clock(self):
        c = self.svm.get_clock()
        self.svm.set_clock(Clock(c.slot, c.epoch_start_timestamp, c.epoch,
                                 c.leader_schedule_epoch, self.now()))

    def _next_slot(self):
        self.slot += 1
        self.svm.warp_to_slot(self.slot)
        self.svm.expire_blockhash()
        self.blockhashes.append(str(self.svm.latest_blockhash()))
        self._sync_clock()
        self._save_meta()

    def context(self):
        return {"slot": self.slot, "apiVersion": "2.2.0"}

    def advance_clock(self, seconds):
        with self.lock:
            self.clock_offset += seconds
            self._sync_clock()
            self._next_slot()
            return {"unixTimestamp": self.now(), "offsetSeconds": self.clock_offset,
                    "slot": self.slot}

    # --- persistence -----------------------------------------------------
    # The ledger is a snapshot (accounts.json, meta.json) plus a journal
    # (journal.jsonl): each transaction appends the accounts it touched and
    # the slot, one line. Rewriting the whole snapshot per transaction cost
    # most of a transaction's time, under the lock every RPC call waits on.
    # Lines hold absolute states, so replaying one twice is harmless; a torn
    # last line (a crash mid-write) is skipped.
    def _meta_path(self):
        return os.path.join(self.ledger_dir, "meta.json")

    def _accounts_path(self):
        return os.path.join(self.ledger_dir, "accounts.json")

    def _journal_path(self):
        return os.path.join(self.ledger_dir, "journal.jsonl")

    def _load(self):
        os.makedirs(self.ledger_dir, exist_ok=True)
        try:
            with open(self._meta_path()) as f:
                meta = json.load(f)
            self.clock_offset = int(meta.get("clockOffset", 0))
            self.slot = max(self.slot, int(meta.get("slot", 0)))
        except (OSError, ValueError, TypeError):
            pass
        try:
            with open(self._accounts_path()) as f:
                accounts = json.load(f)
        except (OSError, ValueError):
            accounts = {}
        for address, a in accounts.items():
            self.snapshot[address] = a
        self._replay_journal()
        # Programs last: loading a program account needs its programdata there.
        ordered = sorted(self.snapshot.items(), key=lambda kv: bool(kv[1].get("executable")))
        for address, a in ordered:
            try:
                acct = Account(lamports=int(a["lamports"]), data=base64.b64decode(a["data"]),
                               owner=Pubkey.from_string(a["owner"]),
                               executable=bool(a["executable"]), rent_epoch=int(a["rentEpoch"]))
                self.svm.set_account(Pubkey.from_string(address), acct)
            except (KeyError, ValueError, TypeError) as e:
                sys.stderr.write("localnet: skipping account %s from the ledger: %s\n" % (address, e))
                self.snapshot.pop(address, None)
        self._compact()

    def _replay_journal(self):
        try:
            f = open(self._journal_path())
        except OSError:
            return
        with f:
            for number, line in enumerate(f, 1):
                try:
                    entry = json.loads(line)
                    for address, a in entry.get("accounts", {}).items():
                        if a is None:
                            self.snapshot.pop(address, None)
                        else:
                            self.snapshot[address] = a
                    if "slot" in entry:
                        self.slot = max(self.slot, int(entry["slot"]))
                        self.clock_offset = int(entry.get("clockOffset", self.clock_offset))
                except (ValueError, TypeError, AttributeError) as e:
                    sys.stderr.write("localnet: journal line %d unreadable (%s); skipped\n" % (number, e))

    def _write_json(self, path, value):
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(value, f)
        os.replace(tmp, path)

    def _compact(self):
        """Writes the snapshot and empties the journal (in that order: a
        crash between the two replays lines already in the snapshot)."""
        self._write_json(self._accounts_path(), self.snapshot)
        self._write_json(self._meta_path(), {"clockOffset": self.clock_offset, "slot": self.slot})
        if self.journal is not None:
            self.journal.close()
        self.journal = open(self._journal_path(), "w")
        self.journal_lines = 0

    def _append(self, entry):
        if not self.ledger_dir:
            return
        self.journal.write(json.dumps(entry, separators=(",", ":")) + "\n")
        self.journal.flush()
        self.journal_lines += 1
        if self.journal_lines >= JOURNAL_COMPACT_LINES:
            self._compact()

    def _save_meta(self):
        self._append({"slot": self.slot, "clockOffset": self.clock_offset})

    def _remember(self, addresses):
        if not self.ledger_dir:
            return
        changed = {}
        for address in addresses:
            acct = self.svm.get_account(Pubkey.from_string(address))
            if acct is None or acct.lamports == 0:
                self.snapshot.pop(address, None)
                changed[address] = None
            else:
                a = {"lamports": acct.lamports, "owner": str(acct.owner),
                     "executable": acct.executable, "rentEpoch": acct.rent_epoch,
                     "data": base64.b64encode(bytes(acct.data)).decode()}
                self.snapshot[address] = a
                changed[address] = a
        self._append({"accounts": changed, "slot": self.slot, "clockOffset": self.clock_offset})

    # --- statuses --------------------------------------------------------
    def _record(self, signature, err):
        self.statuses[signature] = (self.slot, err)
        while len(self.statuses) > MAX_STATUSES:
            self.statuses.popitem(last=False)

    # --- transactions ----------------------------------------------------
    def decode_transaction(self, params, default_encoding):
        if not isinstance(params, list) or not params or not isinstance(params[0], str):
            raise invalid_params("Invalid params: expected [transaction string, config?]")
        config = params[1] if len(params) > 1 and params[1] is not None else {}
        if not isinstance(config, dict):
            raise invalid_params("Invalid params: the config must be an object")
        encoding = config.get("encoding") or default_encoding
        text = params[0]
        try:
            if encoding == "base64":
                raw = base64.b64decode(text, validate=True)
            elif encoding == "base58":
                raw = b58decode(text)
            else:
                raise invalid_params("unsupported encoding: %s. Supported encodings: base58, base64"
                                     % encoding)
        except (ValueError, base64.binascii.Error) as e:
            raise invalid_params("invalid transaction: %s" % e)
        if len(raw) > MAX_TX_BYTES:
            raise invalid_params("base64 encoded solana_transaction::versioned::VersionedTransaction "
                                 "too large: %d bytes (max: encoded/raw %d)" % (len(raw), MAX_TX_BYTES))
        try:
            tx = VersionedTransaction.from_bytes(raw)
        except Exception as e:  # solders raises its own error types
            raise invalid_params("failed to deserialize solana_transaction::versioned::"
                                 "VersionedTransaction: %s" % e)
        return tx, config

    def _blockhash_ok(self, tx):
        return str(tx.message.recent_blockhash) in self.blockhashes

    def _verify_signatures(self, tx):
        try:
            ok = tx.verify_with_results()
        except Exception:
            return False
        return all(ok)

    def _simulate(self, tx):
        self._sync_clock()
        result = self.svm.simulate_transaction(tx)
        if hasattr(result, "err"):
            err = error_json(result.err())
            meta = result.meta()
        else:
            err = None
            meta = result.meta()
        return err, meta

    def _sim_result(self, err, meta, replacement=None):
        data = RpcSimulateTransactionResult(
            err=None, logs=list(meta.logs()), accounts=None,
            units_consumed=meta.compute_units_consumed(), return_data=None)
        value = json.loads(data.to_json())
        value["err"] = err
        value["fee"] = meta.fee() if hasattr(meta, "fee") else None
        if replacement is not None:
            value["replacementBlockhash"] = replacement
        return value

    def send_transaction(self, params):
        tx, config = self.decode_transaction(params, "base58")
        signature = str(tx.signatures[0])
        with self.lock:
            if not self._verify_signatures(tx):
                raise RpcError(TRANSACTION_SIGNATURE_VERIFICATION_FAILURE,
                               "Transaction signature verification failure")
            skip = bool(config.get("skipPreflight", False))
            if not self._blockhash_ok(tx):
                if skip:
                    return signature  # a cluster drops it; the status stays null
                raise RpcError(SEND_TRANSACTION_PREFLIGHT_FAILURE,
                               "Transaction simulation failed: Blockhash not found",
                               {"err": "BlockhashNotFound", "logs": [], "accounts": None,
                                "unitsConsumed": 0, "returnData": None})
            if signature in self.statuses:
                raise RpcError(SEND_TRANSACTION_PREFLIGHT_FAILURE,
                               "Transaction simulation failed: This transaction has already "
                               "been processed",
                               {"err": "AlreadyProcessed", "logs": [], "accounts": None,
                                "unitsConsumed": 0, "returnData": None})
            if not skip:
                err, meta = self._simulate(tx)
                if err is not None:
                    raise RpcError(SEND_TRANSACTION_PREFLIGHT_FAILURE,
                                   "Transaction simulation failed: " + error_message(err),
                                   self._sim_result(err, meta))
            self._sync_clock()
            result = self.svm.send_transaction(tx)
            err = error_json(result.err()) if hasattr(result, "err") else None
            if err in ("AccountNotFound", "InsufficientFundsForFee", "BlockhashNotFound",
                       "AlreadyProcessed", "SignatureFailure", "InvalidAccountForFee"):
                # Not committed at all: a cluster would not record it either.
                return signature
            self._record(signature, err)
            self._remember([str(k) for k in tx.message.account_keys])
            self._next_slot()
            return signature

    def simulate_transaction(self, params):
        tx, config = self.decode_transaction(params, "base58")
        sig_verify = bool(config.get("sigVerify", False))
        replace = bool(config.get("replaceRecentBlockhash", False))
        if sig_verify and replace:
            raise invalid_params("sigVerify may not be used with replaceRecentBlockhash")
        with self.lock:
            replacement = None
            if replace:
                latest = self.blockhashes[-1]
                msg = _replace_blockhash(tx.message, latest)
                tx = VersionedTransaction.populate(msg, tx.signatures)
                replacement = {"blockhash": latest, "lastValidBlockHeight": self.slot + BLOCKHASH_QUEUE}
            elif not self._blockhash_ok(tx):
                return {"context": self.context(),
                        "value": {"err": "BlockhashNotFound", "logs": [], "accounts": None,
                                  "unitsConsumed": 0, "returnData": None}}
            if sig_verify and not self._verify_signatures(tx):
                raise RpcError(TRANSACTION_SIGNATURE_VERIFICATION_FAILURE,
                               "Transaction signature verification failure")
            self.svm.with_sigverify(sig_verify)
            try:
                err, meta = self._simulate(tx)
            finally:
                self.svm.with_sigverify(True)
            return {"context": self.context(), "value": self._sim_result(err, meta, replacement)}

    def request_airdrop(self, params):
        if not isinstance(params, list) or len(params) < 2:
            raise invalid_params("Invalid params: expected [pubkey, lamports]")
        address = parse_pubkey(params[0])
        lamports = params[1]
        if not isinstance(lamports, int) or isinstance(lamports, bool) or not 0 < lamports < 2**64:
            raise invalid_params("Invalid params: lamports must be a positive u64")
        with self.lock:
            self._sync_clock()
            result = self.svm.airdrop(address, lamports)
            if hasattr(result, "err"):
                raise RpcError(INTERNAL_ERROR, "airdrop failed: %s" % error_message(error_json(result.err())))
            signature = str(result.signature())
            self._record(signature, None)
            self._remember([str(address)])
            self._next_slot()
            return signature

    def fee_for_message(self, params):
        if not isinstance(params, list) or not params or not isinstance(params[0], str):
            raise invalid_params("Invalid params: expected [base64 message]")
        try:
            raw = base64.b64decode(params[0], validate=True)
            msg = Message.from_bytes(raw)
        except Exception as e:
            raise invalid_params("invalid message: %s" % e)
        with self.lock:
            if str(msg.recent_blockhash) not in self.blockhashes:
                return {"context": self.context(), "value": None}
            sigs = msg.header.num_required_signatures
            for ix in msg.instructions:
                program = str(msg.account_keys[ix.program_id_index]) \
                    if ix.program_id_index < len(msg.account_keys) else ""
                if program in (ED25519_PROGRAM, SECP256K1_PROGRAM, SECP256R1_PROGRAM) and ix.data:
                    sigs += ix.data[0]
            return {"context": self.context(), "value": sigs * LAMPORTS_PER_SIGNATURE}


def _replace_blockhash(msg, latest):
    """A copy of a legacy or v0 message with another recent blockhash."""
    raw = bytearray(to_bytes_versioned(msg) if not isinstance(msg, Message) else bytes(msg))
    # The blockhash follows the header and the account keys.
    pos = 1 if raw[0] & 0x80 else 0
    pos += 3
    count, shift = 0, 0
    while True:
        b = raw[pos]
        pos += 1
        count |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            break
    pos += 32 * count
    raw[pos:pos + 32] = bytes(Hash.from_string(latest))
    if isinstance(msg, Message):
        return Message.from_bytes(bytes(raw))
    from solders.message import from_bytes_versioned
    return from_bytes_versioned(bytes(raw))


def parse_pubkey(value):
    if not isinstance(value, str):
        raise invalid_params("Invalid params: expected a base58 public key")
    try:
        raw = b58decode(value)
    except ValueError:
        raise invalid_params("Invalid param: Invalid")
    if len(raw) != 32:
        raise invalid_params("Invalid param: WrongSize")
    return Pubkey(raw)


def config_of(params, index):
    if len(params) > index and params[index] is not None:
        if not isinstance(params[index], dict):
            raise invalid_params("Invalid params: the config must be an object")
        return params[index]
    return {}


def encode_account(acct, encoding):
    if acct is None or acct.lamports == 0:
        return None
    data = bytes(acct.data)
    if encoding in ("base64", "jsonParsed", None):
        encoded = [base64.b64encode(data).decode(), "base64"]
    elif encoding == "base58":
        if len(data) > 128:
            raise RpcError(INVALID_REQUEST, "Encoded binary (base 58) data should be less than "
                                            "128 bytes, please use Base64 encoding.")
        encoded = [b58encode(data), "base58"]
    else:
        raise invalid_params("unsupported encoding: %s" % encoding)
    return {"data": encoded, "executable": acct.executable, "lamports": acct.lamports,
            "owner": str(acct.owner), "rentEpoch": acct.rent_epoch, "space": len(data)}


class Rpc:
    def __init__(self, chain):
        self.chain = chain
        self.methods = {
            "getHealth": lambda p: "ok",
            "getVersion": lambda p: {"solana-core": VERSION, "feature-set": 0},
            "getSlot": lambda p: self.chain.slot,
            "getBlockHeight": lambda p: self.chain.slot,
            "getLatestBlockhash": self.get_latest_blockhash,
            "isBlockhashValid": self.is_blockhash_valid,
            "getBalance": self.get_balance,
            "getAccountInfo": self.get_account_info,
            "getMultipleAccounts": self.get_multiple_accounts,
            "getProgramAccounts": self.get_program_accounts,
            "getMinimumBalanceForRentExemption": self.get_minimum_balance,
            "getFeeForMessage": lambda p: self.chain.fee_for_message(p),
            "requestAirdrop": lambda p: self.chain.request_airdrop(p),
            "sendTransaction": lambda p: self.chain.send_transaction(p),
            "simulateTransaction": lambda p: self.chain.simulate_transaction(p),
            "getSignatureStatuses": self.get_signature_statuses,
            "localnet_advanceClock": self.advance_clock,
            "localnet_getClock": self.get_clock,
        }

    def get_latest_blockhash(self, params):
        with self.chain.lock:
            return {"context": self.chain.context(),
                    "value": {"blockhash": self.chain.blockhashes[-1],
                              "lastValidBlockHeight": self.chain.slot + BLOCKHASH_QUEUE}}

    def is_blockhash_valid(self, params):
        if not params or not isinstance(params[0], str):
            raise invalid_params("Invalid params: expected [blockhash]")
        with self.chain.lock:
            return {"context": self.chain.context(), "value": params[0] in self.chain.blockhashes}

    def get_balance(self, params):
        if not params:
            raise invalid_params("Invalid params: expected [pubkey]")
        address = parse_pubkey(params[0])
        with self.chain.lock:
            acct = self.chain.svm.get_account(address)
            return {"context": self.chain.context(), "value": acct.lamports if acct else 0}

    def get_account_info(self, params):
        if not params:
            raise invalid_params("Invalid params: expected [pubkey, config?]")
        address = parse_pubkey(params[0])
        encoding = config_of(params, 1).get("encoding", "base58")
        with self.chain.lock:
            acct = self.chain.svm.get_account(address)
            return {"context": self.chain.context(), "value": encode_account(acct, encoding)}

    def get_multiple_accounts(self, params):
        if not params or not isinstance(params[0], list) or len(params[0]) > 100:
            raise invalid_params("Invalid params: expected [[pubkey, ...] (at most 100), config?]")
        addresses = [parse_pubkey(a) for a in params[0]]
        encoding = config_of(params, 1).get("encoding", "base64")
        with self.chain.lock:
            return {"context": self.chain.context(),
                    "value": [encode_account(self.chain.svm.get_account(a), encoding)
                              for a in addresses]}

    def get_program_accounts(self, params):
        if not params:
            raise invalid_params("Invalid params: expected [program id, config?]")
        program = parse_pubkey(params[0])
        config = config_of(params, 1)
        encoding = config.get("encoding", "base64")
        filters = config.get("filters") or []
        if not isinstance(filters, list) or len(filters) > 4:
            raise invalid_params("Invalid params: filters must be a list of at most 4")
        checks = []
        for f in filters:
            if not isinstance(f, dict) or len(f) != 1:
                raise invalid_params("Invalid params: a filter is {dataSize: n} or {memcmp: {offset, bytes}}")
            if "dataSize" in f:
                size = f["dataSize"]
                if not isinstance(size, int) or isinstance(size, bool) or size < 0:
                    raise invalid_params("Invalid params: dataSize must be a non-negative integer")
                checks.append(lambda data, size=size: len(data) == size)
            elif "memcmp" in f:
                m = f["memcmp"]
                if not isinstance(m, dict) or not isinstance(m.get("offset"), int) or not isinstance(m.get("bytes"), str):
                    raise invalid_params("Invalid params: memcmp needs offset and bytes")
                try:
                    if m.get("encoding", "base58") == "base64":
                        want = base64.b64decode(m["bytes"], validate=True)
                    else:
                        want = b58decode(m["bytes"])
                except (ValueError, base64.binascii.Error):
                    raise invalid_params("Invalid params: memcmp bytes are not valid")
                if len(want) > 128:
                    raise invalid_params("Invalid params: memcmp bytes longer than 128")
                offset = m["offset"]
                checks.append(lambda data, offset=offset, want=want: data[offset:offset + len(want)] == want)
            else:
                raise invalid_params("Invalid params: unknown filter %s" % next(iter(f)))
        with self.chain.lock:
            found = []
            for address, acct in self.chain.svm.get_program_accounts(program):
                data = bytes(acct.data)
                if acct.lamports == 0 or not all(c(data) for c in checks):
                    continue
                found.append({"pubkey": str(address), "account": encode_account(acct, encoding)})
            if config.get("withContext"):
                return {"context": self.chain.context(), "value": found}
            return found

    def get_minimum_balance(self, params):
        if not params or not isinstance(params[0], int) or isinstance(params[0], bool) \
                or not 0 <= params[0] <= 10 * 1024 * 1024:
            raise invalid_params("Invalid params: expected [data length (0 ... 10 MiB)]")
        with self.chain.lock:
            return self.chain.svm.minimum_balance_for_rent_exemption(params[0])

    def get_signature_statuses(self, params):
        if not params or not isinstance(params[0], list) or len(params[0]) > 256:
            raise invalid_params("Invalid params: expected [[signature, ...] (at most 256), config?]")
        out = []
        with self.chain.lock:
            for sig in params[0]:
                if not isinstance(sig, str):
                    raise invalid_params("Invalid params: signatures must be strings")
                entry = self.chain.statuses.get(sig)
                if entry is None:
                    out.append(None)
                    continue
                slot, err = entry
                out.append({"slot": slot, "confirmations": None, "err": err,
                            "status": {"Ok": None} if err is None else {"Err": err},
                            "confirmationStatus": "finalized"})
            return {"context": self.chain.context(), "value": out}

    def advance_clock(self, params):
        if isinstance(params, dict):
            seconds = params.get("seconds")
        elif isinstance(params, list) and params:
            seconds = params[0]
        else:
            seconds = None
        if not isinstance(seconds, int) or isinstance(seconds, bool) or not 0 <= seconds <= 10**10:
            raise invalid_params("Invalid params: expected [seconds] (a non-negative integer)")
        return self.chain.advance_clock(seconds)

    def get_clock(self, params):
        with self.chain.lock:
            return {"unixTimestamp": self.chain.now(), "offsetSeconds": self.chain.clock_offset,
                    "slot": self.chain.slot}

    def handle_one(self, request):
        rid = None
        try:
            if not isinstance(request, dict):
                raise RpcError(INVALID_REQUEST, "Invalid request")
            rid = request.get("id")
            if request.get("jsonrpc") != "2.0" or not isinstance(request.get("method"), str):
                raise RpcError(INVALID_REQUEST, "Invalid request")
            method = self.methods.get(request["method"])
            if method is None:
                raise RpcError(METHOD_NOT_FOUND, "Method not found")
            params = request.get("params", [])
            if params is None:
                params = []
            if not isinstance(params, (list, dict)):
                raise invalid_params("Invalid params: params must be an array")
            if isinstance(params, dict) and request["method"] != "localnet_advanceClock":
                raise invalid_params("Invalid params: params must be an array")
            result = method(params)
            return {"jsonrpc": "2.0", "result": result, "id": rid}
        except RpcError as e:
            err = {"code": e.code, "message": e.message}
            if e.data is not None:
                err["data"] = e.data
            return {"jsonrpc": "2.0", "error": err, "id": rid}
        except Exception as e:  # never let one request take the server down
            sys.stderr.write("localnet: internal error: %r\n" % (e,))
            return {"jsonrpc": "2.0", "error": {"code": INTERNAL_ERROR, "message": "Internal error: %s" % e},
                    "id": rid}

    def handle(self, body):
        try:
            request = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return {"jsonrpc": "2.0", "error": {"code": PARSE_ERROR, "message": "Parse error"}, "id": None}
        if isinstance(request, list):
            if not request or len(request) > MAX_BATCH:
                return {"jsonrpc": "2.0", "error": {"code": INVALID_REQUEST, "message": "Invalid request"},
                        "id": None}
            return [self.handle_one(r) for r in request]
        return self.handle_one(request)


def make_handler(rpc):
    class Handler(BaseHandler):
        server_version = "localnet"

        def do_GET(self):
            if self.path == "/health":
                self.send_bytes(200, b"ok", "text/plain")
            else:
                self.send_bytes(405, b"Used HTTP Method is not allowed. POST or OPTIONS is required", "text/plain")

        def do_POST(self):
            try:
                body = self.read_body(MAX_BODY)
            except BodyError as e:
                # The rest of a refused body is never read: the connection cannot be reused.
                self.close_connection = True
                self.send_bytes(e.status, e.message.encode(), "text/plain")
                return
            self.send_json(200, rpc.handle(body))

    return Handler


def serve(port, ledger=None, exit_with=None):
    """Serves JSON-RPC on 127.0.0.1:`port` until SIGTERM, SIGINT or the end
    of process `exit_with`; writes the bound port to LEDGER/localnet.port
    (so `--port 0` lets the OS pick one)."""
    def log(msg):
        sys.stderr.write(time.strftime("%H:%M:%S ") + "localnet: " + msg + "\n")
        sys.stderr.flush()

    chain = Chain(ledger)
    server = LoopbackServer(port, make_handler(Rpc(chain)))
    # BaseHandler logs every request through server.log; only when asked.
    server.log = log if os.environ.get("LOCALNET_LOG_REQUESTS") else (lambda msg: None)
    if ledger:
        os.makedirs(ledger, exist_ok=True)
        lifecycle.write_atomic(lifecycle.port_path(ledger, "localnet"), "%d\n" % server.port)

    shutdown = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: shutdown.set())
    signal.signal(signal.SIGINT, lambda signum, frame: shutdown.set())
    if exit_with:
        lifecycle.watch_parent(exit_with, shutdown, log)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    log("listening on http://127.0.0.1:%d (ledger %s)" % (server.port, ledger or "none"))
    while not shutdown.wait(1.0):
        pass
    server.shutdown()
    server.server_close()
    log("stopped")
    return 0
