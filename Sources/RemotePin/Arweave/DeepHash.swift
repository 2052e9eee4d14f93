import Crypto

/// Arweave's deep hash (SHA-384), which ANS-104 data items sign:
/// a blob is H(H("blob" ‖ len) ‖ H(bytes)); a list folds its children into
/// an accumulator that starts at H("list" ‖ count).
enum DeepHash {
    indirect enum Item {
        case blob([UInt8])
        case list([Item])
    }

    static func hash(_ item: Item) -> [UInt8] {
        switch item {
        case .blob(let bytes):
            let tag = sha384(Array("blob\(bytes.count)".utf8))
            return sha384(tag + sha384(bytes))
        case .list(let items):
            var acc = sha384(Array("list\(items.count)".utf8))
            for child in items { acc = sha384(acc + hash(child)) }
            return acc
        }
    }

    private static func sha384(_ bytes: [UInt8]) -> [UInt8] { Array(SHA384.hash(data: bytes)) }
}
