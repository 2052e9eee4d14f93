/* Host fuzz harness for the channel program's instruction handling
 * (programs/paychannel.c): libFuzzer's bytes become a well-formed runtime
 * input (the runtime's aligned serialization, which the program trusts) whose
 * accounts, account data and instruction data are the fuzzer's choice; the
 * syscalls are stubbed. ASan reports any read or write outside the input.
 * Built and run by fuzz/run (target `paychannel-program`). */
#define memcpy paychannel_memcpy
#define memset paychannel_memset
#define entrypoint paychannel_entrypoint
#include "../programs/paychannel.c"
#undef memcpy
#undef memset

extern void *malloc(unsigned long);
extern void free(void *);
extern void *memcpy(void *, const void *, unsigned long);
extern void *memset(void *, int, unsigned long);

void sol_log_(const char *message, uint64_t len) { (void)message; (void)len; }
uint64_t sol_get_clock_sysvar(void *clock) {
  SolClock c = {1000, 0, 1, 1, 1700000000};
  memcpy(clock, &c, sizeof c);
  return 0;
}
uint64_t sol_get_rent_sysvar(void *rent) {
  /* lamports_per_byte_year 3480, exemption threshold 2.0 (as f64 bits), burn 50 */
  uint8_t r[17] = {0x98, 0x0d, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 50};
  memcpy(rent, r, sizeof r);
  return 0;
}
/* The "derived" address: the first seed's bytes, padded; the fuzzer can name it. */
uint64_t sol_try_find_program_address(const SolSignerSeed *seeds, uint64_t seeds_len,
                                      const SolPubkey *program_id, SolPubkey *address, uint8_t *bump) {
  (void)program_id;
  memset(address, 0x44, 32);
  for (uint64_t i = 0; i < seeds_len && i < 1; i++)
    for (uint64_t j = 0; j < seeds[i].len && j < 32; j++) address->x[j] ^= seeds[i].addr[j];
  *bump = 255;
  return 0;
}
/* A CPI succeeds and changes nothing (the System program's effects are not modelled). */
uint64_t sol_invoke_signed_c(const SolInstruction *instruction, const SolAccountInfo *infos, uint64_t n,
                             const SolSignerSeeds *seeds, uint64_t seeds_len) {
  (void)instruction; (void)infos; (void)n; (void)seeds; (void)seeds_len;
  return 0;
}

static SolPubkey key_table(uint8_t choice, const uint8_t *custom) {
  static const SolPubkey program = {{0x50, 0x43, 1}};
  SolPubkey k;
  switch (choice % 6) {
  case 0: return program;
  case 1: return SYSTEM_PROGRAM_ID;
  case 2: return INSTRUCTIONS_SYSVAR_ID;
  case 3: return ED25519_PROGRAM_ID;
  case 4: memset(&k, 0x44, 32); return k;   /* what sol_try_find_program_address answers with no seed */
  default: memcpy(&k, custom, 32); return k;
  }
}

/* Input: [accounts] then per account [flags, key, owner, 32 custom key bytes,
 * lamports 8, data_len 2] + data; the rest is the instruction data. */
int LLVMFuzzerTestOneInput(const uint8_t *data, unsigned long size) {
  const uint8_t *p = data, *end = data + size;
  if (size < 1) return 0;
  uint64_t accounts = *p++ % (MAX_ACCOUNTS + 2); /* one over the limit too */
  uint64_t cap = 8 + accounts * (8 + 96 + 8 + 8 + 0xFFFF + MAX_PERMITTED_DATA_INCREASE + 16) + 16 + size + 32;
  uint8_t *buf = malloc(cap);
  memset(buf, 0, cap);
  uint8_t *w = buf;
  *(uint64_t *)w = accounts; w += 8;
  for (uint64_t i = 0; i < accounts; i++) {
    if (end - p < 45) { free(buf); return 0; }
    uint8_t flags = p[0];
    if (i > 0 && (flags & 0x80)) { /* a duplicate of an earlier account */
      *w = (uint8_t)((flags & 0x7F) % i); w += 8; p += 1; continue;
    }
    *w++ = 0xFF;
    *w++ = flags & 1; *w++ = (flags >> 1) & 1; *w++ = (flags >> 2) & 1; w += 4;
    SolPubkey key = key_table(p[1], p + 3), owner = key_table(p[2], p + 3);
    memcpy(w, &key, 32); w += 32;
    memcpy(w, &owner, 32); w += 32;
    memcpy(w, p + 35, 8); w += 8;                       /* lamports */
    uint64_t len = (uint64_t)p[43] | ((uint64_t)p[44] << 8);
    p += 45;
    if (len > (uint64_t)(end - p)) len = (uint64_t)(end - p);
    memcpy(w, &len, 8); w += 8;
    memcpy(w, p, len); p += len; w += len + MAX_PERMITTED_DATA_INCREASE;
    w = (uint8_t *)(((uint64_t)w + 7) & ~7ULL);
    w += 8;                                            /* rent epoch */
  }
  uint64_t ix_len = (uint64_t)(end - p);
  memcpy(w, &ix_len, 8); w += 8;
  memcpy(w, p, ix_len); w += ix_len;
  SolPubkey program = key_table(0, 0);
  memcpy(w, &program, 32);
  paychannel_entrypoint(buf);
  free(buf);
  return 0;
}
