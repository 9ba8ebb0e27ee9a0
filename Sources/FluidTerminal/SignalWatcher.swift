import Dispatch
import Foundation

/// Turns SIGTERM / SIGHUP / SIGINT into a flag the dashboard loop polls between
/// frames, so a signal quits through the same path as `q` (nodes stopped,
/// terminal restored). SIGWINCH is left to curses (KEY_RESIZE).
final class SignalWatcher {
    private var sources: [DispatchSourceSignal] = []
    private let lock = NSLock()
    private var received: Int32?

    static let watched: [Int32] = [SIGTERM, SIGHUP, SIGINT]

    init() {
        for sig in Self.watched {
            signal(sig, SIG_IGN)
            let src = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            src.setEventHandler { [weak self] in
                guard let self else { return }
                self.lock.lock()
                if self.received == nil { self.received = sig }
                self.lock.unlock()
            }
            src.resume()
            sources.append(src)
        }
    }

    /// The first signal received, if any.
    var signalReceived: Int32? {
        lock.lock(); defer { lock.unlock() }
        return received
    }

    /// Back to default dispositions.
    func cancel() {
        for s in sources { s.cancel() }
        sources.removeAll()
        for sig in Self.watched { signal(sig, SIG_DFL) }
    }
}
