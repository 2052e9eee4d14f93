#!/usr/bin/env python3
"""Link one BPF relocatable object into a Solana SBPFv0 shared object.

Upstream ld.lld cannot link BPF and binutils' BPF ld refuses -shared, so the
project owns this step. Input: the ELF64 relocatable object that
`clang -target bpfel -mcpu=v2 -O2 -ffreestanding -fno-builtin -c` emits for a
single translation unit. Output: what Solana's SBPFv0 loader accepts:

  ELF64 LE, ET_DYN, e_machine EM_BPF (247), e_flags 0, no program headers;
  sections (in file order) .text, .rodata, .dynamic, .dynsym, .dynstr,
  .rel.dyn, .shstrtab, with address == file offset for every allocated one.

Relocations:
  R_BPF_64_64 (lddw of a data address)   -> resolved here to 0x1_0000_0000 + address
  R_BPF_64_ABS64 (pointer in .rodata)    -> resolved here likewise
  R_BPF_64_32 on a call to a defined function -> pc-relative immediate
  R_BPF_64_32 on a call to an undefined name   -> a dynamic R_BPF_64_32 against a
                                                  .dynsym entry (a syscall; the
                                                  loader patches in its hash)
Writable data (.data, .bss) is refused: SBPFv0 has no mutable globals.

Usage: link.py INPUT.o OUTPUT.so [--map]
Python 3 standard library only.
"""

import struct
import sys

EM_BPF = 247
ET_REL, ET_DYN = 1, 3
SHT_NULL, SHT_PROGBITS, SHT_SYMTAB, SHT_STRTAB, SHT_RELA = 0, 1, 2, 3, 4
SHT_DYNAMIC, SHT_NOBITS, SHT_REL, SHT_DYNSYM = 6, 8, 9, 11
SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR = 1, 2, 4
SHN_UNDEF, SHN_ABS = 0, 0xFFF1
STT_NOTYPE, STT_OBJECT, STT_FUNC, STT_SECTION = 0, 1, 2, 3
STB_GLOBAL = 1
R_BPF_NONE, R_BPF_64_64, R_BPF_64_ABS64, R_BPF_64_ABS32 = 0, 1, 2, 3
R_BPF_64_NODYLD32, R_BPF_64_32 = 4, 10
DT_NULL, DT_STRTAB, DT_SYMTAB, DT_STRSZ, DT_SYMENT = 0, 5, 6, 10, 11
DT_REL, DT_RELSZ, DT_RELENT, DT_TEXTREL = 17, 18, 19, 22

MM_PROGRAM_START = 0x1_0000_0000
INSN = 8
CALL_IMM = 0x85
LDDW = 0x18


class LinkError(Exception):
    pass


def align(n, a):
    return (n + a - 1) // a * a if a > 1 else n


def cstr(table, off):
    end = table.index(b"\0", off)
    return table[off:end].decode()


class Section:
    def __init__(self, index, raw, names, data):
        (self.name_off, self.type, self.flags, self.addr, self.offset, self.size,
         self.link, self.info, self.addralign, self.entsize) = raw
        self.index = index
        self.name = cstr(names, self.name_off) if names is not None else ""
        self.data = data


def read_object(blob):
    if len(blob) < 64 or blob[:4] != b"\x7fELF":
        raise LinkError("not an ELF file")
    if blob[4] != 2 or blob[5] != 1:
        raise LinkError("not ELF64 little endian")
    (e_type, e_machine, _ver, _entry, _phoff, e_shoff, _flags, _ehsize, _phentsize,
     _phnum, e_shentsize, e_shnum, e_shstrndx) = struct.unpack_from("<HHIQQQIHHHHHH", blob, 16)
    if e_type != ET_REL:
        raise LinkError("expected a relocatable object (ET_REL), got e_type %d" % e_type)
    if e_machine != EM_BPF:
        raise LinkError("expected e_machine EM_BPF (247), got %d" % e_machine)
    if e_shentsize != 64:
        raise LinkError("unexpected section header size %d" % e_shentsize)
    raws = []
    for i in range(e_shnum):
        raw = struct.unpack_from("<IIQQQQIIQQ", blob, e_shoff + i * 64)
        raws.append(raw)
    shstr = raws[e_shstrndx]
    names = blob[shstr[4]:shstr[4] + shstr[5]]
    sections = []
    for i, raw in enumerate(raws):
        typ, off, size = raw[1], raw[4], raw[5]
        data = b"" if typ == SHT_NOBITS else blob[off:off + size]
        if typ != SHT_NOBITS and off + size > len(blob):
            raise LinkError("section %d runs past the end of the file" % i)
        sections.append(Section(i, raw, names, data))
    return sections


def read_symbols(sections):
    symtabs = [s for s in sections if s.type == SHT_SYMTAB]
    if len(symtabs) != 1:
        raise LinkError("expected one .symtab, found %d" % len(symtabs))
    st = symtabs[0]
    strtab = sections[st.link].data
    syms = []
    for i in range(len(st.data) // 24):
        name, info, other, shndx, value, size = struct.unpack_from("<IBBHQQ", st.data, i * 24)
        syms.append({"name": cstr(strtab, name), "bind": info >> 4, "type": info & 0xF,
                     "shndx": shndx, "value": value, "size": size})
    return syms


def link(blob):
    sections = read_object(blob)
    syms = read_symbols(sections)

    text = None
    rodata = []
    for s in sections:
        alloc = s.flags & SHF_ALLOC
        if not alloc:
            continue
        if s.flags & SHF_EXECINSTR:
            if s.name != ".text":
                if s.size:
                    raise LinkError("code in section %s: only .text is supported" % s.name)
                continue
            if text is not None:
                raise LinkError("more than one .text section")
            text = s
        elif s.flags & SHF_WRITE or s.type == SHT_NOBITS:
            if s.size:
                raise LinkError("writable section %s (%d bytes): SBPFv0 allows no mutable "
                                "globals; make them const" % (s.name, s.size))
        elif s.type == SHT_PROGBITS and s.name.startswith(".rodata"):
            rodata.append(s)
        elif s.size:
            raise LinkError("unsupported allocated section %s" % s.name)
    if text is None or text.size == 0:
        raise LinkError("no .text section")

    # Layout: ELF header, .text, .rodata (merged), then the dynamic tables.
    text_off = 64
    out_text = bytearray(text.data)
    place = {text.index: text_off}
    cursor = text_off + len(out_text)
    rodata_off = align(cursor, 8)
    out_rodata = bytearray()
    for s in rodata:
        a = max(1, s.addralign)
        pos = align(rodata_off + len(out_rodata), a)
        out_rodata += b"\0" * (pos - rodata_off - len(out_rodata))
        place[s.index] = pos
        out_rodata += s.data

    def symbol_address(sym):
        if sym["shndx"] == SHN_UNDEF:
            return None
        if sym["shndx"] == SHN_ABS:
            return sym["value"]
        if sym["shndx"] not in place:
            raise LinkError("symbol %r lives in a section that is not linked (%s)"
                            % (sym["name"], sections[sym["shndx"]].name))
        return place[sym["shndx"]] + sym["value"]

    dyn_names = []          # undefined symbols called as syscalls, in order
    dyn_rel = []            # (offset, type, dynsym index)

    def dynsym_index(name):
        if name not in dyn_names:
            dyn_names.append(name)
        return dyn_names.index(name) + 1

    for rs in sections:
        if rs.type == SHT_RELA:
            raise LinkError("RELA relocations are not expected from clang for BPF")
        if rs.type != SHT_REL:
            continue
        target = sections[rs.info]
        if target.index not in place:
            if target.flags & SHF_ALLOC:
                raise LinkError("relocations for unlinked section %s" % target.name)
            continue  # debug sections: dropped
        if target is text:
            buf, base = out_text, text_off
        else:
            buf, base = out_rodata, rodata_off
        sec_base = place[target.index] - base
        for i in range(len(rs.data) // 16):
            r_offset, r_info = struct.unpack_from("<QQ", rs.data, i * 16)
            r_type, r_sym = r_info & 0xFFFFFFFF, r_info >> 32
            sym = syms[r_sym]
            at = sec_base + r_offset
            if r_type == R_BPF_NONE:
                continue
            if r_type == R_BPF_64_64:
                if target is not text or buf[at] != LDDW:
                    raise LinkError("R_BPF_64_64 at 0x%x is not on an lddw" % r_offset)
                addr = symbol_address(sym)
                if addr is None:
                    raise LinkError("undefined data symbol %r" % sym["name"])
                addend = struct.unpack_from("<I", buf, at + 4)[0]
                value = MM_PROGRAM_START + addr + addend
                struct.pack_into("<I", buf, at + 4, value & 0xFFFFFFFF)
                struct.pack_into("<I", buf, at + 12, value >> 32)
            elif r_type == R_BPF_64_ABS64:
                addr = symbol_address(sym)
                if addr is None:
                    raise LinkError("undefined data symbol %r" % sym["name"])
                addend = struct.unpack_from("<Q", buf, at)[0]
                struct.pack_into("<Q", buf, at, MM_PROGRAM_START + addr + addend)
            elif r_type == R_BPF_64_32:
                if target is not text or buf[at] != CALL_IMM:
                    raise LinkError("R_BPF_64_32 at 0x%x is not on a call" % r_offset)
                addr = symbol_address(sym)
                if addr is None:
                    # A syscall: the loader writes murmur3(name) into the imm.
                    name = sym["name"]
                    if not name or len(name) >= 64:
                        raise LinkError("bad syscall name %r" % name)
                    buf[at + 1] &= 0x0F           # src register 0: an external call
                    struct.pack_into("<i", buf, at + 4, -1)
                    dyn_rel.append((text_off + at, R_BPF_64_32, dynsym_index(name)))
                else:
                    if addr < text_off or addr >= text_off + len(out_text):
                        raise LinkError("call to %r outside .text" % sym["name"])
                    if sym["type"] == STT_SECTION:
                        addr += (struct.unpack_from("<i", buf, at + 4)[0] + 1) * INSN
                    pc = (text_off + at) // INSN
                    struct.pack_into("<i", buf, at + 4, (addr // INSN) - pc - 1)
            elif r_type == R_BPF_64_NODYLD32:
                continue
            else:
                raise LinkError("unsupported relocation type %d at 0x%x in %s"
                                % (r_type, r_offset, target.name))

    entry = [s for s in syms if s["name"] == "entrypoint" and s["shndx"] == text.index]
    if len(entry) != 1 or entry[0]["type"] != STT_FUNC:
        raise LinkError("no function named entrypoint in .text")
    e_entry = text_off + entry[0]["value"]

    # Sanity: every local call lands inside .text.
    n_insn = len(out_text) // INSN
    for i in range(n_insn):
        op = out_text[i * INSN]
        imm = struct.unpack_from("<i", out_text, i * INSN + 4)[0]
        if op == CALL_IMM and imm != -1 and not (0 <= i + 1 + imm < n_insn):
            raise LinkError("call at instruction %d jumps outside .text" % i)

    # Dynamic tables.
    dynstr = bytearray(b"\0")
    dynsym = bytearray(b"\0" * 24)
    for name in dyn_names:
        off = len(dynstr)
        dynstr += name.encode() + b"\0"
        dynsym += struct.pack("<IBBHQQ", off, (STB_GLOBAL << 4) | STT_NOTYPE, 0, SHN_UNDEF, 0, 0)
    reldyn = bytearray()
    for off, typ, idx in sorted(dyn_rel):
        reldyn += struct.pack("<QQ", off, (idx << 32) | typ)

    out = bytearray(64)
    out += out_text
    assert len(out) == text_off + len(out_text)
    out += b"\0" * (rodata_off - len(out))
    out += out_rodata

    def put(blob_, a=8):
        nonlocal out
        out += b"\0" * (align(len(out), a) - len(out))
        pos = len(out)
        out += blob_
        return pos

    dyn_entries = 5 + (3 if reldyn else 0) + 1
    dynamic_off = put(b"\0" * (16 * dyn_entries))
    dynsym_off = put(bytes(dynsym))
    dynstr_off = put(bytes(dynstr), 1)
    reldyn_off = put(bytes(reldyn))
    dyn = [(DT_SYMTAB, dynsym_off), (DT_SYMENT, 24), (DT_STRTAB, dynstr_off),
           (DT_STRSZ, len(dynstr)), (DT_TEXTREL, 0)]
    if reldyn:
        dyn += [(DT_REL, reldyn_off), (DT_RELSZ, len(reldyn)), (DT_RELENT, 16)]
    dyn.append((DT_NULL, 0))
    for i, (tag, val) in enumerate(dyn):
        struct.pack_into("<qQ", out, dynamic_off + 16 * i, tag, val)

    shnames = [b"", b".text", b".rodata", b".dynamic", b".dynsym", b".dynstr",
               b".rel.dyn", b".shstrtab"]
    shstrtab = bytearray()
    name_off = []
    for n in shnames:
        name_off.append(len(shstrtab))
        shstrtab += n + b"\0"
    shstrtab_off = put(bytes(shstrtab), 1)
    shoff = align(len(out), 8)
    out += b"\0" * (shoff - len(out))

    # name, type, flags, addr, offset, size, link, info, align, entsize
    headers = [
        (0, SHT_NULL, 0, 0, 0, 0, 0, 0, 0, 0),
        (name_off[1], SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, text_off, text_off,
         len(out_text), 0, 0, 8, 0),
        (name_off[2], SHT_PROGBITS, SHF_ALLOC, rodata_off, rodata_off, len(out_rodata),
         0, 0, 8, 0),
        (name_off[3], SHT_DYNAMIC, SHF_ALLOC, dynamic_off, dynamic_off, 16 * len(dyn),
         5, 0, 8, 16),
        (name_off[4], SHT_DYNSYM, SHF_ALLOC, dynsym_off, dynsym_off, len(dynsym), 5, 1, 8, 24),
        (name_off[5], SHT_STRTAB, SHF_ALLOC, dynstr_off, dynstr_off, len(dynstr), 0, 0, 1, 0),
        (name_off[6], SHT_REL, SHF_ALLOC, reldyn_off, reldyn_off, len(reldyn), 4, 0, 8, 16),
        (name_off[7], SHT_STRTAB, 0, 0, shstrtab_off, len(shstrtab), 0, 0, 1, 0),
    ]
    for h in headers:
        out += struct.pack("<IIQQQQIIQQ", *h)

    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + b"\0" * 8
    header = ident + struct.pack("<HHIQQQIHHHHHH", ET_DYN, EM_BPF, 1, e_entry, 0, shoff, 0,
                                 64, 56, 0, 64, len(headers), len(headers) - 1)
    out[0:64] = header
    info = {"text": len(out_text), "rodata": len(out_rodata), "syscalls": dyn_names,
            "entry": e_entry, "size": len(out)}
    return bytes(out), info


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    if len(args) != 2:
        sys.stderr.write("usage: link.py INPUT.o OUTPUT.so [--map]\n")
        return 2
    try:
        with open(args[0], "rb") as f:
            blob = f.read()
        so, info = link(blob)
    except (LinkError, OSError, ValueError, struct.error, IndexError) as e:
        sys.stderr.write("link.py: %s: %s\n" % (args[0], e))
        return 1
    with open(args[1], "wb") as f:
        f.write(so)
    if "--map" in argv:
        print("text %d bytes, rodata %d bytes, entry 0x%x, syscalls %s, %d bytes in all"
              % (info["text"], info["rodata"], info["entry"], ",".join(info["syscalls"]),
                 info["size"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
