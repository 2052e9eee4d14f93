#if !FUZZING
import Foundation
@testable import ContentStore
@testable import Gossip
@testable import Identity
@testable import PayChannel
@testable import PeerNode
@testable import RemotePin
@testable import Solana

/// `PeerNodeFuzz --seeds <dir>` writes fuzz/corpus/<target>/: small valid
/// examples of each format, made by the project's own encoders where it has them.
enum Seeds {
    static func all() throws -> [String: [[UInt8]]] {
        let key = KeyPair.fromSeed([UInt8](repeating: 1, count: 32))
        let payer = KeyPair.fromSeed([UInt8](repeating: 2, count: 32))
        let stream = try StreamID(creator: key.address, name: "seed")
        let cid = CID.hashing([UInt8]("seed".utf8))
        let record = try SignedPeerRecord(PeerRecord(address: key.address, endpoints: ["tcp://127.0.0.1:7400"],
                                                     pricePerChunk: 10, capabilities: ["relay"], seq: 3), signedBy: key)
        let announcement = StreamAnnouncement(stream: stream, title: "seed", pricePerSecond: 5, manifest: cid, liveSegment: 2)
        let chat = ChatMessage(text: "hello", tipReference: nil)
        let moderation = ModerationAction(kind: .mute, target: payer.address, until: 99)
        let envelopes = [
            Envelope(topic: .peers, author: key, epoch: 1, seq: 1, timestamp: 1000, payload: record.wire),
            Envelope(topic: .streams, author: key, epoch: 1, seq: 2, timestamp: 1000, payload: announcement.encoded()),
            Envelope(topic: .chat(stream), author: key, epoch: 1, seq: 3, timestamp: 1000, payload: chat.encoded()),
            Envelope(topic: .moderation(stream), author: key, epoch: 1, seq: 4, timestamp: 1000, payload: moderation.encoded()),
        ]
        let frames: [Frame] = [
            .hello(record: record.wire, version: 1, topics: ["peers/1", "streams/1"]),
            .publish(envelopes.map(\.wire)),
            .ihave(topic: "streams/1", ids: [envelopes[0].id]),
            .prune(topics: ["chat/1/\(stream)"], backoffSeconds: 60, peers: [record.wire]),
            .history(topic: "streams/1", envelopes: [envelopes[1].wire]),
        ]
        let voucher = Voucher(channel: payer.address, opening: 7, amount: 1000, sequence: 2).signed(by: payer)
        let keyRequest = SegmentKeyRequest(nonce: [UInt8](repeating: 9, count: 16), sequence: 4)
        let tipNote = TipNote(amount: 500, textHash: [UInt8](repeating: 3, count: 32))
        let purpose = PaymentPurpose.seconds(stream: stream.description).encoded()
        let exchange: [ExchangeFrame] = [
            .get(id: 1, cid: cid, hops: 2, voucher: voucher),
            .block(id: 1, cid: cid, bytes: [1, 2, 3][...]),
            .wantHave(id: 2, cids: [cid, cid], hops: 1),
            .pay(id: 3, voucher: voucher, purpose: purpose, note: keyRequest.encoded),
            .pay(id: 4, voucher: voucher, purpose: PaymentPurpose.tip(stream: stream.description).encoded(), note: tipNote.encoded),
            .paid(id: 3, accepted: 1000, receipt: [UInt8](repeating: 5, count: 16), error: ""),
            .paymentRequired(id: 5, cid: cid, owed: 20, reason: "unpaid"),
        ]
        var vod = StreamManifest(kind: .vod, stream: stream, title: "seed", pricePerSecond: 0, sequence: 1, ended: true,
                                 segments: [.init(sequence: 0, duration: 4, size: 3, chunks: [cid])])
        try vod.sign(with: key)
        var paid = StreamManifest(kind: .live, stream: stream, title: "paid", pricePerSecond: 5, sequence: 2, ended: false,
                                  segments: [.init(sequence: 0, duration: 4, size: 16, chunks: [cid], iv: String(repeating: "ab", count: 16))])
        paid.version = StreamManifest.encryptedVersion
        paid.encryption = .init(method: SegmentCipher.method, keyNonce: String(repeating: "cd", count: 16))
        try paid.sign(with: key)
        let item = try DataItem.sign(data: [UInt8]("seed".utf8), tags: [DataItemTag("Content-Type", "text/plain")], key: key)
        var proto = ProtoWriter()
        proto.field(1, varint: 2)
        proto.field(2, bytes: [UInt8]("data".utf8))
        proto.field(3, varint: 4)
        var node = ProtoWriter()
        node.field(2, bytes: proto.bytes)
        node.field(2, bytes: cid.bytes)
        func utf8(_ items: String...) -> [[UInt8]] { items.map { [UInt8]($0.utf8) } }
        return [
            "gossip-frame": frames.map { $0.encoded() },
            "gossip-envelope": envelopes.map(\.wire),
            "gossip-payload": [record.wire, announcement.encoded(), chat.encoded(), moderation.encoded()],
            "peer-record": [record.wire],
            "exchange-frame": exchange.map { $0.encoded() },
            "manifest": [vod.encoded(), paid.encoded(), FileManifest(name: "seed.txt", mediaType: "text/plain", size: 3, chunkSize: 1024, chunks: [cid]).encoded()],
            "cid": [cid.bytes, [UInt8](cid.description.utf8), [UInt8]("QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG".utf8)],
            "voucher": [voucher.wire, keyRequest.encoded, tipNote.encoded, purpose],
            "tip-receipt": utf8("tip:\(payer.address):7:2:1000:\(String(repeating: "ab", count: 64))\n\(stream)\nthanks"),
            "key-file": [[UInt8](KeyFile.encode(key))],
            "config": utf8(#"{"apiPort": 7390, "bootstrap": [], "maxStorageBytes": 1000000}"#,
                           #"{"apiPort": 7391, "payments": {"rpcURL": "http://127.0.0.1:8899"}}"#),
            "hls-playlist": utf8("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:4.000,\nseg0.ts\n#EXT-X-DISCONTINUITY\n#EXTINF:3.5,\nseg1.ts\n#EXT-X-ENDLIST\n",
                                 "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:7\n#EXT-X-KEY:METHOD=AES-128,URI=\"k\",IV=0x00000000000000000000000000000001\n#EXTINF:2,\nlive7.ts\n"),
            "json-rpc": utf8(#"{"jsonrpc":"2.0","id":1,"result":{"context":{"slot":5},"value":{"lamports":100,"data":["AAE=","base64"]}}}"#,
                             #"{"jsonrpc":"2.0","id":2,"error":{"code":-32002,"message":"Transaction simulation failed","data":{"err":{"InstructionError":[0,{"Custom":6}]},"logs":["Program log: x"]}}}"#,
                             #"[1, 2.5e3, -0, "a\u00e9\"", true, false, null, {}]"#),
            "solana-account": [voucher.wire],
            "unixfs": [proto.bytes, node.bytes],
            "ans104": [item.encoded()],
            "base-encodings": utf8(key.address.description, cid.description, "AAECAwQ-_w", "bafkqaaa"),
            "api-body": [[0] + utf8(#"{"video":"/tmp/a.mp4","title":"t","pricePerSecond":5}"#)[0],
                         [1] + utf8(#"{"hlsDir":"/tmp/live","title":"t","stallTimeout":30,"onRestart":"new"}"#)[0],
                         [2] + utf8(#"{"stream":"\#(stream)","amount":100,"text":"hi"}"#)[0],
                         [3] + utf8(#"{"stream":"\#(stream)","text":"hi"}"#)[0],
                         [4] + utf8(#"{"cid":"\#(cid)","service":"kubo"}"#)[0],
                         [5] + utf8(#"{"cid":"\#(cid)","service":"arweave"}"#)[0]],
        ]
    }

    static func write(to dir: String) throws {
        for (name, seeds) in try all() {
            let folder = "\(dir)/\(name)"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for (i, seed) in seeds.enumerated() {
                try Data(seed).write(to: URL(fileURLWithPath: "\(folder)/seed-\(i)"))
            }
        }
    }
}
#endif
