import Foundation
@testable import ContentStore
@testable import Gossip
@testable import Identity
@testable import PayChannel
@testable import PeerNode
@testable import RemotePin
@testable import Solana

/// One fuzz target: a decoder that reads bytes from outside the node, fed
/// whatever the fuzzer makes. A target only decodes (and walks what it got);
/// errors are the expected answer, a crash, hang or huge allocation is a bug.
struct FuzzTarget: Sendable {
    let name: String
    let run: @Sendable ([UInt8]) -> Void
}

/// The chat/moderation topics need a stream; any fixed one will do.
private let fuzzKey = KeyPair.fromSeed([UInt8](repeating: 7, count: 32))
private let fuzzStream = try! StreamID(creator: fuzzKey.address, name: "fuzz")
private let gossipLimits = Frame.Limits(maxFrameBytes: 1 << 20, maxListItems: 1024, maxEnvelopeBytes: 64 * 1024)

private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

private func walk(_ reader: inout ProtoReader, depth: Int) {
    while let (_, value) = reader.next() {
        if case .bytes(let inner) = value, depth < 4 {
            var nested = ProtoReader(Array(inner))
            walk(&nested, depth: depth + 1)
        }
    }
}

/// config.json is read from a file; a per-process one in /dev/shm keeps it off the disk.
private let configPath = "/dev/shm/peernode-fuzz-config-\(getpid()).json"

let fuzzTargets: [FuzzTarget] = [
    FuzzTarget(name: "gossip-frame") { bytes in
        _ = try? Frame.decode(bytes, limits: gossipLimits)
    },
    FuzzTarget(name: "gossip-envelope") { bytes in
        // An envelope, then its payload for the topic it names (as validation does).
        guard let envelope = try? Envelope(wire: bytes, maxPayload: 16 * 1024) else { return }
        _ = try? GossipMessage.Content.decode(topic: envelope.topic, payload: envelope.payload, maxChatText: 500)
    },
    FuzzTarget(name: "gossip-payload") { bytes in
        // Every payload decoder on the same bytes (an envelope's signature gates
        // them in the node; here they get the bytes directly).
        for topic in [Topic.peers, .streams, .chat(fuzzStream), .moderation(fuzzStream)] {
            _ = try? GossipMessage.Content.decode(topic: topic, payload: bytes, maxChatText: 500)
        }
    },
    FuzzTarget(name: "peer-record") { bytes in
        _ = try? SignedPeerRecord(wire: bytes)
    },
    FuzzTarget(name: "exchange-frame") { bytes in
        guard let frame = try? ExchangeFrame.decode(bytes) else { return }
        // What the node does next with a PAY's note: a tip note or a segment key request.
        if case .pay(_, _, let purpose, let note) = frame {
            _ = try? PaymentPurpose(decoding: purpose[...])
            _ = TipNote(note)
            _ = SegmentKeyRequest(note)
        }
    },
    FuzzTarget(name: "manifest") { bytes in
        _ = try? StreamManifest.decode(bytes)
        _ = try? FileManifest.decode(bytes)
    },
    FuzzTarget(name: "cid") { bytes in
        _ = try? CID(bytes: bytes)
        if let cid = try? CID(text(bytes)) { _ = cid.description }
    },
    FuzzTarget(name: "voucher") { bytes in
        _ = try? SignedVoucher(wire: bytes)
        _ = try? PaymentPurpose(decoding: bytes[...])
        _ = try? PaymentPurpose.decodePrefix(bytes[...])
        _ = TipNote(bytes)
        _ = SegmentKeyRequest(bytes)
    },
    FuzzTarget(name: "tip-receipt") { bytes in
        // A chat message's tip reference, checked against its stream and text.
        let parts = text(bytes).split(separator: "\n", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3 else { return }
        _ = TipReceipt.parse(reference: parts[0], stream: parts[1], author: fuzzKey.address, text: parts[2])
    },
    FuzzTarget(name: "key-file") { bytes in
        _ = try? KeyFile.parse(Data(bytes), path: "fuzz")
    },
    FuzzTarget(name: "config") { bytes in
        guard FileManager.default.createFile(atPath: configPath, contents: Data(bytes)) else { return }
        _ = try? NodeConfig.load(path: configPath)
    },
    FuzzTarget(name: "hls-playlist") { bytes in
        _ = HLSPlaylist.parse(text(bytes))
    },
    FuzzTarget(name: "json-rpc") { bytes in
        guard let json = try? JSON.parse(bytes) else { return }
        _ = TransactionFailure(json: json)
        if let err = json["error"]?["data"]?["err"] { _ = TransactionFailure(json: err) }
    },
    FuzzTarget(name: "solana-account") { bytes in
        // Account data and transactions as an RPC node returns them.
        _ = try? ChannelState(decoding: bytes)
        _ = try? Transaction(decoding: bytes)
        _ = try? Message(decoding: bytes)
    },
    FuzzTarget(name: "unixfs") { bytes in
        var reader = ProtoReader(bytes)
        walk(&reader, depth: 0)
    },
    FuzzTarget(name: "ans104") { bytes in
        _ = try? DataItem.parse(bytes)
    },
    FuzzTarget(name: "base-encodings") { bytes in
        let s = text(bytes)
        _ = Base58.decode(s)
        _ = Base32.decode(s)
        _ = Base64URL.decode(s)
        var offset = 0
        _ = Varint.decode(bytes, at: &offset)
    },
    FuzzTarget(name: "api-body") { bytes in
        // The API's JSON request bodies; the first byte picks the request type.
        guard let first = bytes.first else { return }
        let body = Data(bytes.dropFirst())
        let decoder = JSONDecoder()
        switch first % 6 {
        case 0: _ = try? decoder.decode(APIServer.PublishRequest.self, from: body)
        case 1: _ = try? decoder.decode(APIServer.LiveRequest.self, from: body)
        case 2: _ = try? decoder.decode(APIServer.TipRequest.self, from: body)
        case 3: _ = try? decoder.decode(APIServer.ChatRequest.self, from: body)
        case 4: _ = try? decoder.decode(APIServer.PinRemoteRequest.self, from: body)
        default: _ = try? decoder.decode(APIServer.FetchRemoteRequest.self, from: body)
        }
    },
]
