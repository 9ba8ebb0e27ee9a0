import NIOCore

/// Emulates a slow link on the bytes this side sends: every flushed write leaves the
/// handler `latency` after the link finished serializing it at `bandwidth` — the
/// serialization-delay model of a FIFO link (a token bucket with no burst).
///
/// For a write of `n` bytes flushed at `t`:
///
///     start   = max(t, busyUntil)          // the link is still sending earlier bytes
///     busyUntil = start + n·8 / bandwidth
///     release = busyUntil + latency         // when it reaches the socket
///
/// Release times never decrease, so bytes keep their order. One timer is armed at a time,
/// for the head of the queue; when it fires every due write goes out with one flush. No
/// busy loop, no copying: buffers are queued as they came (reference counted), and the
/// queue is a ring that grows to the largest backlog once. Write promises complete when
/// the bytes really reach the socket. A close waits until the queue has drained (a real
/// link delivers what is in the air before the FIN); a connection that goes inactive fails
/// whatever is still queued.
///
/// Pipeline position: right next to the socket (`PipelineHooks.linkShaper`), below the
/// framing, so it sees raw `ByteBuffer`s. Inbound bytes pass untouched — the peer shapes
/// its own sending side.
public final class LinkShaper: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    public let shape: LinkShape

    private struct Entry {
        var data: NIOAny
        var bytes: Int
        var promise: EventLoopPromise<Void>?
        /// Set when flushed; nil = written but not flushed yet (not on the link).
        var release: NIODeadline?
    }

    private var queue = CircularBuffer<Entry>(initialCapacity: 16)
    /// Index in `queue` of the first entry that has not been flushed.
    private var unflushedFrom = 0
    private var busyUntil = NIODeadline.uptimeNanoseconds(0)
    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?
    private var pendingClose: (mode: CloseMode, promise: EventLoopPromise<Void>?)?

    /// Bytes handed to the socket so far (after shaping).
    public private(set) var bytesReleased: UInt64 = 0

    public init(shape: LinkShape) {
        self.shape = shape
    }

    // MARK: outbound

    /// Largest piece released at once. A real link delivers a large frame progressively;
    /// released whole, a 600 KB activation frame on a 2 Mbit/s link would leave the peer
    /// 2.4 s without a byte, and a silent link looks like a dead device.
    static let sliceBytes = 16 << 10

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        var buffer = unwrapOutboundIn(data)
        // Slices share the buffer's storage (no copy); the promise goes with the last one.
        while buffer.readableBytes > Self.sliceBytes, let head = buffer.readSlice(length: Self.sliceBytes) {
            queue.append(Entry(data: wrapOutboundOut(head), bytes: head.readableBytes, promise: nil, release: nil))
        }
        queue.append(Entry(data: wrapOutboundOut(buffer), bytes: buffer.readableBytes, promise: promise, release: nil))
    }

    public func flush(context: ChannelHandlerContext) {
        let now = context.eventLoop.now
        let latency = TimeAmount.nanoseconds(shape.latencyNanos)
        var i = queue.index(queue.startIndex, offsetBy: unflushedFrom)
        while i != queue.endIndex {
            busyUntil = max(now, busyUntil) + .nanoseconds(shape.serializationNanos(bytes: queue[i].bytes))
            queue[i].release = busyUntil + latency
            queue.formIndex(after: &i)
        }
        unflushedFrom = queue.count
        release(context: context)
    }

    public func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard mode != .input, hasFlushedData else {
            context.close(mode: mode, promise: promise)
            return
        }
        guard var c = pendingClose else {
            pendingClose = (mode, promise)
            return
        }
        // A second close while draining completes with the first; `.all` wins over `.output`.
        if let p = promise {
            if let first = c.promise { first.futureResult.cascade(to: p) } else { c.promise = p }
        }
        if mode == .all { c.mode = .all }
        pendingClose = c
    }

    // MARK: inbound / lifecycle

    public func channelInactive(context: ChannelHandlerContext) {
        failQueued(ChannelError.ioOnClosedChannel)
        context.fireChannelInactive()
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        // Removed from a live channel: hand over what is queued at once, in order, rather
        // than dropping it.
        timer?.cancel(); timer = nil; timerDeadline = nil
        guard !queue.isEmpty else { return }
        if context.channel.isActive {
            while let e = queue.popFirst() {
                context.write(e.data, promise: e.promise)
            }
            unflushedFrom = 0
            context.flush()
        } else {
            failQueued(ChannelError.ioOnClosedChannel)
        }
    }

    // MARK: release

    private var hasFlushedData: Bool { unflushedFrom > 0 }

    /// Writes every flushed entry whose release time has come, then re-arms the timer for
    /// the next one (or carries out a close that waited for the queue to drain).
    private func release(context: ChannelHandlerContext) {
        let now = context.eventLoop.now
        var wrote = false
        while unflushedFrom > 0, let head = queue.first, let at = head.release, at <= now {
            queue.removeFirst()
            unflushedFrom -= 1
            bytesReleased &+= UInt64(head.bytes)
            context.write(head.data, promise: head.promise)
            wrote = true
        }
        if wrote { context.flush() }
        if unflushedFrom > 0, let next = queue.first?.release {
            arm(at: next, context: context)
        } else if let c = pendingClose {
            pendingClose = nil
            context.close(mode: c.mode, promise: c.promise)
        }
    }

    private func arm(at deadline: NIODeadline, context: ChannelHandlerContext) {
        if let armed = timerDeadline, armed <= deadline { return }
        timer?.cancel()
        timerDeadline = deadline
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [weak self] in
            guard let self else { return }
            self.timer = nil
            self.timerDeadline = nil
            self.release(context: context)
        }
    }

    private func failQueued(_ error: Error) {
        timer?.cancel(); timer = nil; timerDeadline = nil
        while let e = queue.popFirst() { e.promise?.fail(error) }
        unflushedFrom = 0
        if let c = pendingClose {
            pendingClose = nil
            c.promise?.fail(error)
        }
    }
}
