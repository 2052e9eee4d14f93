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
/// closed too (checked every `timeout`: the bytes waiting must go down).
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
        guard case .end = unwrapOutboundIn(data) else { return context.write(data, promise: promise) }
        // The next request's time starts when this answer has left, not when
        // its end was queued: a player on a slow link may take long over a
        // large segment (the write-stall limit watches that it progresses).
        let written = promise ?? context.eventLoop.makePromise(of: Void.self)
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        written.futureResult.whenComplete { _ in
            let (handler, context) = bound.value
            handler.unanswered = max(0, handler.unanswered - 1)
            if handler.unanswered == 0, context.channel.isActive { handler.armRead(context) }
        }
        context.write(data, promise: written)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            writeTimer?.cancel()
            writeTimer = nil
        } else if writeTimer == nil {
            watchProgress(context, pending: Int.max)
        }
        context.fireChannelWritabilityChanged()
    }

    /// While answers wait to be sent, every `timeout` the bytes still
    /// waiting must have gone down; else the client stopped reading. (One
    /// large segment keeps the channel unwritable until it is nearly all
    /// sent, so writability alone says nothing about progress.)
    private func watchProgress(_ context: ChannelHandlerContext, pending before: Int) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        writeTimer = context.eventLoop.scheduleTask(in: timeout) {
            let (handler, context) = bound.value
            guard handler.writeTimer != nil else { return }
            let pending = (try? context.channel.syncOptions?.getOption(.bufferedWritableBytes)) ?? 0
            if pending == 0 {
                handler.writeTimer = nil
            } else if pending >= before {
                context.channel.close(promise: nil)
            } else {
                handler.watchProgress(context, pending: pending)
            }
        }
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
