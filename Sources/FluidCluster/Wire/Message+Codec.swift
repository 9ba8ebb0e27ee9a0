import FluidModel

extension Message {
    public var type: MessageType {
        switch self {
        case .hello: return .hello
        case .refuse: return .refuse
        case .heartbeat: return .heartbeat
        case .plan: return .plan
        case .deployAck: return .deployAck
        case .setMode: return .setMode
        case .request(let r): return r.standalone ? .standaloneRequest : .request
        case .answer: return .answer
        case .reject: return .reject
        case .jointImages: return .jointImages
        case .jointActivations: return .jointActivations
        case .jointPartial: return .jointPartial
        }
    }

    /// The whole frame: header + payload.
    public func encodedFrame() -> [UInt8] {
        var out: [UInt8] = []
        writeFrame(reserve: { out.reserveCapacity($0) }, write: { out.append(contentsOf: $0) })
        return out
    }

    /// The payload alone (the frame without its header).
    public func encodedPayload() -> [UInt8] {
        withFields { head, bulk in head + Array(bulk) }
    }

    /// Emits the frame as chunks: `reserve` is told the total length first, then `write`
    /// gets the header and the fields, then the bulk bytes (images, activations, logits:
    /// hundreds of kilobytes per batch) straight from the message's array, never copied
    /// into an intermediate payload.
    public func writeFrame(reserve: (Int) -> Void, write: (UnsafeRawBufferPointer) -> Void) {
        withFields { head, bulk in
            var out: [UInt8] = []
            out.reserveCapacity(WireFormat.headerLength + head.count)
            FrameHeader.write(type: type, length: head.count + bulk.count, into: &out)
            out.append(contentsOf: head)
            reserve(out.count + bulk.count)
            out.withUnsafeBytes(write)
            if bulk.count > 0 { write(bulk) }
        }
    }

    /// The frame header and fields of a `jointActivations` frame of `floats` floats, for a
    /// sender that writes the floats itself, straight after them (little-endian float32):
    /// a node packs its activations from the engine into the frame without an array.
    public static func jointActivationsHead(batch: UInt64, layer: Int, floats: Int) -> [UInt8] {
        var w = ByteWriter(capacity: 13)
        jointActivationsFields(batch: batch, layer: layer, floats: floats, into: &w)
        var out: [UInt8] = []
        out.reserveCapacity(WireFormat.headerLength + w.bytes.count)
        FrameHeader.write(type: .jointActivations, length: w.bytes.count + 4 * floats, into: &out)
        return out + w.bytes
    }

    static func jointActivationsFields(batch: UInt64, layer: Int, floats: Int, into w: inout ByteWriter) {
        w.u64(batch); w.u8(UInt8(truncatingIfNeeded: layer)); w.u32(UInt32(truncatingIfNeeded: floats))
    }

    /// The one encoder: every message's fields (integers big-endian) as `head`, and its bulk
    /// bytes (raw: images, or float32 little-endian) as `bulk`, empty for most messages.
    func withFields<R>(_ body: ([UInt8], UnsafeRawBufferPointer) -> R) -> R {
        var w = ByteWriter()
        switch self {
        case .hello(let h):
            w.u8(WireFormat.version); w.u8(h.role.rawValue); w.u8(h.kind.code)
            w.string(h.weightsSHA256); w.string(h.nodeID); w.u64(h.incarnation); w.u64(h.planEpoch)
            w.u8(h.mode == .ha ? 0 : 1)
        case .refuse(let reason):
            w.string(reason)
        case .heartbeat(let h):
            w.u64(h.sentAtNanos); w.u64(h.imagesComputed); w.u64(h.peerBytesOut); w.u64(h.peerBytesIn)
        case .plan(let p):
            w.u64(p.epoch); w.u8(p.plan.code); w.u8(p.leader == .master ? 0 : 1)
            w.u8(p.mode == .ha ? 0 : 1)
            w.bool(p.needsPeerAfter.first ?? false); w.bool(p.needsPeerAfter.dropFirst().first ?? false)
            w.string(p.reason)
            if let wanted = p.wanted { w.u8(wanted.code) }
        case .deployAck(let epoch, let needs):
            w.u64(epoch); w.bool(needs.first ?? false); w.bool(needs.dropFirst().first ?? false)
        case .setMode(let m):
            w.u8(m.mode == .ha ? 0 : 1)
            // Only when set: a mode change alone keeps the one-byte payload of old sources.
            if let p = m.plan { w.u8(p.code) }
        case .request(let r):
            w = ByteWriter(capacity: 4 + 8 * r.ids.count)
            w.u32(UInt32(r.ids.count)); for id in r.ids { w.u64(id) }
            return r.images.withUnsafeBytes { body(w.bytes, $0) }
        case .answer(let a):
            w.u8(a.plan.code); w.u32(UInt32(a.ids.count))
            for id in a.ids { w.u64(id) }
            for l in a.labels { w.u8(UInt8(bitPattern: l)) }
        case .reject(let ids):
            w.u32(UInt32(ids.count)); for id in ids { w.u64(id) }
        case .jointImages(let batch, let epoch, let count, let images):
            w.u64(batch); w.u64(epoch); w.u32(UInt32(count))
            return images.withUnsafeBytes { body(w.bytes, $0) }
        case .jointActivations(let batch, let layer, let values):
            Self.jointActivationsFields(batch: batch, layer: layer, floats: values.count, into: &w)
            return values.withUnsafeBytes { body(w.bytes, $0) }
        case .jointPartial(let batch, let values):
            w.u64(batch); w.u32(UInt32(values.count))
            return values.withUnsafeBytes { body(w.bytes, $0) }
        }
        return body(w.bytes, UnsafeRawBufferPointer(start: nil, count: 0))
    }

    /// Largest batch a request or joint frame may carry: the one limit shared by the CLI's
    /// `--batch` check, the source and the node (whose engines are sized for it). A node
    /// computes at most 256 images per go; a larger frame would only fail later, on the
    /// peer, and look like the peer's fault (issue 12).
    public static let maxBatch = 256

    /// Decodes a payload of type `typeByte`; throws `WireError` naming the problem.
    public static func decode(type typeByte: UInt8, payload: [UInt8]) throws -> Message {
        try payload.withUnsafeBytes { try decode(type: typeByte, payload: $0) }
    }

    /// The one decoder: reads the payload where it lies (a receive buffer), copying each
    /// bulk field once into the message's array.
    public static func decode(type typeByte: UInt8, payload: UnsafeRawBufferPointer) throws -> Message {
        guard let type = MessageType(rawValue: typeByte) else { throw WireError.unknownType(typeByte) }
        var r = ByteReader(payload, type: "\(type)")
        func count(_ what: String) throws -> Int {
            let n = Int(try r.u32(what))
            guard n <= maxBatch else {
                throw WireError.malformed(type: "\(type)", problem: "\(what) \(n) exceeds \(maxBatch)")
            }
            return n
        }
        func bad(_ p: String) -> WireError { WireError.malformed(type: "\(type)", problem: p) }
        let message: Message
        switch type {
        case .hello:
            let v = try r.u8("version")
            guard v == WireFormat.version else { throw WireError.wrongVersion(found: v, expected: WireFormat.version) }
            guard let role = PeerRole(rawValue: try r.u8("role")) else { throw bad("unknown role") }
            guard let kind = ModelKind(code: try r.u8("kind")) else { throw bad("unknown model kind") }
            let sha = try r.string("weights sha"), id = try r.string("node id")
            let incarnation = try r.u64("incarnation"), planEpoch = try r.epoch("plan epoch")
            let mode = try r.u8("mode")
            guard mode <= 1 else { throw bad("mode \(mode) out of range") }
            message = .hello(Hello(role: role, kind: kind, weightsSHA256: sha, nodeID: id,
                                   incarnation: incarnation, planEpoch: planEpoch, mode: mode == 0 ? .ha : .ht))
        case .refuse:
            message = .refuse(try r.string("reason"))
        case .heartbeat:
            message = .heartbeat(Heartbeat(sentAtNanos: try r.u64(), imagesComputed: try r.u64(),
                                           peerBytesOut: try r.u64(), peerBytesIn: try r.u64()))
        case .plan:
            let epoch = try r.epoch("epoch")
            guard let plan = Plan(code: try r.u8("plan")) else { throw bad("unknown plan") }
            let leader = try r.u8("leader"), mode = try r.u8("mode")
            guard leader <= 1, mode <= 1 else { throw bad("leader/mode out of range") }
            let n1 = try r.bool(), n2 = try r.bool()
            let reason = try r.string("reason")
            let wanted = try r.remaining > 0 ? r.wantedPlan() : nil
            message = .plan(PlanAnnouncement(epoch: epoch, plan: plan, leader: leader == 0 ? .master : .worker,
                                             mode: mode == 0 ? .ha : .ht, needsPeerAfter: [n1, n2],
                                             reason: reason, wanted: wanted))
        case .deployAck:
            let epoch = try r.epoch("epoch")
            message = .deployAck(epoch: epoch, needsPeerAfter: [try r.bool(), try r.bool()])
        case .setMode:
            let m = try r.u8("mode")
            guard m <= 1 else { throw bad("mode \(m) out of range") }
            let wanted = try r.remaining > 0 ? r.wantedPlan() : nil
            message = .setMode(ModeRequest(mode: m == 0 ? .ha : .ht, plan: wanted))
        case .request, .standaloneRequest:
            let n = try count("count")
            var ids = [UInt64](); ids.reserveCapacity(n)
            for _ in 0..<n { ids.append(try r.u64("id")) }
            message = .request(RequestBatch(ids: ids, images: try r.raw(n * CNN.imagePixels, "images"),
                                             standalone: type == .standaloneRequest))
        case .answer:
            guard let plan = Plan(code: try r.u8("plan")) else { throw bad("unknown plan") }
            let n = try count("count")
            var ids = [UInt64](); ids.reserveCapacity(n)
            for _ in 0..<n { ids.append(try r.u64("id")) }
            let labels = try r.raw(n, "labels").map { Int8(bitPattern: $0) }
            guard labels.allSatisfy({ $0 >= -1 && $0 < Int8(CNN.classes) }) else { throw bad("label out of range") }
            message = .answer(AnswerBatch(ids: ids, labels: labels, plan: plan))
        case .reject:
            let n = try count("count")
            var ids = [UInt64](); ids.reserveCapacity(n)
            for _ in 0..<n { ids.append(try r.u64("id")) }
            message = .reject(ids: ids)
        case .jointImages:
            let batch = try r.u64("batch"), epoch = try r.epoch("epoch")
            let n = try count("count")
            message = .jointImages(batch: batch, epoch: epoch, count: n, images: try r.raw(n * CNN.imagePixels, "images"))
        case .jointActivations:
            let batch = try r.u64("batch")
            let layer = Int(try r.u8("layer"))
            guard layer == 1 || layer == 2 else { throw bad("layer \(layer) is not 1 or 2") }
            message = .jointActivations(batch: batch, layer: layer, values: try r.floats("activations"))
        case .jointPartial:
            let batch = try r.u64("batch")
            let values = try r.floats("partial logits")
            guard values.count <= maxBatch * CNN.classes else { throw bad("\(values.count) logits exceed \(maxBatch) images") }
            guard values.count % CNN.classes == 0 else { throw bad("\(values.count) logits is not a multiple of 10") }
            message = .jointPartial(batch: batch, values: values)
        }
        try r.end()
        return message
    }
}

extension ModelKind {
    /// Wire code, written out rather than derived from the order of the cases, so
    /// reordering them cannot change the protocol (CodecTests pins the table).
    public var code: UInt8 {
        switch self {
        case .static: return 0
        case .dynamic: return 1
        case .fluid: return 2
        }
    }

    public init?(code: UInt8) {
        guard let kind = ModelKind.allCases.first(where: { $0.code == code }) else { return nil }
        self = kind
    }
}

extension ByteReader {
    /// An optional trailing wanted plan: a known code other than `none`.
    mutating func wantedPlan() throws -> Plan {
        let code = try u8("wanted plan")
        guard let p = Plan(code: code), p != .none else {
            throw WireError.malformed(type: type, problem: "wanted plan code \(code) is not a plan of the menu")
        }
        return p
    }
}
