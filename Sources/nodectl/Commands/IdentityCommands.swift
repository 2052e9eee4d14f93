import ArgumentParser
import Foundation
import Identity

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Create the node's identity (an Ed25519 key pair) and print its address.")

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: ArgumentHelp(
        "Import a key instead of generating one: a Solana key file (JSON array of 64 numbers) or a base58 secret key as wallets export it.",
        valueName: "file"))
    var importKeypair: String?

    func run() throws {
        let dir = global.dataDirectory
        if FileManager.default.fileExists(atPath: dir.identityFile) {
            throw IdentityError.keyFileExists(path: dir.identityFile)
        }
        let keys = try dir.createIdentity(try importKeypair.map(Self.importKey) ?? KeyPair.generate())
        if global.json {
            Output.json(["address": keys.address.base58, "identityFile": dir.identityFile])
        } else {
            print(keys.address.base58)
            Output.note("identity written to \(dir.identityFile)")
        }
    }

    static func importKey(path: String) throws -> KeyPair {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw IdentityError.keyFile(path: path, problem: "does not exist or cannot be read")
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasPrefix("[") { return try KeyFile.parse(data, path: path) }
        do {
            return try KeyPair(base58SecretKey: text)
        } catch {
            throw IdentityError.keyFile(path: path, problem: "neither a Solana key file (JSON array) nor a base58 secret key: \(error)")
        }
    }
}

struct IdCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "id", abstract: "Print the node's address.")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let keys = try global.dataDirectory.loadIdentity()
        if global.json {
            Output.json(["address": keys.address.base58])
        } else {
            print(keys.address.base58)
        }
    }
}
