import Foundation
import Testing
@testable import Identity

@Suite struct KeyFileTests {
    let dir: String = {
        let path = NSTemporaryDirectory() + "keyfile-tests-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    func write(_ text: String, mode: Int = 0o600) -> String {
        let path = dir + "/\(UUID().uuidString).json"
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: mode])
        return path
    }

    @Test func saveThenLoadWithMode0600() throws {
        let keys = KeyPair.generate()
        let path = dir + "/id.json"
        try KeyFile.save(keys, path: path)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try KeyFile.load(path: path).address == keys.address)
        // Solana CLI layout: one JSON array of 64 numbers.
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.hasPrefix("[") && text.split(separator: ",").count == 64)
        #expect(throws: IdentityError.keyFileExists(path: path)) { try KeyFile.save(KeyPair.generate(), path: path) }
        #expect(try KeyFile.load(path: path).address == keys.address)
    }

    @Test func importsSolanaKeygenFile() throws {
        // A solana-keygen file of the RFC 8032 seed: seed then public key.
        let seed = hexBytes("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
        let pub = hexBytes("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        let path = write("[" + (seed + pub).map(String.init).joined(separator: ", ") + "]\n")
        #expect(try KeyFile.load(path: path).publicKey == pub)
    }

    @Test func badFilesNameTheFileAndTheProblem() throws {
        let keys = KeyPair.generate()
        let full = String(decoding: KeyFile.encode(keys), as: UTF8.self)
        let cases: [(String, String)] = [
            (String(full.prefix(40)), "truncated"),
            ("[1,2,3]", "holds 3 numbers"),
            ("hello", "not a JSON array"),
            ("", "not a JSON array"),
            ("[" + Array(repeating: "300", count: 64).joined(separator: ",") + "]", "outside 0...255"),
        ]
        for (text, expected) in cases {
            let path = write(text)
            do {
                _ = try KeyFile.load(path: path)
                Issue.record("loaded a bad key file: \(text)")
            } catch {
                #expect(error.description.contains(path))
                #expect(error.description.contains(expected), "\(error.description)")
            }
        }
        var mismatched = keys.secretKeyBytes
        mismatched[63] ^= 1
        let path = write("[" + mismatched.map(String.init).joined(separator: ",") + "]")
        #expect(throws: IdentityError.self) { try KeyFile.load(path: path) }
    }

    @Test func refusesWorldReadableFiles() {
        let path = write(String(decoding: KeyFile.encode(KeyPair.generate()), as: UTF8.self), mode: 0o644)
        #expect(throws: IdentityError.keyFileTooOpen(path: path, mode: 0o644)) { try KeyFile.load(path: path) }
        #expect(IdentityError.keyFileTooOpen(path: path, mode: 0o644).description.contains("chmod 600 \(path)"))
        #expect(throws: IdentityError.self) { try KeyFile.load(path: dir + "/missing.json") }
    }
}
