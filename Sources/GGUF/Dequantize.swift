// Dequantization of ggml blocks to Float32, written from the block layouts in shared/FACTS.md §2.1 and
// ggml's `dequantize_row_*` semantics. Bit-exact against the `gguf` Python package (see GGUFTests).
//
// Why the order of the multiplications cannot matter: a scale is an f16 (11 significant bits), a sub-block
// scale at most 8 bits and a quant at most 8 bits, so every product like `d * sc * q` has at most 24
// significant bits and is exact in Float32 whichever way it is grouped (and so is an FMA's product).
// The only rounding is the final `+ m` / `- dmin * mn`, done once here as in ggml and gguf.

@inline(__always) private func f16(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
  Float(Float16(bitPattern: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
}

@inline(__always) private func byte(_ p: UnsafeRawPointer, _ offset: Int) -> UInt8 {
  p.load(fromByteOffset: offset, as: UInt8.self)
}

/// The 6-bit scale and min of sub-block j of a Q4_K/Q5_K block (llama.cpp `get_scale_min_k4`).
@inline(__always) private func scaleMinK4(_ j: Int, _ s: UnsafeRawPointer) -> (Float, Float) {
  if j < 4 {
    return (Float(byte(s, j) & 63), Float(byte(s, j + 4) & 63))
  }
  let sc = (byte(s, j + 4) & 0x0F) | ((byte(s, j - 4) >> 6) << 4)
  let mn = (byte(s, j + 4) >> 4) | ((byte(s, j) >> 6) << 4)
  return (Float(sc), Float(mn))
}

public enum Dequantize {
  /// Dequantizes `blocks` consecutive blocks of `type` from `src` into `dst`
  /// (`blocks * type.blockGeometry.weights` floats). The caller has checked the sizes.
  ///
  /// Plain loops, one per type: with `-target-cpu haswell` LLVM vectorises them (vpmovzxbd/vpmovsxbd +
  /// vcvtdq2ps). Hand-written SIMD16 versions of Q8_0/Q4_1 were slower (Swift's generic SIMD integer-to-float
  /// conversions are out-of-line calls) and were dropped.
  public static func blocks(_ type: GGMLType, _ src: UnsafeRawPointer, _ blocks: Int, into dst: UnsafeMutablePointer<Float>) {
    let (qk, size) = type.blockGeometry
    switch type {
    case .f32:
      for i in 0 ..< blocks { dst[i] = src.loadUnaligned(fromByteOffset: i * 4, as: Float.self) }
    case .f16:
      for i in 0 ..< blocks { dst[i] = f16(src, i * 2) }
    case .bf16:
      for i in 0 ..< blocks {
        dst[i] = Float(bitPattern: UInt32(src.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)) << 16)
      }
    case .q8_0:
      for b in 0 ..< blocks {
        let p = src + b * size
        let d = f16(p, 0)
        let out = dst + b * qk
        for i in 0 ..< 32 { out[i] = d * Float(p.load(fromByteOffset: 2 + i, as: Int8.self)) }
      }
    case .q4_0:
      for b in 0 ..< blocks {
        let p = src + b * size
        let d = f16(p, 0)
        let out = dst + b * qk
        for j in 0 ..< 16 {
          let q = byte(p, 2 + j)
          out[j] = d * Float(Int(q & 0x0F) - 8)
          out[j + 16] = d * Float(Int(q >> 4) - 8)
        }
      }
    case .q4_1:
      for b in 0 ..< blocks {
        let p = src + b * size
        let d = f16(p, 0)
        let m = f16(p, 2)
        let out = dst + b * qk
        for j in 0 ..< 16 {
          let q = byte(p, 4 + j)
          out[j] = d * Float(q & 0x0F) + m
          out[j + 16] = d * Float(q >> 4) + m
        }
      }
    case .q5_0:
      for b in 0 ..< blocks {
        let p = src + b * size
        let d = f16(p, 0)
        let qh = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
        let out = dst + b * qk
        for j in 0 ..< 16 {
          let q = byte(p, 6 + j)
          let lo = Int(q & 0x0F) | Int((qh >> UInt32(j)) & 1) << 4
          let hi = Int(q >> 4) | Int((qh >> UInt32(j + 16)) & 1) << 4
          out[j] = d * Float(lo - 16)
          out[j + 16] = d * Float(hi - 16)
        }
      }
    case .q5_1:
      for b in 0 ..< blocks {
        let p = src + b * size
        let d = f16(p, 0)
        let m = f16(p, 2)
        let qh = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        let out = dst + b * qk
        for j in 0 ..< 16 {
          let q = byte(p, 8 + j)
          let lo = Int(q & 0x0F) | Int((qh >> UInt32(j)) & 1) << 4
          let hi = Int(q >> 4) | Int((qh >> UInt32(j + 16)) & 1) << 4
          out[j] = d * Float(lo) + m
          out[j + 16] = d * Float(hi) + m
        }
      }
    case .q4_K:
      for b in 0 ..< blocks {
        let p = src + b * size
        let d = f16(p, 0)
        let dmin = f16(p, 2)
        let scales = p + 4
        let qs = p + 16
        let out = dst + b * qk
        for g in 0 ..< 4 {
          let (sc1, m1) = scaleMinK4(2 * g, scales)
          let (sc2, m2) = scaleMinK4(2 * g + 1, scales)
          let d1 = d * sc1, mm1 = dmin * m1
          let d2 = d * sc2, mm2 = dmin * m2
          for i in 0 ..< 32 {
            let q = byte(qs, 32 * g + i)
            out[64 * g + i] = d1 * Float(q & 0x0F) - mm1
            out[64 * g + 32 + i] = d2 * Float(q >> 4) - mm2
          }
        }
      }
    case .q5_K:
      // {f16 d; f16 dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]}: like Q4_K with a fifth bit from qh.
      for b in 0 ..< blocks {
        let p = src + b * size
        let d = f16(p, 0)
        let dmin = f16(p, 2)
        let scales = p + 4
        let qh = p + 16
        let qs = p + 48
        let out = dst + b * qk
        for g in 0 ..< 4 {
          let (sc1, m1) = scaleMinK4(2 * g, scales)
          let (sc2, m2) = scaleMinK4(2 * g + 1, scales)
          let d1 = d * sc1, mm1 = dmin * m1
          let d2 = d * sc2, mm2 = dmin * m2
          let u1 = UInt8(1) << UInt8(2 * g)
          let u2 = UInt8(2) << UInt8(2 * g)
          for i in 0 ..< 32 {
            let q = byte(qs, 32 * g + i)
            let h = byte(qh, i)
            out[64 * g + i] = d1 * Float(Int(q & 0x0F) + ((h & u1) != 0 ? 16 : 0)) - mm1
            out[64 * g + 32 + i] = d2 * Float(Int(q >> 4) + ((h & u2) != 0 ? 16 : 0)) - mm2
          }
        }
      }
    case .q6_K:
      for b in 0 ..< blocks {
        let p = src + b * size
        let ql = p
        let qh = p + 128
        let sc = p + 192
        let d = f16(p, 208)
        let out = dst + b * qk
        for h in 0 ..< 2 {
          let L = ql + 64 * h
          let H = qh + 32 * h
          let S = sc + 8 * h
          for l in 0 ..< 32 {
            let isc = l / 16
            let hl = byte(H, l)
            let q0 = Int(byte(L, l) & 0x0F | ((hl >> 0) & 3) << 4) - 32
            let q1 = Int(byte(L, l + 32) & 0x0F | ((hl >> 2) & 3) << 4) - 32
            let q2 = Int(byte(L, l) >> 4 | ((hl >> 4) & 3) << 4) - 32
            let q3 = Int(byte(L, l + 32) >> 4 | ((hl >> 6) & 3) << 4) - 32
            let base = 128 * h + l
            out[base] = d * Float(S.load(fromByteOffset: isc, as: Int8.self)) * Float(q0)
            out[base + 32] = d * Float(S.load(fromByteOffset: isc + 2, as: Int8.self)) * Float(q1)
            out[base + 64] = d * Float(S.load(fromByteOffset: isc + 4, as: Int8.self)) * Float(q2)
            out[base + 96] = d * Float(S.load(fromByteOffset: isc + 6, as: Int8.self)) * Float(q3)
          }
        }
      }
    default:
      // GGUFFile checks `isDequantizable` before calling; other callers get zeros rather than a trap.
      dst.update(repeating: 0, count: blocks * qk)
    }
  }
}
