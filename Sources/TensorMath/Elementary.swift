import Glibc

@usableFromInline func Foundation_log(_ x: Double) -> Double { Glibc.log(x) }
@usableFromInline func Foundation_cos(_ x: Double) -> Double { Glibc.cos(x) }

/// Scalar helpers shared by kernels (libm, so results match C implementations bit for bit).
public enum Elementary {
  @inlinable public static func exp(_ x: Float) -> Float { expf(x) }
  @inlinable public static func log(_ x: Float) -> Float { logf(x) }
  @inlinable public static func log10(_ x: Float) -> Float { log10f(x) }
  @inlinable public static func exp(_ x: Double) -> Double { Glibc.exp(x) }
  @inlinable public static func log(_ x: Double) -> Double { Glibc.log(x) }
  @inlinable public static func cos(_ x: Double) -> Double { Glibc.cos(x) }
  @inlinable public static func sin(_ x: Double) -> Double { Glibc.sin(x) }
  @inlinable public static func pow(_ x: Double, _ y: Double) -> Double { Glibc.pow(x, y) }
  @inlinable public static func pow(_ x: Float, _ y: Float) -> Float { powf(x, y) }
}
