import FluidKernels

extension Conv3x3Plan {
    /// A plan of `layer` from the full store's tensors: weight [fullWidth, inputs, 3, 3] (or
    /// [fullWidth, 1, 3, 3] for conv1), bias [fullWidth]; the sides come from the descriptor.
    convenience init(_ weight: [Float], _ bias: [Float], layer: ConvLayer, rows: Range<Int>, columns: Range<Int>,
                     inStride: Int, icLo: Int) {
        let inputs = layer.inputs(width: CNN.fullWidth)
        self.init(weight: weight, weightInputs: inputs, bias: bias, rows: rows, columns: columns,
                  h: layer.side, w: layer.side, inStride: inStride, icLo: icLo)
    }
}
