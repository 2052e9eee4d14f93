import ContentStore
import Foundation
import Gossip
import Identity
import LMDB

/// Encrypted (paid) streams, the creator's side: each segment is sealed as
/// it is stored, and its key sold against the voucher that pays for it
/// (NodePayments+Keys.swift); the viewer's side is `Playback`
/// (docs/stream-encryption.md).
extension PeerNode: SegmentKeyShop {
    /// The file to store for a segment: the file itself for a free stream;
    /// for a paid one (`nonce`), its AES-128 ciphertext written beside it, and the IV.
    func sealSegment(path: String, sequence: UInt64, nonce: [UInt8]?) throws -> (path: String, iv: String?) {
        guard let nonce else { return (path, nil) }
        guard let plain = FileManager.default.contents(atPath: path) else { throw PeerNodeError.notFound("segment file \(path)") }
        let iv = SegmentCipher.randomIV()
        let key = ContentKeys.key(identity, SegmentKeyRequest(nonce: nonce, sequence: sequence))
        let sealed = try SegmentCipher.encrypt(Array(plain), key: key, iv: iv)
        let out = dataDirectory + "/tmp/sealed-\(UUID().uuidString).ts"
        try? FileManager.default.createDirectory(atPath: dataDirectory + "/tmp", withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: out, contents: Data(sealed)) else {
            throw PeerNodeError.diskFull(DiskFull(path: out, needed: UInt64(sealed.count),
                                                  free: DiskSpace.available(at: dataDirectory) ?? 0))
        }
        return (out, hexString(iv))
    }

    /// The creator's offer for one key request: the segment's price and key,
    /// or why there is none (not our stream, another publication, a segment
    /// the stream does not list).
    func keyOffer(stream: String, request: SegmentKeyRequest) async -> Result<(price: UInt64, key: [UInt8]), PeerNodeError> {
        guard let id = try? StreamID(stream), let s = own[id] else { return .failure(.notFound("stream \(stream) of this node")) }
        guard let nonce = s.manifest.keyNonce else { return .failure(.badRequest("\(stream) is free: it has no keys")) }
        guard nonce == request.nonce else {
            return .failure(.notFound("keys of an earlier publication of \(stream): ask with the current manifest"))
        }
        guard let segment = s.manifest.segments.first(where: { $0.sequence == request.sequence }) else {
            return .failure(.notFound("segment \(request.sequence) of \(stream) (not in its manifest)"))
        }
        let price = SegmentKeyRequest.price(of: segment, in: s.manifest)
        return .success((price, ContentKeys.key(identity, request)))
    }
}

extension SegmentKeyRequest {
    /// A segment's key costs its seconds at the stream's price, rounded up,
    /// and at least 1 lamport (a voucher moves money or is refused).
    static func price(of segment: StreamManifest.Segment, in manifest: StreamManifest) -> UInt64 {
        max(1, manifest.secondsCost(segment.duration))
    }
}

