import Crypto
import Identity

/// Program-derived addresses: sha256(seeds ‖ program id ‖ "ProgramDerivedAddress"),
/// valid only when the hash is not an Ed25519 point (so no private key exists).
public enum ProgramAddress {
    public static let maxSeeds = 16
    public static let maxSeedLength = 32

    public static func create(seeds: [[UInt8]], programId: Address) throws(SolanaError) -> Address {
        guard seeds.count <= maxSeeds else { throw .invalidSeeds("\(seeds.count) seeds; at most \(maxSeeds)") }
        for s in seeds where s.count > maxSeedLength {
            throw .invalidSeeds("a seed of \(s.count) bytes; at most \(maxSeedLength)")
        }
        var hasher = SHA256()
        for s in seeds { hasher.update(data: s) }
        hasher.update(data: programId.bytes)
        hasher.update(data: Array("ProgramDerivedAddress".utf8))
        let digest = Array(hasher.finalize())
        guard !Edwards25519.isOnCurve(digest) else { throw .invalidSeeds("the address falls on the curve") }
        // A SHA-256 digest is always 32 bytes.
        guard let address = try? Address(bytes: digest) else { throw .malformed("digest") }
        return address
    }

    /// The first bump from 255 down whose address is off the curve (the canonical bump).
    public static func find(seeds: [[UInt8]], programId: Address) throws(SolanaError) -> (Address, UInt8) {
        guard seeds.count < maxSeeds else { throw .invalidSeeds("\(seeds.count) seeds leave no room for the bump") }
        for bump in stride(from: 255, through: 0, by: -1) {
            if let a = try? create(seeds: seeds + [[UInt8(bump)]], programId: programId) {
                return (a, UInt8(bump))
            }
        }
        throw .noProgramAddress
    }
}

/// Just enough of the field GF(2^255 - 19) to tell whether 32 bytes decode to
/// a point on the Ed25519 curve, the way the runtime decides it
/// (curve25519-dalek's decompression: y taken mod p, sign bit ignored for the
/// test, on the curve when (y² - 1) / (d·y² + 1) is a square).
enum Edwards25519 {
    typealias Fe = (UInt64, UInt64, UInt64, UInt64)

    static let p: Fe = (0xFFFF_FFFF_FFFF_FFED, 0xFFFF_FFFF_FFFF_FFFF, 0xFFFF_FFFF_FFFF_FFFF, 0x7FFF_FFFF_FFFF_FFFF)
    static let d: Fe = (0x75EB_4DCA_1359_78A3, 0x0070_0A4D_4141_D8AB, 0x8CC7_4079_7779_E898, 0x5203_6CEE_2B6F_FE73)
    /// (p - 1) / 2, the exponent of Euler's criterion.
    static let halfPMinus1: Fe = (0xFFFF_FFFF_FFFF_FFF6, 0xFFFF_FFFF_FFFF_FFFF, 0xFFFF_FFFF_FFFF_FFFF, 0x3FFF_FFFF_FFFF_FFFF)
    static let one: Fe = (1, 0, 0, 0)
    static let zero: Fe = (0, 0, 0, 0)

    static func isOnCurve(_ bytes: [UInt8]) -> Bool {
        guard bytes.count == 32 else { return false }
        var limbs = [UInt64](repeating: 0, count: 4)
        for i in 0..<32 { limbs[i / 8] |= UInt64(bytes[i]) << (8 * UInt64(i % 8)) }
        limbs[3] &= 0x7FFF_FFFF_FFFF_FFFF
        let y = reduce((limbs[0], limbs[1], limbs[2], limbs[3]))
        let yy = mul(y, y)
        let u = sub(yy, one)
        let v = add(mul(d, yy), one)
        if eq(u, zero) { return true }
        if eq(v, zero) { return false }
        return eq(pow(mul(u, v), halfPMinus1), one)
    }

    static func eq(_ a: Fe, _ b: Fe) -> Bool { a.0 == b.0 && a.1 == b.1 && a.2 == b.2 && a.3 == b.3 }

    static func geq(_ a: Fe, _ b: Fe) -> Bool {
        if a.3 != b.3 { return a.3 > b.3 }
        if a.2 != b.2 { return a.2 > b.2 }
        if a.1 != b.1 { return a.1 > b.1 }
        return a.0 >= b.0
    }

    /// a - b over 256 bits (caller ensures no underflow or wants the wrap).
    static func rawSub(_ a: Fe, _ b: Fe) -> Fe {
        let (r0, c0) = a.0.subtractingReportingOverflow(b.0)
        var (r1, c1) = a.1.subtractingReportingOverflow(b.1)
        if c0 { let t = r1.subtractingReportingOverflow(1); r1 = t.0; c1 = c1 || t.1 }
        var (r2, c2) = a.2.subtractingReportingOverflow(b.2)
        if c1 { let t = r2.subtractingReportingOverflow(1); r2 = t.0; c2 = c2 || t.1 }
        var r3 = a.3 &- b.3
        if c2 { r3 = r3 &- 1 }
        return (r0, r1, r2, r3)
    }

    /// Reduces a value below 2^256 into 0..<p.
    static func reduce(_ a: Fe) -> Fe {
        var x = a
        while geq(x, p) { x = rawSub(x, p) }
        return x
    }

    static func add(_ a: Fe, _ b: Fe) -> Fe {
        var limbs = [a.0, a.1, a.2, a.3]
        let bl = [b.0, b.1, b.2, b.3]
        var carry: UInt64 = 0
        for i in 0..<4 {
            let (s1, o1) = limbs[i].addingReportingOverflow(bl[i])
            let (s2, o2) = s1.addingReportingOverflow(carry)
            limbs[i] = s2
            carry = (o1 ? 1 : 0) + (o2 ? 1 : 0)
        }
        return fold(limbs, carry)
    }

    static func sub(_ a: Fe, _ b: Fe) -> Fe {
        // a - b = a + (p - b) with both below p.
        add(a, rawSub(p, reduce(b)))
    }

    /// limbs + carry·2^256 reduced mod p (2^256 ≡ 38).
    static func fold(_ limbs: [UInt64], _ carry: UInt64) -> Fe {
        var l = limbs
        var c = carry
        while c != 0 {
            let (hi, lo) = c.multipliedFullWidth(by: 38)
            var add = lo
            var next = hi
            for i in 0..<4 {
                let (s, o) = l[i].addingReportingOverflow(add)
                l[i] = s
                add = o ? 1 : 0
                if add == 0 { break }
            }
            next += add
            c = next
        }
        return reduce((l[0], l[1], l[2], l[3]))
    }

    static func mul(_ a: Fe, _ b: Fe) -> Fe {
        let x = [a.0, a.1, a.2, a.3], y = [b.0, b.1, b.2, b.3]
        var t = [UInt64](repeating: 0, count: 8)
        for i in 0..<4 {
            var carry: UInt64 = 0
            for j in 0..<4 {
                let (hi, lo) = x[i].multipliedFullWidth(by: y[j])
                let (s1, o1) = t[i + j].addingReportingOverflow(lo)
                let (s2, o2) = s1.addingReportingOverflow(carry)
                t[i + j] = s2
                carry = hi &+ (o1 ? 1 : 0) &+ (o2 ? 1 : 0)
            }
            t[i + 4] = carry
        }
        // low + high·38, high·38 spans five limbs.
        var r = Array(t[0..<4])
        var carry: UInt64 = 0
        for i in 0..<4 {
            let (hi, lo) = t[i + 4].multipliedFullWidth(by: 38)
            let (s1, o1) = r[i].addingReportingOverflow(lo)
            let (s2, o2) = s1.addingReportingOverflow(carry)
            r[i] = s2
            carry = hi &+ (o1 ? 1 : 0) &+ (o2 ? 1 : 0)
        }
        return fold(r, carry)
    }

    static func pow(_ base: Fe, _ e: Fe) -> Fe {
        var result = one
        let limbs = [e.0, e.1, e.2, e.3]
        for i in stride(from: 255, through: 0, by: -1) {
            result = mul(result, result)
            if (limbs[i / 64] >> UInt64(i % 64)) & 1 == 1 { result = mul(result, base) }
        }
        return result
    }
}
