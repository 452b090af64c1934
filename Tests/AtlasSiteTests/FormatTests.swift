import AtlasFixtures
import Foundation
import TensorMath
import Testing

import AtlasSite
import AtlasArtifacts

@Suite("Number formatting")
struct FormatTests {
  @Test("fixed() agrees with String(format:) except at exact ties of the scaled value")
  func fixedMatchesPrintf() {
    var rng = SplitMix64(seed: 11)
    for k in 0 ..< 20_000 {
      let magnitude = pow(10, Double(k % 9) - 4)
      let value = (rng.unit() * 2 - 1) * magnitude
      let digits = k % 5
      let fast = Format.fixed(value, digits: digits)
      var slow = String(format: "%.\(digits)f", value)
      if slow.hasPrefix("-"), slow.dropFirst().allSatisfy({ $0 == "0" || $0 == "." }) { slow.removeFirst() }  // no "-0.00"
      if fast != slow {
        // Only a value within rounding error of a tie may round the other way.
        let scaled = abs(value) * pow(10, Double(digits))
        #expect(abs(scaled - scaled.rounded(.down) - 0.5) < 1e-6, "fixed(\(value), \(digits)) = \(fast), printf gives \(slow)")
      }
    }
  }

  @Test("fixed() pads fractions, drops the sign of zero and reads non-finite values as n/a")
  func fixedEdges() {
    #expect(Format.fixed(1.05, digits: 3) == "1.050")
    #expect(Format.fixed(-0.0004, digits: 2) == "0.00")
    #expect(Format.fixed(-2.5, digits: 0) == "-2")
    #expect(Format.fixed(12345.678, digits: 1) == "12345.7")
    #expect(Format.fixed(Double.nan, digits: 2) == "n/a")
    #expect(Format.fixed(Double.infinity, digits: 2) == "n/a")
  }

  @Test("Percentages keep about three significant digits")
  func percent() {
    #expect(Format.percent(0.125) == "12.5%")
    #expect(Format.percent(0.00132) == "0.132%")
    #expect(Format.percent(0.05) == "5%")
    #expect(Format.percent(0.0000413) == "0.00413%")
    #expect(Format.percent(0) == "0%")
    #expect(Format.percent(0.0000000001) == "< 0.0001%")
  }

  @Test("Counts, compact counts, durations and activations")
  func others() {
    #expect(Format.count(0) == "0")
    #expect(Format.count(999) == "999")
    #expect(Format.count(1_234_567) == "1,234,567")
    #expect(Format.count(-12_000) == "-12,000")
    #expect(Format.compact(950) == "950")
    #expect(Format.compact(12_345) == "12.3k")
    #expect(Format.compact(1_179_648) == "1.2M")
    #expect(Format.compact(3_400_000_000) == "3.4B")
    #expect(Format.seconds(0.4213) == "0.42 s")
    #expect(Format.seconds(245) == "4 min 05 s")
    #expect(Format.seconds(7380) == "2 h 03 min")
    #expect(Format.activation(0.4242) == "0.42")
    #expect(Format.activation(12.44) == "12.4")
    #expect(Format.activation(312.4) == "312")
    #expect(Format.number(0.0004) == "0.0004")
    #expect(Format.number(200) == "200")
    #expect(Format.number(3.14159, significant: 3) == "3.14")
  }
}
