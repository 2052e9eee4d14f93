import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Bounds slow and idle connections of the local API: once a connection is
/// open, and again after each answer, the next request (head and body) must
/// have arrived in full within `timeout`, or the connection is closed. That
/// closes idle keep-alive connections, connections that never send, and
/// "slowloris" clients that trickle a header byte at a time (every byte
/// would reset a plain idle timer). While a request is being answered no
/// limit applies (a publish may take minutes), except that a client that
/// stops reading an answer (the socket stays unwritable) for `timeout` is
/// closed too.
final class RequestDeadline: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let timeout: TimeAmount
    private var readTimer: Scheduled<Void>?
    private var writeTimer: Scheduled<Void>?
    /// Requests read in full and not answered yet.
    private var unanswered = 0

    init(timeout: TimeAmount) { self.timeout = timeout }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { armRead(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        armRead(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelAll()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) { cancelAll() }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .end = unwrapInboundIn(data) {
            unanswered += 1
            readTimer?.cancel()
            readTimer = nil
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            unanswered = max(0, unanswered - 1)
            if unanswered == 0 { armRead(context) }
        }
        context.write(data, promise: promise)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            writeTimer?.cancel()
            writeTimer = nil
        } else if writeTimer == nil {
            writeTimer = schedule(context)
        }
        context.fireChannelWritabilityChanged()
    }

    private func armRead(_ context: ChannelHandlerContext) {
        readTimer?.cancel()
        readTimer = schedule(context)
    }

    private func schedule(_ context: ChannelHandlerContext) -> Scheduled<Void> {
        let channel = context.channel
        return context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
    }

    private func cancelAll() {
        readTimer?.cancel()
        writeTimer?.cancel()
        readTimer = nil
        writeTimer = nil
    }
}
