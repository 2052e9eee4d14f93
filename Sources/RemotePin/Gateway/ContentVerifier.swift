import ContentStore

/// Decides whether bytes are what a CID names, recomputing the CID the way
/// its maker would have: a raw CID names one block (SHA-256 of the bytes);
/// a dag-pb CID is a UnixFS file root, made by kubo's defaults (v0) or by
/// `--cid-version 1` (v1, raw leaves; dag-pb leaves also tried, and a v0
/// DAG under its v1 name).
public enum ContentVerifier {
    public static func matches<Bytes: Collection>(_ bytes: Bytes, cid: CID) -> Bool where Bytes.Element == UInt8 {
        switch cid.codec {
        case .raw:
            return cid.matches(Array(bytes))
        case .dagPB:
            if cid.version == 0 { return UnixFS.root(of: bytes, options: .kuboDefault).cid == cid }
            if UnixFS.root(of: bytes, options: .kuboCIDv1).cid == cid { return true }
            if UnixFS.root(of: bytes, options: UnixFSOptions(cidVersion: 1, rawLeaves: false)).cid == cid { return true }
            // A v0 DAG named by its CIDv1 (same multihash, as `ipfs cid base32` prints it).
            return UnixFS.root(of: bytes, options: .kuboDefault).cid.digest == cid.digest
        case .dagJSON:
            return false
        }
    }
}
