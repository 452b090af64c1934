/// Bulk conversions between Float16 bit patterns and Float32.
public enum HalfPrecision {
  @inlinable
  public static func toFloat(_ bits: UInt16) -> Float { Float(Float16(bitPattern: bits)) }

  @inlinable
  public static func toBits(_ value: Float) -> UInt16 { Float16(value).bitPattern }

  /// Float32 from bfloat16 bits (the upper half of an IEEE single).
  @inlinable
  public static func bfloat16ToFloat(_ bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }
}
