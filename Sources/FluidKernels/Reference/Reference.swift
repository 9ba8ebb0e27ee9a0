/// Plain scalar kernels: one straightforward loop nest per operation, the readable
/// specification that `Kernels` must match (the slow twin beside the fast kernel).
///
/// Layout everywhere: compact, channels-last (NHWC); weights in PyTorch layout
/// (conv [OC, IC, 3, 3], dense [O, F]) so that a trainer can slice them from the store.
package enum Reference {}
