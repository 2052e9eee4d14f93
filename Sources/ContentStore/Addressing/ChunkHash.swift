import Crypto
import Foundation

/// SHA-256 for content addressing. swift-crypto's BoringSSL uses the CPU's
/// SHA extensions (SHA-NI) where present, about four times libsodium's
/// portable SHA-256 on this class of machine; hashing bounds both ingest and
/// verification, so it matters.
public enum ChunkHash {
    public static func sha256(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        Array(SHA256.hash(data: bytes))
    }

    public static func sha256<Bytes: ContiguousBytes>(_ bytes: Bytes) -> [UInt8] {
        bytes.withUnsafeBytes { sha256($0) }
    }
}
