/*
 * paychannel: a unidirectional payment-channel escrow for Solana (SBPFv0).
 *
 * One translation unit, no libc. Built by programs/build with the Swift
 * toolchain's clang (-target bpfel -mcpu=v2) and linked by programs/link.py.
 *
 * Accounts, instruction data and error codes are documented in
 * docs/paychannel-program.md; the voucher bytes in docs/vouchers.md.
 * Every rule is checked here, on chain: nothing the client says is trusted.
 */

typedef unsigned char uint8_t;
typedef unsigned short uint16_t;
typedef unsigned int uint32_t;
typedef unsigned long long uint64_t;
typedef long long int64_t;
typedef _Bool bool;
#define true 1
#define false 0
#define NULL ((void *)0)

/* ---------------------------------------------------------------------- */
/* Runtime ABI (the C calling convention of the Solana runtime's syscalls)  */

typedef struct { uint8_t x[32]; } SolPubkey;

typedef struct {
  SolPubkey *key;
  uint64_t *lamports;
  uint64_t data_len;
  uint8_t *data;
  SolPubkey *owner;
  uint64_t rent_epoch;
  bool is_signer;
  bool is_writable;
  bool executable;
} SolAccountInfo;

typedef struct {
  SolPubkey *pubkey;
  bool is_writable;
  bool is_signer;
} SolAccountMeta;

typedef struct {
  SolPubkey *program_id;
  SolAccountMeta *accounts;
  uint64_t account_len;
  uint8_t *data;
  uint64_t data_len;
} SolInstruction;

typedef struct {
  const uint8_t *addr;
  uint64_t len;
} SolSignerSeed;

typedef struct {
  const SolSignerSeed *addr;
  uint64_t len;
} SolSignerSeeds;

typedef struct {
  uint64_t slot;
  int64_t epoch_start_timestamp;
  uint64_t epoch;
  uint64_t leader_schedule_epoch;
  int64_t unix_timestamp;
} SolClock;

typedef struct {
  uint64_t lamports_per_byte_year;
  uint64_t exemption_threshold_bits; /* an f64, decoded without floats */
  uint8_t burn_percent;
} SolRent;

extern void sol_log_(const char *message, uint64_t len);
extern uint64_t sol_get_clock_sysvar(void *clock);
extern uint64_t sol_get_rent_sysvar(void *rent);
extern uint64_t sol_try_find_program_address(const SolSignerSeed *seeds, uint64_t seeds_len,
                                             const SolPubkey *program_id, SolPubkey *address,
                                             uint8_t *bump);
extern uint64_t sol_invoke_signed_c(const SolInstruction *instruction,
                                    const SolAccountInfo *account_infos, uint64_t account_infos_len,
                                    const SolSignerSeeds *signers_seeds, uint64_t signers_seeds_len);

/* The compiler may lower struct copies to these; keep them byte loops that
 * cannot be turned back into calls (volatile). */
void *memcpy(void *dst, const void *src, uint64_t n) {
  volatile uint8_t *d = dst;
  const uint8_t *s = src;
  for (uint64_t i = 0; i < n; i++) d[i] = s[i];
  return dst;
}
void *memset(void *dst, int c, uint64_t n) {
  volatile uint8_t *d = dst;
  for (uint64_t i = 0; i < n; i++) d[i] = (uint8_t)c;
  return dst;
}

#define LOG(s) sol_log_(s, sizeof(s) - 1)

/* ---------------------------------------------------------------------- */
/* Program constants                                                        */

#define MAX_ACCOUNTS 8
#define MAX_PERMITTED_DATA_INCREASE 10240
#define ACCOUNT_STORAGE_OVERHEAD 128

enum {
  IX_OPEN = 0,
  IX_TOP_UP = 1,
  IX_EXTEND = 2,
  IX_CLAIM = 3,
  IX_CLOSE = 4,
};

/* Custom error codes (the transaction fails with InstructionError Custom(n)). */
enum {
  ERR_INVALID_INSTRUCTION = 100,
  ERR_NOT_ENOUGH_ACCOUNTS = 101,
  ERR_MISSING_SIGNATURE = 102,
  ERR_NOT_WRITABLE = 103,
  ERR_WRONG_OWNER = 104,
  ERR_WRONG_ACCOUNT_SIZE = 105,
  ERR_WRONG_CHANNEL_ADDRESS = 106,
  ERR_WRONG_PAYER = 107,
  ERR_WRONG_PAYEE = 108,
  ERR_WRONG_SYSTEM_PROGRAM = 109,
  ERR_WRONG_SYSVAR = 110,
  ERR_EXPIRY_IN_PAST = 111,
  ERR_NOT_EXPIRED = 112,
  ERR_OVERFLOW = 113,
  ERR_AMOUNT_OVER_DEPOSIT = 114,
  ERR_VOUCHER_NOT_NEWER = 115,
  ERR_MISSING_ED25519 = 116,
  ERR_BAD_ED25519 = 117,
  ERR_ACCOUNT_IN_USE = 118,
  ERR_NOT_INITIALIZED = 119,
  ERR_ZERO_AMOUNT = 120,
  ERR_EXPIRY_NOT_LATER = 121,
  ERR_UNAUTHORIZED = 122,
  ERR_TOO_MANY_ACCOUNTS = 123,
  ERR_RENT = 124,
  ERR_SAME_SLOT = 125,
};

static const SolPubkey SYSTEM_PROGRAM_ID = {{0}};

static const SolPubkey ED25519_PROGRAM_ID = {{
    0x03, 0x7d, 0x46, 0xd6, 0x7c, 0x93, 0xfb, 0xbe, 0x12, 0xf9, 0x42, 0x8f, 0x83, 0x8d, 0x40, 0xff,
    0x05, 0x70, 0x74, 0x49, 0x27, 0xf4, 0x8a, 0x64, 0xfc, 0xca, 0x70, 0x44, 0x80, 0x00, 0x00, 0x00}};

static const SolPubkey INSTRUCTIONS_SYSVAR_ID = {{
    0x06, 0xa7, 0xd5, 0x17, 0x18, 0x7b, 0xd1, 0x66, 0x35, 0xda, 0xd4, 0x04, 0x55, 0xfd, 0xc2, 0xc0,
    0xc1, 0x24, 0xc6, 0x8f, 0x21, 0x56, 0x75, 0xa5, 0xdb, 0xba, 0xcb, 0x5f, 0x08, 0x00, 0x00, 0x00}};

/* Seed prefix of the channel address and the vouchers' domain prefixes:
 * version 2 binds the channel's opening; version 1 (channels opened by the
 * first version of this program) does not. */
static const char CHANNEL_SEED[7] = {'c', 'h', 'a', 'n', 'n', 'e', 'l'};
#define VOUCHER_DOMAIN_V1 "peernode-voucher-v1"
#define VOUCHER_DOMAIN_V2 "peernode-voucher-v2"
#define VOUCHER_DOMAIN_LEN 19
#define VOUCHER_V1_LEN (VOUCHER_DOMAIN_LEN + 32 + 8 + 8)     /* 67 */
#define VOUCHER_V2_LEN (VOUCHER_DOMAIN_LEN + 32 + 8 + 8 + 8) /* 75 */

/* The channel account's data: 112 bytes, little endian, see the docs.
 * Version 1 accounts (opened before this version) have no opening (zero);
 * `open` writes version 2. Both are served: the layout did not move. */
#define CHANNEL_VERSION_1 1
#define CHANNEL_VERSION 2
#define OPENING_LIMIT (1ULL << 48)
typedef struct {
  uint8_t version;   /* 0: CHANNEL_VERSION once opened (1 for older channels) */
  uint8_t bump;      /* 1: the address's bump seed */
  uint8_t opening[6]; /* 2: u48 LE, the slot this opening of the channel was
                         made in (version 2; zero in version 1). Bound into
                         every voucher, so a voucher of an earlier opening
                         of the same address is worth nothing. */
  SolPubkey payer;   /* 8 */
  SolPubkey payee;   /* 40 */
  uint64_t channel_id; /* 72 */
  int64_t expiry;    /* 80: unix seconds; the payer may close at or after it */
  uint64_t deposit;  /* 88: lamports deposited in total (open + top-ups) */
  uint64_t claimed;  /* 96: cumulative lamports paid to the payee */
  uint64_t sequence; /* 104: sequence of the last voucher claimed (not checked) */
} Channel;         /* 112 */

_Static_assert(sizeof(Channel) == 112, "channel layout");

/* ---------------------------------------------------------------------- */
/* Small helpers                                                            */

static bool key_eq(const SolPubkey *a, const SolPubkey *b) {
  const uint64_t *x = (const uint64_t *)a, *y = (const uint64_t *)b;
  return x[0] == y[0] && x[1] == y[1] && x[2] == y[2] && x[3] == y[3];
}

/* Byte-wise compare for data that may be unaligned (instruction sysvar). */
static bool bytes_eq(const uint8_t *a, const uint8_t *b, uint64_t n) {
  uint8_t diff = 0;
  for (uint64_t i = 0; i < n; i++) diff |= (uint8_t)(a[i] ^ b[i]);
  return diff == 0;
}

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | ((uint16_t)p[1] << 8)); }

static uint64_t rd64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}

static void wr64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) { p[i] = (uint8_t)v; v >>= 8; }
}

static int64_t now_unix(void) {
  SolClock clock;
  sol_get_clock_sysvar(&clock);
  return clock.unix_timestamp;
}

static uint64_t now_slot(void) {
  SolClock clock;
  sol_get_clock_sysvar(&clock);
  return clock.slot;
}

static uint64_t opening_of(const Channel *c) {
  uint64_t v = 0;
  for (int i = 5; i >= 0; i--) v = (v << 8) | c->opening[i];
  return v;
}

/* Rent-exempt minimum for `size` bytes: (128 + size) * lamports_per_byte_year
 * * exemption_threshold, with the f64 threshold decoded by integer arithmetic
 * (SBPF has no floating point). Returns RENT_UNKNOWN when it cannot. */
#define RENT_UNKNOWN 0xFFFFFFFFFFFFFFFFULL
static uint64_t rent_exempt_minimum(uint64_t size) {
  SolRent rent;
  if (sol_get_rent_sysvar(&rent) != 0) return RENT_UNKNOWN;
  uint64_t base = (ACCOUNT_STORAGE_OVERHEAD + size) * rent.lamports_per_byte_year;
  uint64_t bits = rent.exemption_threshold_bits;
  int64_t exp = (int64_t)((bits >> 52) & 0x7ff) - 1023;
  uint64_t mant = (bits & ((1ULL << 52) - 1)) | (1ULL << 52);
  if (bits == 0) return 0; /* threshold 0: nothing needed */
  if ((bits >> 63) != 0 || exp < -31 || exp > 20 || base >= (1ULL << 31)) return RENT_UNKNOWN;
  uint64_t top = mant >> 21;          /* 32 significant bits */
  uint64_t v = base * top;            /* < 2^63 */
  int64_t shift = 31 - exp;           /* value = v * 2^(exp - 31) */
  if (shift >= 0) {
    uint64_t q = v >> shift;
    if ((q << shift) != v) q += 1;    /* round up: never under-fund */
    return q;
  }
  return v << (-shift);
}

/* ---------------------------------------------------------------------- */
/* Input deserialization (the runtime's aligned serialization)             */

typedef struct {
  SolAccountInfo accounts[MAX_ACCOUNTS];
  uint64_t account_count;
  const uint8_t *data;
  uint64_t data_len;
  const SolPubkey *program_id;
} Input;

static uint64_t deserialize(uint8_t *input, Input *out) {
  uint64_t n = *(uint64_t *)input;
  input += 8;
  if (n > MAX_ACCOUNTS) return ERR_TOO_MANY_ACCOUNTS;
  for (uint64_t i = 0; i < n; i++) {
    uint8_t dup = *input;
    input += 1;
    if (dup != 0xFF) {
      if (dup >= i) return ERR_INVALID_INSTRUCTION;
      out->accounts[i] = out->accounts[dup];
      input += 7;
      continue;
    }
    SolAccountInfo *a = &out->accounts[i];
    a->is_signer = *input != 0;
    input += 1;
    a->is_writable = *input != 0;
    input += 1;
    a->executable = *input != 0;
    input += 1;
    input += 4; /* padding */
    a->key = (SolPubkey *)input;
    input += 32;
    a->owner = (SolPubkey *)input;
    input += 32;
    a->lamports = (uint64_t *)input;
    input += 8;
    a->data_len = *(uint64_t *)input;
    input += 8;
    a->data = input;
    input += a->data_len + MAX_PERMITTED_DATA_INCREASE;
    input = (uint8_t *)(((uint64_t)input + 7) & ~7ULL);
    a->rent_epoch = *(uint64_t *)input;
    input += 8;
  }
  out->account_count = n;
  out->data_len = *(uint64_t *)input;
  input += 8;
  out->data = input;
  input += out->data_len;
  out->program_id = (const SolPubkey *)input;
  return 0;
}

/* The live data length of a serialized account (it changes after a CPI
 * that allocates): the runtime keeps it in the 8 bytes before the data. */
static uint64_t live_data_len(const SolAccountInfo *a) { return *(const uint64_t *)(a->data - 8); }

/* A channel account that this program owns, of the right size, opened. */
static uint64_t load_channel(const Input *in, const SolAccountInfo *a, Channel **out) {
  if (!key_eq(a->owner, in->program_id)) return ERR_WRONG_OWNER;
  if (live_data_len(a) != sizeof(Channel)) return ERR_WRONG_ACCOUNT_SIZE;
  Channel *c = (Channel *)a->data;
  if (c->version != CHANNEL_VERSION && c->version != CHANNEL_VERSION_1) return ERR_NOT_INITIALIZED;
  if (!a->is_writable) return ERR_NOT_WRITABLE;
  *out = c;
  return 0;
}

/* ---------------------------------------------------------------------- */
/* System program calls                                                     */

static uint64_t system_call(SolAccountInfo *accounts, uint64_t count, SolAccountMeta *metas,
                            uint64_t meta_count, uint8_t *data, uint64_t data_len,
                            const SolSignerSeeds *seeds, uint64_t seeds_count) {
  SolInstruction ix;
  ix.program_id = (SolPubkey *)&SYSTEM_PROGRAM_ID;
  ix.accounts = metas;
  ix.account_len = meta_count;
  ix.data = data;
  ix.data_len = data_len;
  return sol_invoke_signed_c(&ix, accounts, count, seeds, seeds_count);
}

static uint64_t system_transfer(SolAccountInfo *from, SolAccountInfo *to, uint64_t lamports) {
  SolAccountInfo infos[2] = {*from, *to};
  SolAccountMeta metas[2] = {{from->key, true, true}, {to->key, true, false}};
  uint8_t data[12];
  data[0] = 2; data[1] = 0; data[2] = 0; data[3] = 0;
  wr64(data + 4, lamports);
  return system_call(infos, 2, metas, 2, data, sizeof(data), NULL, 0);
}

/* ---------------------------------------------------------------------- */
/* open                                                                     */
/* accounts: 0 payer (signer, writable), 1 payee, 2 channel (writable),     */
/*           3 system program                                               */
/* data: u8 0, u64 channel_id, u64 deposit, i64 expiry                      */

static uint64_t do_open(Input *in) {
  if (in->data_len != 25) return ERR_INVALID_INSTRUCTION;
  if (in->account_count < 4) return ERR_NOT_ENOUGH_ACCOUNTS;
  SolAccountInfo *payer = &in->accounts[0];
  SolAccountInfo *payee = &in->accounts[1];
  SolAccountInfo *channel = &in->accounts[2];
  SolAccountInfo *system = &in->accounts[3];
  uint64_t channel_id = rd64(in->data + 1);
  uint64_t deposit = rd64(in->data + 9);
  int64_t expiry = (int64_t)rd64(in->data + 17);

  if (!payer->is_signer) return ERR_MISSING_SIGNATURE;
  if (!payer->is_writable || !channel->is_writable) return ERR_NOT_WRITABLE;
  if (!key_eq(system->key, &SYSTEM_PROGRAM_ID)) return ERR_WRONG_SYSTEM_PROGRAM;
  if (deposit == 0) return ERR_ZERO_AMOUNT;
  if (expiry <= now_unix()) return ERR_EXPIRY_IN_PAST;
  /* This opening is named by its slot: `close` refuses to run in the slot of
   * the opening, so a later opening of the same address has a later slot. */
  uint64_t opening = now_slot();
  if (opening == 0 || opening >= OPENING_LIMIT) return ERR_OVERFLOW;

  /* The channel's address is the program address of
   * ["channel", payer, payee, channel_id (u64 LE)] with the canonical bump. */
  uint8_t id_le[8];
  wr64(id_le, channel_id);
  SolSignerSeed seeds[5] = {
      {(const uint8_t *)CHANNEL_SEED, sizeof(CHANNEL_SEED)},
      {payer->key->x, 32},
      {payee->key->x, 32},
      {id_le, 8},
      {NULL, 1},
  };
  SolPubkey expected;
  uint8_t bump = 0;
  if (sol_try_find_program_address(seeds, 4, in->program_id, &expected, &bump) != 0)
    return ERR_WRONG_CHANNEL_ADDRESS;
  if (!key_eq(&expected, channel->key)) return ERR_WRONG_CHANNEL_ADDRESS;
  seeds[4].addr = &bump;
  SolSignerSeeds signer = {seeds, 5};

  /* A fresh address: nothing there yet, or only lamports someone sent to it. */
  if (!key_eq(channel->owner, &SYSTEM_PROGRAM_ID) || live_data_len(channel) != 0)
    return ERR_ACCOUNT_IN_USE;

  uint64_t rent = rent_exempt_minimum(sizeof(Channel));
  if (rent == RENT_UNKNOWN) return ERR_RENT;
  uint64_t total = rent + deposit;
  if (total < deposit) return ERR_OVERFLOW;

  SolAccountInfo infos[3] = {*payer, *channel, *system};
  uint64_t err;
  if (*channel->lamports == 0) {
    /* CreateAccount { lamports, space, owner } */
    SolAccountMeta metas[2] = {{payer->key, true, true}, {channel->key, true, true}};
    uint8_t data[52];
    data[0] = 0; data[1] = 0; data[2] = 0; data[3] = 0;
    wr64(data + 4, total);
    wr64(data + 12, sizeof(Channel));
    for (int i = 0; i < 32; i++) data[20 + i] = in->program_id->x[i];
    err = system_call(infos, 3, metas, 2, data, sizeof(data), &signer, 1);
    if (err) return err;
  } else {
    /* Pre-funded address: CreateAccount would refuse it, so transfer,
     * allocate and assign (the extra lamports go back to the payer at close). */
    err = system_transfer(payer, channel, total);
    if (err) return err;
    SolAccountMeta meta[1] = {{channel->key, true, true}};
    uint8_t alloc[12];
    alloc[0] = 8; alloc[1] = 0; alloc[2] = 0; alloc[3] = 0;
    wr64(alloc + 4, sizeof(Channel));
    err = system_call(infos, 3, meta, 1, alloc, sizeof(alloc), &signer, 1);
    if (err) return err;
    uint8_t assign[36];
    assign[0] = 1; assign[1] = 0; assign[2] = 0; assign[3] = 0;
    for (int i = 0; i < 32; i++) assign[4 + i] = in->program_id->x[i];
    err = system_call(infos, 3, meta, 1, assign, sizeof(assign), &signer, 1);
    if (err) return err;
  }

  if (!key_eq(channel->owner, in->program_id)) return ERR_WRONG_OWNER;
  if (live_data_len(channel) != sizeof(Channel)) return ERR_WRONG_ACCOUNT_SIZE;
  Channel *c = (Channel *)channel->data;
  c->version = CHANNEL_VERSION;
  c->bump = bump;
  for (int i = 0; i < 6; i++) { c->opening[i] = (uint8_t)opening; opening >>= 8; }
  c->payer = *payer->key;
  c->payee = *payee->key;
  c->channel_id = channel_id;
  c->expiry = expiry;
  c->deposit = deposit;
  c->claimed = 0;
  c->sequence = 0;
  return 0;
}

/* ---------------------------------------------------------------------- */
/* top_up                                                                   */
/* accounts: 0 payer (signer, writable), 1 channel (writable), 2 system     */
/* data: u8 1, u64 amount                                                   */

static uint64_t do_top_up(Input *in) {
  if (in->data_len != 9) return ERR_INVALID_INSTRUCTION;
  if (in->account_count < 3) return ERR_NOT_ENOUGH_ACCOUNTS;
  SolAccountInfo *payer = &in->accounts[0];
  SolAccountInfo *channel = &in->accounts[1];
  SolAccountInfo *system = &in->accounts[2];
  uint64_t amount = rd64(in->data + 1);
  Channel *c;
  uint64_t err = load_channel(in, channel, &c);
  if (err) return err;
  if (!payer->is_signer) return ERR_MISSING_SIGNATURE;
  if (!payer->is_writable) return ERR_NOT_WRITABLE;
  if (!key_eq(payer->key, &c->payer)) return ERR_WRONG_PAYER;
  if (!key_eq(system->key, &SYSTEM_PROGRAM_ID)) return ERR_WRONG_SYSTEM_PROGRAM;
  if (amount == 0) return ERR_ZERO_AMOUNT;
  uint64_t deposit = c->deposit + amount;
  if (deposit < amount) return ERR_OVERFLOW;
  uint64_t before = *channel->lamports;
  if (before + amount < before) return ERR_OVERFLOW;
  err = system_transfer(payer, channel, amount);
  if (err) return err;
  if (*channel->lamports != before + amount) return ERR_OVERFLOW;
  c->deposit = deposit;
  return 0;
}

/* ---------------------------------------------------------------------- */
/* extend                                                                   */
/* accounts: 0 payer (signer), 1 channel (writable)                         */
/* data: u8 2, i64 new_expiry (must be later than the current one)          */

static uint64_t do_extend(Input *in) {
  if (in->data_len != 9) return ERR_INVALID_INSTRUCTION;
  if (in->account_count < 2) return ERR_NOT_ENOUGH_ACCOUNTS;
  SolAccountInfo *payer = &in->accounts[0];
  SolAccountInfo *channel = &in->accounts[1];
  int64_t expiry = (int64_t)rd64(in->data + 1);
  Channel *c;
  uint64_t err = load_channel(in, channel, &c);
  if (err) return err;
  if (!payer->is_signer) return ERR_MISSING_SIGNATURE;
  if (!key_eq(payer->key, &c->payer)) return ERR_WRONG_PAYER;
  if (expiry <= c->expiry) return ERR_EXPIRY_NOT_LATER;
  if (expiry <= now_unix()) return ERR_EXPIRY_IN_PAST;
  c->expiry = expiry;
  return 0;
}

/* ---------------------------------------------------------------------- */
/* claim                                                                    */
/* accounts: 0 channel (writable), 1 payee (writable), 2 Instructions sysvar */
/* data: u8 3, u64 cumulative amount, u64 sequence                          */
/* The instruction right before this one must be an Ed25519 precompile      */
/* instruction with one signature by the channel's payer over the voucher   */
/* bytes, all of them inside that instruction (indices 0xFFFF).             */

static uint64_t check_voucher_signature(const SolAccountInfo *sysvar, const SolPubkey *payer,
                                        const uint8_t *voucher, uint64_t voucher_len) {
  const uint8_t *d = sysvar->data;
  uint64_t len = sysvar->data_len;
  if (len < 4) return ERR_MISSING_ED25519;
  uint64_t count = rd16(d);
  uint64_t current = rd16(d + len - 2);
  if (current == 0 || current >= count) return ERR_MISSING_ED25519;
  uint64_t table_end = 2 + 2 * count;
  if (table_end > len - 2) return ERR_MISSING_ED25519;
  uint64_t off = rd16(d + 2 + 2 * (current - 1));
  if (off + 2 > len - 2) return ERR_MISSING_ED25519;
  uint64_t accounts = rd16(d + off);
  uint64_t p = off + 2 + 33 * accounts;
  if (p + 34 > len - 2) return ERR_MISSING_ED25519;
  if (!bytes_eq(d + p, ED25519_PROGRAM_ID.x, 32)) return ERR_MISSING_ED25519;
  p += 32;
  uint64_t ix_len = rd16(d + p);
  p += 2;
  if (p + ix_len > len - 2) return ERR_BAD_ED25519;
  const uint8_t *ix = d + p;
  if (ix_len < 16 || ix[0] != 1) return ERR_BAD_ED25519;
  uint64_t sig_off = rd16(ix + 2), sig_ix = rd16(ix + 4);
  uint64_t key_off = rd16(ix + 6), key_ix = rd16(ix + 8);
  uint64_t msg_off = rd16(ix + 10), msg_len = rd16(ix + 12), msg_ix = rd16(ix + 14);
  if (sig_ix != 0xFFFF || key_ix != 0xFFFF || msg_ix != 0xFFFF) return ERR_BAD_ED25519;
  if (sig_off + 64 > ix_len || key_off + 32 > ix_len || msg_off + msg_len > ix_len)
    return ERR_BAD_ED25519;
  if (!bytes_eq(ix + key_off, payer->x, 32)) return ERR_BAD_ED25519;
  if (msg_len != voucher_len || !bytes_eq(ix + msg_off, voucher, voucher_len))
    return ERR_BAD_ED25519;
  return 0;
}

static uint64_t do_claim(Input *in) {
  if (in->data_len != 17) return ERR_INVALID_INSTRUCTION;
  if (in->account_count < 3) return ERR_NOT_ENOUGH_ACCOUNTS;
  SolAccountInfo *channel = &in->accounts[0];
  SolAccountInfo *payee = &in->accounts[1];
  SolAccountInfo *sysvar = &in->accounts[2];
  uint64_t amount = rd64(in->data + 1);
  uint64_t sequence = rd64(in->data + 9);
  Channel *c;
  uint64_t err = load_channel(in, channel, &c);
  if (err) return err;
  if (!key_eq(payee->key, &c->payee)) return ERR_WRONG_PAYEE;
  if (!payee->is_writable) return ERR_NOT_WRITABLE;
  if (key_eq(payee->key, channel->key)) return ERR_WRONG_PAYEE;
  if (!key_eq(sysvar->key, &INSTRUCTIONS_SYSVAR_ID)) return ERR_WRONG_SYSVAR;

  /* The voucher bytes: version 2 binds this opening of the channel;
   * channels opened before it take the version-1 bytes. */
  uint8_t voucher[VOUCHER_V2_LEN];
  bool v2 = c->version == CHANNEL_VERSION;
  const char *domain = v2 ? VOUCHER_DOMAIN_V2 : VOUCHER_DOMAIN_V1;
  uint64_t voucher_len = v2 ? VOUCHER_V2_LEN : VOUCHER_V1_LEN;
  uint8_t *p = voucher;
  for (int i = 0; i < VOUCHER_DOMAIN_LEN; i++) *p++ = (uint8_t)domain[i];
  for (int i = 0; i < 32; i++) *p++ = channel->key->x[i];
  if (v2) { wr64(p, opening_of(c)); p += 8; }
  wr64(p, amount);
  wr64(p + 8, sequence);
  err = check_voucher_signature(sysvar, &c->payer, voucher, voucher_len);
  if (err) return err;

  /* Vouchers are ordered by their cumulative amount alone. The sequence is
   * the payer's running number for the books; were it checked, a payer
   * could claim (claimed + 1, 2^64 - 1) itself and make every voucher the
   * payee holds unclaimable. Whoever claims, the payee is paid. */
  if (amount <= c->claimed) return ERR_VOUCHER_NOT_NEWER;
  if (amount > c->deposit) return ERR_AMOUNT_OVER_DEPOSIT;
  uint64_t pay = amount - c->claimed;
  if (*channel->lamports < pay) return ERR_AMOUNT_OVER_DEPOSIT;
  if (*payee->lamports + pay < *payee->lamports) return ERR_OVERFLOW;
  *channel->lamports -= pay;
  *payee->lamports += pay;
  c->claimed = amount;
  c->sequence = sequence;
  return 0;
}

/* ---------------------------------------------------------------------- */
/* close                                                                    */
/* accounts: 0 authority (signer: the payee any time, the payer at or after */
/*           expiry), 1 channel (writable), 2 payer (writable, receives all) */
/* data: u8 4                                                               */

static uint64_t do_close(Input *in) {
  if (in->data_len != 1) return ERR_INVALID_INSTRUCTION;
  if (in->account_count < 3) return ERR_NOT_ENOUGH_ACCOUNTS;
  SolAccountInfo *authority = &in->accounts[0];
  SolAccountInfo *channel = &in->accounts[1];
  SolAccountInfo *payer = &in->accounts[2];
  Channel *c;
  uint64_t err = load_channel(in, channel, &c);
  if (err) return err;
  if (!authority->is_signer) return ERR_MISSING_SIGNATURE;
  if (!key_eq(payer->key, &c->payer)) return ERR_WRONG_PAYER;
  if (!payer->is_writable) return ERR_NOT_WRITABLE;
  if (key_eq(payer->key, channel->key)) return ERR_WRONG_PAYER;
  if (key_eq(authority->key, &c->payee)) {
    /* the payee may give up the channel at any time */
  } else if (key_eq(authority->key, &c->payer)) {
    if (now_unix() < c->expiry) return ERR_NOT_EXPIRED;
  } else {
    return ERR_UNAUTHORIZED;
  }
  /* Never in the slot of the opening: the next opening of this address then
   * lands in a later slot, and its vouchers differ from this one's. */
  if (c->version == CHANNEL_VERSION && now_slot() == opening_of(c)) return ERR_SAME_SLOT;
  uint64_t rest = *channel->lamports;
  if (*payer->lamports + rest < rest) return ERR_OVERFLOW;
  *payer->lamports += rest;
  *channel->lamports = 0;
  /* Hand the address back to the System program as it was before `open`:
   * data zeroed, length 0, owner the System program (the runtime applies a
   * new owner last, once the data is zero). With no lamports the runtime
   * removes the account afterwards. Should a later instruction of this
   * transaction send lamports to the address ("revive" it), what stays is an
   * ordinary System account that no instruction takes for a channel and
   * that a later `open` of this address takes over; never a program-owned
   * account that is no channel and that nothing could remove. */
  uint64_t *w = (uint64_t *)channel->data;
  for (uint64_t i = 0; i < sizeof(Channel) / 8; i++) w[i] = 0;
  *(uint64_t *)(channel->data - 8) = 0;
  *channel->owner = SYSTEM_PROGRAM_ID;
  return 0;
}

/* ---------------------------------------------------------------------- */

uint64_t entrypoint(uint8_t *input) {
  Input in;
  uint64_t err = deserialize(input, &in);
  if (err) return err;
  if (in.data_len < 1) return ERR_INVALID_INSTRUCTION;
  switch (in.data[0]) {
  case IX_OPEN: err = do_open(&in); break;
  case IX_TOP_UP: err = do_top_up(&in); break;
  case IX_EXTEND: err = do_extend(&in); break;
  case IX_CLAIM: err = do_claim(&in); break;
  case IX_CLOSE: err = do_close(&in); break;
  default: err = ERR_INVALID_INSTRUCTION; break;
  }
  if (err) LOG("paychannel: rejected");
  return err;
}
