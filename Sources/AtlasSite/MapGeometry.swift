/// Map positions in page units: the layout's (x, y) scaled into a `width` × `height` box (aspect kept,
/// y pointing up as in the layout), plus a grid index for neighbourhood queries without quadratic work.
package struct MapGeometry: Sendable {
  package static let width = 1000.0
  package static let height = 640.0
  package static let padding = 28.0

  package let u: [Float]               // [n] horizontal page units
  package let v: [Float]               // [n] vertical page units (down)
  package let assignment: [[Int]]      // [levels][n] cluster id per level, -1 = unclustered
  private let scale: Double
  private let offsetX: Double
  private let offsetY: Double
  private let minX: Double
  private let maxY: Double
  package let grid: SpatialGrid

  package init(x: [Float], y: [Float], assignment: [[Int]]) {
    self.assignment = assignment
    var lowX = Double.infinity, highX = -Double.infinity, lowY = Double.infinity, highY = -Double.infinity
    for i in x.indices where x[i].isFinite && y[i].isFinite {
      lowX = min(lowX, Double(x[i])); highX = max(highX, Double(x[i]))
      lowY = min(lowY, Double(y[i])); highY = max(highY, Double(y[i]))
    }
    if !lowX.isFinite { lowX = 0; highX = 1; lowY = 0; highY = 1 }
    let spanX = max(highX - lowX, 1e-9), spanY = max(highY - lowY, 1e-9)
    let innerW = MapGeometry.width - 2 * MapGeometry.padding
    let innerH = MapGeometry.height - 2 * MapGeometry.padding
    let s = min(innerW / spanX, innerH / spanY)
    scale = s
    minX = lowX
    maxY = highY
    offsetX = MapGeometry.padding + (innerW - spanX * s) / 2
    offsetY = MapGeometry.padding + (innerH - spanY * s) / 2
    var u = [Float](repeating: 0, count: x.count)
    var v = [Float](repeating: 0, count: x.count)
    for i in x.indices {
      // Non-finite positions (a failed layout point) sit at the corner rather than breaking the page.
      let (pu, pv) = x[i].isFinite && y[i].isFinite
        ? (offsetX + (Double(x[i]) - lowX) * s, offsetY + (highY - Double(y[i])) * s) : (MapGeometry.padding, MapGeometry.padding)
      u[i] = Float((pu * 10).rounded() / 10)
      v[i] = Float((pv * 10).rounded() / 10)
    }
    self.u = u
    self.v = v
    grid = SpatialGrid(u: u, v: v, cell: 16)
  }

  /// A layout position (e.g. a cluster centroid) in page units.
  package func project(x: Float, y: Float) -> (Double, Double) {
    guard x.isFinite, y.isFinite else { return (MapGeometry.padding, MapGeometry.padding) }
    return (offsetX + (Double(x) - minX) * scale, offsetY + (maxY - Double(y)) * scale)
  }

  var count: Int { u.count }
}

/// Points bucketed into square cells (compressed rows: `starts[c] ..< starts[c + 1]` index `items`),
/// so a box query touches only the cells it overlaps.
package struct SpatialGrid: Sendable {
  let cell: Double
  let columns: Int
  let rows: Int
  private let starts: [Int32]   // [columns * rows + 1]
  private let items: [Int32]    // [n] point indices, ascending within a cell

  package init(u: [Float], v: [Float], cell: Double) {
    self.cell = cell
    columns = Int(MapGeometry.width / cell) + 1
    rows = Int(MapGeometry.height / cell) + 1
    var counts = [Int32](repeating: 0, count: columns * rows + 1)
    var cellOf = [Int](repeating: 0, count: u.count)
    for i in u.indices {
      let c = max(0, min(columns - 1, Int(Double(u[i]) / cell)))
      let r = max(0, min(rows - 1, Int(Double(v[i]) / cell)))
      cellOf[i] = r * columns + c
      counts[cellOf[i] + 1] += 1
    }
    for k in 1 ..< counts.count { counts[k] += counts[k - 1] }
    var next = counts
    var items = [Int32](repeating: 0, count: u.count)
    for i in u.indices {
      items[Int(next[cellOf[i]])] = Int32(i)
      next[cellOf[i]] += 1
    }
    starts = counts
    self.items = items
  }

  /// About `target` of the points inside the box (every k-th point of the cells it overlaps, k chosen
  /// from the cell counts), so the work is bounded however dense the map is. Deterministic.
  package func sample(minU: Double, minV: Double, maxU: Double, maxV: Double, target: Int, u: [Float], v: [Float]) -> [Int] {
    let c0 = max(0, Int(minU / cell)), c1 = min(columns - 1, Int(maxU / cell))
    let r0 = max(0, Int(minV / cell)), r1 = min(rows - 1, Int(maxV / cell))
    guard c0 <= c1, r0 <= r1, target > 0 else { return [] }
    var total = 0
    for r in r0 ... r1 { for c in c0 ... c1 { total += Int(starts[r * columns + c + 1] - starts[r * columns + c]) } }
    let stride = max(1, (total + target - 1) / target)
    var found: [Int] = []
    found.reserveCapacity(min(total, target + 16))
    var counter = 0
    for r in r0 ... r1 {
      for c in c0 ... c1 {
        let k = r * columns + c
        let begin = Int(starts[k]), end = Int(starts[k + 1])
        // Visit only every stride-th point of the running sequence.
        var p = begin + (stride - counter % stride) % stride
        counter += end - begin
        while p < end {
          let i = Int(items[p])
          let pu = Double(u[i]), pv = Double(v[i])
          if pu >= minU && pu <= maxU && pv >= minV && pv <= maxV { found.append(i) }
          p += stride
        }
      }
    }
    return found
  }

  /// Indices of points inside the box, cell by cell (row-major), ascending within a cell: a
  /// deterministic order without a sort.
  package func query(minU: Double, minV: Double, maxU: Double, maxV: Double, u: [Float], v: [Float]) -> [Int] {
    let c0 = max(0, Int(minU / cell)), c1 = min(columns - 1, Int(maxU / cell))
    let r0 = max(0, Int(minV / cell)), r1 = min(rows - 1, Int(maxV / cell))
    guard c0 <= c1, r0 <= r1 else { return [] }
    var found: [Int] = []
    for r in r0 ... r1 {
      for c in c0 ... c1 {
        let k = r * columns + c
        for p in Int(starts[k]) ..< Int(starts[k + 1]) {
          let i = Int(items[p])
          let pu = Double(u[i]), pv = Double(v[i])
          if pu >= minU && pu <= maxU && pv >= minV && pv <= maxV { found.append(i) }
        }
      }
    }
    return found
  }
}
