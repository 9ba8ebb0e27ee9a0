/// Copies between compact NHWC tensors and the zero-bordered layout the conv kernels read.
package enum Padding {
    /// Floats in a padded [N, H+2, W+2, C] buffer.
    @inlinable package static func paddedCount(n: Int, h: Int, w: Int, c: Int) -> Int { n * (h + 2) * (w + 2) * c }

    /// compact [N,H,W,C] -> padded [N,H+2,W+2,C] with a zero border (whole buffer written).
    package static func pad(_ input: UnsafePointer<Float>, into padded: UnsafeMutablePointer<Float>,
                           n: Int, h: Int, w: Int, c: Int) {
        let rowFloats = (w + 2) * c
        for b in 0..<n {
            let img = padded + b * (h + 2) * rowFloats
            img.update(repeating: 0, count: rowFloats)
            (img + (h + 1) * rowFloats).update(repeating: 0, count: rowFloats)
            for y in 0..<h {
                let row = img + (y + 1) * rowFloats
                row.update(repeating: 0, count: c)
                (row + c).update(from: input + ((b * h + y) * w) * c, count: w * c)
                (row + (w + 1) * c).update(repeating: 0, count: c)
            }
        }
    }
}
