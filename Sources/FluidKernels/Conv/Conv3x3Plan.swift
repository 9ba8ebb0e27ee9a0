/// A prepared ("packed") 3×3 convolution, stride 1, pad 1: made once, run many times
/// without allocating (docs/model.md).
///
/// Input is a padded NHWC buffer: [N, H+2, W+2, inStride] with a zero border, of which the
/// plan reads `icCount` channels starting at `icLo`. The plan uses the weight rows
/// `rows` (output channels) and columns `columns` (input channels) of a PyTorch
/// [OC, IC, 3, 3] tensor; column `columns.lowerBound + i` is buffer channel `icLo + i`.
/// Output channels are processed in blocks of up to 16 (two `FloatVector`s), 8 (one) or 4
/// (`FloatHalfVector`) lanes so that C = 4, 8, 12, 16 waste nothing or little.
package final class Conv3x3Plan {
    package let h: Int, w: Int
    /// Floats per input pixel in the padded buffer.
    package let inStride: Int
    package let icLo: Int, icCount: Int
    /// Output channels.
    package let oc: Int

    struct Block {
        let lo: Int      // first output channel of the block
        let width: Int   // valid lanes
        let lanes: Int   // 16, 8 or 4
        let weights: UnsafeMutableRawPointer // [steps][lanes] floats
        let bias: UnsafeMutablePointer<Float> // [lanes]
    }
    let blocks: [Block]
    /// (offset, length) runs of input floats relative to an output pixel's tap (0,0).
    let segs: UnsafeMutablePointer<Int>
    let segCount: Int
    /// Input offset of tap (0,0) of every output pixel, row-major [H·W].
    let pixelTable: UnsafeMutablePointer<Int>
    /// Input offset of tap (0,0) of the top-left pixel of every 2×2 pool window [(H/2)·(W/2)].
    let quadTable: UnsafeMutablePointer<Int>
    /// Input offset of tap (0,0) of the pixels of a pooled row pair that a pool window keeps:
    /// [2 rows, 2·(W/2) columns], relative to the pair's first row.
    let pairTable: UnsafeMutablePointer<Int>
    /// Conv output of one row pair before pooling, [2·2·(W/2), 16] floats. Makes a plan
    /// single-threaded: one plan is run by one thread at a time.
    let pairBuffer: UnsafeMutablePointer<Float>
    /// Input offset of tap (0,0) of every pixel a pool window keeps, row-major
    /// [2·(H/2), 2·(W/2)]; and the conv output of all of them for ≤ 8 channels.
    let keptTable: UnsafeMutablePointer<Int>
    let keptBuffer: UnsafeMutablePointer<Float>

    package var rowStride: Int { (w + 2) * inStride }
    package var imageStride: Int { (h + 2) * (w + 2) * inStride }

    /// weight [OC_total, IC_total, 3, 3] (PyTorch); bias [OC_total] or nil for zero.
    package init(weight: UnsafePointer<Float>, weightInputs: Int, bias: UnsafePointer<Float>?,
                rows: Range<Int>, columns: Range<Int>, h: Int, w: Int, inStride: Int, icLo: Int) {
        precondition(icLo >= 0 && icLo + columns.count <= inStride, "conv plan: channel range outside the pixel")
        self.h = h; self.w = w; self.inStride = inStride
        self.icLo = icLo; self.icCount = columns.count; self.oc = rows.count
        let rowStride = (w + 2) * inStride

        // Runs of input floats in packing order.
        var runs: [(off: Int, len: Int, ky: Int, kx: Int, ch: Int)] = []
        if icCount == inStride {
            for ky in 0..<3 { runs.append((ky * rowStride, 3 * icCount, ky, 0, 0)) }
        } else {
            for ky in 0..<3 { for kx in 0..<3 { runs.append((ky * rowStride + kx * inStride + icLo, icCount, ky, kx, 0)) } }
        }
        segCount = runs.count
        segs = .allocate(capacity: 2 * runs.count)
        for (i, r) in runs.enumerated() { segs[2 * i] = r.off; segs[2 * i + 1] = r.len }

        // (ky, kx, column) of every step, in run order.
        var steps: [(ky: Int, kx: Int, col: Int)] = []
        for r in runs {
            if icCount == inStride {
                for kx in 0..<3 { for i in 0..<icCount { steps.append((r.ky, kx, columns.lowerBound + i)) } }
            } else {
                for i in 0..<icCount { steps.append((r.ky, r.kx, columns.lowerBound + i)) }
            }
        }

        var blocks: [Block] = []
        var lo = 0
        while lo < rows.count {
            let width = min(16, rows.count - lo)
            let lanes = width > 8 ? 16 : (width > 4 ? 8 : 4)
            let wts = UnsafeMutablePointer<Float>.allocate(capacity: max(1, steps.count * lanes))
            wts.initialize(repeating: 0, count: max(1, steps.count * lanes))
            for (s, st) in steps.enumerated() {
                for l in 0..<width {
                    let o = rows.lowerBound + lo + l
                    wts[s * lanes + l] = weight[((o * weightInputs + st.col) * 3 + st.ky) * 3 + st.kx]
                }
            }
            let b = UnsafeMutablePointer<Float>.allocate(capacity: lanes)
            b.initialize(repeating: 0, count: lanes)
            if let bias { for l in 0..<width { b[l] = bias[rows.lowerBound + lo + l] } }
            blocks.append(Block(lo: lo, width: width, lanes: lanes, weights: UnsafeMutableRawPointer(wts), bias: b))
            lo += width
        }
        self.blocks = blocks

        pixelTable = .allocate(capacity: max(1, h * w))
        for y in 0..<h { for x in 0..<w { pixelTable[y * w + x] = (y * (w + 2) + x) * inStride } }
        let ph = h / 2, pw = w / 2
        quadTable = .allocate(capacity: max(1, ph * pw))
        for y in 0..<ph { for x in 0..<pw { quadTable[y * pw + x] = (2 * y * (w + 2) + 2 * x) * inStride } }
        pairTable = .allocate(capacity: max(1, 4 * pw))
        for r in 0..<2 { for x in 0..<(2 * pw) { pairTable[r * 2 * pw + x] = (r * (w + 2) + x) * inStride } }
        pairBuffer = .allocate(capacity: max(1, 4 * pw * 16))
        pairBuffer.initialize(repeating: 0, count: max(1, 4 * pw * 16))
        keptTable = .allocate(capacity: max(1, 4 * ph * pw))
        for y in 0..<(2 * ph) { for x in 0..<(2 * pw) { keptTable[y * 2 * pw + x] = (y * (w + 2) + x) * inStride } }
        let keptFloats = blocks.contains { $0.lanes <= 8 } ? max(1, 4 * ph * pw * 8) : 1
        keptBuffer = .allocate(capacity: keptFloats)
        keptBuffer.initialize(repeating: 0, count: keptFloats)
    }

    deinit {
        for b in blocks {
            b.weights.deallocate()
            b.bias.deallocate()
        }
        segs.deallocate()
        pixelTable.deallocate()
        quadTable.deallocate()
        pairTable.deallocate()
        pairBuffer.deallocate()
        keptTable.deallocate()
        keptBuffer.deallocate()
    }
}
