import Dispatch

/// Runs `body(t)` for t in 0..<threads, one call per thread, and returns when every call has.
///
/// `DispatchQueue.concurrentPerform` takes a `@Sendable` closure, which the trainer's and
/// evaluator's bodies cannot be: they read the caller's buffers through unsafe pointers and
/// write per-thread (or per-shard) state. That is safe by construction — no two calls write
/// the same memory, and nothing outlives the call — which the compiler cannot see, so the
/// closure crosses the boundary in an unchecked box, here and nowhere else.
func parallelFor(threads: Int, _ body: (Int) -> Void) {
    guard threads > 1 else {
        if threads == 1 { body(0) }
        return
    }
    withoutActuallyEscaping(body) { body in
        let box = UncheckedSendableBox(body)
        DispatchQueue.concurrentPerform(iterations: threads) { box.value($0) }
    }
}

private struct UncheckedSendableBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
