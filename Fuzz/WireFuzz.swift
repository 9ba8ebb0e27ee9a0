// libFuzzer target for the frame decoder (issue 12 item 5). Built by scripts/fuzz-wire.sh
// with `swiftc -sanitize=fuzzer` straight from the Wire sources (one module, no SwiftPM:
// instrumenting the package would rebuild every dependency in a second configuration).
//
// Each input is a byte stream as a socket would deliver it: frames are cut with
// FrameHeader.parse, each payload goes through both decoders. Whatever decodes must
// re-encode to a frame that decodes to the same message, and respect the bounds that
// the node relies on; any trap (overflow, out-of-range index) is a finding.

@_cdecl("LLVMFuzzerTestOneInput")
public func wireFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var at = 0
    while at < bytes.count {
        let rest = Array(bytes[at...])
        let header: FrameHeader?
        do {
            header = try rest.withUnsafeBytes { try FrameHeader.parse(UnsafeRawBufferPointer(rebasing: $0.prefix(WireFormat.headerLength))) }
        } catch { return 0 }
        guard let h = header, rest.count >= WireFormat.headerLength + h.length else { return 0 }
        let payload = Array(rest[WireFormat.headerLength..<(WireFormat.headerLength + h.length)])
        let bulk = payload.withUnsafeBytes { Message.decodeBulk(type: h.type, payload: $0) }
        let general = try? Message.decode(type: h.type, payload: payload)
        // Compared as bytes: activations may carry NaN, which is never == itself.
        if let b = bulk { precondition(general?.encodedFrame() == b.encodedFrame(), "bulk and general decoders disagree on \(b.type)") }
        if let m = general {
            let frame = m.encodedFrame()
            precondition((try? Message.decode(type: frame[3], payload: Array(frame[8...])))?.encodedFrame() == frame, "round trip of \(m.type)")
            switch m {
            case .hello(let x): precondition(x.planEpoch <= WireFormat.maxEpoch)
            case .plan(let p): precondition(p.epoch <= WireFormat.maxEpoch)
            case .deployAck(let e, _): precondition(e <= WireFormat.maxEpoch)
            case .request(let r): precondition(r.ids.count <= Message.maxBatch && r.images.count == r.ids.count * 784)
            case .jointImages(_, let e, let n, let img): precondition(e <= WireFormat.maxEpoch && n <= Message.maxBatch && img.count == n * 784)
            default: break
            }
        }
        at += WireFormat.headerLength + h.length
    }
    return 0
}
