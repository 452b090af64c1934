import TensorMath

/// Keys and values of past positions, per layer and per sequence slot, so generation runs one token at
/// a time. A reference type with manually allocated storage: the attention kernels read it through raw
/// pointers from several threads, and it must not be copied per step.
public final class KVCache: @unchecked Sendable {
  public let capacity: Int           // positions per slot
  public let kvDim: Int
  public let layers: Int
  public let slots: Int
  private let keys: UnsafeMutablePointer<Float>    // [layers, slots, capacity, kvDim]
  private let values: UnsafeMutablePointer<Float>  // [layers, slots, capacity, kvDim]
  public private(set) var lengths: [Int]           // [slots] positions filled

  public init(configuration c: LlamaConfiguration, slots: Int, capacity: Int) {
    self.capacity = capacity
    kvDim = c.kvDim
    layers = c.nLayers
    self.slots = slots
    let count = c.nLayers * slots * capacity * c.kvDim
    keys = .allocate(capacity: count)
    keys.initialize(repeating: 0, count: count)
    values = .allocate(capacity: count)
    values.initialize(repeating: 0, count: count)
    lengths = [Int](repeating: 0, count: slots)
  }

  deinit {
    keys.deallocate()
    values.deallocate()
  }

  /// Start of slot `slot`'s keys at `layer` ([capacity, kvDim] row-major).
  func keys(layer: Int, slot: Int) -> UnsafeMutablePointer<Float> {
    keys + ((layer * slots + slot) * capacity) * kvDim
  }

  func values(layer: Int, slot: Int) -> UnsafeMutablePointer<Float> {
    values + ((layer * slots + slot) * capacity) * kvDim
  }

  func advance(_ slot: Int, by n: Int) { lengths[slot] += n }

  /// Copies slot `source`'s filled positions into slot `target` (a shared prompt computed once).
  public func copy(slot source: Int, to target: Int) {
    guard source != target else { return }
    let n = lengths[source] * kvDim
    for l in 0 ..< layers {
      keys(layer: l, slot: target).update(from: keys(layer: l, slot: source), count: n)
      values(layer: l, slot: target).update(from: values(layer: l, slot: source), count: n)
    }
    lengths[target] = lengths[source]
  }

  /// Forgets a slot's contents so it can hold a new sequence.
  public func reset(slot: Int) { lengths[slot] = 0 }
}
