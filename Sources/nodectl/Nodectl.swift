import ArgumentParser
import PeerNode

@main
struct Nodectl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nodectl",
        abstract: "Run and control a peer-to-peer paid-video node.",
        version: PeerNodeVersion.description,
        subcommands: [
            InitCommand.self, IdCommand.self,
            AddCommand.self, CatCommand.self, BlockCommand.self, LsCommand.self,
            PinCommand.self, UnpinCommand.self, GcCommand.self, VerifyCommand.self,
            BenchCommand.self,
            IpfsCidCommand.self, PinRemoteCommand.self, FetchRemoteCommand.self,
            ChainCommand.self, BalanceCommand.self, ChannelCommand.self,
            DaemonCommand.self, PublishCommand.self, StreamsCommand.self, WatchCommand.self, LiveCommand.self,
            PeersCommand.self, ChatCommand.self, TipCommand.self, EarningsCommand.self, ChannelsCommand.self,
            ClaimCommand.self, DemoCommand.self, SimCommand.self,
        ]
    )
}
