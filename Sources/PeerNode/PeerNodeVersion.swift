/// The node's version, as `nodectl --version` prints it and the daemon logs
/// it on start: the release, then the versions of the formats it speaks,
/// which decide whether two nodes understand each other.
public enum PeerNodeVersion {
    /// Bumped by hand with each release.
    public static let release = "0.1.0"

    public static var description: String {
        "\(release) (exchange frames v\(ExchangeFrame.version), stream manifests v\(StreamManifest.currentVersion))"
    }
}
