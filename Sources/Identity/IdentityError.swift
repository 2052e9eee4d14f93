/// Everything that can go wrong with keys, key files and addresses, each with
/// a message a user can act on.
public enum IdentityError: Error, Equatable, CustomStringConvertible {
    case invalidAddress(String)
    case invalidSecretKey(String)
    case keyFile(path: String, problem: String)
    case keyFileExists(path: String)
    case keyFileTooOpen(path: String, mode: UInt32)
    case keyConversionFailed

    public var description: String {
        switch self {
        case .invalidAddress(let why): return "invalid address: \(why)"
        case .invalidSecretKey(let why): return "invalid secret key: \(why)"
        case .keyFile(let path, let problem): return "key file \(path): \(problem)"
        case .keyFileExists(let path):
            return "an identity already exists at \(path); refusing to overwrite it (move it away first if you really mean to replace it)"
        case .keyFileTooOpen(let path, let mode):
            return "key file \(path) is readable by others (mode \(String(mode, radix: 8))); run chmod 600 \(path)"
        case .keyConversionFailed: return "the Ed25519 key could not be converted to an X25519 key"
        }
    }
}
