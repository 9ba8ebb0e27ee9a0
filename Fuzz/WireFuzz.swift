// libFuzzer target for the frame decoder (issue 12 item 5). Built by scripts/fuzz-wire.sh
// with `swiftc -sanitize=fuzzer` straight from the Wire sources (one module, no SwiftPM:
// instrumenting the package would rebuild every dependency in a second configuration).
//
// Each input is a byte stream as a socket would deliver it, cut and decoded by
// FrameDecoder.frame(in:), the step the NIO decoder runs on its receive buffer. Whatever
// decodes must re-encode to a frame that decodes to the same message, and respect the
// bounds that the node relies on; any trap (overflow, out-of-range index) is a finding.

@_cdecl("LLVMFuzzerTestOneInput")
public func wireFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    var at = 0
    while at < bytes.count {
        let found: (message: Message, length: Int)?
        do { found = try FrameDecoder.frame(in: UnsafeRawBufferPointer(rebasing: bytes[at...])) } catch { return 0 }
        guard let (m, length) = found else { return 0 }
        precondition(length >= WireFormat.headerLength && at + length <= bytes.count, "frame length \(length)")
        let frame = m.encodedFrame()
        // Compared as bytes: activations may carry NaN, which is never == itself.
        precondition((try? Message.decode(type: frame[3], payload: Array(frame[8...])))?.encodedFrame() == frame, "round trip of \(m.type)")
        switch m {
        case .hello(let x): precondition(x.planEpoch <= WireFormat.maxEpoch)
        case .plan(let p): precondition(p.epoch <= WireFormat.maxEpoch)
        case .deployAck(let e, _): precondition(e <= WireFormat.maxEpoch)
        case .request(let r): precondition(r.ids.count <= Message.maxBatch && r.images.count == r.ids.count * 784)
        case .jointImages(_, let e, let n, let img): precondition(e <= WireFormat.maxEpoch && n <= Message.maxBatch && img.count == n * 784)
        default: break
        }
        at += length
    }
    return 0
}
