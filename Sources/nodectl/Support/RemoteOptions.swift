import ArgumentParser
import Foundation
import RemotePin

/// Where remote pins go: DATA/remote.json, overridden by these options.
struct RemoteOptions: ParsableArguments {
    @Option(help: ArgumentHelp("kubo RPC API URL.", valueName: "url")) var ipfsAPI: String?
    @Option(help: ArgumentHelp("Authorization header value for the kubo API.", valueName: "value")) var ipfsAPIAuth: String?
    @Option(help: ArgumentHelp("IPFS gateway URL (GET /ipfs/{cid}).", valueName: "url")) var ipfsGateway: String?
    @Option(help: ArgumentHelp("IPFS Pinning Service API endpoint.", valueName: "url")) var pinningService: String?
    @Option(help: ArgumentHelp("Pinning service bearer token (default: $PEERNODE_PINNING_TOKEN).", valueName: "token"))
    var pinningToken: String?
    @Option(help: ArgumentHelp("ANS-104 bundler URL (POST /tx).", valueName: "url")) var bundler: String?
    @Option(help: ArgumentHelp("Arweave gateway URL (GET /tx/{id}); default: the bundler.", valueName: "url"))
    var arweaveGateway: String?
    @Option(help: ArgumentHelp("Seconds for one HTTP call.", valueName: "s")) var timeout: Double?
    @Option(help: ArgumentHelp("Seconds to follow a pin request before giving up.", valueName: "s")) var pinWait: Double?

    func config(dataDirectory: String) throws -> RemoteConfig {
        try RemoteConfig.load(dataDirectory: dataDirectory).overridden(by: RemoteConfig(
            ipfsAPI: ipfsAPI, ipfsAPIAuthorization: ipfsAPIAuth, ipfsGateway: ipfsGateway,
            pinningService: pinningService, pinningServiceToken: pinningToken, arweaveBundler: bundler,
            arweaveGateway: arweaveGateway, requestTimeout: timeout, pinWaitTimeout: pinWait))
    }
}

/// Lets a `ProgressMeter` (used from one thread at a time: libcurl calls
/// back on the thread that runs the request) be handed to @Sendable callbacks.
struct SendableMeter: @unchecked Sendable {
    let meter: ProgressMeter
    var update: @Sendable (UInt64, UInt64) -> Void { { [self] in self.meter.update($0, $1) } }
}
