import AtlasFixtures
import Foundation
import TensorMath
import TestSupport
import Testing

import AtlasSite

@Suite("Map geometry")
struct GeometryTests {
  @Test("Positions land inside the padded box with their aspect ratio kept and y pointing up")
  func normalisation() {
    let map = MapGeometry(x: [0, 10, 5, 2], y: [0, 2, 1, -3], assignment: [[0, 0, 1, 1]])
    for i in 0 ..< 4 {
      #expect(Double(map.u[i]) >= MapGeometry.padding - 0.05 && Double(map.u[i]) <= MapGeometry.width - MapGeometry.padding + 0.05)
      #expect(Double(map.v[i]) >= MapGeometry.padding - 0.05 && Double(map.v[i]) <= MapGeometry.height - MapGeometry.padding + 0.05)
    }
    // x spans 10, y spans 5: one scale for both axes.
    let sx = Double(map.u[1] - map.u[0]) / 10
    let sy = Double(map.v[3] - map.v[1]) / 5
    #expect(abs(sx - sy) < 0.05)
    #expect(map.v[1] < map.v[0])   // larger y is higher on the page
  }

  @Test("Non-finite positions do not break the map")
  func nonFinite() {
    let map = MapGeometry(x: [0, .nan, 1], y: [0, 1, .infinity], assignment: [[0, 0, 0]])
    #expect(map.u.allSatisfy(\.isFinite) && map.v.allSatisfy(\.isFinite))
  }

  @Test("Grid box queries return exactly the points a brute-force scan finds")
  func gridMatchesBruteForce() {
    var rng = SplitMix64(seed: 3)
    let n = 5_000
    let u = (0 ..< n).map { _ in Float(rng.unit() * MapGeometry.width) }
    let v = (0 ..< n).map { _ in Float(rng.unit() * MapGeometry.height) }
    let grid = SpatialGrid(u: u, v: v, cell: 16)
    for _ in 0 ..< 200 {
      let (a, b) = (rng.unit() * 1100 - 50, rng.unit() * 1100 - 50)
      let (c, d) = (rng.unit() * 700 - 30, rng.unit() * 700 - 30)
      let (minU, maxU, minV, maxV) = (min(a, b), max(a, b), min(c, d), max(c, d))
      let fast = Set(grid.query(minU: minU, minV: minV, maxU: maxU, maxV: maxV, u: u, v: v))
      let slow = Set((0 ..< n).filter { Double(u[$0]) >= minU && Double(u[$0]) <= maxU && Double(v[$0]) >= minV && Double(v[$0]) <= maxV })
      #expect(fast == slow)
    }
  }

  @Test("A bounded sample of a box holds only points in the box, about the target count, all of them when few")
  func gridSample() {
    var rng = SplitMix64(seed: 5)
    let n = 20_000
    let u = (0 ..< n).map { _ in Float(300 + rng.gaussian() * 40) }
    let v = (0 ..< n).map { _ in Float(300 + rng.gaussian() * 40) }
    let grid = SpatialGrid(u: u, v: v, cell: 16)
    let all = grid.query(minU: 250, minV: 250, maxU: 350, maxV: 350, u: u, v: v)
    let sample = grid.sample(minU: 250, minV: 250, maxU: 350, maxV: 350, target: 300, u: u, v: v)
    #expect(Set(sample).isSubset(of: Set(all)) && Set(sample).count == sample.count)
    #expect(sample.count >= 150 && sample.count <= 330, "\(sample.count) of \(all.count)")
    #expect(grid.sample(minU: 250, minV: 250, maxU: 350, maxV: 350, target: 300, u: u, v: v) == sample)
    let small = grid.query(minU: 420, minV: 420, maxU: 460, maxV: 460, u: u, v: v)
    #expect(Set(grid.sample(minU: 420, minV: 420, maxU: 460, maxV: 460, target: 300, u: u, v: v)) == Set(small))
  }

  @Test("Ticks are round numbers covering the range")
  func ticks() {
    #expect(Charts.niceTicks(0, 1, count: 4) == [0, 0.5, 1])
    #expect(Charts.niceTicks(0, 12_000_000, count: 4) == [0, 5_000_000, 10_000_000])
    #expect(Charts.niceTicks(3, 47, count: 4) == [0, 20, 40])
  }

  @Test("Feature ids are zero-padded to the width of the largest index")
  func naming() {
    #expect(Naming(features: 300).id(42) == "f042")
    #expect(Naming(features: 16_384).featureFile(42) == "f00042.html")
    #expect(Naming(features: 100_000).id(7) == "f00007")
    #expect(Naming(features: 100_001).id(7) == "f000007")
    #expect(Naming(features: 1).id(0) == "f0")
    #expect(Naming(features: 10).clusterFile(level: 1, id: 4, page: 3) == "1-4-p3.html")
  }
}

@Suite("Compact map markup")
struct CompactMapTests {
  /// The dots of a points path as whole tenths, whether its moves are absolute or relative.
  static func dots(_ d: String) -> [[Int]] {
    var out: [[Int]] = []
    var last = [0, 0]
    for piece in d.split(separator: "h0") {
      let relative = piece.first == "m"
      let numbers = piece.dropFirst().matches(of: /-?[0-9]*\.?[0-9]+/).map { Int(((Double($0.output) ?? .nan) * 10).rounded()) }
      guard numbers.count == 2 else { return [] }
      last = relative ? [last[0] + numbers[0], last[1] + numbers[1]] : numbers
      out.append(last)
    }
    return out
  }

  @Test("Relative dot paths put every dot where absolute moves did, in the same tenths, and are shorter for one cluster's dots")
  func relativeDots() {
    let points: [(Double, Double)] = [(12.34, 5), (12.3, 4.96), (0.04, 639.96), (-3.25, 7), (999.99, 0.05), (500, 320), (500.04, 320.04),
                                      (.nan, 3), (1e15, -2), (431.7, 88.2), (431.2, 88.9)]
    var dots = SVG.Dots()
    var absolute = ""
    for (x, y) in points { dots.add(x, y); SVG.appendDot(&absolute, x, y) }
    #expect(dots.d.hasPrefix("M12.3 5h0m0 0h0m-12.3 635h0m-3.3-633h0"))
    #expect(Self.dots(dots.d).count == points.count)
    #expect(Self.dots(dots.d) == Self.dots(absolute))
    // On one cluster's dots (near each other, as the map draws them cluster by cluster) the relative path is shorter.
    var map = SVG.Dots()
    var mapAbsolute = ""
    for i in 0 ..< 2000 {
      let (x, y) = (431.7 + Double((i * 7919) % 400) / 10, 288.2 + Double((i * 104_729) % 400) / 10)
      map.add(x, y)
      SVG.appendDot(&mapAbsolute, x, y)
    }
    #expect(Self.dots(map.d) == Self.dots(mapAbsolute))
    #expect(map.d.utf8.count < mapAbsolute.utf8.count, "\(map.d.utf8.count) vs \(mapAbsolute.utf8.count) bytes")
  }

  @Test("Every swatch class in atlas.css has its palette colour")
  func swatchClasses() throws {
    let css = try String(contentsOf: TestPaths.packageRoot.appendingPathComponent("site/atlas.css"), encoding: .utf8)
    for (k, colour) in Palette.categorical.enumerated() {
      #expect(Palette.swatchClass(cluster: k) == "k\(k)" && Palette.swatchClass(cluster: k + Palette.categorical.count) == "k\(k)")
      #expect(css.contains(".k\(k) { background: \(colour); }"), "k\(k)")
    }
    #expect(Palette.swatchClass(cluster: -1) == "ku" && css.contains(".ku { background: \(Palette.unclustered); }"))
  }
}
