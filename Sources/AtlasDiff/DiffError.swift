/// Why a diff cannot be computed.
public enum DiffError: Error, CustomStringConvertible, Equatable {
  case differentWidth(a: Int, b: Int, hookA: String, hookB: String)
  case differentHook(a: String, b: String)
  case shape(what: String, expected: String, found: String)
  case invalidConfiguration(String)

  public var description: String {
    switch self {
    case .differentWidth(let a, let b, let hookA, let hookB):
      "A's SAE reads \(a)-wide activations at \(hookA), B's reads \(b)-wide activations at \(hookB): decoder directions cannot be compared. "
        + "compare them by activation correlation on shared windows instead (`--match-by activations`, or the default `automatic`)"
    case .differentHook(let a, let b):
      "A was captured at \(a), B at \(b): directions in different residual-stream positions are not comparable by cosine. "
        + "compare them by activation correlation on shared windows instead (`--match-by activations`, or the default `automatic`)"
    case .shape(let what, let expected, let found):
      "\(what): expected \(expected), found \(found); rebuild the atlas (`feature-atlas build`) so its artifacts agree"
    case .invalidConfiguration(let reason):
      "invalid diff configuration: \(reason)"
    }
  }
}
