import AtlasArtifacts
import AtlasDiff
import TensorMath

/// Synthetic SAEs for the diff tests: random unit directions in a small space.
enum Synthetic {
  static func gaussianRows(_ n: Int, _ d: Int, _ rng: inout SplitMix64) -> Matrix {
    CandidateSearch.unitRows(Matrix(rows: n, columns: d, storage: (0 ..< n * d).map { _ in rng.nextGaussian() }))
  }

  static func identity(latents: Int, dModel: Int, hook: String = "blocks.3.hook_resid_post", name: String = "A") -> DiffSideRecord {
    DiffSideRecord(path: name, title: name, modelName: "synthetic", modelSHA256: "00", hookPoint: hook, dModel: dModel, latents: latents,
                   corpusDigest: "c0", saeWeightsDigest: name)
  }

  /// Encoder rows near the decoder rows (as in a trained SAE), seeded.
  static func encoder(for decoder: Matrix, noise: Float, _ rng: inout SplitMix64) -> Matrix {
    var e = decoder
    for i in e.storage.indices { e.storage[i] += noise * rng.nextGaussian() / Float(decoder.columns).squareRoot() }
    return e
  }

  static func facts(_ n: Int, _ rng: inout SplitMix64) -> [DiffFeatureFacts] {
    (0 ..< n).map { i in
      DiffFeatureFacts(label: "tokens \(i)", labelPattern: ["t\(i)"], labelAccuracy: 0.8, labelContradicted: false,
                       density: 0.001 + Double(rng.nextUnitFloat()) * 0.01, topTokens: (0 ..< 5).map { "w\(i)_\($0)" }, dead: false)
    }
  }

  static func side(decoder: Matrix, encoder: Matrix, name: String, facts: [DiffFeatureFacts]? = nil, x: [Float]? = nil, y: [Float]? = nil,
                   clusters: [DiffClusterLevel] = []) -> DiffSide {
    DiffSide(identity: identity(latents: decoder.rows, dModel: decoder.columns, name: name), decoder: decoder, encoder: encoder,
             features: facts, x: x, y: y, clusters: clusters)
  }

  /// B built from A with what was planted recorded.
  struct Planted {
    var a: DiffSide
    var b: DiffSide
    var pairs: Set<[Int]>            // [a, b]
    var vanished: Set<Int>
    var new: Set<Int>
    var splits: [Int: Set<Int>]      // a -> parts in B
    var merges: [Int: Set<Int>]      // b -> parts in A
  }

  /// A has `n` features; of them `replaced` are swapped for fresh directions, `split` become two B features
  /// each, `merged` pairs of A features become one B feature; the rest are copied with a little noise. B's
  /// order is a random permutation.
  static func planted(n: Int, d: Int, replaced: Int, split: Int, merged: Int, noise: Float, seed: UInt64) -> Planted {
    var rng = SplitMix64(seed: seed)
    let decA = gaussianRows(n, d, &rng)
    var order = Array(0 ..< n)
    order.shuffle(using: &rng)
    var cursor = 0
    func take(_ k: Int) -> [Int] { defer { cursor += k }; return Array(order[cursor ..< cursor + k]) }
    let replacedA = take(replaced), splitA = take(split), mergedA = take(2 * merged), copiedA = Array(order[cursor...])

    var rowsB: [(row: [Float], origin: Int)] = []   // origin: a index, −1 fresh, −2 − a for split parts, −(1 << 20) − b for merges
    func unit(_ v: [Float]) -> [Float] {
      let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
      return v.map { $0 / norm }
    }
    func rowA(_ i: Int) -> [Float] { Array(decA.row(i)) }
    func gaussian() -> [Float] { (0 ..< d).map { _ in rng.nextGaussian() } }
    func orthogonal(to a: [Float]) -> [Float] {
      let r = gaussian()
      let p = zip(r, a).reduce(0) { $0 + $1.0 * $1.1 }
      return unit(zip(r, a).map { $0 - p * $1 })
    }
    var kinds: [(kind: Int, a: [Int])] = []   // 0 copy, 1 fresh, 2 split part, 3 merge
    for i in copiedA {
      let e = gaussian()
      rowsB.append((unit(zip(rowA(i), e).map { $0 + noise * $1 / Float(d).squareRoot() }), i))
      kinds.append((0, [i]))
    }
    for _ in replacedA { rowsB.append((unit(gaussian()), -1)); kinds.append((1, [])) }
    for i in splitA {
      // Two parts at ±t along a direction orthogonal to a: each has cosine 1/sqrt(1+t²) with a (0.55-0.75).
      let r = orthogonal(to: rowA(i))
      let cosine = 0.55 + 0.2 * rng.nextUnitFloat()
      let t = (1 / (cosine * cosine) - 1).squareRoot()
      let w = 0.8 + 0.4 * rng.nextUnitFloat()   // unequal halves
      rowsB.append((unit(zip(rowA(i), r).map { $0 + t * $1 }), i)); kinds.append((2, [i]))
      rowsB.append((unit(zip(rowA(i), r).map { $0 - t * w * $1 }), i)); kinds.append((2, [i]))
    }
    for m in 0 ..< merged {
      let (i1, i2) = (mergedA[2 * m], mergedA[2 * m + 1])
      let w = 0.8 + 0.4 * rng.nextUnitFloat()
      rowsB.append((unit(zip(rowA(i1), rowA(i2)).map { $0 + w * $1 }), i1)); kinds.append((3, [i1, i2]))
    }
    var permutation = Array(0 ..< rowsB.count)
    permutation.shuffle(using: &rng)       // B row p holds rowsB[permutation[p]]
    var decB = Matrix(rows: rowsB.count, columns: d)
    var pairs = Set<[Int]>(), new = Set<Int>(), splits: [Int: Set<Int>] = [:], merges: [Int: Set<Int>] = [:]
    for (p, source) in permutation.enumerated() {
      decB.setRow(p, rowsB[source].row)
      let kind = kinds[source]
      switch kind.kind {
      case 0: pairs.insert([kind.a[0], p])
      case 1: new.insert(p)
      case 2: splits[kind.a[0], default: []].insert(p)
      default: merges[p] = Set(kind.a)
      }
    }
    let a = side(decoder: decA, encoder: encoder(for: decA, noise: 0.3, &rng), name: "A")
    let b = side(decoder: decB, encoder: encoder(for: decB, noise: 0.3, &rng), name: "B")
    return Planted(a: a, b: b, pairs: pairs, vanished: Set(replacedA), new: new, splits: splits, merges: merges)
  }
}
